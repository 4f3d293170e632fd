# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the kernel log sources of oom_facts other than
the journal (/dev/kmsg, dmesg, log files), and what they share.

Every reader takes the host seam (module_utils/_host.Host, or a test's stand-in) and
a collector.EventCollector, feeds what it reads into an OomLogParser and raises
SourceError(reason) when the source cannot be read; ``reason`` is the short value of
oom_facts' ``source_errors``. Standard library only.
"""

from __future__ import annotations

import errno
import gzip
import stat
import zlib

from ansible_collections.sre.oom.plugins.module_utils._oom import scanner as _scanner

DEFAULT_FILES = ("/var/log/kern.log", "/var/log/messages", "/var/log/syslog")
_FILE_KINDS = ((stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "fifo"), (stat.S_ISCHR, "character device"),
               (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"))


class SourceError(Exception):
    """A log source that cannot be read; ``reason`` is the short fact value."""

    def __init__(self, reason):
        Exception.__init__(self, reason)
        self.reason = reason


class _GzipLog(gzip.GzipFile):
    """A gzip reader that closes the file it was given, and whose readinto returns
    what was uncompressed before a damaged or truncated part before raising."""

    def __init__(self, fileobj):
        gzip.GzipFile.__init__(self, fileobj=fileobj, mode="rb")
        self.myfileobj = fileobj     # GzipFile.close() closes myfileobj
        self._damage = None

    def readinto(self, b):
        if self._damage is not None:
            raise self._damage
        view = memoryview(b).cast("B")
        n = 0
        try:
            while n < len(view):
                data = self.read1(len(view) - n)
                if not data:
                    break
                view[n:n + len(data)] = data
                n += len(data)
        except (EOFError, OSError, zlib.error) as e:
            if not n:
                raise
            self._damage = e
        finally:
            view.release()
        return n


def open_log(host, path):
    """A binary file object of a regular log file; gzip (.gz) is uncompressed on the fly.
    Raises OSError (see Host.open_regular)."""
    f = host.open_regular(path)
    if path.endswith(".gz"):
        return _GzipLog(f)
    return f


def boot_time_of(host):
    """Epoch of the current boot (now - /proc/uptime), or None."""
    text = host.read_text("/proc/uptime")
    try:
        return host.now() - float(text.split()[0])
    except (AttributeError, ValueError, IndexError):
        return None


def restricted(host):
    """True when kernel.dmesg_restrict is 1 (reading the kernel log needs CAP_SYSLOG)."""
    return (host.read_text("/proc/sys/kernel/dmesg_restrict") or "").strip() == "1"


def os_reason(host, exc):
    """The source_errors value for an OSError of /dev/kmsg."""
    if exc.errno in (errno.EPERM, errno.EACCES):
        return "dmesg_restrict" if restricted(host) else "permission"
    if exc.errno in (errno.ENOENT, errno.ENXIO, errno.ENODEV):
        return "missing"
    return "error: %s" % (exc.strerror or exc)


def read_kmsg(host, collector, boot_time):
    parser = _scanner.OomLogParser(collector, source="kmsg", boot_time=boot_time, reference_time=host.now())
    n = 0
    try:
        for rec in host.kmsg_records():
            n += 1
            for line in rec.split(b"\n"):
                if line:
                    parser.feed(line)
    except OSError as e:
        raise SourceError(os_reason(host, e))
    parser.flush()
    if n == 0:
        raise SourceError("empty")


def read_dmesg(host, collector, boot_time):
    dmesg = host.which("dmesg")
    if not dmesg:
        raise SourceError("missing")
    rc, out, err = host.run([dmesg])
    if rc != 0:
        text = (err or out).lower()
        if "not permitted" in text or "permission" in text:
            raise SourceError("dmesg_restrict" if restricted(host) else "permission")
        raise SourceError("error: %s" % (err or out).strip()[:200])
    if not out.strip():
        raise SourceError("empty")
    parser = _scanner.OomLogParser(collector, source="dmesg", boot_time=boot_time, reference_time=host.now())
    for line in out.splitlines():
        parser.feed(line)
    parser.flush()


def expand_paths(host, patterns):
    """Expand wildcards; keep literal paths that match nothing (their error is reported)."""
    out = []
    for pat in patterns:
        if any(c in pat for c in "*?["):
            out.extend(host.glob(pat))
        else:
            out.append(pat)
    seen, uniq = set(), []
    for p in out:
        if p not in seen:
            seen.add(p)
            uniq.append(p)
    return sorted(uniq, key=lambda p: (host.mtime(p) or 0, p))


def _open_error(e):
    if e.errno in (errno.EPERM, errno.EACCES):
        return SourceError("permission")
    if e.errno in (errno.ENOENT, errno.ENOTDIR):
        return SourceError("missing")
    return SourceError("error: %s" % (e.strerror or e))


def read_file(host, collector, path):
    """Feed one log file; raises SourceError.

    Only regular files (plain or gzip) are read: the type is checked with stat
    before opening, so a FIFO, a device or a directory is never opened (a FIFO
    would block, /dev/zero never ends). A corrupt or truncated .gz keeps the
    events read up to the damage and reports the error.
    """
    try:
        st = host.stat(path)
    except (IOError, OSError) as e:
        raise _open_error(e)
    for test, what in _FILE_KINDS:
        if test(st.st_mode):
            raise SourceError("error: not a regular file (%s)" % what)
    if not stat.S_ISREG(st.st_mode):
        raise SourceError("error: not a regular file")
    if st.st_size == 0:
        raise SourceError("empty")
    try:
        f = open_log(host, path)
    except (IOError, OSError) as e:
        raise _open_error(e)
    parser = _scanner.OomLogParser(collector, source="file", reference_time=host.mtime(path) or host.now())
    try:
        with f:
            parser.feed_file(f)
    except (IOError, OSError, EOFError, ValueError, zlib.error) as e:
        # a corrupt or truncated .gz, or a read error: keep what was parsed up to there
        parser.flush()
        if path.endswith(".gz"):
            raise SourceError("error: corrupt gzip file: %s" % (e,))
        raise SourceError("error: %s" % (e,))
    if parser.bytes == 0:
        raise SourceError("empty")

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the journal source of oom_facts.

What is read (JOURNAL_MATCHES, JOURNAL_GREP, JOURNAL_FIELDS), the journalctl
command lines (check_argv, query_argv), the decoding of `journalctl -o json`
records into parser lines (journal_text, journal_lines; the EDA event source uses
them too) and read_journal, which runs journalctl through the host seam.

journalctl runs in one place, query(), through the host's streaming reader
(Host.stream): its records are decoded and parsed as they arrive, so memory stays
bounded and time linear whatever the size of the output, and one time-out bounds
the whole source (every journalctl it runs). Standard library only.
"""

from __future__ import annotations

import json
import time

from ansible_collections.sre.oom.plugins.module_utils._host import CommandTimeout
from ansible_collections.sre.oom.plugins.module_utils._oom import scanner as _scanner
from ansible_collections.sre.oom.plugins.module_utils._oom.formats import is_digits
from ansible_collections.sre.oom.plugins.module_utils._oom.sources import SourceError

# Seconds the journal source may take in all (oom_facts' journal_timeout).
DEFAULT_TIMEOUT = 60
# json.loads without its two whitespace scans: a record starts with "{".
_RAW_DECODE = json.JSONDecoder().raw_decode

# journalctl filters the messages itself when it can (--grep, systemd 237+): only
# the lines the parsers use come back. Kernel lines, then systemd-oomd, earlyoom,
# nohang, and systemd's unit lines about an OOM kill (journalctl's --grep is
# case-sensitive for a pattern with capitals: each literal as the daemon logs it).
JOURNAL_GREP = ("Killed process|invoked oom-killer|oom-kill:|reaped process|sacrifice child|or a child"
                "|killed as a result of limit|memory.oom.group set|PID: [0-9]+ Comm: |Pid: [0-9]+, comm: "
                "|for killing due to|due to memory pressure|due to swap used|due to memory used"
                "|sending SIG|Killing process|killing process|ow [Mm]emory! |OOM killer"
                "|in this unit|result 'oom-kill'"
                "|to the victim|Victim is |highest badness|Victim status|PID: +[0-9]+(?:, [Nn]ame: | *$)|Name: "
                "|EUID: |VmRSS: |Vm, MiB: |cgroup_v2: |Executing the command")
# The journal records read: the kernel's, the userspace killers' (systemd-oomd,
# earlyoom, nohang), and PID 1's (systemd's lines about a unit whose process was
# OOM-killed).
JOURNAL_MATCHES = ("_TRANSPORT=kernel", "+", "_SYSTEMD_UNIT=systemd-oomd.service", "+",
                   "_SYSTEMD_UNIT=earlyoom.service", "+", "_SYSTEMD_UNIT=nohang.service", "+",
                   "_SYSTEMD_UNIT=nohang-desktop.service", "+", "_PID=1")
# Only the fields the module reads (systemd 236+, so every journalctl with --grep):
# a quarter of the output of whole records.
JOURNAL_FIELDS = "MESSAGE,SYSLOG_IDENTIFIER,_PID,_TRANSPORT,_HOSTNAME,_SOURCE_MONOTONIC_TIMESTAMP"


def journal_text(out):
    """journalctl output without its '-- No entries --' / '-- Boot ... --' marker lines."""
    if "\n-- " not in "\n" + out:
        return out
    return "\n".join(line for line in out.splitlines() if not line.startswith("-- "))


_LAST_USEC = 253402300799999999      # 9999-12-31T23:59:59.999999Z


def _usec(value):
    """A journal timestamp field (microseconds, decimal ASCII digits) -> int; None otherwise."""
    text = value if isinstance(value, str) else str(value if value is not None else "")
    if 0 < len(text) <= 20 and is_digits(text):
        return int(text)
    return None


def journal_lines(out, boot_id, hostname="localhost"):
    """Parser lines from `journalctl -o json` output: the whole text, or an iterable
    of its lines (one JSON record each, as a streaming reader yields them).

    journald stamps a kernel message with the time it read it, which can be much
    later than the kernel printed it (journald started late, or in a container,
    replayed the whole ring buffer). A kernel record of this boot that carries the
    kernel's own timestamp (_SOURCE_MONOTONIC_TIMESTAMP, microseconds since boot)
    becomes a /dev/kmsg-style line, so its time comes from the boot time plus that
    uptime, as for /dev/kmsg itself. Other records keep journald's realtime stamp
    (a kernel record of another boot or machine also its kernel's uptime, as
    `[seconds]` after the tag), and userspace records (systemd-oomd, earlyoom,
    systemd) their program's name as the syslog tag.
    """
    decode = _RAW_DECODE
    last_sec, last_iso = None, None
    # Records end at "\n" only: str.splitlines() also breaks at U+2028, U+2029, \x1c..\x1e,
    # \x85 ..., which journalctl -o json writes raw inside a string (a process name
    # chosen to hide its kill); oom_facts' Stream splits at "\n" too.
    for raw in out.split("\n") if isinstance(out, str) else out:
        if raw[:1] != "{":
            raw = raw.strip()
            if raw[:1] != "{":
                continue
        try:
            rec = decode(raw)[0]     # one record a line (what follows it is ignored)
        except (ValueError, RecursionError):
            continue                 # not JSON, or nested deeper than any record journalctl writes
        if not isinstance(rec, dict):
            continue
        msg = rec.get("MESSAGE")
        if isinstance(msg, list):          # journald's form of a message that is not UTF-8
            try:
                msg = bytes(msg).decode("utf-8", "replace")
            except (TypeError, ValueError):
                continue
        if not isinstance(msg, str):
            continue
        ident = rec.get("SYSLOG_IDENTIFIER")
        transport = rec.get("_TRANSPORT")
        if transport is not None:
            # journald's own fields: the kernel's records, at the kernel's facility 0
            # (a record written to /dev/kmsg from user space has another one); a
            # SYSLOG_IDENTIFIER of "kernel" is any program's choice (logger -t kernel)
            kernel = transport == "kernel" and rec.get("SYSLOG_FACILITY", "0") == "0"
            if not kernel and (not isinstance(ident, str) or ident == "kernel"):
                continue        # it would read as the kernel's line: not the kernel's
        else:
            kernel = not isinstance(ident, str) or ident == "kernel"
        if kernel and boot_id and rec.get("_BOOT_ID") == boot_id:
            mono = _usec(rec.get("_SOURCE_MONOTONIC_TIMESTAMP"))
            if mono is not None:
                # /dev/kmsg escapes a backslash as \x5c; keep the message literal.
                if "\\" in msg:
                    msg = msg.replace("\\", "\\x5c")
                if "\n" not in msg:
                    yield "6,0,%s,-;%s" % (mono, msg)
                else:
                    for part in msg.split("\n"):
                        yield "6,0,%s,-;%s" % (mono, part)
                continue
        tag = "kernel:" if kernel else "%s[%s]:" % (ident, rec.get("_PID") or 0)
        if kernel:
            # Another boot, or another machine's journal (fleet mode): journald's
            # time, and the kernel's own uptime as dmesg prints it, so that the
            # kill has the same uptime as where its host reads it.
            mono = _usec(rec.get("_SOURCE_MONOTONIC_TIMESTAMP"))
            if mono is not None:
                sec, usec = divmod(mono, 1000000)
                tag = "kernel: [%5d.%06d]" % (sec, usec)
        real = _usec(rec.get("__REALTIME_TIMESTAMP"))
        stamp = None
        if real is not None and real <= _LAST_USEC:
            sec, usec = divmod(real, 1000000)
            if sec != last_sec:
                last_sec, last_iso = sec, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
            stamp = "%s.%06d+00:00 %s %s" % (last_iso, usec, rec.get("_HOSTNAME") or hostname, tag)
        elif not kernel:
            stamp = "%s %s" % (rec.get("_HOSTNAME") or hostname, tag)
        parts = msg.split("\n")
        for i, part in enumerate(parts):
            if i and stamp and not kernel:
                yield "    " + part       # a continuation line, as journalctl prints it
            else:
                yield "%s %s" % (stamp, part) if stamp else part


def check_argv(journalctl):
    """The probe of sources=auto: one kernel message of the current boot, if any."""
    return [journalctl, "-k", "-q", "--no-pager", "-b", "-n", "1", "-o", "short"]


def query_argv(journalctl, since_mode, since_epoch, grep=True):
    """The journalctl command of the OOM records since ``since`` (mode and epoch as
    since.parse_since returns them); without --grep/--output-fields when ``grep`` is
    false (a journalctl without pattern support)."""
    argv = [journalctl, "-q", "--no-pager", "-o", "json"]
    if since_mode == "boot":
        argv.append("-b")
    elif since_mode == "time":
        argv += ["--since", "@%d" % int(since_epoch)]
    if grep:
        argv += ["--output-fields", JOURNAL_FIELDS, "--grep", JOURNAL_GREP]
    return argv + list(JOURNAL_MATCHES)


def query(host, argv, deadline):
    """Start journalctl: a Host.stream of its output lines, ended at ``deadline``
    (time.monotonic()). The one place it runs."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise CommandTimeout(0)     # nothing left for another command
    return host.stream(argv, left)


def _pattern_unsupported(err):
    low = err.lower()
    return "pattern" in low or "grep" in low or "unrecognized" in low


def _reason(out):
    return (out.err.strip() or "journalctl exited with status %s" % out.rc)[:200]


def _holds_this_boot(host, journalctl, deadline):
    """sources=auto: does the journal hold a kernel message of this boot?"""
    with query(host, check_argv(journalctl), deadline) as out:
        found = 0
        for line in out:
            if line.strip() and not line.startswith("-- "):
                found += 1
    if out.rc != 0:
        raise SourceError("error: %s" % _reason(out))
    if not found:
        raise SourceError("missing" if "No journal files" in out.err else "empty")


def _feed(host, argv, deadline, parser, boot_id):
    """Run one journal query, feeding its records to the parser as they arrive:
    (the finished Stream, whether any record came)."""
    before = parser.lines
    with query(host, argv, deadline) as out:
        for line in journal_lines(out, boot_id):
            parser.feed(line)
    return out, parser.lines > before


def read_journal(host, collector, since_mode, since_epoch, check_boot, boot_time=None, timeout=DEFAULT_TIMEOUT):
    """Feed the journal's OOM lines (kernel, systemd-oomd, earlyoom, systemd) into the
    collector; raises SourceError. ``check_boot`` (sources=auto): the journal counts
    only when it holds kernel messages of this boot. ``timeout`` (seconds) bounds
    the whole source: past it, journalctl is killed and SourceError("timed out
    after N s") raised; the events parsed until then are kept (as those before the
    damage of a corrupt log file)."""
    journalctl = host.which("journalctl")
    if not journalctl:
        raise SourceError("missing")
    deadline = time.monotonic() + timeout
    parser = _scanner.OomLogParser(collector, source="journal", boot_time=boot_time, reference_time=host.now())
    try:
        if check_boot:
            _holds_this_boot(host, journalctl, deadline)
        boot_id = (host.read_text("/proc/sys/kernel/random/boot_id") or "").strip().replace("-", "")
        grep = True
        out, fed = _feed(host, query_argv(journalctl, since_mode, since_epoch), deadline, parser, boot_id)
        if out.rc != 0 and not fed and _pattern_unsupported(out.err):
            grep = False
            out, fed = _feed(host, query_argv(journalctl, since_mode, since_epoch, grep=False), deadline, parser,
                             boot_id)
    except CommandTimeout:
        parser.flush()
        raise SourceError("timed out after %s s" % ("%g" % timeout))
    except (IOError, OSError) as e:    # journalctl could not be started
        parser.flush()
        raise SourceError("error: %s" % (getattr(e, "strerror", None) or e))
    parser.flush()
    if out.rc != 0:
        if grep and out.rc == 1 and not fed and not out.err.strip():
            return True                   # --grep matched nothing
        reason = _reason(out)
        if "permission" in reason.lower() or "not seeing messages" in reason.lower():
            raise SourceError("permission")
        raise SourceError("error: %s" % reason)
    return True

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the journal source of oom_facts.

What is read (JOURNAL_MATCHES, JOURNAL_GREP, JOURNAL_FIELDS), the journalctl
command lines (check_argv, query_argv), the decoding of `journalctl -o json`
records into parser lines (journal_text, journal_lines; the EDA event source uses
them too) and read_journal, which runs journalctl through the host seam.

journalctl runs in one place, query(): a reader that streams the output can replace
it there. Standard library only.
"""

from __future__ import annotations

import json
import time

from ansible_collections.sre.oom.plugins.module_utils._oom import scanner as _scanner
from ansible_collections.sre.oom.plugins.module_utils._oom.sources import SourceError

# journalctl filters the messages itself when it can (--grep, systemd 237+): only
# the lines the parsers use come back. Kernel lines, then systemd-oomd, earlyoom,
# nohang, and systemd's unit lines about an OOM kill (journalctl's --grep is
# case-sensitive for a pattern with capitals: each literal as the daemon logs it).
JOURNAL_GREP = ("Killed process|invoked oom-killer|oom-kill:|reaped process|sacrifice child|or a child"
                "|killed as a result of limit|PID: [0-9]+ Comm: |Pid: [0-9]+, comm: "
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


def journal_lines(out, boot_id, hostname="localhost"):
    """Parser lines from `journalctl -o json` output: the whole text, or an iterable
    of its lines (one JSON record each, as a streaming reader yields them).

    journald stamps a kernel message with the time it read it, which can be much
    later than the kernel printed it (journald started late, or in a container,
    replayed the whole ring buffer). A kernel record of this boot that carries the
    kernel's own timestamp (_SOURCE_MONOTONIC_TIMESTAMP, microseconds since boot)
    becomes a /dev/kmsg-style line, so its time comes from the boot time plus that
    uptime, as for /dev/kmsg itself. Other records keep journald's realtime stamp,
    and userspace records (systemd-oomd, earlyoom, systemd) their program's name
    as the syslog tag.
    """
    for raw in out.splitlines() if isinstance(out, str) else out:
        raw = raw.strip()
        if not raw.startswith("{"):
            continue
        try:
            rec = json.loads(raw)
        except ValueError:
            continue
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
        kernel = rec.get("_TRANSPORT") == "kernel" or not isinstance(ident, str) or ident == "kernel"
        mono = str(rec.get("_SOURCE_MONOTONIC_TIMESTAMP") or "")
        if kernel and boot_id and rec.get("_BOOT_ID") == boot_id and mono.isdigit():
            for part in msg.split("\n"):
                # /dev/kmsg escapes a backslash as \x5c; keep the message literal.
                yield "6,0,%s,-;%s" % (mono, part.replace("\\", "\\x5c"))
            continue
        tag = "kernel:" if kernel else "%s[%s]:" % (ident, rec.get("_PID") or 0)
        real = str(rec.get("__REALTIME_TIMESTAMP") or "")
        stamp = None
        if real.isdigit():
            sec, usec = divmod(int(real), 1000000)
            iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
            stamp = "%s.%06d+00:00 %s %s" % (iso, usec, rec.get("_HOSTNAME") or hostname, tag)
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


def query(host, argv):
    """Run journalctl: (rc, output, error output). The one place it runs."""
    return host.run(argv)


def _pattern_unsupported(err):
    low = err.lower()
    return "pattern" in low or "grep" in low or "unrecognized" in low


def read_journal(host, collector, since_mode, since_epoch, check_boot, boot_time=None):
    """Feed the journal's OOM lines (kernel, systemd-oomd, earlyoom, systemd) into the
    collector; raises SourceError. ``check_boot`` (sources=auto): the journal counts
    only when it holds kernel messages of this boot."""
    journalctl = host.which("journalctl")
    if not journalctl:
        raise SourceError("missing")
    if check_boot:
        rc, out, err = query(host, check_argv(journalctl))
        if rc != 0:
            raise SourceError("error: %s" % (err or out).strip()[:200])
        if not journal_text(out).strip():
            raise SourceError("missing" if "No journal files" in err else "empty")
    grep = True
    rc, out, err = query(host, query_argv(journalctl, since_mode, since_epoch))
    if rc != 0 and _pattern_unsupported(err):
        grep = False
        rc, out, err = query(host, query_argv(journalctl, since_mode, since_epoch, grep=False))
    if rc != 0:
        if grep and rc == 1 and not journal_text(out).strip() and not err.strip():
            out = ""                      # --grep matched nothing
        else:
            reason = (err or out).strip()
            if "permission" in reason.lower() or "not seeing messages" in reason.lower():
                raise SourceError("permission")
            raise SourceError("error: %s" % reason[:200])
    parser = _scanner.OomLogParser(collector, source="journal", boot_time=boot_time, reference_time=host.now())
    boot_id = (host.read_text("/proc/sys/kernel/random/boot_id") or "").strip().replace("-", "")
    for line in journal_lines(out, boot_id):
        parser.feed(line)
    parser.flush()
    return True

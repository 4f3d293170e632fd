# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kill formats that 0.2.0 missed (issue 20), and systemd's unit lines merged into
systemd-oomd's kills. Each case runs through the line path and the file fast path.

Fixtures (fixtures/oom/) say in their header where their lines come from; lines
written inline here are built from real fixture lines or from the daemons' format
strings, as noted at each test.
"""

from __future__ import annotations

import calendar
import io
import os
import re

import pytest

from ansible_collections.sre.oom.plugins.module_utils._oom import collector, formats, scanner
from ansible_collections.sre.oom.tests.unit.plugins.module_utils._oom.oomlog import (
    L)

FIX = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "oom")
REF = calendar.timegm((2026, 11, 29, 0, 0, 0, 0, 0, 0))
MODES = ["lines", "fast"]


def events_of(data, mode, **kw):
    kw.setdefault("reference_time", REF)
    if isinstance(data, str):
        data = data.encode("utf-8")
    out = []
    parser = scanner.OomLogParser(out.append, **kw)
    if mode == "lines":
        for line in data.split(b"\n"):
            parser.feed(line)
        parser.flush()
    else:
        parser.feed_file(io.BytesIO(data))
    assert parser.errors == 0
    return [scanner.public(e) for e in out]


def fixture(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


# ---------------------------------------------------------------------------
# 1. A memory-cgroup kill that the kernel's summary calls CONSTRAINT_NONE

@pytest.mark.parametrize("mode", MODES)
def test_memcg_kill_with_constraint_none_is_memcg(mode):
    events = events_of(fixture("memcg-oom-group-5.0.log"), mode)
    assert [(e["victim"]["pid"], e["kind"]) for e in events] == [(2201, "memcg"), (2202, "memcg")]
    first = events[0]
    assert first["constraint"] == "CONSTRAINT_NONE"       # as printed
    assert first["oom_memcg"] == first["memcg"] == "/system.slice/app.service"
    assert first["unit"] == "app.service" and first["reaped"] is True
    assert first["invoker"]["pid"] == 2201 and first["victim"]["uid"] == 1000


def test_global_kill_with_constraint_none_stays_global():
    # 030 (real): global_oom in the summary, "Out of memory" prefix
    events = events_of(fixture("030-centos8-grep-oom.log"), "lines")
    assert {e["kind"] for e in events} == {"global"}


# ---------------------------------------------------------------------------
# 2. Leading blanks and line-number prefixes (grep -n, cat -n, nl)

def _prefixed(data, how):
    out = []
    for i, line in enumerate(data.decode("utf-8").split("\n")):
        if not line or line.startswith("#"):
            continue
        n = 166233 + i
        out.append({"blanks": "   " + line, "grep-n": "%d:%s" % (n, line), "space": "%d %s" % (n, line),
                    "cat-n": "%6d\t%s" % (n, line), "grep-n-blanks": "  %d:%s" % (n, line)}[how])
    return "\n".join(out) + "\n"


PREFIX_CASES = ["blanks", "grep-n", "space", "cat-n", "grep-n-blanks"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", PREFIX_CASES)
@pytest.mark.parametrize("name", ["real-6.18-dmesg.txt", "033-memeater-rfc3339-callerid.log",
                                  "030-centos8-grep-oom.log", "real-6.18-dmesg-T-fr.txt",
                                  "unit-lines-kernel-kill.log"])
def test_line_prefixes_do_not_change_the_events(name, how, mode):
    plain = events_of(fixture(name), "lines")
    got = events_of(_prefixed(fixture(name), how), mode)
    assert got == plain
    assert all(e["invoker"]["comm"] is None or e["invoker"]["comm"][:1] not in "0123456789 " for e in got)


def test_the_invoker_line_keeps_its_pid_behind_a_line_number():
    # the shape: "166233 Apr 18 00:37:34 host kernel: [...]", lines of real-6.18-dmesg.txt
    lines = [
        "166233 Apr 18 00:37:34 host kernel: [  355.271380] python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), "
        "order=0, oom_score_adj=0",
        "166234 Apr 18 00:37:34 host kernel: [  355.271408] CPU: 0 UID: 0 PID: 6844 Comm: python3 Not tainted "
        "6.18.44-fc-v782 #1 PREEMPT(none) ",
        "166290 Apr 18 00:37:34 host kernel: [  355.272006] Memory cgroup out of memory: Killed process 6844 (python3) "
        "total-vm:540856kB, anon-rss:65280kB, file-rss:6708kB, shmem-rss:0kB, UID:0 pgtables:200kB oom_score_adj:0",
    ]
    for mode in MODES:
        [ev] = events_of("\n".join(lines), mode)
        assert ev["invoker"]["comm"] == "python3" and ev["invoker"]["pid"] == 6844, mode
        assert ev["uptime"] == 355.272006 and ev["time"] == "2026-04-18T00:37:34Z"


def test_prefix_of_a_numbered_line():
    info = formats.split_prefix("166233:Sep  7 14:18:32 h kernel: x", REF)
    assert (info.fmt, info.msg, info.kernel) == ("syslog", "x", True)
    info = formats.split_prefix("   [  355.271380] x", REF)
    assert (info.fmt, info.uptime, info.msg) == ("dmesg", 355.27138, "x")
    # a kmsg record and an RFC 3339 stamp are not line numbers
    assert formats.split_prefix("6,339,355271380,-;x", REF).fmt == "kmsg"
    assert formats.split_prefix("2024-01-07T17:53:49+00:00 h kernel: x", REF).fmt == "rfc3339"


# ---------------------------------------------------------------------------
# 3. earlyoom without a syslog tag, every version

EARLYOOM_UNTAGGED = [
    # pid, comm, uid, signal, rss MiB
    (4100, "stress", None, "SIGKILL", None),
    (4101, "chromium", None, None, 1500),
    (4102, "my (weird) app", None, "SIGTERM", 2048),
    (4103, "node", None, "SIGKILL", 1024),
    (4104, "java", None, "SIGTERM", 3000),
    (4105, "firefox", 1000, "SIGTERM", 2500),
    (4106, "bun", 1000, "SIGKILL", 4514),
    (4107, "llama-server", 996, "SIGTERM", 11791),
]


@pytest.mark.parametrize("mode", MODES)
def test_earlyoom_output_without_a_tag_in_every_version(mode):
    events = events_of(fixture("userspace-earlyoom-untagged.log"), mode)
    got = [(e["victim"]["pid"], e["victim"]["comm"], e["victim"]["uid"], e["signal"],
            e["victim"]["rss_kb"] // 1024 if e["victim"]["rss_kb"] else None) for e in events]
    assert got == EARLYOOM_UNTAGGED
    assert {(e["killer"], e["kind"], e["reason"]) for e in events} == {("earlyoom", "userspace", "low_memory")}
    assert events[-1]["time"] == "2026-09-10T21:54:23.120000Z"


@pytest.mark.parametrize("mode", MODES)
def test_earlyoom_v12_and_v13rc_formats_with_a_tag(mode):
    text = ("Oct  2 08:00:01 gpu earlyoom[812]: Killing process 'my (weird) app' with signal 15, pid: 4102, "
            "badness: 900, VmRSS: 2048 MiB\n"
            "Oct  2 08:00:02 gpu earlyoom[812]: killing process 4103 \"node\" with signal 9: badness 800, "
            "VmRSS 1024 MiB\n")
    events = events_of(text, mode)
    assert [(e["victim"]["pid"], e["victim"]["comm"], e["signal"]) for e in events] == [
        (4102, "my (weird) app", "SIGTERM"), (4103, "node", "SIGKILL")]


def test_other_programs_untagged_lines_are_not_earlyoom_kills():
    text = ("sending SIGTERM when mem avail <= 10.00% and swap free <= 10.00%,\n"
            "Killing process group 5 of job 7\n"
            "[ 12.000000] sending SIGTERM to process 5 uid 0 \"x\": badness 1, VmRSS 1 MiB\n")
    for mode in MODES:
        assert events_of(text, mode) == [], mode


# ---------------------------------------------------------------------------
# 4. systemd-oomd in `journalctl -o short-monotonic` without a host name, and a
#    unit-filtered excerpt that holds only systemd's line about the kill

# Real lines of fixtures/oom/userspace-systemd-oomd.log (public report), with the
# short-monotonic stamp and without the host name (journalctl --no-hostname).
OOMD_MONOTONIC = (
    "[ 5123.456789] systemd-oomd[726]: Marked /user.slice/user-1000.slice/user@1000.service/app.slice/"
    "app-firefox-4411.scope for killing due to memory pressure for /user.slice/user-1000.slice/user@1000.service"
    " being 71.20% > 50.00% for > 20s with reclaim activity\n"
    "[ 5124.000001] systemd-oomd[726]: Considered 1 cgroups for killing, top candidates were:\n"
)


@pytest.mark.parametrize("mode", MODES)
def test_oomd_kill_in_short_monotonic_without_host(mode):
    [ev] = events_of(OOMD_MONOTONIC, mode)
    assert (ev["killer"], ev["reason"], ev["unit"], ev["uptime"]) == (
        "systemd-oomd", "memory_pressure", "app-firefox-4411.scope", 5123.456789)


@pytest.mark.parametrize("mode", MODES)
def test_oomd_kill_in_short_monotonic_after_kernel_lines(mode):
    # the same deep in a whole journal: a kernel line of real-6.18-journal-short-monotonic.txt
    # and a line of systemd's, many times, first
    head = ("[    1.262341] kernel: random: crng reseeded due to virtual machine fork\n"
            "[    2.100000] systemd[1]: Started systemd-oomd.service - Userspace Out-Of-Memory (OOM) Killer.\n") * 20000
    [ev] = events_of(head + OOMD_MONOTONIC, mode)
    assert ev["killer"] == "systemd-oomd" and ev["unit"] == "app-firefox-4411.scope"


# systemd's line (format string of src/core/unit.c; the unit name of issue 17's VM run)
UNIT_ONLY = [
    "-- Boot 0123456789abcdef0123456789abcdef --",
    "Nov 28 10:00:05 vm systemd[1]: hog2.service: Main process exited, code=killed, status=9/KILL",
    "Nov 28 10:00:05 vm systemd[1]: hog2.service: systemd-oomd killed 1 process(es) in this unit.",
    "Nov 28 10:00:05 vm systemd[1]: hog2.service: Failed with result 'oom-kill'.",
]


@pytest.mark.parametrize("mode", MODES)
def test_a_unit_filtered_excerpt_with_only_systemds_line_is_an_oomd_kill(mode):
    [ev] = events_of("\n".join(UNIT_ONLY) + "\n", mode)
    assert (ev["killer"], ev["kind"], ev["unit"], ev["victim"]["pid"]) == (
        "systemd-oomd", "userspace", "hog2.service", None)
    assert ev["unit_oom_logged"] is True and ev["unit_result"] == "oom-kill"
    assert ev["time"] == "2026-11-28T10:00:05Z"


# ---------------------------------------------------------------------------
# 5. systemd's unit lines merged into systemd-oomd's kill (issue 17's VM run),
#    in the shapes the journal gives them

OOMD_KILL = ("Marked /oom-test.slice/hog2.service for killing due to memory pressure for /oom-test.slice being "
             "61.23% > 10.00% for > 2s with reclaim activity")
UNIT_LINES = ["hog2.service: systemd-oomd killed 1 process(es) in this unit.",
              "hog2.service: Failed with result 'oom-kill'."]


def _journal_shaped(shape):
    msgs = [("systemd-oomd[311]", OOMD_KILL)] + [("systemd[1]", m) for m in UNIT_LINES]
    out = []
    for i, (tag, msg) in enumerate(msgs):
        if shape == "short-monotonic":
            out.append("[  %d.%06d] vm-bookworm %s: %s" % (912, 100 + i, tag, msg))
        elif shape == "short-iso":
            out.append("2026-12-01T10:00:0%d+0000 vm-bookworm %s: %s" % (5 + i // 2, tag, msg))
        else:
            # the module's form of `journalctl -o json` records (RFC 3339 stamp, host, tag)
            out.append("2026-12-01T10:00:05.%06d+00:00 vm-bookworm %s: %s" % (100 + i, tag, msg))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", ["short-monotonic", "short-iso", "json-fields"])
def test_unit_lines_complete_the_oomd_kill(shape, mode):
    [ev] = events_of(_journal_shaped(shape), mode)
    assert (ev["killer"], ev["unit"], ev["cgroup"]) == ("systemd-oomd", "hog2.service", "/oom-test.slice/hog2.service")
    assert ev["unit_result"] == "oom-kill" and ev["unit_oom_logged"] is True
    assert ev["reason"] == "memory_pressure" and ev["oom_memcg"] == "/oom-test.slice"


def test_unit_lines_before_the_oomd_line_complete_it():
    # journald may order systemd's lines before systemd-oomd's (same second)
    text = _journal_shaped("short-iso").split("\n")
    text = text[1:3] + text[:1]
    [ev] = events_of("\n".join(text) + "\n", "lines")
    assert ev["cgroup"] == "/oom-test.slice/hog2.service"
    assert ev["unit_result"] == "oom-kill" and ev["unit_oom_logged"] is True


def test_journal_grep_selects_every_line_the_parser_uses():
    # journalctl --grep is case-sensitive for this pattern (it has capitals):
    # systemd's unit lines about an oomd kill were dropped before they reached the parser
    from ansible_collections.sre.oom.plugins.module_utils._oom import journal
    grep = re.compile(journal.JOURNAL_GREP)
    needed = UNIT_LINES + [OOMD_KILL, "x.service: A process of this unit has been killed by the OOM killer.",
                           "Killed process 1 (a) total-vm:1kB", "  Sending SIGTERM to the victim",
                           "  Send SIGKILL to the victim; OK; response time: 8 ms",
                           "  Victim is firefox, pid: 5100, badness: 800, VmRSS: 2100 MiB, VmSwap: 10 MiB",
                           "  PID: 5102, Name: my (weird) app, badness: 700",
                           "  PID:       5102, name: my (weird) app, state: S (sleeping), EUID: 1001",
                           "  PID:      5101", "  cgroup_v2: /user.slice/user-1001.slice/session-2.scope",
                           "Killing process 'x' with signal 15, pid: 1, badness: 1, VmRSS: 1 MiB",
                           "killing process 1 \"x\" with signal 9: badness 1, VmRSS 1 MiB"]
    assert [m for m in needed if not grep.search(m)] == []


# ---------------------------------------------------------------------------
# 6. nohang

@pytest.mark.parametrize("mode", MODES)
def test_nohang_kills_of_every_era(mode):
    events = events_of(fixture("userspace-nohang.log"), mode)
    got = [(e["killer"], e["victim"]["pid"], e["victim"]["comm"], e["victim"]["uid"], e["signal"],
            e["victim"]["rss_kb"]) for e in events]
    assert got == [
        ("nohang", 5100, "firefox", None, "SIGTERM", 2100 * 1024),
        ("nohang", 5101, "java", 1000, "SIGKILL", 3000 * 1024),
        ("nohang", 5102, "my (weird) app", 1001, "SIGTERM", int(1800.5 * 1024)),
        ("nohang", 5103, "chromium", None, "SIGTERM", None),
    ]
    assert {(e["kind"], e["reason"]) for e in events} == {("userspace", "low_memory")}
    assert events[2]["cgroup"] == "/user.slice/user-1001.slice/session-2.scope"
    assert events[2]["unit"] == "session-2.scope"
    assert events[0]["time"] == "2026-10-03T09:00:00Z" and events[3]["time"] == "2026-10-03T09:30:00.125000Z"


def test_nohang_counts_as_its_own_killer():
    coll = collector.EventCollector()
    parser = scanner.OomLogParser(coll, reference_time=REF)
    parser.feed_file(io.BytesIO(fixture("userspace-nohang.log")))
    assert coll.killer_counts["nohang"] == 4 and coll.count == 4


# ---------------------------------------------------------------------------
# 7. The userspace search costs nothing on a log of kernel lines only

# `dmesg` output: a kill of real-6.18-dmesg.txt, its Mem-Info record with the
# continuation lines dmesg prints without a stamp (from the format of
# show_free_areas()), and systemd's boot lines in the kernel log (their text as
# systemd 252 prints it).
DMESG_WITH_CONTINUATIONS = """[    2.100000] systemd[1]: Starting systemd-oomd.service - Userspace Out-Of-Memory (OOM) Killer...
[    2.200000] systemd[1]: Started systemd-oomd.service - Userspace Out-Of-Memory (OOM) Killer.
[  355.271380] python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
[  355.271408] CPU: 0 UID: 0 PID: 6844 Comm: python3 Not tainted 6.18.44-fc-v782 #1 PREEMPT(none)
[  355.271800] Mem-Info:
[  355.271801] active_anon:16125 inactive_anon:0 isolated_anon:0
                active_file:0 inactive_file:0 isolated_file:0
                unevictable:0 dirty:0 writeback:0
                slab_reclaimable:1021 slab_unreclaimable:3518
[  355.272006] Memory cgroup out of memory: Killed process 6844 (python3) total-vm:540856kB, anon-rss:65280kB, \
file-rss:6708kB, shmem-rss:0kB, UID:0 pgtables:200kB oom_score_adj:0
"""


@pytest.mark.parametrize("kind", ["dmesg", "kmsg", "kern.log", "journal-k"])
def test_a_log_of_kernel_lines_is_not_searched_for_userspace_killers(kind, monkeypatch):
    text = DMESG_WITH_CONTINUATIONS * 200
    if kind == "kmsg":
        text = "".join("6,%d,%d,-;%s\n" % (i, 1000 * i, line.split("] ", 1)[1]) if line.startswith("[") else
                       " SUBSYSTEM=memory\n" for i, line in enumerate(text.splitlines()))
    elif kind == "kern.log":
        text = "".join(("Nov 28 19:06:23 vm kernel: " + line if line.startswith("[") else line) + "\n"
                       for line in text.splitlines())
    elif kind == "journal-k":
        # journalctl -k -o short-monotonic: the stamp, the host, the tag
        text = "".join((line.replace("] ", "] vm kernel: ", 1) if line.startswith("[") else line) + "\n"
                       for line in text.splitlines())
    calls = []
    monkeypatch.setattr(scanner.OomLogParser, "_userspace_lines", lambda self, *a: calls.append(a))
    events = events_of(text, "fast")
    assert len(events) == 200 and events[0]["invoker"]["pid"] == 6844
    assert calls == []


def test_a_mixed_log_is_searched_for_userspace_killers():
    text = DMESG_WITH_CONTINUATIONS + OOMD_MONOTONIC
    events = events_of(text, "fast")
    assert [e["killer"] for e in events] == ["kernel", "systemd-oomd"]


def test_unit_lines_complete_the_oomd_kill_from_journal_json_records():
    # `journalctl -o json --output-fields ...` records as the module reads them,
    # through _oom.journal.journal_lines (issue 17's VM run: systemd 252)
    import json as _json
    from ansible_collections.sre.oom.plugins.module_utils._oom import journal
    t0 = calendar.timegm((2026, 11, 28, 10, 0, 5, 0, 0, 0)) * 1000000
    records = [("systemd-oomd", 311, OOMD_KILL)] + [("systemd", 1, m) for m in UNIT_LINES]
    out = "\n".join(_json.dumps({"MESSAGE": msg, "SYSLOG_IDENTIFIER": ident, "_PID": str(pid),
                                 "_TRANSPORT": "journal" if pid != 1 else "syslog", "_HOSTNAME": "vm-bookworm",
                                 "__REALTIME_TIMESTAMP": str(t0 + 1000 * i)})
                    for i, (ident, pid, msg) in enumerate(records))
    [ev] = events_of("\n".join(journal.journal_lines(out, "b" * 32)) + "\n", "lines")
    assert (ev["killer"], ev["unit"], ev["unit_result"], ev["unit_oom_logged"]) == (
        "systemd-oomd", "hog2.service", "oom-kill", True)
    assert ev["time"] == "2026-11-28T10:00:05Z"


# ---------------------------------------------------------------------------
# Prefix formats, one line each (real lines from the fixtures unless noted)

PREFIX_ROWS = [
    ("raw-dmesg", "[  355.272006] Memory cgroup out of memory: Killed process 6844 (python3)",
     "dmesg", None, 355.272006, None, "Memory cgroup out of memory: Killed process 6844 (python3)"),
    ("dmesg-raw-priority", "<3>[  355.272006] x", "dmesg", None, 355.272006, None, "x"),
    ("dmesg-x-faclev", "kern  :err   : [  355.272006] Memory cgroup out of memory",
     "dmesg", None, 355.272006, None, "Memory cgroup out of memory"),
    ("caller-id-thread", "[ 9421.982946][T10521] memeater-10521 invoked oom-killer",
     "dmesg", None, 9421.982946, "T10521", "memeater-10521 invoked oom-killer"),
    ("caller-id-padded-cpu", "[ 9422.529890][   C32] oom_reaper: x", "dmesg", None, 9422.52989, "C32",
     "oom_reaper: x"),
    ("dmesg-T-en", "[Thu May  9 14:52:38 2024] CPU 11/KVM invoked oom-killer",
     "dmesg-T", "2024-05-09T14:52:38Z", None, None, "CPU 11/KVM invoked oom-killer"),
    ("dmesg-T-fr", "[sam. nov. 28 19:17:01 2026] x", "dmesg-T", "2026-11-28T19:17:01Z", None, None, "x"),
    ("dmesg-T-de", "[Sa Nov 28 19:17:01 2026] x", "dmesg-T", "2026-11-28T19:17:01Z", None, None, "x"),
    # real line from a public post (find_string id 38077154135): `dmesg -T` under a Chinese locale
    ("dmesg-T-zh", "[\u56db 3\u6708 18 18:47:12 2021] Task in /kubepods/pod3759885e-2d2e-45f6-a100-a1230831cbac "
     "killed", "dmesg-T", "2021-03-18T18:47:12Z", None, None,
     "Task in /kubepods/pod3759885e-2d2e-45f6-a100-a1230831cbac killed"),
    ("dmesg-T-unknown-month", "[Xx Yy 28 19:17:01 2026] x", "dmesg-T", None, None, None, "x"),
    ("kmsg", "3,419,355272006,-;Memory cgroup out of memory: Killed process 6844 (python3)",
     "kmsg", None, 355.272006, None, "Memory cgroup out of memory: Killed process 6844 (python3)"),
    ("kmsg-escape", "4,499,383706801,-;worker/1 \\xc3\\xbcml invoked oom-killer",
     "kmsg", None, 383.706801, None, "worker/1 \u00fcml invoked oom-killer"),
    ("kmsg-caller", "6,339,355271380,-,caller=T6844;python3 invoked oom-killer",
     "kmsg", None, 355.27138, "T6844", "python3 invoked oom-killer"),
    ("rfc3164-host", "Sep  7 14:18:32 VM-12-2-centos kernel: oom_reaper: reaped process 2092 (node)",
     "syslog", "2026-09-07T14:18:32Z", None, None, "oom_reaper: reaped process 2092 (node)"),
    ("rfc3164-no-host", "Sep  7 14:18:32 kernel: x", "syslog", "2026-09-07T14:18:32Z", None, None, "x"),
    ("rfc3164-future-is-last-year", "Dec 24 10:00:00 h kernel: x", "syslog", "2025-12-24T10:00:00Z", None, None,
     "x"),
    ("rfc3164-inner-uptime", "Nov  1 00:44:21 web-07 kernel: [ 2653.410539] x",
     "syslog", "2026-11-01T00:44:21Z", 2653.410539, None, "x"),
    ("rfc3339-caller", "2024-01-07T17:53:49.053661+00:00 testbox kernel: [ 9422.464959][T10521] Out of memory",
     "rfc3339", "2024-01-07T17:53:49.053661Z", 9422.464959, "T10521", "Out of memory"),
    ("rfc3339-offset", "2024-01-07T19:53:49+02:00 h kernel: x", "rfc3339", "2024-01-07T17:53:49Z", None, None,
     "x"),
    ("journal-short-iso", "2026-11-28T19:30:11+0000 vm kernel: x", "rfc3339", "2026-11-28T19:30:11Z", None,
     None, "x"),
    ("journal-short-precise", "Nov 28 19:30:11.214665 vm kernel: x", "syslog", "2026-11-28T19:30:11.214665Z",
     None, None, "x"),
    ("journal-short-full", "Sat 2026-11-28 19:30:11 UTC vm kernel: x", "journal-full", "2026-11-28T19:30:11Z",
     None, None, "x"),
    ("journal-short-monotonic", "[  355.272006] vm kernel: x", "journal-monotonic", None, 355.272006, None, "x"),
    ("bare", "Killed process 3876 (dd) total-vm:8484kB", "bare", None, None, None,
     "Killed process 3876 (dd) total-vm:8484kB"),
    # what other tools put around a line (constructed from their documented formats)
    ("grep-H", "kern.log.1:Sep  7 14:18:32 h kernel: [ 2653.410539] x", "syslog", "2026-09-07T14:18:32Z",
     2653.410539, None, "x"),
    ("zgrep-path-lineno", "/var/log/kern.log.2.gz:166233:Sep  7 14:18:32 h kernel: x", "syslog",
     "2026-09-07T14:18:32Z", None, None, "x"),
    ("grep-H-context", "/var/log/syslog-12-2024-01-07T19:53:49+02:00 h kernel: x", "rfc3339",
     "2024-01-07T17:53:49Z", None, None, "x"),
    ("grep-n-context-iso", "1200-2024-01-07T17:53:49.053661+00:00 h kernel: x", "rfc3339",
     "2024-01-07T17:53:49.053661Z", None, None, "x"),
    ("busybox-syslogd", "Sep  7 14:18:32 alpine kern.warn kernel: [ 2653.410539] x", "syslog",
     "2026-09-07T14:18:32Z", 2653.410539, None, "x"),
    ("journal-short-unix", "1704650029.053661 vm kernel: x", "journal-unix", "2024-01-07T17:53:49.053661Z",
     None, None, "x"),
    ("journal-short-delta", "[  355.272006 <    0.000010 >] vm kernel: x", "journal-monotonic", None,
     355.272006, None, "x"),
    ("dmesg-d", "[  355.272006 <    0.000010>] x", "dmesg", None, 355.272006, None, "x"),
    ("dmesg-T-d", "[Thu May  9 14:52:38 2024 <    0.000010>] x", "dmesg-T", "2024-05-09T14:52:38Z", None,
     None, "x"),
    ("dmesg-t-caller", "[  T4242] x", "dmesg", None, None, "T4242", "x"),
    ("dmesg-iso-caller", "2024-01-07T17:53:49,053661+00:00 [  T4242] x", "dmesg-iso",
     "2024-01-07T17:53:49.053661Z", None, "T4242", "x"),
    ("dmesg-x-iso", "kern  :warn  : 2024-01-07T17:53:49,053661+00:00 x", "dmesg-iso",
     "2024-01-07T17:53:49.053661Z", None, None, "x"),
    ("priority-rfc3164", "<4>Sep  7 14:18:32 h kernel: x", "syslog", "2026-09-07T14:18:32Z", None, None, "x"),
]


@pytest.mark.parametrize("rid,line,fmt,iso,uptime,caller,msg", PREFIX_ROWS, ids=[r[0] for r in PREFIX_ROWS])
def test_prefix_formats(rid, line, fmt, iso, uptime, caller, msg):
    info = L.split_prefix(line, REF)
    assert info.fmt == fmt
    assert L.iso_utc(info.epoch) == iso
    assert info.uptime == uptime
    assert info.caller == caller
    assert info.msg == msg
    assert info.kernel is True


TAG_ROWS = [
    # (the message after a dmesg stamp, its format, the tag read, the message)
    ("vm kernel: x", "journal-monotonic", "kernel", "x"),
    ("kernel[1]: x", "journal-monotonic", "kernel", "x"),
    ("vm systemd-oomd[5]: Killed /a", "journal-monotonic", "systemd-oomd", "Killed /a"),
    ("earlyoom: low memory", "journal-monotonic", "earlyoom", "low memory"),
    ("foo: nohang[3]: bar", "journal-monotonic", "nohang", "bar"),
    ("CPU: 1 UID: 0 PID: 2 Comm: x", "dmesg", None, "CPU: 1 UID: 0 PID: 2 Comm: x"),
    ("oom_reaper: reaped process 1 (x)", "dmesg", None, "oom_reaper: reaped process 1 (x)"),
    ("Memory cgroup out of memory: x", "dmesg", None, "Memory cgroup out of memory: x"),
]


@pytest.mark.parametrize("rest,fmt,ident,msg", TAG_ROWS, ids=[r[0] for r in TAG_ROWS])
def test_a_tag_after_an_uptime_stamp_is_read_only_when_it_is_one_the_parsers_read(rest, fmt, ident, msg):
    # journalctl -o short-monotonic looks like dmesg with a tag: the dmesg lines whose
    # message starts with a word and a colon are tested for a tag cheaply first
    info = L.split_prefix("[   12.500000] " + rest, REF)
    assert (info.fmt, info.ident, info.msg, info.uptime) == (fmt, ident, msg, 12.5)


def test_other_programs_lines_are_not_kernel_messages():
    # 036 (real): systemd reports the kill of its unit; that line is not the kernel's
    info = L.split_prefix("Jun 19 16:23:32 ripper systemd[5971]: app-org.kde.konsole-10418.scope: The kernel OOM "
                          "killer killed some processes in this unit.", REF)
    assert info.kernel is False
    fake = "Jun 19 16:23:32 ripper myapp[1]: Out of memory: Killed process 5 (x) total-vm:1kB, anon-rss:1kB, " \
           "file-rss:0kB, shmem-rss:0kB"
    assert L.parse_lines([fake], reference_time=REF) == []


def test_a_kernel_tag_at_another_facility_is_a_programs_line():
    # busybox syslogd writes the facility: a program can tag its line "kernel"
    # (logger -t kernel), not give it the kernel's facility
    info = L.split_prefix("Sep  7 14:18:32 alpine user.notice kernel: Out of memory: Killed process 5 (x)", REF)
    assert (info.kernel, info.ident) == (False, "kernel@user")
    fake = "Sep  7 14:18:32 alpine user.notice kernel: Out of memory: Killed process 5 (x) total-vm:1kB, " \
           "anon-rss:1kB, file-rss:0kB, shmem-rss:0kB"
    assert L.parse_lines([fake], reference_time=REF) == []
    # a program's own line keeps its tag after the facility
    info = L.split_prefix("Sep  7 14:18:32 alpine daemon.info earlyoom[12]: low memory", REF)
    assert (info.kernel, info.ident, info.msg) == (False, "earlyoom", "low memory")


@pytest.mark.parametrize("line", [
    "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
    "oom_memcg=/kubepods/cri-containerd-3f9a.scope,task_memcg=/x-1,task=x,pid=1,uid=0",
    "Mem-Info:", "active_anon:1234 inactive_anon:0 isolated_anon:0",
    "CPU: 1 PID: 4242 Comm: stress Not tainted 6.1.0-18-amd64 #1",
    "x" * 5000 + ":-" * 3000,
], ids=["summary", "mem-info", "mem-info-counts", "cpu-line", "long"])
def test_a_bare_line_stays_bare_when_no_stamp_follows_a_file_name(line):
    # the file-name fallback takes a word's ':' or '-' only when a stamp follows it
    info = L.split_prefix(line, REF)
    assert (info.fmt, info.msg) == ("bare", line)


def test_local_time_zone_is_applied(host_zone):
    host_zone("XST-1")          # the host one hour ahead of UTC
    info = L.split_prefix("Sep  7 14:18:32 h kernel: x", REF)
    assert L.iso_utc(info.epoch) == "2026-09-07T13:18:32Z"
    host_zone("Europe/Paris")   # summer time: two hours ahead
    info = L.split_prefix("Sep  7 14:18:32 h kernel: x", REF)
    assert L.iso_utc(info.epoch) == "2026-09-07T12:18:32Z"


# ---------------------------------------------------------------------------
# The two kernel-format misses of 0.1.0

@pytest.mark.parametrize("mode", MODES)
def test_dmesg_time_format_iso_prefix_is_not_part_of_the_comm(mode):
    # `dmesg --time-format iso` (util-linux): comma before the microseconds, an
    # offset, then the message. Lines of the 6.18 fixture with that prefix.
    lines = [
        "2024-04-29T14:55:41,678628+02:00 python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, "
        "oom_score_adj=0",
        "2024-04-29T14:55:41,678630+02:00 CPU: 0 UID: 0 PID: 6844 Comm: python3 Not tainted 6.18.44 #1",
        "2024-04-29T14:55:41,678700+02:00 oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
        "mems_allowed=0,oom_memcg=/x,task_memcg=/x,task=python3,pid=6844,uid=0",
        "2024-04-29T14:55:41,678728+02:00 Memory cgroup out of memory: Killed process 6844 (python3) "
        "total-vm:540856kB, anon-rss:65280kB, file-rss:6708kB, shmem-rss:0kB, UID:0 pgtables:200kB oom_score_adj:0",
        "2024-04-29T14:55:41,690000+02:00 oom_reaper: reaped process 6844 (python3), now anon-rss:0kB, "
        "file-rss:0kB, shmem-rss:0kB",
    ]
    if mode == "lines":
        [ev] = L.parse_lines(lines)
    else:
        [ev] = L.parse_bytes_file(io.BytesIO("\n".join(lines).encode()))
    assert ev["invoker"]["comm"] == "python3" and ev["invoker"]["pid"] == 6844
    assert ev["time"] == "2024-04-29T12:55:41.678728Z"
    assert ev["reaped"] is True and ev["kind"] == "memcg"


def test_dmesg_iso_prefix_format():
    info = L.split_prefix("2024-04-29T14:55:41,678628+02:00 oom_reaper: reaped process 1 (x)", REF)
    assert (info.fmt, info.kernel, info.msg) == ("dmesg-iso", True, "oom_reaper: reaped process 1 (x)")
    assert L.iso_utc(info.epoch) == "2024-04-29T12:55:41.678628Z"

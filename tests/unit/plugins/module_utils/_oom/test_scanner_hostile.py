# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile input: every parse finishes within a time bound, whatever the line.

Each case runs under a SIGALRM deadline (``within``): a pattern that backtracks
catastrophically takes seconds to minutes on these inputs (a 32 KB line of
``oom-kill:constraint=,,task=x`` took 36 s before the patterns were anchored),
a linear parse takes milliseconds. The bounds are generous on purpose: they
check the complexity, not the speed (speed is measured in bench/).
"""

from __future__ import annotations

import io
import tracemalloc

import pytest

from ansible_collections.sre.oom.plugins.module_utils._oom import collector, filescan, kernel, scanner

try:
    from hypothesis import HealthCheck, given, settings, strategies as st
    HAVE_HYPOTHESIS = True
except ImportError:  # pragma: no cover
    HAVE_HYPOTHESIS = False

pytestmark = pytest.mark.hostile


def parse_both(text):
    """Parse ``text`` through the line path and the file fast path; both event lists."""
    line_events, file_events = [], []
    p = scanner.OomLogParser(line_events.append, reference_time=0)
    for line in text.split("\n"):
        p.feed(line)
    p.flush()
    f = scanner.OomLogParser(file_events.append, reference_time=0)
    f.feed_file(io.BytesIO(text.encode("utf-8", "surrogatepass")))
    assert p.errors == 0 and f.errors == 0
    return line_events, file_events


# Pieces of the messages the patterns look for, repeated to fill a line: each
# is the start of a match that can never complete (or completes everywhere).
UNITS = [
    "oom-kill:constraint=,,task=x",
    "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=,task_memcg=,task=",
    ",pid=1,uid=1 x",
    "Task in ",
    "Task in / killed as a result of limit of ",
    "Kill process 1 (",
    "Out of memory (: Kill process 1 (x) score ",
    "oom_reaper: reaped process 1 (",
    "x invoked oom-killer: gfp_mask=0x1(",
    " invoked oom-killer: gfp_mask=",
    "Killed process 1 (a) ",
    "Killed process 1 (a) total-vm:1kB, anon-rss:",
    "Killed process 1, UID 1, (",
    ")",
    "PID: 1 Comm: ",
    "[ 1.0] ",
    "Killed /a due to memory pressure for /b being ",
    "Marked /a for killing due to swap used (",
    "sending SIGTERM to process 1 uid 1 \"",
    "Killing process: ",
    "Killing process 1 (",
    "low memory! at or below SIGTERM limits",
    "x.service: Failed with result 'oom-kill'.",
    "A process of this unit has been killed by the OOM killer.",
    "\\x41",
    # issue 20's formats
    "166233:",
    "166233 ",
    "   [ 1.0] ",
    "Killing process 'a' with signal 15, pid: 1, badness: ",
    "killing process 1 \"a\" with signal 9: badness ",
    "x.service: systemd-oomd killed 1 process(es) in this unit.",
    "  Victim is a, pid: 1, badness: 1, VmRSS: ",
    "  PID: 1, Name: a, badness: ",
    "  PID:       1, name: a, state: ",
    "  Vm, MiB:   Size: 1, RSS: ",
    "  cgroup_v2: /a",
    "  Sending SIGTERM to the victim",
    "Process with highest badness (found in 1ms):",
]
PREFIXES = [
    "",
    "[ 12.345678] ",
    "6,1,1,-;",
    "Nov  1 00:00:00 h kernel: ",
    "Nov  1 00:00:00 h systemd-oomd[1]: ",
    "Nov  1 00:00:00 h earlyoom[1]: ",
    "Nov  1 00:00:00 h systemd[1]: ",
    "2024-04-29T14:55:41,678628+02:00 ",
    "Out of memory: ",
    "Memory cgroup out of memory: ",
    "Oct  3 09:00:00 ws nohang[700]: ",
    "2026-10-03 09:30:00,123: ",
    "166233:Nov  1 00:00:00 h kernel: ",
    "      7\t[ 12.345678] ",
    "[ 12.345678] systemd-oomd[1]: ",
]


@pytest.mark.parametrize("prefix", PREFIXES, ids=[repr(p) for p in PREFIXES])
@pytest.mark.parametrize("unit", UNITS, ids=range(len(UNITS)))
def test_a_32k_line_of_one_repeated_piece_parses_in_linear_time(unit, prefix, within):
    line = prefix + unit * (32768 // len(unit) + 1)
    with within(5):
        parse_both("\n".join([line, line, "  " + line]))


@pytest.mark.parametrize("unit", UNITS[:8], ids=range(8))
def test_a_9mb_line_without_newline_is_cut_not_parsed_whole(unit, within):
    # longer than the fast path's 2 MiB chunk
    text = unit * ((9 << 20) // len(unit))
    with within(10):
        parse_both(text)


def test_a_file_of_capital_ks_is_searched_in_linear_time(within):
    # the fast path finds "Killed process" through its first byte, then checks the
    # rest: a file of false Ks makes it search for the whole literal instead
    text = ("K" * 1000 + "\n") * 9000 + "[ 1.0] Out of memory: Killed process 1 (K) total-vm:1kB, anon-rss:1kB, " \
        "file-rss:0kB\n"
    with within(10):
        line_events, file_events = parse_both(text)
    assert [e["victim"]["pid"] for e in file_events] == [e["victim"]["pid"] for e in line_events] == [1]


def test_many_indented_continuation_lines_are_bounded(within):
    # a journal message followed by a million indented lines: joined up to the
    # line bound, never quadratically
    head = "Nov  1 00:00:00 h kernel: Killed process 1 (a) total-vm:1kB, anon-rss:1kB, file-rss:0kB,"
    text = head + "\n" + " shmem-rss:0kB x\n" * 200000
    with within(10):
        line_events, file_events = parse_both(text)
    assert [e["victim"]["pid"] for e in line_events] == [1]
    assert [e["victim"]["pid"] for e in file_events] == [1]


def test_dedupe_memory_is_bounded_whatever_the_number_of_kills():
    # 120,000 different kills with max_events 5: what is remembered for duplicate
    # detection is bounded by the window, and small per kill
    tracemalloc.start()
    try:
        coll = collector.EventCollector(max_events=5)
        for i in range(120000):
            ev = kernel.new_event()
            ev["victim"].update(pid=i, comm="w%d" % (i % 977), total_vm_kb=i, anon_rss_kb=i)
            ev["uptime"] = float(i)
            ev["_epoch"] = 1e9 + i
            coll.add(ev)
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert coll.count == 120000 and len(coll.events()) == 5
    assert coll.remembered() == collector.DEDUPE_WINDOW
    assert peak < 24 * 1024 * 1024, peak


if HAVE_HYPOTHESIS:
    piece = st.sampled_from(UNITS + PREFIXES + ["\n", " ", "(", "), ", ",", ":", "kB", "0", "/"])
    hostile_line = st.lists(piece, min_size=1, max_size=60).flatmap(
        lambda parts: st.integers(1, max(1, 20000 // max(1, len("".join(parts))))).map(
            lambda n: "".join(parts) * n))

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(hostile_line, min_size=1, max_size=4))
    def test_random_repetitions_of_message_pieces_parse_in_bounded_time(within, lines):
        with within(10):
            parse_both("\n".join(lines))


@pytest.mark.parametrize("line", [b"systemd-oomd\n", b"Killed process 1 (a)\n", b"x earlyoom OOM killer\n"],
                         ids=["oomd", "kill", "userspace"])
def test_a_flood_of_short_anchor_lines_keeps_memory_small(line, monkeypatch, within):
    # a file of nothing but lines the fast path must look at: the lines chosen are
    # handled in parts of a chunk (1 MiB; 256 KiB here to keep the test short),
    # never all of a chunk's at once, so memory does not grow with the file
    monkeypatch.setattr(filescan, "_PART", 1 << 18)

    def peak_of(size):
        data = b"Nov  1 00:00:00 h CRON[1]: x\n" + line * (size // len(line))
        coll = collector.EventCollector(max_events=5)
        tracemalloc.start()
        try:
            with within(60):
                scanner.OomLogParser(coll, reference_time=0).feed_file(io.BytesIO(data))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    # one part, then four parts in the same 2 MiB chunk: about the same peak
    # (3.4 to 5.9 MiB more when all of a chunk's lines were listed at once)
    grew = peak_of(1 << 20) - peak_of(1 << 18)
    assert grew < 1.5 * 1024 * 1024, grew


def _flood(line, n):
    return "\n".join([line] * n) + "\n"


FLOODS = [
    # (id, line, events per line): a pathological line repeated; each class of issue 20/21
    ("unit-only-oomd-kills", "Nov 28 10:00:05 vm systemd[1]: hog2.service: systemd-oomd killed 1 process(es) in "
                             "this unit.", None),
    ("unit-lines-of-unknown-units", "Nov 28 10:00:05 vm systemd[1]: a%s.service: Failed with result 'oom-kill'.",
     0),
    ("nohang-victim-lines", "Oct  3 09:00:00 ws nohang[700]:   PID: 1, Name: x, badness: 1", 0),
    ("nohang-kills", "Oct  3 09:00:00 ws nohang[700]:   Sending SIGTERM to the victim", 1),
    ("earlyoom-untagged", "killing process 1 \"x\" with signal 9: badness 1, VmRSS 1 MiB", 1),
    ("numbered-kernel-kills", "%s:[ 1.000000] Out of memory: Killed process %s (x) total-vm:1kB, anon-rss:1kB, "
                              "file-rss:0kB, shmem-rss:0kB", 1),
    ("blank-led-kills", "      [ 1.000000] Out of memory: Killed process 1 (x) total-vm:1kB, anon-rss:1kB, "
                        "file-rss:0kB, shmem-rss:0kB", 1),
    ("pylog-continuations", "  Sending SIGTERM to the victim", 0),
]


@pytest.mark.parametrize("rid,line,per", FLOODS, ids=[f[0] for f in FLOODS])
def test_a_flood_of_one_pathological_line_is_linear(rid, line, per, within):
    # 20,000 lines of one kind: the userspace state (recent kills, unit notes,
    # nohang's victim) and the collector stay bounded per line
    n = 20000
    if "%s" in line:
        lines = [line % ((i,) * line.count("%s")) for i in range(n)]
        text = "\n".join(lines) + "\n"
    else:
        text = _flood(line, n)
    if rid == "pylog-continuations":
        text = "2026-10-03 09:30:00,123: Implementing a corrective action:\n" + text
    coll = collector.EventCollector(max_events=10)
    with within(30):
        p = scanner.OomLogParser(coll, reference_time=0)
        p.feed_file(io.BytesIO(text.encode()))
        q = scanner.OomLogParser(collector.EventCollector(max_events=10), reference_time=0)
        for raw in text.split("\n"):
            q.feed(raw)
        q.flush()
    assert p.errors == 0 and q.errors == 0
    if per is not None:
        assert coll.count <= n * per + 1
    assert len(coll.events()) <= 10


# A kernel line that quotes a user's text holds the kernel's own words further on:
# a mount option (`unshare -rm mount -t tmpfs -o '<text>' none /mnt` prints
# "tmpfs: Unknown parameter '<text>'"), a file name in the exec warning. Past the
# kernel's rate limit of OOM reports, a kill comes without its report, and such a
# line before it must not give it a cgroup, nor make a kill of its own.
QUOTED = [
    "tmpfs: Unknown parameter 'Task in /system.slice/postgresql.service killed as a result of limit of "
    "/system.slice/postgresql.service'",
    "tmpfs: Unknown parameter 'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
    "oom_memcg=/system.slice/postgresql.service,task_memcg=/system.slice/postgresql.service,task=hog,pid=5555,"
    "uid=1000'",
    "tmpfs: Unknown parameter 'Tasks in /system.slice/postgresql.service are going to be killed due to "
    "memory.oom.group set'",
    "tmpfs: Unknown parameter 'oom_reaper: reaped process 5555 (hog), now anon-rss:0kB, file-rss:0kB, "
    "shmem-rss:0kB'",
]
KILL = ("Memory cgroup out of memory: Killed process 5555 (hog) total-vm:1000kB, anon-rss:500kB, file-rss:0kB, "
        "shmem-rss:0kB, UID:1000 pgtables:40kB oom_score_adj:0")


@pytest.mark.parametrize("quoted", QUOTED, ids=["task-in", "summary", "group", "reaper"])
def test_a_quoted_kernel_line_gives_a_kill_nothing(quoted):
    text = "[  100.000001] %s\n[  100.000002] %s\n" % (quoted, KILL)
    for events in parse_both(text):
        assert len(events) == 1
        ev = events[0]
        assert ev["victim"]["pid"] == 5555
        assert ev["memcg"] is None and ev["oom_memcg"] is None
        assert ev["group"] is None and ev["reaped"] is False


def test_a_quoted_kill_line_is_no_kill():
    # the exec warning names the file a process ran: any text a user chose
    text = ("[  100.000001] process 'a' launched '/tmp/Memory cgroup out of memory: Killed process 1 (postgres) "
            "total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0' "
            "with NULL argv: empty string added\n"
            "[  100.000002] tmpfs: Unknown parameter 'x: Kill process 1 (postgres) score 1 or sacrifice child'\n")
    for events in parse_both(text):
        assert events == []


def test_the_kernels_own_lines_still_give_the_kill_its_cgroup():
    text = ("[  100.000000] hog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n"
            "[  100.000001] Task in /system.slice/app.service killed as a result of limit of /system.slice/app.service\n"
            "[  100.000002] %s\n" % KILL)
    for events in parse_both(text):
        assert [(e["victim"]["pid"], e["memcg"], e["oom_memcg"]) for e in events] == [
            (5555, "/system.slice/app.service", "/system.slice/app.service")]


def test_a_kmsg_record_from_user_space_is_no_kernel_line():
    """/dev/kmsg gives a record written from user space the facility LOG_USER (or the
    one it names, never the kernel's 0): root's or a privileged container's `echo ... >
    /dev/kmsg` is not the kernel's kill."""
    body = ("Memory cgroup out of memory: Killed process 77 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, "
            "shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0")
    text = "14,100,100000000,-;%s\n30,101,100000001,-;%s\n6,102,100000002,-;%s\n" % (
        body, body.replace(" 77 ", " 78 "), body.replace(" 77 ", " 79 "))
    for events in parse_both(text):
        assert [e["victim"]["pid"] for e in events] == [79]

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""memory.oom.group sweeps (issue 17 c): every task killed in one sweep is one group.

Format, from mm/oom_kill.c and mm/memcontrol.c (4.19+; checked in 6.6):
oom_kill_process() prints the victim's ``%s: Killed process %d (%s) total-vm:...``
(__oom_kill_process, with the message "Memory cgroup out of memory" for a memcg
OOM, "Out of memory" for a global one; 4.19 prints no message there), then, when
the victim's cgroup or an ancestor up to the OOM domain has memory.oom.group set,
mem_cgroup_print_oom_group()'s ``Tasks in <cgroup path> are going to be killed due
to memory.oom.group set`` and one __oom_kill_process() line per task of that cgroup
(oom_kill_memcg_member, the victim again while it still has its memory; 6.x prints
``%s: OOM victim %d (%s) is already exiting. Skip killing the task`` for a task
without memory). The dump_header() report before the victim is rate-limited; the
sweep's lines are not.

Real fixtures: pub-5.0-lkml-oom-group-init.log, pub-4.19-lkml-oom-group-rfc.log and
pub-5.x-aks-syslog-oom-group-repeat.log (sources in their headers). Rows of
CONSTRUCTED are built from the format strings above and say so.
"""

from __future__ import annotations

import io
import json
import os
import time

import pytest

from ansible_collections.sre.oom.plugins.module_utils._oom import collector, journal, kernel, scanner
from ansible_collections.sre.oom.tests.unit.plugins.module_utils._oom.oomlog import (
    L, boundary_at, parse)

FIX = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "oom")
MODES = ["lines", "fast"]
REF = 1795910400.0      # 2026-11-29T00:00:00Z


def events_of(text, mode, **kw):
    """Public events of ``text`` (str) through the line path or the file fast path."""
    kw.setdefault("reference_time", REF)
    out = []
    parser = scanner.OomLogParser(out.append, **kw)
    if mode == "lines":
        for line in text.split("\n"):
            parser.feed(line)
        parser.flush()
    else:
        parser.feed_file(io.BytesIO(text.encode("utf-8")))
    assert parser.errors == 0
    return [scanner.public(e) for e in out]


def fixture(name):
    with open(os.path.join(FIX, name), encoding="utf-8") as f:
        return f.read()


def dmesg(messages, start=100.0, step=0.001):
    return "".join("[%12.6f] %s\n" % (start + i * step, m) for i, m in enumerate(messages))


def killed(pid, comm="w", prefix="Memory cgroup out of memory: ", rss=100):
    return ("%sKilled process %d (%s) total-vm:1000kB, anon-rss:%dkB, file-rss:0kB, shmem-rss:0kB, "
            "UID:0 pgtables:4kB oom_score_adj:0" % (prefix, pid, comm, rss))


def tasks_in(cgroup):
    return "Tasks in %s are going to be killed due to memory.oom.group set" % cgroup


HEADER = ["java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
          "CPU: 1 UID: 0 PID: 2001 Comm: java Not tainted 6.12.0 #1"]


def summary(pid, task_memcg, oom_memcg="/system.slice/app.service", constraint="CONSTRAINT_MEMCG"):
    mid = ("oom_memcg=%s" % oom_memcg) if oom_memcg else "global_oom"
    return ("oom-kill:constraint=%s,nodemask=(null),cpuset=/,mems_allowed=0,%s,task_memcg=%s,task=java,"
            "pid=%d,uid=0" % (constraint, mid, task_memcg, pid))


APP = "/system.slice/app.service"
INVOKER = {"comm": "java", "pid": 2001, "gfp_mask": "0xcc0(GFP_KERNEL)", "order": 0, "oom_score_adj": 0,
           "oom_adj": None}


# ---------------------------------------------------------------------------
# 1. Real logs

@pytest.mark.parametrize("mode", MODES)
def test_real_5_0_sweep_of_twelve_tasks_is_one_group(mode):
    events = events_of(fixture("pub-5.0-lkml-oom-group-init.log"), mode)
    pids = [1, 9182, 9183, 9184, 9185, 9186, 9187, 9188, 9189, 9190, 9191, 9192]
    assert [e["victim"]["pid"] for e in events] == [9188] + [p for p in pids if p != 9188]
    group = {"cgroup": "/test1", "pids": pids, "count": 12}
    for ev in events:
        assert ev["group"] == group
        assert (ev["kind"], ev["constraint"], ev["memcg"], ev["oom_memcg"]) == \
            ("memcg", "CONSTRAINT_NONE", "/test1", "/test1")
        assert ev["invoker"] == {"comm": "a.out", "pid": 9185, "gfp_mask": "0xcc0(GFP_KERNEL)", "order": 0,
                                 "oom_score_adj": 0, "oom_adj": None}
    # each task keeps its own sizes and its own reaper line
    by_pid = {e["victim"]["pid"]: e for e in events}
    assert by_pid[1]["victim"]["comm"] == "systemd" and by_pid[1]["victim"]["anon_rss_kb"] == 1228
    assert sorted(p for p, e in by_pid.items() if e["reaped"]) == [1, 9183, 9185, 9186, 9188, 9189, 9190, 9192]
    assert events[0]["uptime"] == 37.128158 and by_pid[9192]["uptime"] == 37.21886


@pytest.mark.parametrize("mode", MODES)
def test_real_4_19_sweep_without_message_prefix_and_victim_printed_again(mode):
    events = events_of(fixture("pub-4.19-lkml-oom-group-rfc.log"), mode)
    # 1221 is the victim; its second line (among the tasks, in pid order) is no event
    assert [e["victim"]["pid"] for e in events] == [1221, 1217, 1218, 1219, 1220, 1222]
    group = {"cgroup": "/A1", "pids": [1217, 1218, 1219, 1220, 1221, 1222], "count": 6}
    assert all(e["group"] == group and e["kind"] == "global" for e in events)
    # the victim's cgroup is not in a 4.19 report; the tasks' is at or below the group's
    assert events[0]["memcg"] is None and {e["memcg"] for e in events[1:]} == {"/A1"}
    assert [e["victim"]["pid"] for e in events if e["reaped"]] == [1222]


@pytest.mark.parametrize("mode", MODES)
def test_real_syslog_victim_repeated_is_one_event_and_a_program_copy_is_none(mode):
    events = events_of(fixture("pub-5.x-aks-syslog-oom-group-repeat.log"), mode)
    assert len(events) == 1
    ev = events[0]
    assert ev["victim"]["pid"] == 68061 and ev["kind"] == "memcg" and ev["oom_memcg"] == "/kubepods.slice"
    assert ev["group"]["pids"] == [68061] and ev["group"]["count"] == 1
    assert ev["group"]["cgroup"] == ev["memcg"] and ev["group"]["cgroup"].endswith(".scope")
    assert ev["container_id"] == "178ec18073cc6ac7be2de8d9869daf162a6349dd056b6535849112c53ec3102a"


# ---------------------------------------------------------------------------
# 2. Constructed from the format strings (6.x unless the row says otherwise).
#    Each row: messages, then the expected (pid, group pids or None, fields).

CONSTRUCTED = [
    ("6.x-memcg-sweep-victim-again-first",
     HEADER + [summary(2001, APP), killed(2001, "java"), tasks_in(APP), killed(2001, "java", rss=90),
               killed(2002, "sidecar"), killed(2003, "sh")],
     [(2001, [2001, 2002, 2003], {}), (2002, [2001, 2002, 2003], {}), (2003, [2001, 2002, 2003], {})],
     {"kind": "memcg", "constraint": "CONSTRAINT_MEMCG", "memcg": APP, "oom_memcg": APP, "unit": "app.service",
      "invoker": INVOKER}),
    ("6.x-global-sweep-of-the-unit-above-the-victims-cgroup",
     HEADER + [summary(2001, APP + "/worker", oom_memcg=None, constraint="CONSTRAINT_NONE"),
               killed(2001, "java", prefix="Out of memory: "), tasks_in(APP),
               killed(1990, "app", prefix="Out of memory: ")],
     [(2001, [1990, 2001], {"memcg": APP + "/worker"}), (1990, [1990, 2001], {"memcg": APP})],
     {"kind": "global", "constraint": "CONSTRAINT_NONE", "oom_memcg": None, "unit": "app.service",
      "invoker": INVOKER}),
    ("ordinary-kill-has-no-group",
     HEADER + [summary(2001, APP), killed(2001, "java")],
     [(2001, None, {})], {"kind": "memcg", "memcg": APP}),
    ("tasks-in-without-a-kill-before-it-is-ignored",
     [tasks_in(APP), killed(5, "x")],
     [(5, None, {"memcg": None, "invoker": kernel.new_event()["invoker"]})], {}),
    ("tasks-in-after-a-header-belongs-to-no-kill",
     [killed(4, "a"), HEADER[0], tasks_in(APP), killed(5, "b")],
     [(4, None, {}), (5, None, {"invoker": dict(INVOKER, pid=None)})], {}),
    ("6.x-already-exiting-task-is-not-killed-and-ends-nothing",
     HEADER + [summary(2001, APP), killed(2001, "java"), tasks_in(APP),
               "Memory cgroup out of memory: OOM victim 2002 (gone) is already exiting. Skip killing the task",
               killed(2003, "sh")],
     [(2001, [2001, 2003], {}), (2003, [2001, 2003], {})], {"memcg": APP, "invoker": INVOKER}),
    ("a-kill-of-another-message-ends-the-sweep",
     HEADER + [summary(2001, APP), killed(2001, "java"), tasks_in(APP), killed(2002, "sidecar"),
               killed(3000, "other", prefix="Out of memory: ")],
     [(2001, [2001, 2002], {}), (2002, [2001, 2002], {}),
      (3000, None, {"kind": "global", "memcg": None, "invoker": kernel.new_event()["invoker"]})], {}),
    ("a-rate-limited-oom-right-after-a-sweep-heads-its-own",
     # the second OOM's report is rate-limited: its kill line follows the sweep's
     HEADER + [summary(2001, APP), killed(2001, "java"), tasks_in(APP), killed(2002, "sidecar"),
               killed(4001, "db"), tasks_in("/system.slice/db.service"), killed(4002, "db-helper")],
     [(2001, [2001, 2002], {}), (2002, [2001, 2002], {}),
      (4001, [4001, 4002], {"memcg": None, "invoker": kernel.new_event()["invoker"], "constraint": None}),
      (4002, [4001, 4002], {"memcg": "/system.slice/db.service", "unit": "db.service"})], {}),
]


def _check(events, expected, common):
    assert [e["victim"]["pid"] for e in events] == [pid for pid, _g, _f in expected]
    for ev, (pid, pids, fields) in zip(events, expected):
        if pids is None:
            assert ev["group"] is None, pid
        else:
            assert ev["group"]["pids"] == pids and ev["group"]["count"] == len(pids), pid
        for key, want in dict(common, **fields).items():
            assert ev[key] == want, (pid, key)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("rid,messages,expected,common", CONSTRUCTED, ids=[r[0] for r in CONSTRUCTED])
def test_constructed_sweeps(rid, messages, expected, common, mode):
    _check(events_of(dmesg(messages), mode), expected, common)


@pytest.mark.parametrize("at", [256, 300, 1000])
def test_part_boundaries_inside_a_sweep_change_nothing(at):
    rid, messages, expected, common = CONSTRUCTED[0]
    text = boundary_at(dmesg(messages).encode("utf-8"), at).decode("utf-8")
    _check(events_of(text, "fast"), expected, common)


@pytest.mark.parametrize("mode", MODES)
def test_a_tasks_in_line_long_after_the_kill_is_not_its_sweep(mode):
    text = dmesg([killed(1, "a")], start=100.0) + dmesg([tasks_in(APP), killed(2, "b")], start=200.0)
    assert [e["group"] for e in events_of(text, mode)] == [None, None]


@pytest.mark.parametrize("mode", MODES)
def test_a_task_long_after_the_sweep_is_not_in_it(mode):
    text = dmesg([killed(1, "a"), tasks_in(APP), killed(2, "b")], start=100.0) + \
        dmesg([killed(3, "c")], start=150.0)
    events = events_of(text, mode)
    assert [e["group"]["pids"] if e["group"] else None for e in events] == [[1, 2], [1, 2], None]


# The file fast path looks for a group line in the bytes after each kill
# (filescan.FileScan._GROUP_AFTER, 8 KiB: the kernel prints it right after the
# kill, from the same task), carried over a part boundary like the reaper's line.
GROUP_AFTER = scanner.OomLogParser._GROUP_AFTER


def _filler(nbytes):
    """Other kernel messages of about ``nbytes`` bytes in all (as dmesg lines)."""
    return ["usb 1-6: new high-speed USB device number %d using xhci_hcd" % i for i in range(nbytes // 73 + 1)]


def _line_at(text, needle):
    """Byte offset of the start of the line of ``text`` that holds ``needle``."""
    return len(text[:text.rfind("\n", 0, text.index(needle)) + 1].encode("utf-8"))


@pytest.mark.parametrize("gap", [0, GROUP_AFTER * 3 // 4])
@pytest.mark.parametrize("where", ["none", "in-kill", "before-group", "in-group"])
def test_a_group_line_within_the_window_is_found_across_a_part_boundary(gap, where):
    text = dmesg([killed(1, "a")] + _filler(gap) + [tasks_in(APP), killed(2, "b")])
    data = text.encode("utf-8")
    at = {"none": None, "in-kill": 60, "before-group": _line_at(text, "Tasks in") - 50,
          "in-group": _line_at(text, "Tasks in") + 30}[where]
    padded = data if at is None else boundary_at(data, at)
    want = [[1, 2], [1, 2]]
    assert [e["group"]["pids"] for e in events_of(text, "lines")] == want
    assert [e["group"]["pids"] for e in events_of(padded.decode("utf-8"), "fast")] == want


def test_a_new_report_before_the_part_boundary_ends_the_window_in_the_next_part():
    # a summary after the kill (a new OOM, its header filtered out) more than the
    # 4 KiB before the next part: fed with the window carried over, so that the
    # group line after the boundary is not the kill's, as in line mode
    text = dmesg([killed(1, "a"), summary(9, APP)] + _filler(6000) + [tasks_in(APP), killed(2, "b")])
    padded = boundary_at(text.encode("utf-8"), _line_at(text, "Tasks in") - 50).decode("utf-8")
    assert [e["group"] for e in events_of(text, "lines")] == [None, None]
    assert [e["group"] for e in events_of(padded, "fast")] == [None, None]


def test_a_group_line_further_than_the_window_after_its_kill_is_not_read_by_the_fast_path():
    # within _GROUP_MAX_GAP seconds, so the line path takes it; no kernel prints
    # so many other lines between the two, the file path does not look so far
    text = dmesg([killed(1, "a")] + _filler(GROUP_AFTER + 4096) + [tasks_in(APP), killed(2, "b")], step=0.00001)
    assert _line_at(text, "Tasks in") - _line_at(text, "Killed process 1") > GROUP_AFTER + 200
    assert [e["group"]["pids"] for e in events_of(text, "lines")] == [[1, 2], [1, 2]]
    assert [e["group"] for e in events_of(text, "fast")] == [None, None]


# ---------------------------------------------------------------------------
# 3. systemd's unit lines complete every kill of the sweep

SYSLOG_KERNEL = "Dec  6 07:00:%02d vm kernel: [  %d.%06d] %s"
SYSLOG_PID1 = "Dec  6 07:00:%02d vm systemd[1]: %s"


def _syslog(kernel_msgs, unit_lines, unit_first=False):
    kern = [SYSLOG_KERNEL % (10, 500, i, m) for i, m in enumerate(kernel_msgs)]
    units = [SYSLOG_PID1 % (10, m) for m in unit_lines]
    return "\n".join(units + kern if unit_first else kern + units) + "\n"


SWEEP = HEADER + [summary(2001, APP), killed(2001, "java"), tasks_in(APP), killed(2001, "java"),
                  killed(2002, "sidecar"), killed(2003, "sh")]
UNIT_LINES = ["app.service: A process of this unit has been killed by the OOM killer.",
              "app.service: Main process exited, code=killed, status=9/KILL",
              "app.service: Failed with result 'oom-kill'.",
              "system.slice: A process of this unit has been killed by the OOM killer."]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("unit_first", [False, True], ids=["unit-lines-after", "unit-lines-before"])
def test_unit_lines_complete_every_kill_of_the_sweep(mode, unit_first):
    events = events_of(_syslog(SWEEP, UNIT_LINES, unit_first), mode, reference_time=REF + 8 * 86400)
    assert [e["victim"]["pid"] for e in events] == [2001, 2002, 2003]
    for ev in events:
        assert (ev["unit"], ev["unit_result"], ev["unit_oom_logged"]) == ("app.service", "oom-kill", True)
        assert ev["group"]["pids"] == [2001, 2002, 2003] and ev["invoker"]["pid"] == 2001


@pytest.mark.parametrize("mode", MODES)
def test_one_units_result_completes_one_sweep_not_an_older_kill(mode):
    older = [summary(1500, APP), killed(1500, "java")]
    text = _syslog(older, []) + _syslog(SWEEP, UNIT_LINES[0:3])
    events = events_of(text, mode, reference_time=REF + 8 * 86400)
    assert [(e["victim"]["pid"], e["unit_result"]) for e in events] == \
        [(1500, None), (2001, "oom-kill"), (2002, "oom-kill"), (2003, "oom-kill")]


def _record(msg, mono=None, realtime=None, pid1=False, boot="b0"):
    rec = {"MESSAGE": msg, "_BOOT_ID": boot, "_HOSTNAME": "vm"}
    if pid1:
        rec.update({"SYSLOG_IDENTIFIER": "systemd", "_PID": "1", "_TRANSPORT": "journal",
                    "__REALTIME_TIMESTAMP": str(realtime)})
    else:
        rec.update({"SYSLOG_IDENTIFIER": "kernel", "_TRANSPORT": "kernel",
                    "_SOURCE_MONOTONIC_TIMESTAMP": str(mono), "__REALTIME_TIMESTAMP": str(realtime)})
    return json.dumps(rec)


def test_the_journal_path_reports_the_sweep_as_one_group():
    boot = 1795900000.0
    records = [_record(m, mono=500000000 + i * 1000, realtime=int((boot + 500) * 1e6) + i * 1000)
               for i, m in enumerate(SWEEP)]
    records += [_record(m, realtime=int((boot + 501) * 1e6), pid1=True) for m in UNIT_LINES]
    out = []
    parser = scanner.OomLogParser(out.append, source="journal", boot_time=boot, reference_time=time.time())
    for line in journal.journal_lines(iter(records), "b0"):
        parser.feed(line)
    parser.flush()
    events = [scanner.public(e) for e in out]
    assert [e["victim"]["pid"] for e in events] == [2001, 2002, 2003]
    for ev in events:
        assert ev["group"] == {"cgroup": APP, "pids": [2001, 2002, 2003], "count": 3}
        assert (ev["unit_result"], ev["unit_oom_logged"], ev["memcg"], ev["invoker"]["pid"]) == \
            ("oom-kill", True, APP, 2001)
    assert events[1]["uptime"] == 500.006


def test_journal_grep_keeps_the_sweep_line():
    import re
    assert re.search(journal.JOURNAL_GREP, tasks_in(APP))


# ---------------------------------------------------------------------------
# 4. The collector: a second source of the same sweep, and the kept events

def test_same_sweep_from_two_sources_is_reported_once_with_its_group():
    text = dmesg(SWEEP)
    coll = collector.EventCollector(max_events=100)
    # the first source lost the group line (a filtered copy), the second has it
    first = scanner.OomLogParser(coll, source="a", reference_time=REF)
    for line in text.split("\n"):
        if "memory.oom.group" not in line:
            first.feed(line)
    first.flush()
    second = scanner.OomLogParser(coll, source="b", reference_time=REF)
    second.feed_file(io.BytesIO(text.encode()))
    events = coll.events()
    # without the group line, the victim's second line was a second kill line: a duplicate
    assert [e["victim"]["pid"] for e in events] == [2001, 2002, 2003]
    assert {e["source"] for e in events} == {"a,b"}
    assert events[0]["group"]["pids"] == [2001, 2002, 2003]


def test_group_is_documented_with_every_event_key():
    from ansible_collections.sre.oom.plugins.modules import oom_facts
    import yaml
    events = yaml.safe_load(oom_facts.RETURN)["ansible_facts"]["contains"]["oom"]["contains"]["events"]
    text = " ".join(events["description"])
    assert "C(group)" in text and "C(pids)" in text and "C(count)" in text
    assert set(kernel.new_event()) == set(events["sample"][0])


# ---------------------------------------------------------------------------
# 5. Hostile input: linear time and bounded memory whatever the sweep

# (``within``, the time bound: tests/unit/plugins/module_utils/conftest.py)


def _sweep_text(n):
    # the tasks in reverse pid order: the pids are sorted once, not kept sorted
    lines = HEADER + [summary(2001, APP), killed(2001, "java"), tasks_in(APP), killed(2001, "java")]
    lines += [killed(900000 - i, "w%d" % i) for i in range(n)]
    return dmesg(lines, step=0.000001)


@pytest.mark.hostile
@pytest.mark.parametrize("mode", MODES)
def test_a_sweep_of_thousands_of_tasks_is_linear(mode, within):
    n = 20000
    text = _sweep_text(n)
    with within(30):
        coll = collector.EventCollector(max_events=n + 10)
        parser = scanner.OomLogParser(coll, reference_time=REF)
        if mode == "lines":
            for line in text.split("\n"):
                parser.feed(line)
            parser.flush()
        else:
            parser.feed_file(io.BytesIO(text.encode()))
        events = coll.events()
    assert parser.errors == 0 and len(events) == n + 1
    group = events[-1]["group"]
    # every kill counted; the lowest 100 pids listed, so that n events carrying
    # their group stay linear (in an event stream each is a copy)
    assert group["count"] == n + 1 and group["pids"][:2] == [2001, 900000 - n + 1]
    assert group["pids"] == [2001] + list(range(900000 - n + 1, 900000 - n + 100))
    # one rendering of the group for all its events (not one sorted copy each)
    assert all(e["group"] is group for e in events)
    assert {e["invoker"]["pid"] for e in events} == {2001}


@pytest.mark.hostile
def test_a_sweep_keeps_at_most_group_max_pids_and_counts_all(monkeypatch):
    monkeypatch.setattr(kernel, "GROUP_MAX_PIDS", 100)
    events = events_of(_sweep_text(300), "lines")
    assert len(events) == 301
    assert events[0]["group"]["count"] == 301 and len(events[0]["group"]["pids"]) == 100


@pytest.mark.hostile
@pytest.mark.parametrize("mode", MODES)
def test_tasks_in_lines_without_a_kill_are_ignored_in_linear_time(mode, within):
    long_path = "/" + "a/" * 2000
    lines = [tasks_in(APP)] * 50000 + [tasks_in(long_path)] * 2000 + [tasks_in("")] * 1000
    lines += ["Tasks in " * 400 + " are going to be killed due to memory.oom.group set"] * 500
    text = dmesg(lines, step=0.000001)
    with within(30):
        events = events_of(text, mode)
    assert events == []


@pytest.mark.hostile
@pytest.mark.parametrize("mode", MODES)
def test_kills_each_followed_by_a_sweep_line_are_linear(mode, within):
    # every kill heads a sweep of itself: 20000 groups of one, no quadratic work
    lines = []
    for i in range(20000):
        lines += [killed(10 + i, "x"), tasks_in("/g%d" % i)]
    text = dmesg(lines, step=0.000001)
    with within(30):
        events = events_of(text, mode)
    assert len(events) == 20000
    assert events[7]["group"] == {"cgroup": "/g7", "pids": [17], "count": 1}


# ---------------------------------------------------------------------------
# 6. Both paths decide the same groups on shuffled report lines

def _piece(r):
    k = r.randrange(9)
    pid = r.randrange(1, 6)
    if k < 3:
        return killed(pid, "w%d" % pid, prefix=r.choice(["Memory cgroup out of memory: ", "Out of memory: ", ""]),
                      rss=r.randrange(3))
    if k == 3:
        return tasks_in("/g%d" % r.randrange(3))
    if k == 4:
        return "j%d invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0" % pid
    if k == 5:
        return summary(pid, "/g%d" % r.randrange(3)).replace("task=java", "task=w%d" % pid)
    if k == 6:
        return "oom_reaper: reaped process %d (w%d), now anon-rss:0kB" % (pid, pid)
    if k == 7:
        return "x" * r.randrange(1, 5000)          # pushes the report lines out of the fast path's window
    return "Memory cgroup out of memory: OOM victim %d (w) is already exiting. Skip killing the task" % pid


@pytest.mark.parametrize("seed", range(0, 400, 40))
def test_line_and_fast_paths_find_the_same_groups(seed):
    import random
    for s in range(seed, seed + 40):
        r = random.Random(s)
        t, messages = 10.0, []
        for _dummy in range(r.randrange(1, 40)):
            t += r.choice([0.001, 0.001, 0.5, 3, 200])
            messages.append("[%12.6f] %s" % (t, _piece(r)))
        text = "\n".join(messages) + "\n"
        at = r.choice([8192, 1 << 20])     # a part boundary 8 KiB into the text, or none
        padded = boundary_at(text.encode("utf-8"), at).decode("utf-8") if at < len(text) else text
        got = [[(e["victim"]["pid"], e["group"]) for e in events_of(t, mode)]
               for t, mode in ((text, "lines"), (padded, "fast"))]
        assert got[0] == got[1], s


# ---------------------------------------------------------------------------
# Task names

COMM_ROWS = [
    ("space-parens", "my (weird) hog"),
    ("slash", "CPU 11/KVM"),
    ("unicode", "h\u00f6g \u2713"),
    ("paren-and-literal", "app) total-vm:x"),
    ("truncated-15", "averyveryverylo"),
    ("angle-amp-quote", "a<b>&\"c'"),
    ("colon", "nginx: worker"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("rid,comm", COMM_ROWS, ids=[r[0] for r in COMM_ROWS])
def test_comm_names(rid, comm, mode):
    text = (
        "[ 1.000000] %s invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n"
        "[ 1.000001] CPU: 0 UID: 0 PID: 42 Comm: %s Not tainted 6.18.44 #1\n"
        "[ 1.000002] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/x,"
        "task_memcg=/x/y.service,task=%s,pid=42,uid=0\n"
        "[ 1.000003] Memory cgroup out of memory: Killed process 42 (%s) total-vm:540856kB, anon-rss:65280kB, "
        "file-rss:6708kB, shmem-rss:0kB, UID:0 pgtables:200kB oom_score_adj:0\n"
        "[ 1.000004] oom_reaper: reaped process 42 (%s), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n"
    ) % (comm, comm, comm, comm, comm)
    if mode == "lines":
        events = L.parse_lines(text.splitlines())
    else:
        events = L.parse_bytes_file(io.BytesIO(text.encode("utf-8")))
    assert len(events) == 1
    ev = events[0]
    assert ev["victim"]["comm"] == comm and ev["invoker"]["comm"] == comm
    assert ev["victim"]["total_vm_kb"] == 540856 and ev["invoker"]["pid"] == 42
    assert ev["reaped"] is True and ev["unit"] == "y.service"


# ---------------------------------------------------------------------------
# A kernel-format miss of 0.1.0: the 2.6 invoker line


@pytest.mark.parametrize("mode", MODES)
def test_2_6_invoker_oom_adj_is_read(mode):
    # pub-2.6-el6-lxc-java.log (real): "oom_adj=0, oom_scoe_adj=0" (sic)
    [ev] = parse("pub-2.6-el6-lxc-java.log", mode)
    assert ev["invoker"]["oom_adj"] == 0 and ev["invoker"]["oom_score_adj"] is None

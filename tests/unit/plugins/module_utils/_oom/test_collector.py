# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The event collector (issue 21): duplicates of one kill read from two sources are
dropped in linear time and bounded memory, never across boots nor between repeated
kills of one cgroup; max_events keeps the newest kills whatever the source order.
Lines and fixtures (../fixtures/oom/, see _oom/oomlog.py) go through the parser
into the collector.
"""

from __future__ import annotations

import calendar
import io
import time
import tracemalloc

import pytest

from ansible_collections.sre.oom.plugins.module_utils._oom import collector, kernel, scanner
from ansible_collections.sre.oom.tests.unit.plugins.module_utils._oom.oomlog import REF, L, _collect

KILL = ("Out of memory: Killed process 77 (worker) total-vm:1000kB, anon-rss:900kB, file-rss:0kB, shmem-rss:0kB, "
        "UID:0 pgtables:4kB oom_score_adj:0")


def feed(coll, lines, source, **kw):
    kw.setdefault("reference_time", REF)
    parser = scanner.OomLogParser(coll, source=source, **kw)
    for line in lines:
        parser.feed(line)
    parser.flush()
    assert parser.errors == 0


def oomd_lines(n, gap=20):
    """n systemd-oomd kills of one crash-looping unit, ``gap`` seconds apart, syslog format."""
    t0 = calendar.timegm((2026, 11, 20, 0, 0, 0, 0, 0, 0))
    out = []
    for i in range(n):
        stamp = time.strftime("%b %d %H:%M:%S", time.gmtime(t0 + i * gap))
        out.append("%s h systemd-oomd[9]: Killed /system.slice/loop.service due to swap used (9) / total (10) "
                   "being more than 90.00%%" % stamp)
    return out


@pytest.mark.hostile
def test_15000_oomd_kills_of_one_unit_dedupe_in_linear_time():
    lines = oomd_lines(15000)
    coll = collector.EventCollector(max_events=10)
    t0 = time.perf_counter()
    feed(coll, lines, "journal")
    feed(coll, lines, "file")           # the same kills again: all duplicates
    took = time.perf_counter() - t0
    assert coll.count == 15000 and coll.duplicates == 15000
    assert took < 10, took              # 21 s of de-duplication alone before
    kept = coll.events()
    assert [e["time"] for e in kept][-1] == "2026-11-23T11:19:40Z"
    assert all(e["source"] == "journal,file" for e in kept)


def test_repeated_identical_userspace_kills_of_one_cgroup_are_separate():
    # 3 s apart (the old 5 s window merged them), and 1.5 s apart in uptime only
    lines = oomd_lines(2, gap=3)
    coll = collector.EventCollector()
    feed(coll, lines, "journal")
    assert coll.count == 2 and coll.duplicates == 0
    mono = ["[  100.000000] h systemd-oomd[9]: Killed /system.slice/loop.service due to swap used (9) / total (10) "
            "being more than 90.00%",
            "[  101.500000] h systemd-oomd[9]: Killed /system.slice/loop.service due to swap used (9) / total (10) "
            "being more than 90.00%"]
    coll = collector.EventCollector()
    feed(coll, mono, "file")
    assert coll.count == 2
    # the same kill from the journal and from syslog (second precision) is one
    coll = collector.EventCollector()
    feed(coll, ["2026-11-20T00:00:00.400000+00:00 h systemd-oomd[9]: " + oomd_lines(1)[0].split(": ", 1)[1]],
         "journal")
    feed(coll, oomd_lines(1), "file")
    assert coll.count == 1 and coll.duplicates == 1


def test_the_same_kill_line_in_two_boots_is_two_kills():
    # same pid, name and sizes, uptimes 100.0 and 100.5, a day apart (issue 21)
    coll = collector.EventCollector()
    feed(coll, ["Nov 27 10:00:00 h kernel: [  100.000000] " + KILL], "file")
    feed(coll, ["Nov 28 10:00:00 h kernel: [  100.500000] " + KILL], "file")
    assert coll.count == 2 and coll.duplicates == 0
    # uptimes only (two saved dmesg), told apart by their boot ids
    coll = collector.EventCollector()
    feed(coll, ["[  100.000000] " + KILL], "dmesg", boot_id="a" * 32)
    feed(coll, ["[  100.500000] " + KILL], "dmesg", boot_id="b" * 32)
    assert coll.count == 2
    # but the same kill in kmsg and in the journal of the same boot is one
    coll = collector.EventCollector()
    feed(coll, ["[  100.000000] " + KILL], "kmsg", boot_id="a" * 32, boot_time=REF - 1000)
    feed(coll, ["[  100.000000] h kernel: " + KILL], "journal", boot_id="a" * 32, boot_time=REF - 1000)
    assert coll.count == 1 and coll.duplicates == 1


def _kill_at(epoch, pid):
    stamp = time.strftime("%b %d %H:%M:%S", time.gmtime(epoch))
    return "%s h kernel: Out of memory: Killed process %d (w) total-vm:1kB, anon-rss:1kB, file-rss:0kB, " \
           "shmem-rss:0kB" % (stamp, pid)


def test_max_events_keeps_the_newest_across_sources():
    # the journal (read first) has the newest kills; a rotated file read after it
    # has older ones: the newest 3 are kept and last_event is the newest
    base = calendar.timegm((2026, 11, 20, 0, 0, 0, 0, 0, 0))
    coll = collector.EventCollector(max_events=3)
    feed(coll, [_kill_at(base + 3600 * h, 100 + h) for h in (10, 11, 12)], "journal")
    feed(coll, [_kill_at(base + 3600 * h, 200 + h) for h in (1, 2, 3, 4)], "file")
    kept = coll.events()
    assert [e["victim"]["pid"] for e in kept] == [110, 111, 112]
    assert coll.count == 7
    assert kept[-1]["time"] == "2026-11-20T12:00:00Z"


def test_max_events_ties_and_events_without_time_go_by_source_order():
    coll = collector.EventCollector(max_events=2)
    feed(coll, ["[  1.000000] " + KILL.replace("77", str(pid)) for pid in (1, 2, 3)], "dmesg")
    assert [e["victim"]["pid"] for e in coll.events()] == [2, 3]


def test_a_duplicate_of_a_dropped_old_kill_is_still_a_duplicate():
    # kept: the newest; remembered for de-duplication: many more
    base = calendar.timegm((2026, 11, 20, 0, 0, 0, 0, 0, 0))
    lines = [_kill_at(base + 60 * i, 1000 + i) for i in range(50)]
    coll = collector.EventCollector(max_events=2)
    feed(coll, lines, "journal")
    feed(coll, lines[:10], "file")
    assert coll.count == 50 and coll.duplicates == 10


@pytest.mark.hostile
def test_dedupe_memory_is_bounded_with_many_kills_of_one_key():
    # 60,000 kills of one cgroup: what is remembered stays within the window
    tracemalloc.start()
    try:
        coll = collector.EventCollector(max_events=5)
        for i in range(60000):
            ev = kernel.new_event()
            ev.update(killer="systemd-oomd", kind="userspace", cgroup="/system.slice/loop.service")
            ev["_epoch"] = 1e9 + 20 * i
            coll.add(ev)
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert coll.count == 60000 and len(coll.events()) == 5
    assert coll.remembered() <= collector.DEDUPE_WINDOW
    assert peak < 24 * 1024 * 1024, peak


def test_collector_from_a_file_and_lines_agree():
    data = "\n".join(oomd_lines(30)).encode()
    a = collector.EventCollector(max_events=5)
    scanner.OomLogParser(a, source="file", reference_time=REF).feed_file(io.BytesIO(data))
    b = collector.EventCollector(max_events=5)
    feed(b, data.decode().split("\n"), "file")
    assert a.events() == b.events() and a.count == b.count == 30


# ---------------------------------------------------------------------------
# dedupe, max_events (since: tests/unit/plugins/module_utils/_oom/test_since.py)

def test_same_event_from_two_sources_is_reported_once():
    # kmsg and the journal's monotonic output of the same kills (same uptimes)
    coll = _collect([("real-6.18-kmsg.txt", "kmsg", {}), ("real-6.18-journal-short-monotonic.txt", "journal", {})])
    assert coll.count == 8 and coll.duplicates == 8
    assert {e["source"] for e in coll.events()} == {"kmsg,journal"}


def test_same_file_twice_kern_log_and_syslog():
    coll = _collect([("030-centos8-grep-oom.log", "file", {}), ("030-centos8-grep-oom.log", "file", {})])
    assert coll.count == 3 and coll.duplicates == 3


def test_duplicate_merge_fills_missing_fields():
    a = L.new_event()
    a["victim"].update(pid=1, comm="x", total_vm_kb=5, anon_rss_kb=4)
    a["uptime"] = 10.0
    b = L.new_event()
    b["victim"].update(pid=1, comm="x", total_vm_kb=5, anon_rss_kb=4, uid=7)
    b["uptime"] = 10.5
    b["reaped"] = True
    b["kind"] = "memcg"
    coll = L.EventCollector()
    coll.add(a)
    coll.add(b)
    [ev] = coll.events()
    assert ev["victim"]["uid"] == 7 and ev["reaped"] is True and ev["kind"] == "memcg"


def test_same_victim_far_apart_is_two_events():
    evs = []
    for up in (10.0, 5000.0):
        e = L.new_event()
        e["victim"].update(pid=1, comm="x", total_vm_kb=5, anon_rss_kb=4)
        e["uptime"] = up
        evs.append(e)
    coll = L.EventCollector()
    for e in evs:
        coll.add(e)
    assert coll.count == 2


def test_max_events_keeps_most_recent_and_counts_all():
    coll = _collect([("pub-3.10-el7-freeswitch.log", "file", {})], max_events=2)
    assert coll.count == 4
    assert [e["victim"]["pid"] for e in coll.events()] == [6691, 16512]


def test_since_drops_older_events_with_time():
    cut = calendar.timegm((2026, 9, 20, 0, 0, 0, 0, 0, 0))
    coll = _collect([("030-centos8-grep-oom.log", "file", {})], since=cut)
    assert [e["victim"]["pid"] for e in coll.events()] == [633552]
    # without a time (raw dmesg saved to a file) events are kept
    coll = _collect([("pub-3.10-el7-freeswitch.log", "file", {})], since=cut)
    assert coll.count == 4


def test_one_kill_line_in_many_boots_is_compared_with_a_few_only(monkeypatch):
    """The same pid, comm and sizes at the same uptime, an hour apart in wall time
    (a long log over many boots): all kept as kills, each new one compared with a
    bounded number of remembered ones (the time is linear in the number of kills)."""
    calls = []
    close = collector._close
    monkeypatch.setattr(collector, "_close", lambda a, b, kernel: calls.append(1) or close(a, b, kernel))
    lines = ["%s h kernel: [    5.000000] Out of memory: Killed process 1 (x) total-vm:1kB, anon-rss:1kB, "
             "file-rss:0kB, shmem-rss:0kB" % time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(REF - 3600 * i))
             for i in range(3000, 0, -1)]
    c = collector.EventCollector(max_events=10)
    p = scanner.OomLogParser(c, source="file", reference_time=REF)
    for line in lines:
        p.feed(line)
    p.flush()
    assert c.count == 3000 and c.duplicates == 0
    assert len(calls) <= 3000 * 3 * collector._SAME_BUCKET

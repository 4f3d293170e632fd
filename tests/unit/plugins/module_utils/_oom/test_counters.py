# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_oom.counters: cgroup counters beside the log's kills, on a faked host (one seam:
read/walk/getxattr over dicts)."""

from __future__ import annotations

import pytest

from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup as _cgroup
from ansible_collections.sre.oom.plugins.module_utils._oom import counters

BOOT = 1000000.0
EV = "low 0\nhigh 0\nmax %d\noom %d\noom_kill %d\noom_group_kill %d\n"


@pytest.fixture
def v2_host(dict_host):
    r = "/sys/fs/cgroup"
    files = {
        r + "/system.slice/memory.events": EV % (9, 3, 3, 0),            # counts the removed unit's kills too
        r + "/system.slice/memory.events.local": EV % (0, 0, 0, 0),
        r + "/system.slice/db.service/memory.events": EV % (4, 1, 1, 0),
        r + "/system.slice/db.service/memory.events.local": EV % (4, 1, 1, 0),
        r + "/system.slice/calm.service/memory.events": EV % (0, 0, 0, 0),
        r + "/system.slice/calm.service/memory.events.local": EV % (0, 0, 0, 0),
        r + "/user.slice/memory.events": EV % (0, 0, 0, 0),
        r + "/user.slice/app.scope/memory.events": EV % (0, 0, 0, 0),
    }
    xattrs = {(r + "/user.slice/app.scope", "user.oomd_ooms"): b"2",
              (r + "/user.slice/app.scope", "user.oomd_kill"): b"5"}
    return dict_host(files, xattrs)


def test_v2_counts_local_counts_and_oomd_xattrs(v2_host):
    entries = counters.read_cgroups(v2_host, [("/sys/fs/cgroup", 2)], _cgroup.cgroup_unit)
    by = {e["path"]: e for e in entries}
    assert sorted(by) == ["/system.slice", "/system.slice/db.service", "/user.slice/app.scope"]
    assert by["/system.slice"] == {"path": "/system.slice", "version": 2, "oom": 3, "oom_kill": 3,
                                   "oom_group_kill": 0, "hierarchical": True, "unit": None,
                                   "local": {"oom": 0, "oom_kill": 0, "oom_group_kill": 0},
                                   "under_oom": None, "oomd_ooms": None, "oomd_kill": None}
    assert by["/user.slice/app.scope"]["oomd_ooms"] == 2 and by["/user.slice/app.scope"]["oomd_kill"] == 5
    assert by["/user.slice/app.scope"]["unit"] == "app.scope"


def test_v1_oom_control_with_under_oom(dict_host):
    files = {"/sys/fs/cgroup/memory/a/memory.oom_control": "oom_kill_disable 1\nunder_oom 1\noom_kill 0\n",
             "/sys/fs/cgroup/memory/b/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
             "/sys/fs/cgroup/memory/c.slice/x.scope/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"}
    entries = counters.read_cgroups(dict_host(files), [("/sys/fs/cgroup/memory", 1)], _cgroup.cgroup_unit)
    assert [(e["path"], e["oom_kill"], e["under_oom"], e["local"]["oom_kill"]) for e in entries] == [
        ("/a", 0, True, 0), ("/c.slice/x.scope", 2, False, 2)]


def test_top_cgroups_keeps_the_most_kills_sorted_by_path():
    entries = [{"path": "/%s" % n, "version": 2, "oom": k, "oom_kill": k, "oomd_kill": None} for n, k in
               (("a", 1), ("b", 7), ("c", 3), ("d", 7))]
    assert [e["path"] for e in counters.top_cgroups(entries, 2)] == ["/b", "/d"]
    assert counters.top_cgroups(entries, 0) == []


def ev(memcg, epoch, killer="kernel", cgroup=None):
    return {"memcg": memcg, "oom_memcg": memcg, "cgroup": cgroup, "_epoch": epoch, "killer": killer}


def tally_of(events, then=None):
    tally = counters.KillTally(BOOT, then=then)
    kept = [e for e in events if tally(e)]
    return tally, kept


def test_tally_counts_this_boots_kills_and_passes_the_scope_decision_on():
    tally, kept = tally_of([ev("/system.slice/db.service", BOOT + 5), ev("/system.slice/gone.service", BOOT + 9),
                            ev("/system.slice/gone.service", BOOT - 500), ev(None, BOOT + 10),
                            ev(None, BOOT + 11, killer="systemd-oomd", cgroup="/user.slice/app.scope")],
                           then=lambda e: e["memcg"] is not None)
    assert tally.kernel == {"/system.slice/db.service": 1, "/system.slice/gone.service": 1}
    assert tally.userspace == {"/user.slice/app.scope": 1}
    assert tally.kernel_total == 3 and tally.kernel_without_path == 1
    assert len(kept) == 3      # the scope's own decision is kept


def test_a_kill_without_a_time_is_not_this_boots():
    # a saved dmesg of an earlier boot has uptimes only: the collector does not count
    # its kills as this boot's, nor may the tally (attributed would pass oom_kill)
    tally, _kept = tally_of([ev("/system.slice/old.service", None), ev("/system.slice/db.service", BOOT + 1)])
    assert tally.kernel == {"/system.slice/db.service": 1} and tally.kernel_total == 1


def per_cgroup_v2_host(dict_host, local_files):
    """A slice whose limit was hit twice, each kill in one of its units (b's not in the
    log), on a v2 hierarchy whose memory.events are the cgroups' own."""
    r = "/sys/fs/cgroup"
    files = {r + "/batch.slice/memory.events": EV % (9, 2, 0, 0),
             r + "/batch.slice/a.service/memory.events": EV % (0, 0, 1, 0),
             r + "/batch.slice/b.service/memory.events": EV % (0, 0, 1, 0)}
    if local_files:
        files.update({k + ".local": v for k, v in list(files.items())})
    return dict_host(files)


@pytest.mark.parametrize("kernel", ["before-5.2", "memory_localevents"])
def test_per_cgroup_v2_counts_are_summed_like_v1(dict_host, kernel):
    # before 5.2 there is no memory.events.local and memory.events is the cgroup's
    # own; with the memory_localevents mount option too (and .local says the same)
    host = per_cgroup_v2_host(dict_host, local_files=kernel == "memory_localevents")
    local_mounts = counters.local_events_mounts(
        "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nsdelegate,memory_localevents 0 0\n"
        if kernel == "memory_localevents" else "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nsdelegate 0 0\n")
    entries = counters.read_cgroups(host, [("/sys/fs/cgroup", 2)], _cgroup.cgroup_unit, local_mounts)
    assert {e["path"]: (e["hierarchical"], e["local"]["oom_kill"]) for e in entries} == {
        "/batch.slice": (False, 0), "/batch.slice/a.service": (False, 1), "/batch.slice/b.service": (False, 1)}
    tally, _kept = tally_of([ev("/batch.slice/a.service", BOOT + 5)])
    rows, _count = subtree_rows(tally, entries)
    s = rows[("slice", "/batch.slice")]
    assert (s["log_kills"], s["counter_kills"], s["counter_complete"], s["unattributed"]) == (1, 2, False, 1)
    assert rows[("unit", "/batch.slice/b.service")]["unattributed"] == 1


def test_local_events_mounts_reads_the_option():
    text = ("cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,memory_localevents 0 0\n"
            "cgroup2 /other cgroup2 rw,memory_recursiveprot 0 0\n"
            "tmpfs /memory_localevents tmpfs rw,memory_localevents 0 0\n")
    assert counters.local_events_mounts(text) == {"/sys/fs/cgroup"}


def subtree_rows(tally, entries, top=50):
    rows, count = counters.subtrees(tally, entries, _cgroup.cgroup_unit, _cgroup.cgroup_container_id,
                                    _cgroup.cgroup_pod_uid, top)
    return {(r["kind"], r["cgroup"]): r for r in rows}, count


def test_a_removed_units_kill_stays_in_its_slice_and_the_difference_is_unattributed(v2_host):
    entries = counters.read_cgroups(v2_host, [("/sys/fs/cgroup", 2)], _cgroup.cgroup_unit)
    # the log holds db.service's kill and one of gone.service (its cgroup is removed);
    # system.slice's counter says 3: one kill the log lost
    tally, _kept = tally_of([ev("/system.slice/db.service", BOOT + 5), ev("/system.slice/gone.service", BOOT + 9),
                             ev(None, BOOT + 11, killer="systemd-oomd", cgroup="/user.slice/app.scope")])
    rows, count = subtree_rows(tally, entries)
    assert rows[("slice", "/system.slice")] == {
        "kind": "slice", "name": "system.slice", "cgroup": "/system.slice", "log_kills": 2, "userspace_kills": 0,
        "counter_kills": 3, "counter_complete": True, "unattributed": 1}
    assert rows[("unit", "/system.slice/db.service")]["unattributed"] == 0
    gone = rows[("unit", "/system.slice/gone.service")]
    assert gone["log_kills"] == 1 and gone["counter_kills"] is None and gone["unattributed"] is None
    assert rows[("unit", "/user.slice/app.scope")]["userspace_kills"] == 1
    assert count == len(rows) == 5
    assert counters.attributed(tally, _cgroup.cgroup_unit, _cgroup.cgroup_container_id, _cgroup.cgroup_pod_uid) == 2


def test_v1_subtree_counter_is_the_sum_of_what_remains():
    entries = [{"path": "/k.slice/a.scope", "version": 1, "oom": None, "oom_kill": 2, "oom_group_kill": None,
                "unit": "a.scope", "local": None, "under_oom": False, "oomd_ooms": None, "oomd_kill": None}]
    tally, _kept = tally_of([ev("/k.slice/a.scope", BOOT + 1), ev("/k.slice/a.scope", BOOT + 2),
                             ev("/k.slice/b.scope", BOOT + 3),
                             ev("/docker/" + "ab" * 32 + "/system.slice/x.service", BOOT + 4)])
    rows, _count = subtree_rows(tally, entries)
    k = rows[("slice", "/k.slice")]
    assert (k["log_kills"], k["counter_kills"], k["counter_complete"], k["unattributed"]) == (3, 2, False, 0)
    assert rows[("container", "/docker/" + "ab" * 32)]["log_kills"] == 1
    # bounded: the top row by kills first
    rows_top, count = counters.subtrees(tally, entries, _cgroup.cgroup_unit, _cgroup.cgroup_container_id,
                                        _cgroup.cgroup_pod_uid, 1)
    assert [r["cgroup"] for r in rows_top] == ["/k.slice"] and count == len(rows)


def test_v1_subtree_counters_in_linear_time(within):
    # each v1 entry adds its count to its ancestors once, not every row summing
    # every entry (12,000 x 12,000)
    n = 12000
    entries = [{"path": "/system.slice/s%d.service" % i, "version": 1, "oom": None, "oom_kill": 2,
                "oom_group_kill": None, "unit": "s%d.service" % i, "local": None, "under_oom": False,
                "oomd_ooms": None, "oomd_kill": None} for i in range(n)]
    tally, _kept = tally_of([ev("/system.slice/s7.service", BOOT + 1)])
    with within(5):
        rows, count = counters.subtrees(tally, entries, _cgroup.cgroup_unit, _cgroup.cgroup_container_id,
                                        _cgroup.cgroup_pod_uid, n + 1)
    assert count == n + 1
    by = {(r["kind"], r["cgroup"]): r for r in rows}
    assert by[("slice", "/system.slice")]["counter_kills"] == 2 * n
    s7 = by[("unit", "/system.slice/s7.service")]
    assert (s7["log_kills"], s7["counter_kills"], s7["counter_complete"], s7["unattributed"]) == (1, 2, False, 1)


@pytest.mark.hostile
def test_a_path_of_thousands_of_slices_counts_for_its_outermost_ones():
    # each subject's path is a prefix of the kill's: kept for every component, a
    # path of d components cost d * d in time and memory (d rows of length up to d)
    deep = "/" + "/".join("s%d.slice" % i for i in range(2000)) + "/x.scope"
    subs = counters.subjects(deep, _cgroup.cgroup_unit, _cgroup.cgroup_container_id, _cgroup.cgroup_pod_uid)
    assert len(subs) == counters.MAX_SUBJECTS
    assert subs[0] == ("slice", "s0.slice", "/s0.slice") and subs[1] == ("slice", "s1.slice", "/s0.slice/s1.slice")
    tally, _kept = tally_of([ev(deep, BOOT + i) for i in range(3)])
    rows, count = subtree_rows(tally, [])
    assert count == counters.MAX_SUBJECTS and rows[("slice", "/s0.slice")]["log_kills"] == 3

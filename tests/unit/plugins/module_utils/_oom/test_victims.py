# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_oom.victims: the OOM domains and the gatherer on a faked host (the
one seam: read/listdir/walk over a dict of files)."""

from __future__ import annotations

import errno
import os

from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup as _cgroup
from ansible_collections.sre.oom.plugins.module_utils._oom import victims
from ansible_collections.sre.oom.tests.unit.plugins.module_utils._oom.procfs import GB, status


def proc(files, pid, name, rss_kb, adj, cgroup_path, **kw):
    files["/proc/%d/status" % pid] = status(name, rss_kb, **kw)
    files["/proc/%d/oom_score_adj" % pid] = "%d\n" % adj
    files["/proc/%d/cgroup" % pid] = "4:memory:%s\n1:name=systemd:%s\n" % (cgroup_path, cgroup_path)


def base(mem_kb=24 * GB, swap_kb=0):
    return {
        "/proc/sys/kernel/osrelease": "6.18.44\n",
        "/proc/meminfo": "MemTotal:       %d kB\nMemFree: 1 kB\nSwapTotal:       %d kB\n" % (mem_kb, swap_kb),
        "/proc/sys/vm/swappiness": "60\n",
        "/proc/self/mounts": "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
        "/sys/fs/cgroup/memory/cgroup.procs": "1\n",
    }


def v1_cgroup(files, path, limit_mb, pids, memsw_mb=None, swappiness=60):
    d = "/sys/fs/cgroup/memory" + path
    files[d + "/memory.limit_in_bytes"] = ("%d\n" % (limit_mb << 20)) if limit_mb else "9223372036854771712\n"
    files[d + "/memory.memsw.limit_in_bytes"] = ("%d\n" % (memsw_mb << 20)) if memsw_mb else "9223372036854771712\n"
    files[d + "/memory.swappiness"] = "%d\n" % swappiness
    files[d + "/cgroup.procs"] = "".join("%d\n" % p for p in pids)


def domain(result, name):
    return [d for d in result if d["domain"] == name][0]


# ---------------------------------------------------------------------------
# the domains

def test_memcg_totalpages_counts_the_swap_the_cgroup_may_use():
    # v1: memsw limit - memory limit, at most the machine's swap; 0 swappiness: none
    assert victims.memcg_totalpages(1, 65536, 65536 + 1000, 5000, 60) == 66536
    assert victims.memcg_totalpages(1, 65536, None, 5000, 60) == 70536
    assert victims.memcg_totalpages(1, 65536, None, 5000, 0) == 65536
    # v2: memory.swap.max (None = max), at most the machine's swap
    assert victims.memcg_totalpages(2, 65536, 200, 5000, 60) == 65736
    assert victims.memcg_totalpages(2, 65536, None, 5000, 60) == 70536
    assert victims.memcg_totalpages(2, 0, 0, 0, 60) == 1


# ---------------------------------------------------------------------------
# domains on a faked host

def host_with_memcg():
    """The issue's case: three processes under a 256 MB v1 limit whose machine-wide
    order (adj dominates on 24 GB) differs from the cgroup's (size counts)."""
    files = base()
    files["/proc/1/status"] = status("init", 5000)
    files["/proc/1/oom_score_adj"] = "0\n"
    files["/proc/2/status"] = "Name:\tkthreadd\nState:\tS\nKthread:\t1\n"
    files["/proc/2/oom_score_adj"] = "0\n"
    proc(files, 10, "big", 60 * 1024, 900, "/app.slice/work.scope")
    proc(files, 11, "mid", 30 * 1024, 950, "/app.slice/work.scope")
    proc(files, 12, "small", 10 * 1024, 990, "/app.slice/work.scope/inner")
    proc(files, 13, "sshd", 8000, -1000, "/app.slice/work.scope")
    proc(files, 20, "outside", 900 * 1024, 0, "/other")
    v1_cgroup(files, "/app.slice", 512, [])
    v1_cgroup(files, "/app.slice/work.scope", 256, [10, 11, 13])
    v1_cgroup(files, "/app.slice/work.scope/inner", 0, [12])
    v1_cgroup(files, "/other", 0, [20])
    return files


def test_each_limited_cgroup_is_a_domain_ranked_by_its_own_size(dict_host):
    out = victims.gather(dict_host(host_with_memcg()), 10, _cgroup.cgroup_unit)
    assert [d["domain"] for d in out] == ["global", "/app.slice", "/app.slice/work.scope"]
    g = domain(out, "global")
    # machine-wide: 6,291,456 pages -> 6291 pages per adj step: adj decides
    assert [c["pid"] for c in g["candidates"]] == [12, 11, 10, 20]
    assert g["limit_kb"] is None and g["total_kb"] == 24 * GB and g["eligible"] == 4
    w = domain(out, "/app.slice/work.scope")
    # 256 MB: 65 pages per adj step: 15360+58500 > 7680+61750 > 2560+64350
    assert [(c["pid"], c["points"]) for c in w["candidates"]] == [
        (10, 15362 + 900 * 65), (11, 7682 + 950 * 65), (12, 2562 + 990 * 65)]
    assert w["limit_kb"] == 256 * 1024 and w["version"] == 1 and w["eligible"] == 3
    first = w["candidates"][0]
    assert first == {"pid": 10, "comm": "big", "points": 15362 + 58500, "oom_score_adj": 900, "rss_kb": 61440,
                     "swap_kb": 0, "pgtables_kb": 8, "exiting": False, "unit": "work.scope",
                     "cgroup": "/app.slice/work.scope", "group": None}
    assert w["candidates"][2]["cgroup"] == "/app.slice/work.scope/inner"
    # the outer limit is its own domain with the same members (nested: listed once
    # each), and its own order: 131 pages per adj step at 512 MB puts small before mid
    assert [(c["pid"], c["points"]) for c in domain(out, "/app.slice")["candidates"]] == [
        (10, 15362 + 900 * 131), (12, 2562 + 990 * 131), (11, 7682 + 950 * 131)]


def test_top_bounds_the_candidates_not_the_count(dict_host):
    out = victims.gather(dict_host(host_with_memcg()), 1, _cgroup.cgroup_unit)
    w = domain(out, "/app.slice/work.scope")
    assert [c["pid"] for c in w["candidates"]] == [10] and w["eligible"] == 3


def test_a_pending_kill_keeps_its_place_and_ties_go_to_the_later_pid(dict_host):
    # select_bad_process() ranks a task with SIGKILL pending by its points like any
    # other (since 4.7): a process stuck in D state after kill -9 is not the next victim
    files = host_with_memcg()
    files["/proc/12/status"] = status("small", 10 * 1024, shdpnd="0000000000000100")
    proc(files, 14, "twin", 30 * 1024, 950, "/app.slice/work.scope")
    files["/sys/fs/cgroup/memory/app.slice/work.scope/cgroup.procs"] += "14\n"
    w = domain(victims.gather(dict_host(files), 10, _cgroup.cgroup_unit), "/app.slice/work.scope")
    assert [(c["pid"], c["exiting"]) for c in w["candidates"]] == [(10, False), (14, False), (11, False),
                                                                   (12, True)]


def test_ties_go_to_the_earlier_pid_before_5_3(dict_host):
    # before 5.3 the task already chosen stayed chosen on equal points (the
    # thread-group-leader check); with the clamp to 1 point, every task of a
    # cgroup at adj -997 ties
    files = host_with_memcg()
    files["/proc/sys/kernel/osrelease"] = "4.19.0-26-amd64\n"
    proc(files, 14, "twin", 30 * 1024, 950, "/app.slice/work.scope")
    files["/sys/fs/cgroup/memory/app.slice/work.scope/cgroup.procs"] += "14\n"
    for pid in (10, 11, 14):
        files["/proc/%d/oom_score_adj" % pid] = "-997\n"
    w = domain(victims.gather(dict_host(files), 10, _cgroup.cgroup_unit), "/app.slice/work.scope")
    assert [(c["pid"], c["points"]) for c in w["candidates"]][:3] == [(12, 2562 + 990 * 65), (10, 1), (11, 1)]
    files["/proc/sys/kernel/osrelease"] = "5.3.0\n"
    w = domain(victims.gather(dict_host(files), 10, _cgroup.cgroup_unit), "/app.slice/work.scope")
    assert [c["pid"] for c in w["candidates"]] == [12, 14, 11, 10]


def test_a_process_whose_main_thread_exited_is_ranked_by_its_live_threads(dict_host):
    # the leader is a zombie (no memory lines in its status) while a thread runs
    # with 4 GB: oom_badness() finds that thread (find_lock_task_mm), so must this
    files = base()
    proc(files, 50, "worker", 4 * GB, 0, "/other")
    proc(files, 60, "small", 1 * GB, 0, "/other")
    thread = files["/proc/50/status"]
    leader = ("Name:\tworker\nState:\tZ (zombie)\nTgid:\t50\nPid:\t50\nThreads:\t2\n"
              "SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nCapEff:\t0000000000000000\n")
    files["/proc/50/status"] = files["/proc/50/task/50/status"] = leader
    files["/proc/50/task/51/status"] = thread.replace("worker", "worker-io")
    files["/proc/50/oom_score"] = "777\n"
    files["/proc/60/oom_score"] = "722\n"
    g = domain(victims.gather(dict_host(files), 1, _cgroup.cgroup_unit), "global")
    assert [(c["pid"], c["comm"], c["rss_kb"]) for c in g["candidates"]] == [(50, "worker", 4 * GB)]
    # a zombie with no live thread is still no candidate
    files["/proc/50/task/51/status"] = leader
    g = domain(victims.gather(dict_host(files), 10, _cgroup.cgroup_unit), "global")
    assert 50 not in [c["pid"] for c in g["candidates"]]


def test_v1_unlimited_reads_per_page_size():
    # PAGE_COUNTER_MAX in bytes: LONG_MAX // PAGE_SIZE pages on 64-bit kernels
    assert victims.v1_limit_pages("9223372036854771712", 4) is None
    assert victims.v1_limit_pages("9223372036854710272", 64) is None       # 64 KiB pages (arm64, ppc64le)
    assert victims.v1_limit_pages("9223372036854767616", 16) is None       # 16 KiB pages
    assert victims.v1_limit_pages("8796093018112", 4) is None               # 32-bit: LONG_MAX pages
    assert victims.v1_limit_pages("268435456", 64) == 4096
    assert victims.v1_limit_pages("9223372036854710272", 4) == 9223372036854710272 // 4096


def test_unlimited_v1_cgroups_are_no_domains_with_64k_pages(dict_host):
    files = host_with_memcg()
    for path in ("", "/app.slice/work.scope/inner", "/other"):
        files["/sys/fs/cgroup/memory%s/memory.limit_in_bytes" % path] = "9223372036854710272\n"
    out = victims.gather(dict_host(files), 10, _cgroup.cgroup_unit, page_kb=64)
    assert [d["domain"] for d in out] == ["global", "/app.slice", "/app.slice/work.scope"]


def test_oom_kill_disable_leaves_a_v1_domain_without_candidates(dict_host):
    # the kernel kills no one in such a cgroup: its tasks wait for memory
    files = host_with_memcg()
    files["/sys/fs/cgroup/memory/app.slice/work.scope/memory.oom_control"] = (
        "oom_kill_disable 1\nunder_oom 0\noom_kill 0\n")
    files["/sys/fs/cgroup/memory/app.slice/memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\n"
    out = victims.gather(dict_host(files), 10, _cgroup.cgroup_unit)
    w = domain(out, "/app.slice/work.scope")
    assert w["oom_kill_disable"] is True and w["candidates"] == [] and w["eligible"] == 3
    outer = domain(out, "/app.slice")
    assert outer["oom_kill_disable"] is False and [c["pid"] for c in outer["candidates"]] == [10, 12, 11]
    assert domain(out, "global")["oom_kill_disable"] is False


def test_swap_raises_both_the_points_and_the_domain(dict_host):
    files = host_with_memcg()
    files["/proc/meminfo"] = "MemTotal: %d kB\nSwapTotal: %d kB\n" % (24 * GB, 1 * GB)
    files["/sys/fs/cgroup/memory/app.slice/work.scope/memory.memsw.limit_in_bytes"] = "%d\n" % (320 << 20)
    files["/proc/11/status"] = status("mid", 30 * 1024, swap=40 * 1024)
    w = domain(victims.gather(dict_host(files), 10, _cgroup.cgroup_unit), "/app.slice/work.scope")
    assert w["total_kb"] == 320 * 1024
    # 81920 pages -> 81 pages per adj step
    assert [(c["pid"], c["points"]) for c in w["candidates"]] == [
        (11, 7682 + 10240 + 950 * 81), (10, 15362 + 900 * 81), (12, 2562 + 990 * 81)]
    assert w["candidates"][0]["swap_kb"] == 40 * 1024


def test_cgroup_v2_memory_max_and_oom_group(dict_host):
    files = base()
    files["/proc/self/mounts"] = "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n"
    del files["/sys/fs/cgroup/memory/memory.limit_in_bytes"]
    del files["/sys/fs/cgroup/memory/cgroup.procs"]
    root = "/sys/fs/cgroup"
    files[root + "/cgroup.procs"] = "1\n"
    files[root + "/memory.oom.group"] = "0\n"      # the root has no memory.max
    for path, limit, group, pids in [("/system.slice", "max", "0", []),
                                     ("/system.slice/db.service", "268435456", "1", [30]),
                                     ("/system.slice/db.service/worker", "max", "0", [31, 32])]:
        files[root + path + "/memory.max"] = limit + "\n"
        files[root + path + "/memory.swap.max"] = "0\n"
        files[root + path + "/memory.oom.group"] = group + "\n"
        files[root + path + "/cgroup.procs"] = "".join("%d\n" % p for p in pids)
    for pid, rss, adj, cg in [(30, 50 * 1024, 0, "/system.slice/db.service"),
                              (31, 70 * 1024, 0, "/system.slice/db.service/worker"),
                              (32, 1024, -1000, "/system.slice/db.service/worker")]:
        files["/proc/%d/status" % pid] = status("p%d" % pid, rss)
        files["/proc/%d/oom_score_adj" % pid] = "%d\n" % adj
        files["/proc/%d/cgroup" % pid] = "0::%s\n" % cg
    out = victims.gather(dict_host(files), 10, _cgroup.cgroup_unit)
    assert [d["domain"] for d in out] == ["global", "/system.slice/db.service"]
    d = domain(out, "/system.slice/db.service")
    assert d["version"] == 2 and d["limit_kb"] == 256 * 1024 and d["total_kb"] == 256 * 1024
    assert [c["pid"] for c in d["candidates"]] == [31, 30]
    # memory.oom.group on db.service: a victim anywhere below takes the whole
    # service with it, except oom_score_adj -1000
    assert d["candidates"][0]["group"] == {"cgroup": "/system.slice/db.service", "pids": [30, 31], "count": 2}
    assert d["candidates"][0]["unit"] == "db.service"
    assert domain(out, "global")["candidates"][0]["group"]["cgroup"] == "/system.slice/db.service"


def test_no_memory_controller_gives_the_global_domain_only(dict_host):
    files = host_with_memcg()
    files["/proc/self/mounts"] = "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n"
    out = victims.gather(dict_host(files), 10, _cgroup.cgroup_unit)
    assert [d["domain"] for d in out] == ["global"]
    assert out[0]["candidates"][0]["unit"] == "work.scope"


def test_whole_machine_reads_exact_figures_only_where_oom_score_can_lead(dict_host):
    files = host_with_memcg()
    # oom_score as the kernel rounds it; 21 and 22 are small and outside any limit
    for pid, score in ((10, 1100), (11, 1150), (12, 1200), (13, 0), (20, 1000)):
        files["/proc/%d/oom_score" % pid] = "%d\n" % score
    proc(files, 21, "tiny", 100, 0, "/other")
    proc(files, 22, "tiny2", 100, 0, "/other")
    files["/proc/21/oom_score"] = files["/proc/22/oom_score"] = "666\n"
    files["/proc/2/oom_score"] = "0\n"
    read = []

    class Counting(dict_host):
        def read_text(self, path):
            read.append(path)
            return dict_host.read_text(self, path)

    out = victims.gather(Counting(files), 2, _cgroup.cgroup_unit)
    g = domain(out, "global")
    assert [c["pid"] for c in g["candidates"]] == [12, 11]
    # 21, 22 (score 666 < the 2nd best) and 20 (outside every limit) are not read in full
    assert not {"/proc/20/status", "/proc/21/status", "/proc/22/status"} & set(read)
    assert "/proc/12/status" in read and "/proc/10/status" in read      # in a limited cgroup
    assert g["eligible"] == 3 + 3      # 10, 11, 12 read in full, 20, 21, 22 by their non-zero score


# ---------------------------------------------------------------------------
# the host's text turned into numbers: ASCII digits only

def test_unicode_digits_in_limits_procs_and_pid_names_are_skipped(dict_host):
    # '\u00b2' passes str.isdigit() but int() refuses it: skipped like other garbage
    assert victims.v2_limit_pages("\u00b2\n", 4) is None
    # more digits than int() takes (4,300 by default) or any 64-bit value: no limit, not a ValueError
    assert victims.v2_limit_pages("9" * 5000, 4) is None and victims.v2_limit_pages("1" * 21, 4) is None
    files = host_with_memcg()
    files["/sys/fs/cgroup/memory/app.slice/work.scope/cgroup.procs"] = "10\n\u00b2\n11\n13\n"
    files["/proc/\u00b2/oom_score"] = "5\n"
    files["/proc/\u00b2/status"] = status("odd", 1024)
    out = victims.gather(dict_host(files), 10, _cgroup.cgroup_unit)
    assert [c["pid"] for c in domain(out, "/app.slice/work.scope")["candidates"]] == [10, 11, 12]
    # memory.max and memory.swap.max of cgroup v2
    files = base()
    files["/proc/self/mounts"] = "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n"
    files["/sys/fs/cgroup/bad.slice/memory.max"] = "\u00b2\n"
    files["/sys/fs/cgroup/ok.slice/memory.max"] = "268435456\n"
    files["/sys/fs/cgroup/ok.slice/memory.swap.max"] = "\u00b2\n"
    files["/sys/fs/cgroup/ok.slice/cgroup.procs"] = "\u00b2\n"
    out = victims.gather(dict_host(files), 10, _cgroup.cgroup_unit)
    assert [(d["domain"], d["limit_kb"]) for d in out] == [("global", None), ("/ok.slice", 256 * 1024)]
    assert victims.subtree_pids(dict_host(files), "/sys/fs/cgroup/ok.slice") == []


def test_a_mount_point_listed_twice_is_read_once(dict_host):
    # a cgroup2 mounted over the same hierarchy (containers) or twice in a row
    twice = "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n" * 2
    assert victims.memory_mounts(twice) == [("/sys/fs/cgroup", 2)]
    # the last mount at a point is the one seen there; another file system hides it
    assert victims.memory_mounts("cgroup /c cgroup rw,memory 0 0\ncgroup2 /c cgroup2 rw 0 0\n"
                                 "cgroup2 /u cgroup2 rw 0 0\ntmpfs /u tmpfs rw 0 0\n") == [("/c", 2)]
    files = host_with_memcg()
    files["/proc/self/mounts"] = "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n" * 2
    out = victims.gather(dict_host(files), 10, _cgroup.cgroup_unit)
    assert [d["domain"] for d in out] == ["global", "/app.slice", "/app.slice/work.scope"]
    assert domain(out, "/app.slice")["eligible"] == 3


def test_without_memtotal_the_whole_machine_has_no_size_and_no_points(dict_host):
    files = host_with_memcg()
    files["/proc/meminfo"] = "SwapTotal:       0 kB\n"
    for pid, score in ((10, 1100), (11, 1150), (12, 1200), (20, 1000)):
        files["/proc/%d/oom_score" % pid] = "%d\n" % score
    warnings = []
    out = victims.gather(dict_host(files), 10, _cgroup.cgroup_unit, warnings=warnings)
    g = domain(out, "global")
    # not a size of 0 that drops every oom_score_adj: the kernel's own order, no points
    assert g["total_kb"] is None and g["eligible"] == 4
    assert [(c["pid"], c["points"]) for c in g["candidates"]] == [(12, None), (11, None), (10, None), (20, None)]
    assert warnings == ["oom_facts: /proc/meminfo has no MemTotal: next_victims' whole-machine domain has no"
                        " total_kb and no points; its candidates are in the order of oom_score"]
    # a limited cgroup's size is its own
    assert domain(out, "/app.slice/work.scope")["total_kb"] == 256 * 1024


def test_many_limited_cgroups_are_gathered_in_linear_time(dict_host, within):
    # each limited cgroup's processes are found by walking up from their cgroup,
    # not by testing every cgroup against every limited one (12,000 x 12,000: a
    # minute; linear: well under a second)
    files = base()
    files["/proc/self/mounts"] = "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n"
    n = 12000
    for i in range(n):
        cg = "/work.slice/c%d.service" % i
        files["/sys/fs/cgroup" + cg + "/memory.max"] = "104857600\n"
        files["/sys/fs/cgroup" + cg + "/cgroup.procs"] = "%d\n" % (1000 + i)
        proc(files, 1000 + i, "p%d" % i, 1000 + i, 0, cg)
        files["/proc/%d/cgroup" % (1000 + i)] = "0::%s\n" % cg
    with within(5):
        out = victims.gather(dict_host(files), 1, _cgroup.cgroup_unit)
    assert len(out) == n + 1
    assert [c["pid"] for c in domain(out, "/work.slice/c7.service")["candidates"]] == [1007]


def test_v2_without_memory_swap_max_counts_the_machines_swap(dict_host):
    # swap accounting off (before 6.1): no memory.swap.max, but the cgroup's swap
    # limit stays unlimited and mem_cgroup_get_max() adds the machine's swap
    files = base(swap_kb=4 * GB)
    files["/proc/self/mounts"] = "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n"
    del files["/sys/fs/cgroup/memory/memory.limit_in_bytes"]
    del files["/sys/fs/cgroup/memory/cgroup.procs"]
    root = "/sys/fs/cgroup/app.slice"
    files[root + "/memory.max"] = "%d\n" % (1 << 30)
    files[root + "/cgroup.procs"] = "20\n21\n"
    for pid, rss, adj in [(20, 400 * 1024, 0), (21, 40 * 1024, 100)]:
        files["/proc/%d/status" % pid] = status("p%d" % pid, rss)
        files["/proc/%d/oom_score_adj" % pid] = "%d\n" % adj
        files["/proc/%d/cgroup" % pid] = "0::/app.slice\n"
    d = domain(victims.gather(dict_host(files), 10, _cgroup.cgroup_unit), "/app.slice")
    assert d["total_kb"] == 5 * GB
    # 1310 pages per adj step: the small process at adj 100 goes first
    assert [c["pid"] for c in d["candidates"]] == [21, 20]


def test_a_containers_init_is_a_candidate_the_machines_is_not(dict_host):
    # is_global_init() protects pid 1 of the initial pid namespace only: in a
    # container with its own, pid 1 (often its main process) can be killed
    files = host_with_memcg()
    files["/proc/1/status"] = status("java", 2 * GB)
    files["/proc/1/cgroup"] = "4:memory:/other\n1:name=systemd:/other\n"
    files["/sys/fs/cgroup/memory/other/cgroup.procs"] = "1\n20\n"

    def with_ns(ino):
        host = dict_host(files)

        def stat(path):
            if path != "/proc/self/ns/pid":
                raise OSError(errno.ENOENT, "No such file or directory", path)
            return os.stat_result((0, ino, 0, 1, 0, 0, 0, 0, 0, 0))
        host.stat = stat
        return host

    inside = domain(victims.gather(with_ns(4026532290), 10, _cgroup.cgroup_unit), "global")
    assert 1 in [c["pid"] for c in inside["candidates"]] and inside["eligible"] == 5
    outside = domain(victims.gather(with_ns(victims.INIT_PID_NS_INO), 10, _cgroup.cgroup_unit), "global")
    assert 1 not in [c["pid"] for c in outside["candidates"]] and outside["eligible"] == 4
    # a host that cannot say (no stat, or it fails) keeps pid 1 out
    unknown = domain(victims.gather(dict_host(files), 10, _cgroup.cgroup_unit), "global")
    assert 1 not in [c["pid"] for c in unknown["candidates"]]

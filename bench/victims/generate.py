# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fake host tree for the next_victims and counters benchmarks.

Writes ROOT/proc (PROCS processes: status, oom_score_adj, cgroup, statm, oom_score,
comm; meminfo, osrelease, swappiness, mounts) and ROOT/sys/fs/cgroup, a cgroup v2
tree of CGROUPS cgroups (slices of services), every fifth with a memory.max, all
with memory.events, memory.events.local and cgroup.procs; a third with kills; a
few with systemd-oomd's xattrs (when the file system takes user xattrs).

usage: python bench/victims/generate.py ROOT [--procs 10000] [--cgroups 500] [--seed 1]
"""
import argparse
import os
import random

STATUS = ("Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t1\n"
          "TracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t \nNStgid:\t%d\n"
          "NSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\nKthread:\t0\nVmPeak:\t  %d kB\nVmSize:\t  %d kB\n"
          "VmLck:\t       0 kB\nVmPin:\t       0 kB\nVmHWM:\t  %d kB\nVmRSS:\t  %d kB\nRssAnon:\t  %d kB\n"
          "RssFile:\t  %d kB\nRssShmem:\t       0 kB\nVmData:\t  %d kB\nVmStk:\t     132 kB\n"
          "VmExe:\t      20 kB\nVmLib:\t    1528 kB\nVmPTE:\t      %d kB\nVmSwap:\t       %d kB\n"
          "HugetlbPages:\t       0 kB\nCoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t1\nSigQ:\t0/96367\n"
          "SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n"
          "SigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\nCapInh:\t0000000000000000\n"
          "CapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\n"
          "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\nCpus_allowed:\t3\n"
          "Cpus_allowed_list:\t0-1\nvoluntary_ctxt_switches:\t10\nnonvoluntary_ctxt_switches:\t1\n")
EVENTS = "low 0\nhigh 0\nmax %d\noom %d\noom_kill %d\noom_group_kill 0\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--procs", type=int, default=10000)
    ap.add_argument("--cgroups", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    root = a.root.rstrip("/")
    cg_root = root + "/sys/fs/cgroup"
    write(root + "/proc/meminfo", "MemTotal:       24683772 kB\nMemFree:        22000000 kB\nSwapTotal:  1048576 kB\n")
    write(root + "/proc/sys/kernel/osrelease", "6.18.44\n")
    write(root + "/proc/sys/vm/swappiness", "60\n")
    write(root + "/proc/vmstat", "nr_free_pages 1\noom_kill 1234\n")
    write(root + "/proc/self/mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n")
    write(root + "/proc/pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                                          "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
    # cgroups: slices of 10 services each
    paths = []
    n_slices = max(1, -(-a.cgroups // 11))
    for s in range(n_slices):
        paths.append("/s%d.slice" % s)
        for u in range(10):
            if len(paths) >= a.cgroups:
                break
            paths.append("/s%d.slice/u%d.service" % (s, u))
    paths = paths[:a.cgroups]
    members = {p: [] for p in paths}
    leaves = [p for p in paths if p.endswith(".service")] or paths
    pids = rng.sample(range(2, a.procs * 4), a.procs)
    for pid in pids:
        members[rng.choice(leaves)].append(pid)
        anon = rng.randint(100, 400000)
        filed = rng.randint(100, 20000)
        rss = anon + filed
        write("%s/proc/%d/status" % (root, pid),
              STATUS % ("proc-%d" % pid, pid, pid, pid, pid, pid, pid, rss * 2, rss * 2, rss, rss, anon, filed,
                        anon, rng.randint(4, 800), rng.choice((0, 0, 0, rng.randint(0, 5000)))))
        write("%s/proc/%d/oom_score_adj" % (root, pid), "%d\n" % rng.choice((0, 0, 0, 100, 500, 900, -900, -1000)))
        write("%s/proc/%d/oom_score" % (root, pid), "%d\n" % rng.randint(0, 2000))
        write("%s/proc/%d/statm" % (root, pid), "%d %d 10 1 0 100 0\n" % (rss // 2, rss // 4))
        write("%s/proc/%d/comm" % (root, pid), "proc-%d\n" % pid)
    for i, p in enumerate(paths):
        member_pids = members[p]
        cgroup_line = "0::%s\n" % p
        for pid in member_pids:
            write("%s/proc/%d/cgroup" % (root, pid), cgroup_line)
        d = cg_root + p
        kills = rng.randint(1, 20) if i % 3 == 0 else 0
        write(d + "/memory.events", EVENTS % (kills * 3, kills, kills))
        write(d + "/memory.events.local", EVENTS % (kills, kills, kills))
        write(d + "/memory.max", "%d\n" % (rng.randint(64, 4096) << 20) if i % 5 == 0 else "max\n")
        write(d + "/memory.swap.max", "max\n")
        write(d + "/memory.oom.group", "1\n" if i % 7 == 0 else "0\n")
        write(d + "/cgroup.procs", "".join("%d\n" % pid for pid in member_pids))
        if i % 25 == 0:
            try:
                os.setxattr(d, "user.oomd_ooms", b"1")
                os.setxattr(d, "user.oomd_kill", b"3")
            except OSError:
                pass
    write(cg_root + "/cgroup.procs", "1\n")
    write(cg_root + "/cgroup.controllers", "memory pids\n")
    print("%s: %d processes, %d cgroups" % (root, a.procs, len(paths)))


if __name__ == "__main__":
    main()

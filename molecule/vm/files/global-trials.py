# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Global OOMs on this VM, to check next_victims' global domain against the
kernel's own first victim (run by the VM scenario's verify as root, with swap
off for the trials and on again afterwards).

usage: python3 global-trials.py TREE TRIALS SEED
  TREE    a directory holding ansible_collections/sre/oom/plugins/module_utils
          and .../tests/live/memcg_trials.py (the collection's own code, unpacked by
          verify): next_victims is taken with `_oom.victims.gather` on the module's
          real Host, as oom_facts does; the candidates are planned, /dev/kmsg read
          and the machine-wide order taken as in the memory-cgroup trials.

One trial: 3 to 8 candidate processes of 8-40 MB (all of them within 40 % of
MemAvailable), each raising its own
oom_score_adj from a random base in steps of 2 to 30 (on a 512 MB guest one adj
step is worth about half a megabyte: size and adj both count); next_victims is
taken once they hold their memory; then a writer fills a tmpfs (shmem is in
nobody's RSS, so the writer is never a good candidate) until the kernel kills.
The first 'Killed process' line after the trigger names the kernel's victim.

No near ties: a plan whose first two candidates are expected within APART pages
of each other is drawn again. Such a tie is decided by the pages that move
between next_victims' reading and the kill (measured: every candidate lost 17-35
pages, more when the kill comes after minutes of reclaim of file pages), not by
the rule under test; the memory-cgroup trials of tests/live keep near ties and
are held to 95 %.

Each trial's record also has the points next_victims gave its first two, and
the task list of the kernel's OOM report (vm.oom_dump_tasks): each task's rss,
page tables, swap entries and oom_score_adj at the moment of the kill, with the
points they make (kernel_points) and the first by those (kernel_first). A miss
can be read from it: a drift of the numbers, or a rule that differs.

Prints one JSON line per trial, then KEY=VALUE lines for the assertions:
trials, hits (next_victims named the victim first), candidate_victims (the
victim was one of the candidates), machine_wide (/proc/PID/oom_score's first),
dumps (the kernel's task list was read) and dump_agrees (by the kernel's own
numbers, the victim had the most points).

Only processes started here are signalled, by pid; the tmpfs is unmounted and
swap turned on again whatever happens.
"""

import ctypes
import json
import os
import random
import re
import signal
import subprocess
import sys
import time

CANDIDATE = r"""
import os, signal, sys
adj, mb = int(sys.argv[1]), int(sys.argv[2])
with open("/proc/self/oom_score_adj", "w") as f:
    f.write(str(adj))
data = b"x" * (mb << 20)
sys.stdout.write("ready\n")
sys.stdout.flush()
signal.pause()
"""

# The writer stops as soon as one candidate is gone (the kernel's kill): it never
# goes on filling the guest's memory while the trial reads the kill back, which in
# an emulated guest can take long enough for a cascade of kills to reach sshd, or
# for the guest to thrash for minutes on its own programs' pages. A killed
# candidate stays a zombie until the trial reaps it, so "gone" is read from
# /proc/PID/stat (no process, or state Z or X), not from kill(pid, 0).
WRITER = r"""
import sys
chunk = b"y" * (1 << 20)
stats = ["/proc/%d/stat" % int(p) for p in sys.argv[2:]]

def gone(stat):
    try:
        with open(stat, "rb") as f:
            return f.read().rpartition(b")")[2].split()[:1] in ([b"Z"], [b"X"], [])
    except OSError:
        return True

with open(sys.argv[1], "wb") as f:
    while not any(gone(stat) for stat in stats):
        f.write(chunk)
        f.flush()
"""

SPOOL = "/run/sre-oom-global-trials"
PAGE = os.sysconf("SC_PAGE_SIZE")
MCL_CURRENT, MCL_FUTURE = 1, 2
# A plan's first two candidates are at least this many pages apart (1 MiB of 4 KiB pages).
APART = 256
# A task of the OOM report's list: "[  pid  ]   uid  tgid total_vm      rss ...
# pgtables_bytes swapents oom_score_adj name" (6.8 adds rss_anon, rss_file and
# rss_shmem after rss; the last three numbers are always the same three).
DUMP_RE = re.compile(rb";\[\s*(\d+)\]\s+((?:-?\d+\s+){6,})(\S.*?)\s*$")


def plan_apart(mt, rng, limit_mb, totalpages):
    """memcg_trials' plan, drawn again until the first two are APART pages apart,
    by the kernel's rule on the planned sizes (the interpreters' own pages are
    about the same in every candidate)."""
    while True:
        cands = mt.plan(rng, limit_mb)
        est = sorted((mb * (1 << 20) // PAGE + adj * (totalpages // 1000) for mb, adj in cands), reverse=True)
        if est[0] - est[1] >= APART:
            return cands


def dump_row(rec):
    """One task of the OOM report's list as {pid, rss, pgtables_bytes, swapents, oom_score_adj}, or None."""
    m = DUMP_RE.search(rec.rstrip(b"\n"))
    if not m:
        return None
    nums = [int(n) for n in m.group(2).split()]
    return {"pid": int(m.group(1)), "rss": nums[3], "pgtables_bytes": nums[-3], "swapents": nums[-2],
            "oom_score_adj": nums[-1], "name": m.group(3).decode("utf-8", "replace")}


def kernel_points(row, totalpages):
    """oom_badness() on the numbers the kernel printed (mm/oom_kill.c)."""
    if row["oom_score_adj"] == -1000:
        return None
    return (row["rss"] + row["swapents"] + row["pgtables_bytes"] // PAGE
            + row["oom_score_adj"] * (totalpages // 1000))


def first_kill(mt, kmsg, deadline):
    """The first 'Killed process' after the trigger and the task list of its OOM
    report: (pid, comm, [rows in the kernel's order]) or (None, None, rows)."""
    rows = []
    while time.monotonic() < deadline:
        for rec in kmsg.records():
            m = mt.KILLED_RE.search(rec)
            if m:
                return int(m.group(1)), m.group(2).decode("utf-8", "replace"), rows
            if b"invoked oom-killer" in rec:
                rows = []
            row = dump_row(rec)
            if row:
                rows.append(row)
        time.sleep(0.05)
    return None, None, rows


def by_kernel(rows, totalpages):
    """{pid: points} of the report's tasks, and the first by them: the most
    points, a tie to the later in the list (select_bad_process keeps the last
    of equals since 5.3)."""
    points = {}
    first, best = None, None
    for row in rows:
        p = kernel_points(row, totalpages)
        if p is None:
            continue
        points[row["pid"]] = p
        if best is None or p >= best:
            first, best = row["pid"], p
    return points, first


def stop(procs):
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()
        if p.stdout:
            p.stdout.close()


def trial(mt, index, cands, gather, totalpages):
    procs, writer, kmsg = [], None, None
    spool = os.path.join(SPOOL, "fill")
    t0 = time.monotonic()
    try:
        for mb, adj in cands:
            procs.append(subprocess.Popen([sys.executable, "-c", CANDIDATE, str(adj), str(mb)],
                                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL))
        for p in procs:
            if p.stdout.readline().strip() != b"ready":
                raise RuntimeError("candidate %d did not start" % p.pid)
        pids = [p.pid for p in procs]
        t1 = time.monotonic()
        domains = gather()
        glob = [d for d in domains if d["domain"] == "global"]
        head = glob[0]["candidates"] if glob else []
        ranked = [c["pid"] for c in head]
        order = mt.machine_wide_order(pids)
        t2 = time.monotonic()
        kmsg = mt.Kmsg()
        writer = subprocess.Popen([sys.executable, "-c", WRITER, spool] + [str(p) for p in pids], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        victim, comm, rows = first_kill(mt, kmsg, time.monotonic() + 300)
        t3 = time.monotonic()
        points, kfirst = by_kernel(rows, totalpages)
        return {"seconds": {"start": round(t1 - t0, 1), "next_victims": round(t2 - t1, 1), "kill": round(t3 - t2, 1)},
                "index": index, "candidates": [{"pid": p, "mb": mb, "oom_score_adj": adj}
                                               for p, (mb, adj) in zip(pids, cands)],
                "writer": writer.pid, "next_victims": ranked[:5], "machine_wide": order[:5],
                "next_victims_points": [c["points"] for c in head[:2]], "totalpages": totalpages,
                "kernel_points": {str(p): points[p] for p in pids if p in points},
                "kernel_first": kfirst, "dump_tasks": len(rows),
                "kernel_victim": victim, "kernel_victim_comm": comm}
    finally:
        if writer is not None:
            stop([writer])
        stop(procs)
        if kmsg is not None:
            kmsg.close()
        try:
            os.unlink(spool)
        except FileNotFoundError:
            pass


def main():
    tree, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sys.path.insert(0, tree)
    sys.path.insert(0, os.path.join(tree, "ansible_collections", "sre", "oom", "tests", "live"))
    import memcg_trials as mt
    from ansible_collections.sre.oom.plugins.module_utils import _host
    from ansible_collections.sre.oom.plugins.module_utils._oom import badness, cgroup, victims

    def gather():
        return victims.gather(_host.Host(), 10, cgroup.cgroup_unit)

    rng = random.Random(seed)
    results = []
    os.makedirs(SPOOL, exist_ok=True)
    subprocess.run(["swapoff", "-a"], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=100%,mode=0700", "sre-oom-trials", SPOOL], check=True)
    try:
        for i in range(n):
            # memcg_trials' plan keeps the candidates' total under 0.8 x the "limit"
            kb = badness.parse_meminfo(_host.Host().read_text("/proc/meminfo"))
            # the global domain's size: MemTotal + SwapTotal (swap is off here)
            totalpages = (kb["MemTotal"] + kb.get("SwapTotal", 0)) * 1024 // PAGE
            rec = trial(mt, i, plan_apart(mt, rng, (kb["MemAvailable"] >> 10) // 2, totalpages), gather, totalpages)
            results.append(rec)
            print(json.dumps(rec, sort_keys=True), flush=True)
            time.sleep(1)
    finally:
        subprocess.run(["umount", SPOOL], check=False)
        os.rmdir(SPOOL)
        subprocess.run(["swapon", "-a"], check=False)
    pids = [{c["pid"] for c in r["candidates"]} for r in results]
    print("trials=%d" % len(results))
    print("read_back=%d" % sum(1 for r in results if r["kernel_victim"]))
    print("candidate_victims=%d" % sum(1 for r, p in zip(results, pids) if r["kernel_victim"] in p))
    print("hits=%d" % sum(1 for r in results if r["kernel_victim"] and r["next_victims"][:1] == [r["kernel_victim"]]))
    print("machine_wide=%d" % sum(1 for r in results if r["kernel_victim"] and r["machine_wide"][:1] == [r["kernel_victim"]]))
    print("dumps=%d" % sum(1 for r in results if r["dump_tasks"]))
    print("dump_agrees=%d" % sum(1 for r in results if r["kernel_victim"] and r["kernel_first"] == r["kernel_victim"]))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_a: sys.exit(143))
    # An SSH session dropped by a slow guest must not leave the tmpfs full and swap
    # off: the trials go on to their cleanup. This script and its writer are never
    # the kernel's choice (root in the guest may lower its own oom_score_adj).
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    with open("/proc/self/oom_score_adj", "w") as f:
        f.write("-1000")
    # Its own pages stay in memory (mlockall, not inherited by the processes it
    # starts): as memory runs out, the guest evicts and re-reads program pages,
    # and the trial would be the slowest to see the kill and end its writer.
    if ctypes.CDLL(None, use_errno=True).mlockall(MCL_CURRENT | MCL_FUTURE) != 0:
        sys.stderr.write("global-trials: mlockall: %s (going on)\n" % os.strerror(ctypes.get_errno()))
    main()

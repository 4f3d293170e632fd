# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of next_victims (10,000 processes) and the cgroup counters (500 cgroups).

On a fake host tree (generate.py) read through the modules' host seam
(module_utils/_host.Host with the tree as its root), interleaved, ROUNDS times each, in one process:
- next_victims: ``_oom.victims.gather`` (every process's status and
  oom_score_adj, every cgroup's memory.max, cgroup.procs below limits), beside the
  floor: a bare loop that only opens and reads each /proc/PID/status and
  oom_score_adj, and beside the old ``processes`` fact's reads (statm, oom_score,
  oom_score_adj per process);
- counters: ``_oom.counters.read_cgroups`` (memory.events, memory.events.local,
  two xattrs per cgroup), beside the floor: os.walk and one read of memory.events
  per cgroup.
Writes bench/results/victims.json and prints a summary.

usage: .venv/bin/python bench/victims/run.py [--rounds 9] [--procs 10000] [--cgroups 500] [--keep DIR]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "build", "collections"))

from ansible_collections.sre.oom.plugins.module_utils import _host  # noqa: E402
from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup as _cgroup  # noqa: E402
from ansible_collections.sre.oom.plugins.module_utils._oom import counters as _counters  # noqa: E402
from ansible_collections.sre.oom.plugins.module_utils._oom import victims as _victims  # noqa: E402


def floor_processes(root):
    n = 0
    for name in os.listdir(root + "/proc"):
        if not name.isdigit():
            continue
        for leaf in ("status", "oom_score_adj"):
            with open("%s/proc/%s/%s" % (root, name, leaf)) as f:
                n += len(f.read())
    return n


def old_processes(root):
    n = 0
    for name in os.listdir(root + "/proc"):
        if not name.isdigit():
            continue
        for leaf in ("statm", "oom_score", "oom_score_adj"):
            with open("%s/proc/%s/%s" % (root, name, leaf)) as f:
                n += len(f.read())
    return n


def floor_counters(root):
    n = 0
    for dirpath, _dirs, files in os.walk(root + "/sys/fs/cgroup"):
        if "memory.events" in files:
            with open(os.path.join(dirpath, "memory.events")) as f:
                n += len(f.read())
    return n


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--procs", type=int, default=10000)
    ap.add_argument("--cgroups", type=int, default=500)
    ap.add_argument("--keep", help="generate into (or reuse) this directory")
    a = ap.parse_args()
    tree = a.keep or tempfile.mkdtemp(prefix="sre-oom-victims-bench-")
    try:
        if not os.path.exists(os.path.join(tree, "proc", "meminfo")):
            subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), tree, "--procs", str(a.procs),
                            "--cgroups", str(a.cgroups)], check=True)
        host = _host.Host(root=tree)       # the modules' host seam, on the fake tree as root
        mounts = [("/sys/fs/cgroup", 2)]
        times = {"next_victims": [], "floor_status_adj": [], "old_processes_reads": [],
                 "counters": [], "floor_memory_events": []}
        result = entries = None
        for _r in range(a.rounds):
            dt, result = timed(lambda: _victims.gather(host, 10, _cgroup.cgroup_unit))
            times["next_victims"].append(dt)
            times["floor_status_adj"].append(timed(lambda: floor_processes(tree))[0])
            times["old_processes_reads"].append(timed(lambda: old_processes(tree))[0])
            dt, entries = timed(lambda: _counters.read_cgroups(host, mounts, _cgroup.cgroup_unit))
            times["counters"].append(dt)
            times["floor_memory_events"].append(timed(lambda: floor_counters(tree))[0])
        med = {k: statistics.median(v) for k, v in times.items()}
        summary = {
            "procs": a.procs, "cgroups": a.cgroups, "rounds": a.rounds,
            "median_s": med, "min_s": {k: min(v) for k, v in times.items()},
            "next_victims_domains": len(result),
            "next_victims_eligible_global": result[0]["eligible"],
            "counters_entries": len(entries),
            "counters_with_oomd_xattrs": sum(1 for e in entries if e["oomd_ooms"]),
            "ratio_next_victims_to_floor": med["next_victims"] / med["floor_status_adj"],
            "ratio_counters_to_floor": med["counters"] / med["floor_memory_events"],
            "load": os.getloadavg(),
        }
        os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
        with open(os.path.join(ROOT, "bench", "results", "victims.json"), "w") as f:
            json.dump({"summary": summary, "times": times}, f, indent=1)
        print(json.dumps(summary, indent=1))
    finally:
        if not a.keep:
            shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    main()

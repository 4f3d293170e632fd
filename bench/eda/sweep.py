# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EDA source on one large memory.oom.group sweep, beside a baseline checkout.

A sweep is what the kernel prints when it kills a cgroup with memory.oom.group set:
the victim's report, "Tasks in <cgroup> are going to be killed due to
memory.oom.group set", then one "Memory cgroup out of memory: Killed process" line
per task. Every task killed is an event, and every event carries the sweep's
``group``. The lines go through the source's own parser and emitter in batches of
the source's MAX_BATCH, as its main loop feeds them, into a queue that counts the
events and the pids they carry.

usage: .venv/bin/python bench/eda/sweep.py [--sizes 1000,4000,16000] [--baseline DIR]

DIR is a checkout of another commit with its own build/collections link (as
`make setup` makes it). Each tree runs in its own process. Writes
bench/results/eda-sweep.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.path.join(ROOT, "bench", "results")

# Runs inside a child process whose sys.path holds one tree's collections.
CHILD = r"""
import asyncio, json, runpy, sys, time
tree, sizes = sys.argv[1], [int(n) for n in sys.argv[2].split(",")]
src = runpy.run_path(tree + "/extensions/eda/plugins/event_source/oom_kills.py")
from ansible_collections.sre.oom.plugins.module_utils._eda import events
api = src["parser_api"]()
batch = src.get("MAX_BATCH", 4096)

class Queue(object):
    def __init__(self):
        self.events = 0
        self.pids = 0
    async def put(self, ev):
        self.events += 1
        group = (ev.get("oom_kill") or {}).get("group")
        if group:
            self.pids += len(group["pids"])

class Names(object):
    def name(self, machine):
        return machine

def lines(n):
    head = ["[  100.000000] hog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
            "[  100.000001] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
            "oom_memcg=/pod.slice,task_memcg=/pod.slice,task=hog,pid=2,uid=0",
            "[  100.000002] Memory cgroup out of memory: Killed process 2 (hog) total-vm:1kB, anon-rss:1kB, "
            "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0",
            "[  100.000003] Tasks in /pod.slice are going to be killed due to memory.oom.group set"]
    return [l.encode() for l in head] + [
        ("[  100.000004] Memory cgroup out of memory: Killed process %d (w) total-vm:1kB, anon-rss:1kB, "
         "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0" % (10 + i)).encode() for i in range(n)]

async def sweep(n):
    queue = Queue()
    config = {"kinds": None, "killers": None, "rate_events": None, "rate_interval": 60}
    emitter = events.Emitter(queue, config, api, lambda ev: True, Names(), "local")
    parser = api.OomLogParser(lambda ev: emitter.sink(ev, None), source="kmsg", boot_time=None,
                              reference_time=time.time())
    data = lines(n)
    start = time.perf_counter()
    for i in range(0, len(data), batch):
        for line in data[i:i + batch]:
            parser.feed(line)
        parser.flush()
        if emitter.pending:
            await emitter.emit_pending()
    return {"kills": n + 1, "seconds": round(time.perf_counter() - start, 3), "events": queue.events,
            "pids_carried": queue.pids}

print(json.dumps([asyncio.run(sweep(n)) for n in sizes]))
"""


def run_tree(tree, sizes):
    env = dict(os.environ, PYTHONPATH=os.path.join(tree, "build", "collections"))
    out = subprocess.run([sys.executable, "-c", CHILD, tree, ",".join(str(n) for n in sizes)],
                         env=env, stdout=subprocess.PIPE, check=True, timeout=3600).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,4000,16000")
    ap.add_argument("--baseline", help="a checkout whose source runs beside this one")
    a = ap.parse_args()
    sizes = [int(n) for n in a.sizes.split(",")]
    result = {"sizes": sizes, "load": os.getloadavg(), "this": run_tree(ROOT, sizes)}
    if a.baseline:
        result["baseline"] = run_tree(os.path.abspath(a.baseline), sizes)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "eda-sweep.json"), "w") as f:
        json.dump(result, f, indent=1)
    print("%8s  %14s  %16s" % ("kills", "this", "baseline" if a.baseline else ""))
    for i in range(len(sizes)):
        this = result["this"][i]
        row = "%8d  %6.2f s %6.1fM" % (this["kills"], this["seconds"], this["pids_carried"] / 1e6)
        if a.baseline:
            base = result["baseline"][i]
            row += "  %7.2f s %7.1fM" % (base["seconds"], base["pids_carried"] / 1e6)
        print(row + "  (seconds, pids carried by the events)")


if __name__ == "__main__":
    main()

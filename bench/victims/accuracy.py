# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hit rate of next_victims against the kernel's real first victim, beside the
machine-wide oom_score order, on real memory-cgroup OOMs of this machine.

Runs the trials of tests/live/memcg_trials.py (root, cgroup v1 memory controller,
/dev/kmsg): each trial's next_victims is taken before its OOM (through `ansible
localhost -m sre.oom.oom_facts` every 8th trial, the module's room otherwise) and
compared with the first "Killed process" the kernel logged for that cgroup.
Writes bench/victims/accuracy-result.json.

usage: .venv/bin/python bench/victims/accuracy.py [--trials 32] [--seed 20] [--limit-mb 256] [--out FILE]
"""
import argparse
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "live"))
sys.path.insert(0, os.path.join(ROOT, "build", "collections"))

import memcg_trials  # noqa: E402
import test_next_victims_live as live  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=32)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--limit-mb", type=int, default=256)
    ap.add_argument("--out", default=os.path.join(HERE, "accuracy-result.json"))
    a = ap.parse_args()
    reason = memcg_trials.available()
    if reason:
        sys.exit("cannot run here: %s" % reason)
    t0 = time.time()
    results = memcg_trials.run_trials(a.trials, a.seed, limit_mb=a.limit_mb, predict=live.predictor())
    n, hits, mw = live.score(results)
    rows = []
    for r in results:
        p = r["prediction"]
        k = r["kernel_victim"] or {}
        rows.append({"trial": r["index"], "how": p["how"], "candidates": [(c["mb"], c["oom_score_adj"])
                                                                          for c in r["candidates"]],
                     "kernel_first": k.get("pid"), "next_victims_first": p["next_victims"][0],
                     "machine_wide_first": p["machine_wide"][0],
                     "margin_pages": (p["points"][0] - p["points"][1]) if len(p["points"]) > 1 else None})
    summary = {"kernel": platform.release(), "trials": n, "limit_mb": a.limit_mb, "seed": a.seed,
               "kills_read_back": sum(1 for r in results if r["kernel_victim"]),
               "next_victims_first_right": hits, "next_victims_hit_rate": round(hits / float(n), 4),
               "machine_wide_first_right": mw, "machine_wide_hit_rate": round(mw / float(n), 4),
               "machine_wide_wrong_share": round(1 - mw / float(n), 4),
               "via_ansible": sum(1 for r in results if r["prediction"]["how"] == "ansible"),
               "seconds": round(time.time() - t0, 1), "load": os.getloadavg()}
    with open(a.out, "w") as f:
        json.dump({"summary": summary, "trials": rows}, f, indent=1)
        f.write("\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()

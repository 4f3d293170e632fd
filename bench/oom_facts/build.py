# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of issue 20: the controller's share of an ad hoc run, read from ansible-core's own log.

Interleaved, ROUNDS times, each an ad hoc run with ``ANSIBLE_DEBUG=1`` (whose
lines carry the pid and the time of each step):
1. `ansible localhost -m ansible.builtin.command -a true`;
2. `ansible localhost -m sre.oom.oom_facts` on a one-line log (as dmesg.py's
   decomposition does), with this checkout's collection;
3. with ``--baseline DIR``, the same with DIR's collection
   (``ANSIBLE_COLLECTIONS_PATH=DIR/build/collections``).

From each run's log, in the task's worker process:
- build: from ``ANSIBALLZ: Creating module`` to ``ANSIBALLZ: Done creating
  module`` (the module and everything it imports parsed, zipped, written);
- after: from the last command of the task (its temporary directory removed) to
  ``handler run complete`` (what the worker does between the action's return and
  the task's end, such as a garbage collection).
The debug log slows every step a little; the figures are for comparing runs.
Writes bench/results/oom_facts-build.json and prints the medians.

usage: .venv/bin/python bench/oom_facts/build.py [--rounds 9] [--baseline DIR]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
RESULTS = os.path.join(ROOT, "bench", "results")
ANSIBLE = os.path.join(os.path.dirname(sys.executable), "ansible")
DEBUG_LINE = re.compile(r"^\s*(\d+) (\d+\.\d+): (.*)$")
ONE_KILL = ("[ 1234.567890] Out of memory: Killed process 4242 (hog) total-vm:5029851kB, anon-rss:498466kB, "
            "file-rss:286kB, shmem-rss:0kB, UID:0 pgtables:200kB oom_score_adj:0\n")


def steps(text):
    """[(pid, time, message)] of an ANSIBLE_DEBUG log."""
    out = []
    for line in text.splitlines():
        m = DEBUG_LINE.match(line)
        if m:
            out.append((int(m.group(1)), float(m.group(2)), m.group(3)))
    return out


def worker_times(text):
    """(build, after) in seconds, from the log of one ad hoc run of one task."""
    log = steps(text)

    def first(prefix, after=0.0):
        for pid, t, msg in log:
            if t >= after and msg.startswith(prefix):
                return pid, t
        raise SystemExit("no %r in the debug log" % prefix)

    pid, created = first("ANSIBALLZ: Creating module")
    _pid, built = first("ANSIBALLZ: Done creating module", created)
    _pid, handled = first("handler run complete", built)
    last_command = max(t for p, t, msg in log
                       if p == pid and t <= handled and msg.startswith("_low_level_execute_command() done"))
    return built - created, handled - last_command


def run(argv, env):
    res = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit("%s failed: %s" % (argv[:4], res.stdout[-800:]))
    return res.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--baseline", help="a checkout whose collection runs beside this one")
    a = ap.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    one_line = os.path.join(RESULTS, "one-kill.log")
    with open(one_line, "w") as f:
        f.write(ONE_KILL)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_DEBUG="1",
               LC_ALL="C.UTF-8", PYTHONWARNINGS="ignore")
    facts = json.dumps({"gather_subset": ["events"], "sources": ["file"], "path": [one_line], "since": "all",
                        "scope": "host"})
    runs = {
        "command": ([ANSIBLE, "localhost", "-o", "-m", "ansible.builtin.command", "-a", "true"], env),
        "oom_facts": ([ANSIBLE, "localhost", "-o", "-m", "sre.oom.oom_facts", "-a", facts], env),
    }
    if a.baseline:
        runs["baseline_oom_facts"] = (runs["oom_facts"][0], dict(
            env, ANSIBLE_COLLECTIONS_PATH=os.path.join(os.path.abspath(a.baseline), "build", "collections")))
    rounds = []
    for i in range(a.rounds):
        row = {}
        for name, (argv, run_env) in runs.items():
            text = run(argv, run_env)
            if name != "command" and '"event_count": 1,' not in text:
                raise SystemExit("%s did not read the one kill: %s" % (name, text[-400:]))
            row[name + "_build_s"], row[name + "_after_s"] = worker_times(text)
        rounds.append(row)
        print("round %d: %s" % (i + 1, "  ".join("%s %.3f" % (k[:-2], v) for k, v in row.items())))
    summary = {"rounds": rounds, "baseline": a.baseline, "load_average": os.getloadavg()}
    for key in rounds[0]:
        summary["median_" + key] = round(statistics.median(r[key] for r in rounds), 4)
    with open(os.path.join(RESULTS, "oom_facts-build.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "rounds"}, indent=1))


if __name__ == "__main__":
    main()

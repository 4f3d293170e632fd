# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of issue 20: a 200 MB log in `dmesg` format, beside grep, in the same run.

The log (generate.py --format dmesg) has 2,000 OOM kills among ordinary kernel
lines, the unstamped continuation lines of every full report's Mem-Info record, and
systemd's lines written to the kernel log ("Starting systemd-oomd.service -
Userspace Out-Of-Memory (OOM) Killer..."): a log with no userspace killer's line,
which the userspace search must not cost anything on.

Interleaved, ROUNDS times:
1. `LC_ALL=C grep -cE 'Killed process|invoked oom-killer' LOG > OUT` (wall and CPU);
2. parse_once.py LOG: the module's file source in a fresh process (parse wall and CPU
   time, VmHWM);
3. `ansible localhost -m sre.oom.oom_facts -a '{"gather_subset": ["events"],
   "sources": ["file"], "path": [LOG], "since": "all", "scope": "host"}'`;
4. `ansible localhost -m ansible.builtin.command -a "grep -cE 'Killed process|invoked
   oom-killer' LOG"`: what a user would run instead, with the same Ansible start-up.
5. With ``--decompose``, three more ad hoc runs that split the difference between 3
   and 4 into its parts, each the difference of two user-level commands:
   `ansible localhost -m ansible.builtin.ping` (Ansible's start-up and a module's),
   `oom_facts` as in 3 on a one-line log (the module's fixed cost: its payload built
   on the controller and imported on the host), and `oom_facts` as in 3 with
   `max_events: 0` (the parse; what is left of 3 is the 100 events returned).
Writes bench/results/oom_facts-dmesg.json and prints a summary.

``--baseline DIR``: also run DIR's parse_once.py on its own code (a checkout of an
earlier commit with its build/collections link tree), in the same rounds, and
(unless ``--no-ansible``) the ad hoc command of 3 with DIR's collection
(``ANSIBLE_COLLECTIONS_PATH=DIR/build/collections``).

usage: .venv/bin/python bench/oom_facts/dmesg.py [--rounds 7] [--no-ansible] [--decompose]
       [--baseline DIR]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA = os.path.join(ROOT, "bench", "data")
RESULTS = os.path.join(ROOT, "bench", "results")
PY = sys.executable
GREP = "Killed process|invoked oom-killer"


def ensure_log():
    path = os.path.join(DATA, "dmesg.log")
    if not os.path.exists(path):
        out = subprocess.run([PY, os.path.join(HERE, "generate.py"), "--format", "dmesg", "--mb", "200",
                              "--events", "2000", "--out", path], stdout=subprocess.PIPE, text=True,
                             check=True).stdout
        print(out.strip())
    return path


def timed(argv, env=None, stdout=subprocess.PIPE):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(argv, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if res.returncode != 0:
        raise SystemExit("%s failed: %s" % (argv[:3], (res.stderr or "")[-800:]))
    return wall, cpu, res


def decompose(med):
    """The ad hoc runs' medians taken apart: each part the difference of two commands."""
    ping, one, none = med("adhoc_ping_s"), med("adhoc_facts_one_line_s"), med("adhoc_facts_no_events_s")
    facts, grep = med("adhoc_facts_s"), med("adhoc_grep_s")
    return {
        "median_ping_s": ping, "median_facts_one_line_s": one, "median_facts_no_events_s": none,
        "grep_over_ping_s": round(grep - ping, 3),
        "facts_fixed_over_ping_s": round(one - ping, 3),
        "facts_parse_s": round(none - one, 3),
        "facts_100_events_returned_s": round(facts - none, 3),
        "facts_over_grep_s": round(facts - grep, 3),
    }


def check_decomposed(key, stdout, events):
    """Each decomposing run measured what it stands for: a kill read from the one-line
    log; every kill of the big log counted and none returned with max_events 0."""
    want = {"adhoc_ping_s": ['"ping": "pong"'],
            "adhoc_facts_one_line_s": ['"event_count": 1,'],
            "adhoc_facts_no_events_s": ['"event_count": %d,' % events, '"events": []']}[key]
    missing = [w for w in want if w not in stdout]
    if missing:
        raise SystemExit("%s: %s not in its output: %s" % (key, missing, stdout[-400:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--no-ansible", action="store_true")
    ap.add_argument("--decompose", action="store_true",
                    help="also time ping, oom_facts on a one-line log and with max_events 0")
    ap.add_argument("--baseline", help="a checkout whose parser runs beside this one")
    a = ap.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    log = ensure_log()
    grep_out = os.path.join(RESULTS, "grep-count-dmesg.txt")
    env_c = dict(os.environ, LC_ALL="C")
    env_py = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "build", "collections"))
    env_ans = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), LC_ALL="C.UTF-8",
                   PYTHONWARNINGS="ignore")
    ansible = os.path.join(os.path.dirname(PY), "ansible")
    facts = {"gather_subset": ["events"], "sources": ["file"], "path": [log], "since": "all", "scope": "host"}
    facts_args = json.dumps(facts)
    one_line = os.path.join(RESULTS, "one-kill.log")
    with open(one_line, "w") as f:
        # one kill line of the bench log's own shape
        f.write("[ 1234.567890] Out of memory: Killed process 4242 (hog) total-vm:5029851kB, anon-rss:498466kB, "
                "file-rss:286kB, shmem-rss:0kB, UID:0 pgtables:200kB oom_score_adj:0\n")
    adhoc = {
        "adhoc_ping_s": ["-m", "ansible.builtin.ping"],
        "adhoc_facts_one_line_s": ["-m", "sre.oom.oom_facts", "-a", json.dumps(dict(facts, path=[one_line]))],
        "adhoc_facts_no_events_s": ["-m", "sre.oom.oom_facts", "-a", json.dumps(dict(facts, max_events=0))],
    }
    rounds = []
    for i in range(a.rounds):
        row = {}
        with open(grep_out, "w") as out:
            row["grep_s"], row["grep_cpu_s"], _res = timed(["grep", "-cE", GREP, log], env=env_c, stdout=out)
        with open(grep_out) as f:
            row["grep_count"] = int(f.read().strip() or 0)
        _w, _c, res = timed([PY, os.path.join(HERE, "parse_once.py"), log], env=env_py)
        p = json.loads(res.stdout)
        row.update(parse_s=p["parse_s"], parse_cpu_s=p["cpu_s"], vmhwm_kb=p["vmhwm_kb"], events=p["event_count"])
        if a.baseline:
            env_b = dict(os.environ, PYTHONPATH=os.path.join(a.baseline, "build", "collections"))
            _w, _c, res = timed([PY, os.path.join(a.baseline, "bench", "oom_facts", "parse_once.py"), log], env=env_b)
            b = json.loads(res.stdout)
            row.update(baseline_parse_s=b["parse_s"], baseline_parse_cpu_s=b["cpu_s"],
                       baseline_events=b["event_count"])
        if not a.no_ansible:
            row["adhoc_facts_s"], _c, res = timed([ansible, "localhost", "-o", "-m", "sre.oom.oom_facts", "-a",
                                                   facts_args], env=env_ans)
            text = res.stdout
            row["adhoc_facts_events"] = int(text.split('"event_count": ', 1)[1].split(",", 1)[0])
            row["adhoc_grep_s"], _c, res = timed([ansible, "localhost", "-o", "-m", "ansible.builtin.command", "-a",
                                                  "grep -cE '%s' %s" % (GREP, log)], env=env_ans)
            if a.baseline:
                # the same ad hoc command with the baseline's collection (its module and plugins)
                env_ab = dict(env_ans, ANSIBLE_COLLECTIONS_PATH=os.path.join(a.baseline, "build", "collections"))
                row["baseline_adhoc_facts_s"], _c, res = timed([ansible, "localhost", "-o", "-m", "sre.oom.oom_facts",
                                                                "-a", facts_args], env=env_ab)
                if '"event_count": %d,' % row["adhoc_facts_events"] not in res.stdout:
                    raise SystemExit("the baseline's oom_facts did not count every kill: %s" % res.stdout[-400:])
            if a.decompose:
                for key, args in adhoc.items():
                    row[key], _c, res = timed([ansible, "localhost", "-o"] + args, env=env_ans)
                    check_decomposed(key, res.stdout, row["adhoc_facts_events"])
        rounds.append(row)
        extra = ""
        if a.baseline:
            extra += "  baseline parse %.3fs (cpu %.3f)" % (row["baseline_parse_s"], row["baseline_parse_cpu_s"])
        if not a.no_ansible:
            extra += "  ansible oom_facts %.3fs vs ansible command grep %.3fs: %.2f" % (
                row["adhoc_facts_s"], row["adhoc_grep_s"], row["adhoc_facts_s"] / row["adhoc_grep_s"])
            if a.baseline:
                extra += " (baseline oom_facts %.3fs: %.2f)" % (
                    row["baseline_adhoc_facts_s"], row["baseline_adhoc_facts_s"] / row["adhoc_grep_s"])
        print("round %d: grep %.3fs (cpu %.3f)  parse %.3fs (cpu %.3f) ratio %.2f (cpu %.2f)  VmHWM %.1f MiB  "
              "events %d%s" % (i + 1, row["grep_s"], row["grep_cpu_s"], row["parse_s"], row["parse_cpu_s"],
                               row["parse_s"] / row["grep_s"], row["parse_cpu_s"] / row["grep_cpu_s"],
                               row["vmhwm_kb"] / 1024.0, row["events"], extra))

    def med(key):
        return statistics.median(r[key] for r in rounds)

    summary = {
        "log": {"path": os.path.relpath(log, ROOT), "bytes": os.path.getsize(log)},
        "rounds": rounds,
        "median_grep_s": med("grep_s"), "median_parse_s": med("parse_s"),
        "parse_ratio_of_medians": round(med("parse_s") / med("grep_s"), 3),
        "parse_median_ratio": round(statistics.median(r["parse_s"] / r["grep_s"] for r in rounds), 3),
        "median_grep_cpu_s": med("grep_cpu_s"), "median_parse_cpu_s": med("parse_cpu_s"),
        "parse_cpu_ratio_of_medians": round(med("parse_cpu_s") / med("grep_cpu_s"), 3),
        "peak_vmhwm_mib": round(max(r["vmhwm_kb"] for r in rounds) / 1024.0, 1),
        "events": rounds[-1]["events"], "grep_count": rounds[-1]["grep_count"],
        "load_average": os.getloadavg(),
    }
    if a.baseline:
        summary.update({
            "baseline": a.baseline, "median_baseline_parse_s": med("baseline_parse_s"),
            "median_baseline_parse_cpu_s": med("baseline_parse_cpu_s"),
            "baseline_ratio_of_medians": round(med("baseline_parse_s") / med("grep_s"), 3),
            "baseline_cpu_ratio_of_medians": round(med("baseline_parse_cpu_s") / med("grep_cpu_s"), 3),
        })
    if not a.no_ansible:
        summary.update({
            "median_adhoc_facts_s": med("adhoc_facts_s"), "median_adhoc_grep_s": med("adhoc_grep_s"),
            "adhoc_ratio_of_medians": round(med("adhoc_facts_s") / med("adhoc_grep_s"), 3),
            "adhoc_median_ratio": round(statistics.median(r["adhoc_facts_s"] / r["adhoc_grep_s"] for r in rounds), 3),
            "adhoc_facts_events": rounds[-1]["adhoc_facts_events"],
        })
        if a.baseline:
            summary.update({
                "median_baseline_adhoc_facts_s": med("baseline_adhoc_facts_s"),
                "baseline_adhoc_ratio_of_medians": round(med("baseline_adhoc_facts_s") / med("adhoc_grep_s"), 3),
                "baseline_adhoc_median_ratio": round(statistics.median(
                    r["baseline_adhoc_facts_s"] / r["adhoc_grep_s"] for r in rounds), 3),
            })
    if a.decompose and not a.no_ansible:
        summary["adhoc_decomposed"] = decompose(med)
    with open(os.path.join(RESULTS, "oom_facts-dmesg.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "rounds"}, indent=1))


if __name__ == "__main__":
    main()

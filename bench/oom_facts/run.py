# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of oom_facts' file source against grep, and of oom_facts against setup.

1. Generates bench/data/kern.log (>= 200 MB, >= 2M lines, >= 2000 OOM kills) unless
   it exists, and bench/data/kern-no-oom.log (a log without any OOM).
2. Runs, interleaved, ROUNDS times each:
   - `LC_ALL=C grep -cE 'Killed process|invoked oom-killer' FILE > OUT` (output to a
     file: GNU grep stops at the first match when writing to /dev/null), wall time;
   - parse_once.py FILE in a child process: the module's read_file() on the file;
     its in-process parse time, CPU time and peak RSS;
   - the whole module: oom_facts' AnsiballZ payload (gather_subset events, file
     source on FILE, since all, scope host) run directly as its own process:
     interpreter start, AnsiballZ unpacking, imports, parse, JSON out; wall time
     and peak RSS (/usr/bin/time %M).
3. Times `ansible.builtin.setup` (gather_subset: [min]) and `sre.oom.oom_facts`
   (all subsets; file source on the no-OOM log) on localhost: their AnsiballZ
   payloads are captured once (ANSIBLE_KEEP_REMOTE_FILES) and then run directly,
   interleaved, CALLS times each.
Writes bench/results/oom_facts.json and prints a summary.

usage: .venv/bin/python bench/oom_facts/run.py [--rounds 9] [--calls 15] [--no-setup] [--no-module]
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA = os.path.join(ROOT, "bench", "data")
RESULTS = os.path.join(ROOT, "bench", "results")
PY = sys.executable


def sh(argv, **kw):
    return subprocess.run(argv, check=True, **kw)


def ensure_data():
    big = os.path.join(DATA, "kern.log")
    quiet = os.path.join(DATA, "kern-no-oom.log")
    info = {}
    if not os.path.exists(big):
        out = sh([PY, os.path.join(HERE, "generate.py"), "--out", big], stdout=subprocess.PIPE, text=True).stdout
        print(out.strip())
    if not os.path.exists(quiet):
        sh([PY, os.path.join(HERE, "generate.py"), "--out", quiet, "--mb", "20", "--oom", "0", "--seed", "2"],
           stdout=subprocess.DEVNULL)
    for name, path in (("kern.log", big), ("kern-no-oom.log", quiet)):
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            lines = sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 24), b""))
        info[name] = {"bytes": size, "lines": lines}
    return big, quiet, info


def time_grep(path, out_path):
    env = dict(os.environ, LC_ALL="C")
    with open(out_path, "w") as out:
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(["grep", "-cE", "Killed process|invoked oom-killer", path], stdout=out, env=env,
                       check=False)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    with open(out_path) as f:
        return wall, cpu, int(f.read().strip() or 0)


def time_parse(path):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "build", "collections"))
    t0 = time.perf_counter()
    out = subprocess.run([PY, os.path.join(HERE, "parse_once.py"), path], stdout=subprocess.PIPE, env=env,
                         text=True, check=True).stdout
    proc_wall = time.perf_counter() - t0
    res = json.loads(out)
    res["process_s"] = round(proc_wall, 4)
    return res


PLAY = """
- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: setup min
      ansible.builtin.setup:
        gather_subset: [min]
    - name: oom_facts
      sre.oom.oom_facts:
        sources: [file]
        path: ["%(quiet)s"]
        since: all
    - name: oom_facts on the big log (the whole module, timed against grep)
      sre.oom.oom_facts:
        gather_subset: [events]
        sources: [file]
        path: ["%(big)s"]
        since: all
        scope: host
    - name: oom_facts gathering nothing (the fixed cost of any module run)
      sre.oom.oom_facts:
        gather_subset: ['!all']
"""


def build_payloads(quiet, big):
    """Run setup (min) and oom_facts once with ANSIBLE_KEEP_REMOTE_FILES and keep their
    AnsiballZ payloads (module code and arguments in one file) for direct timing."""
    tmp = tempfile.mkdtemp(prefix="oom-bench-", dir=DATA)
    play = os.path.join(tmp, "play.yml")
    with open(play, "w") as f:
        f.write(PLAY % {"quiet": quiet, "big": big})
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_KEEP_REMOTE_FILES="1",
               ANSIBLE_REMOTE_TMP=os.path.join(tmp, "remote"), ANSIBLE_PIPELINING="0")
    out = subprocess.run([os.path.join(os.path.dirname(PY), "ansible-playbook"), play], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False).stdout
    payloads = {}
    for dirpath, _dirs, files in os.walk(os.path.join(tmp, "remote")):
        for name in files:
            path = os.path.join(dirpath, name)
            if name == "AnsiballZ_setup.py":
                payloads["setup min"] = path
            elif name == "AnsiballZ_oom_facts.py":
                with open(path) as f:
                    text = f.read()
                # the payload embeds its arguments (base64 inside a zip): tell the
                # two oom_facts payloads apart by running order (directory mtime)
                payloads.setdefault("_oom_facts", []).append((os.path.getmtime(dirpath), path, len(text)))
    found = sorted(payloads.pop("_oom_facts", []))
    if len(found) == 3:
        payloads["oom_facts (all subsets, no OOM in a 20 MB log)"] = found[0][1]
        payloads["oom_facts big"] = found[1][1]
        payloads["oom_facts nothing"] = found[2][1]
    if len(payloads) != 4:
        print(out[-3000:])
        raise SystemExit("could not capture the AnsiballZ payloads")
    return payloads, tmp


PAYLOAD_PY = "/root/.pyenv/versions/3.11.7/bin/python3"
PAYLOAD_PY = PAYLOAD_PY if os.path.exists(PAYLOAD_PY) else PY


def time_module(payload):
    """The whole oom_facts module: its payload as its own process."""
    t0 = time.perf_counter()
    res = subprocess.run(["/usr/bin/time", "-f", "MAXRSS_KB=%M", PAYLOAD_PY, payload], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit("oom_facts payload failed: %s" % (res.stdout[-500:] + res.stderr[-500:]))
    oom = json.loads(res.stdout)["ansible_facts"]["oom"]
    rss = [line for line in res.stderr.splitlines() if line.startswith("MAXRSS_KB=")]
    return wall, int(rss[-1].split("=")[1]) if rss else None, oom.get("event_count")


def time_setup_vs_facts(payloads, calls):
    """Run each module's AnsiballZ payload directly, interleaved, ``calls`` times each:
    the cost of the module on the host, without Ansible's controller side."""
    python = PAYLOAD_PY
    payloads = {k: v for k, v in payloads.items() if k not in ("oom_facts big", "oom_facts nothing")}
    times = {k: [] for k in payloads}
    for _call in range(calls):
        for name, path in sorted(payloads.items()):
            t0 = time.perf_counter()
            res = subprocess.run([python, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
            times[name].append(time.perf_counter() - t0)
            if res.returncode != 0:
                raise SystemExit("%s failed: %s" % (name, res.stdout[-500:] + res.stderr[-500:]))
            if name.startswith("oom_facts") and "check" not in times:
                oom = json.loads(res.stdout)["ansible_facts"]["oom"]
                times["check"] = {"source": oom["source"], "event_count": oom["event_count"],
                                  "source_errors": oom["source_errors"], "gather_subset": oom["gather_subset"]}
    check = times.pop("check")
    out = {k: {"median_s": round(statistics.median(v), 4), "min_s": round(min(v), 4)} for k, v in times.items()}
    out["oom_facts_result"] = check
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--calls", type=int, default=15)
    ap.add_argument("--no-setup", action="store_true")
    ap.add_argument("--no-module", action="store_true", help="skip the whole-module rounds and setup")
    a = ap.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    big, quiet, info = ensure_data()
    grep_out = os.path.join(RESULTS, "grep-count.txt")
    payloads, tmp = ({}, None) if a.no_module else build_payloads(quiet, big)
    rounds = []
    for i in range(a.rounds):
        g, gcpu, count = time_grep(big, grep_out)
        p = time_parse(big)
        row = {"grep_s": round(g, 4), "grep_cpu_s": round(gcpu, 4), "grep_count": count, **p}
        if payloads:
            m, rss, n = time_module(payloads["oom_facts big"])
            z, _rss, _n = time_module(payloads["oom_facts nothing"])
            row.update(module_s=round(m, 4), module_maxrss_kb=rss, module_event_count=n, module_nothing_s=round(z, 4))
        rounds.append(row)
        print("round %d: grep %.3fs (cpu %.3fs)  parse %.3fs (cpu %.3fs, whole process %.3fs)  ratio %.2f "
              "(cpu %.2f)  VmHWM %.1f MiB  events %d%s"
              % (i + 1, g, gcpu, p["parse_s"], p["cpu_s"], p["process_s"], p["parse_s"] / g, p["cpu_s"] / gcpu,
                 p["vmhwm_kb"] / 1024.0, p["event_count"],
                 "  module %.3fs ratio %.2f maxrss %.1f MiB events %d (gathering nothing: %.3fs)" % (
                     row["module_s"], row["module_s"] / g, row["module_maxrss_kb"] / 1024.0,
                     row["module_event_count"], row["module_nothing_s"]) if payloads else ""))

    def med(key):
        return statistics.median(r[key] for r in rounds)

    summary = {
        "files": info,
        "rounds": rounds,
        "median_grep_s": med("grep_s"),
        "median_parse_s": med("parse_s"),
        "median_process_s": med("process_s"),
        "ratio_of_medians": round(med("parse_s") / med("grep_s"), 3),
        "median_ratio": round(statistics.median(r["parse_s"] / r["grep_s"] for r in rounds), 3),
        "median_grep_cpu_s": med("grep_cpu_s"),
        "median_parse_cpu_s": med("cpu_s"),
        "cpu_ratio_of_medians": round(med("cpu_s") / med("grep_cpu_s"), 3),
        "peak_vmhwm_mib": round(max(r["vmhwm_kb"] for r in rounds) / 1024.0, 1),
        "peak_maxrss_mib": round(max(r["maxrss_kb"] for r in rounds) / 1024.0, 1),
        "event_count": rounds[-1]["event_count"],
        "load_average": os.getloadavg(),
    }
    if payloads:
        summary.update({
            "median_module_s": med("module_s"),
            "median_module_nothing_s": med("module_nothing_s"),
            "module_ratio_of_medians": round(med("module_s") / med("grep_s"), 3),
            "module_median_ratio": round(statistics.median(r["module_s"] / r["grep_s"] for r in rounds), 3),
            "module_peak_maxrss_mib": round(max(r["module_maxrss_kb"] for r in rounds) / 1024.0, 1),
            "module_event_count": rounds[-1]["module_event_count"],
        })
        if not a.no_setup:
            summary["module_run_s"] = time_setup_vs_facts(payloads, a.calls)
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(RESULTS, "oom_facts.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "rounds"}, indent=1))


if __name__ == "__main__":
    main()

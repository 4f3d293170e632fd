# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 20: the host's share of the module's fixed cost, counted and timed.

Keeps the AnsiballZ payloads ansible-core sends for `ansible localhost -m
ansible.builtin.ping` and for `oom_facts` as in dmesg.py on a one-line log
(ANSIBLE_KEEP_REMOTE_FILES), unpacks them (their `explode` command), then:
1. counts, with an audit hook, how often the host's Python compiles each source file
   of the payload when it runs from the zip, as ansible-core runs it, and when it runs
   unpacked (`execute`);
2. times, interleaved ROUNDS times, both payloads from the zip and both unpacked (no
   bytecode written: PYTHONDONTWRITEBYTECODE), each in a fresh interpreter, the one
   ansible-core chose (the payload's first line).
Writes bench/results/oom_facts-payload.json and prints it.

usage: .venv/bin/python bench/oom_facts/payload.py [--rounds 11]
"""
import argparse
import glob
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
RESULTS = os.path.join(ROOT, "bench", "results")
ONE_KILL = ("[ 1234.567890] Out of memory: Killed process 4242 (hog) total-vm:5029851kB, anon-rss:498466kB, "
            "file-rss:286kB, shmem-rss:0kB, UID:0 pgtables:200kB oom_score_adj:0\n")
# Run a payload as ansible-core does (a fresh interpreter, the file as __main__) and
# write, to the file named by the first argument, how often each source file was
# compiled (the audit event "compile" names the file).
COUNTER = r"""
import atexit, json, runpy, sys
out, path = sys.argv[1], sys.argv[2]
counts = {}
def hook(event, args):
    if event == "compile" and isinstance(args[1], str) and args[1].endswith(".py"):
        counts[args[1]] = counts.get(args[1], 0) + 1
def dump():
    with open(out, "w") as f:
        json.dump(counts, f)
atexit.register(dump)
sys.addaudithook(hook)
sys.argv = [path] + sys.argv[3:]
runpy.run_path(path, run_name="__main__")
"""


def keep_payload(tmp, module, args, env):
    remote = os.path.join(tmp, module.rsplit(".", 1)[-1])
    os.mkdir(remote)
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible"), "localhost", "-o", "-m", module]
    if args:
        argv += ["-a", json.dumps(args)]
    res = subprocess.run(argv, env=dict(env, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=remote),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    if res.returncode != 0 or "SUCCESS" not in res.stdout:
        raise SystemExit("%s failed: %s %s" % (module, res.stdout[-400:], res.stderr[-400:]))
    found = glob.glob(os.path.join(remote, "ansible-tmp-*", "AnsiballZ_*.py"))
    if len(found) != 1:
        raise SystemExit("no kept payload for %s in %s" % (module, remote))
    return found[0]


def interpreter(payload):
    with open(payload) as f:
        first = f.readline()
    if not first.startswith("#!"):
        raise SystemExit("%s has no interpreter line" % payload)
    return first[2:].split()[0]


def compiles(py, payload, extra, env):
    """{file: times compiled} over one run of the payload (``extra``: its command)."""
    fd, out = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        res = subprocess.run([py, "-c", COUNTER, out, payload] + extra, env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
        if '"event_count": 1' not in res.stdout.replace('"event_count":1', '"event_count": 1'):
            raise SystemExit("the counted run did not read the one kill: %s %s"
                             % (res.stdout[-300:], res.stderr[-300:]))
        with open(out) as f:
            return json.load(f)
    finally:
        os.unlink(out)


def summarise(counts, marker):
    ours = {k: v for k, v in counts.items() if "ansible_collections/sre/oom/" in k}
    other = {k: v for k, v in counts.items() if marker in k and k not in ours}
    return {
        "collection_files": len(ours), "collection_compiles": sum(ours.values()),
        "other_payload_files": len(other), "other_payload_compiles": sum(other.values()),
    }


def timed(argv, env):
    t0 = time.perf_counter()
    res = subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit("%s failed: %s" % (argv, res.stderr[-400:]))
    return wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=11)
    a = ap.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), LC_ALL="C.UTF-8",
               PYTHONWARNINGS="ignore")
    # no bytecode left behind by one run for the next (the unpacked payload's files)
    run_env = dict(env, PYTHONDONTWRITEBYTECODE="1")
    tmp = tempfile.mkdtemp(prefix="oom-payload-")
    try:
        one_line = os.path.join(tmp, "one-kill.log")
        with open(one_line, "w") as f:
            f.write(ONE_KILL)
        facts = {"gather_subset": ["events"], "sources": ["file"], "path": [one_line], "since": "all",
                 "scope": "host"}
        ping = keep_payload(tmp, "ansible.builtin.ping", None, env)
        payload = keep_payload(tmp, "sre.oom.oom_facts", facts, env)
        py = interpreter(payload)
        for kept in (ping, payload):
            subprocess.run([py, kept, "explode"], env=run_env, stdout=subprocess.PIPE, check=True)
        in_zip = summarise(compiles(py, payload, [], run_env), "_payload.zip/")
        unpacked = summarise(compiles(py, payload, ["execute"], run_env), "/debug_dir/")
        runs = {"ping_zip_s": [py, ping], "facts_zip_s": [py, payload],
                "ping_unpacked_s": [py, ping, "execute"], "facts_unpacked_s": [py, payload, "execute"]}
        rounds = []
        for i in range(a.rounds):
            row = {key: round(timed(argv, run_env), 4) for key, argv in runs.items()}
            rounds.append(row)
            print("round %d: %s" % (i + 1, "  ".join("%s %.3f" % kv for kv in row.items())))

        def med(key):
            return statistics.median(r[key] for r in rounds)

        summary = {
            "interpreter": py,
            "python": subprocess.run([py, "-c", "import sys; print(sys.version.split()[0])"],
                                     stdout=subprocess.PIPE, text=True, check=True).stdout.strip(),
            "compiles_from_zip": in_zip, "compiles_unpacked": unpacked,
            "rounds": rounds,
            "median_ping_zip_s": med("ping_zip_s"), "median_facts_zip_s": med("facts_zip_s"),
            "median_ping_unpacked_s": med("ping_unpacked_s"), "median_facts_unpacked_s": med("facts_unpacked_s"),
            "facts_over_ping_from_zip_s": round(med("facts_zip_s") - med("ping_zip_s"), 3),
            "facts_over_ping_unpacked_s": round(med("facts_unpacked_s") - med("ping_unpacked_s"), 3),
            "load_average": os.getloadavg(),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(RESULTS, "oom_facts-payload.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "rounds"}, indent=1))


if __name__ == "__main__":
    main()

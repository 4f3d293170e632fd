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
Prints one JSON line per trial, then KEY=VALUE lines for the assertions:
trials, hits (next_victims named the victim first), candidate_victims (the
victim was one of the candidates), machine_wide (/proc/PID/oom_score's first).

Only processes started here are signalled, by pid; the tmpfs is unmounted and
swap turned on again whatever happens.
"""

import json
import os
import random
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
# an emulated guest can take long enough for a cascade of kills to reach sshd.
WRITER = r"""
import os, sys
chunk = b"y" * (1 << 20)
pids = [int(p) for p in sys.argv[2:]]
with open(sys.argv[1], "wb") as f:
    while True:
        for pid in pids:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                sys.exit(0)
        f.write(chunk)
        f.flush()
"""

SPOOL = "/run/sre-oom-global-trials"


def available_mb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) >> 10
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def first_kill(mt, kmsg, deadline):
    """The first 'Killed process' after the trigger: (pid, comm) or (None, None)."""
    while time.monotonic() < deadline:
        for rec in kmsg.records():
            m = mt.KILLED_RE.search(rec)
            if m:
                return int(m.group(1)), m.group(2).decode("utf-8", "replace")
        time.sleep(0.05)
    return None, None


def stop(procs):
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()
        if p.stdout:
            p.stdout.close()


def trial(mt, index, cands, gather):
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
        ranked = [c["pid"] for c in glob[0]["candidates"]] if glob else []
        order = mt.machine_wide_order(pids)
        t2 = time.monotonic()
        kmsg = mt.Kmsg()
        writer = subprocess.Popen([sys.executable, "-c", WRITER, spool] + [str(p) for p in pids], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        victim, comm = first_kill(mt, kmsg, time.monotonic() + 300)
        t3 = time.monotonic()
        return {"seconds": {"start": round(t1 - t0, 1), "next_victims": round(t2 - t1, 1), "kill": round(t3 - t2, 1)},
                "index": index, "candidates": [{"pid": p, "mb": mb, "oom_score_adj": adj}
                                               for p, (mb, adj) in zip(pids, cands)],
                "writer": writer.pid, "next_victims": ranked[:5], "machine_wide": order[:5],
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
    from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup, victims

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
            rec = trial(mt, i, mt.plan(rng, available_mb() // 2), gather)
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


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_a: sys.exit(143))
    # An SSH session dropped by a slow guest must not leave the tmpfs full and swap
    # off: the trials go on to their cleanup. This script and its writer are never
    # the kernel's choice (root in the guest may lower its own oom_score_adj).
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    with open("/proc/self/oom_score_adj", "w") as f:
        f.write("-1000")
    main()

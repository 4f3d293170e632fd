# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real memory-cgroup OOM kills on this machine, to check next_victims against the
kernel's own choice (cgroup v1 memory controller, root, /dev/kmsg readable).

One trial: a memory cgroup ``<slice>/trial-N.scope`` with a limit; 3 to 8 candidate
processes of mixed sizes, each raising its own oom_score_adj (only raised: no
CAP_SYS_RESOURCE is needed) and then sleeping; next_victims is taken through the
module's own code (``_oom.victims.gather`` on the module's real Host) and the
machine-wide order through /proc/PID/oom_score, both before the killer runs; then
a trigger process in the same cgroup writes to a tmpfs file (shmem is charged to
the cgroup but is in nobody's RSS, so the trigger is never a good candidate) until
the limit is hit. The kernel's first victim is read back from /dev/kmsg.

Only processes started here are signalled, by pid; the cgroups and tmpfs files
are removed whatever happens. No sysctl is touched.
"""

from __future__ import annotations

import errno
import os
import random
import re
import signal
import subprocess
import sys
import time

MEMCG_ROOT = "/sys/fs/cgroup/memory"
SHM = "/dev/shm"
KILLED_RE = re.compile(rb"Killed process (\d+) \(([^)]*)\)")
_OOM_KILL_RE = re.compile(rb"oom-kill:.*?oom_memcg=([^,]*),task_memcg=([^,]*),task=([^,]*),pid=(\d+)")

CANDIDATE = r"""
import os, sys, signal
procs, adj, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(procs, "w") as f:
    f.write(str(os.getpid()))
with open("/proc/self/oom_score_adj", "w") as f:
    f.write(str(adj))
if len(sys.argv) > 4:             # 'exiting': on SIGTERM, take long to exit while holding the memory
    def slow(*_a):
        sys.stdout.write("exiting\n")
        sys.stdout.flush()
        os.read(0, 1)
    signal.signal(signal.SIGTERM, slow)
data = b"x" * (mb << 20)          # every page written (bytearray(n) would stay unbacked)
sys.stdout.write("ready\n")
sys.stdout.flush()
# wait on stdin, a pipe from the test: if the test dies (even by SIGKILL), the
# pipe ends and so does the candidate
os.read(0, 1)
"""

TRIGGER = r"""
import os, sys
procs, path, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(procs, "w") as f:
    f.write(str(os.getpid()))
chunk = b"y" * (1 << 20)
with open(path, "wb") as f:
    for _ in range(mb):
        f.write(chunk)
        f.flush()
"""


def available():
    """None when memcg OOMs can be provoked here, else the reason why not."""
    if os.geteuid() != 0:
        return "needs root (creates memory cgroups)"
    if not os.path.isfile(os.path.join(MEMCG_ROOT, "memory.limit_in_bytes")):
        return "no cgroup v1 memory controller at %s" % MEMCG_ROOT
    if not os.access("/dev/kmsg", os.R_OK):
        return "/dev/kmsg is not readable"
    with open("/proc/sys/vm/panic_on_oom") as f:
        if f.read().strip() == "2":     # the kernel panics on every OOM, memory cgroups too
            return "vm.panic_on_oom is 2: a memory-cgroup OOM would panic this machine (set it to 0 or 1)"
    if not os.path.isdir(SHM):
        return "no tmpfs at %s" % SHM
    return None


# mm/oom_kill.c prints a kill's report (the header, the memcg stats, the tasks and
# the 'oom-kill:' line that names the memcg) through one machine-wide rate limit:
# 10 reports per 5 s (DEFAULT_RATELIMIT_BURST / _INTERVAL). Past it only the
# 'Killed process' line is printed, with no memcg, and later 'oom_kill_process: N
# callbacks suppressed'. Any OOM kill on the machine uses the same budget.
REPORT_INTERVAL_S = 5.0


def oom_kills_counted():
    """The kernel's count of OOM kills since boot (/proc/vmstat oom_kill)."""
    with open("/proc/vmstat") as f:
        for line in f:
            if line.startswith("oom_kill "):
                return int(line.split()[1])
    raise RuntimeError("no oom_kill in /proc/vmstat")


def wait_for_report_budget(timeout=60.0, clock=time.monotonic, sleep=time.sleep):
    """Wait until no OOM kill happened on the machine for longer than the kernel's
    report interval, so that the next kill opens a new window of 10 full
    reports. True when reached, False after ``timeout`` seconds (others kept killing)."""
    quiet = REPORT_INTERVAL_S + 0.5
    deadline = clock() + timeout
    last, since = oom_kills_counted(), clock()
    while clock() - since < quiet:
        if clock() > deadline:
            return False
        sleep(0.25)
        now = oom_kills_counted()
        if now != last:
            last, since = now, clock()
    return True


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _rmdir(path):
    for _dummy in range(100):
        try:
            os.rmdir(path)
            return True
        except FileNotFoundError:
            return True
        except OSError as e:
            if e.errno != errno.EBUSY:
                raise
            time.sleep(0.05)
    return False


class Kmsg(object):
    """/dev/kmsg from now on (seeked to its end)."""

    def __init__(self):
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)

    def records(self):
        out = []
        while True:
            try:
                rec = os.read(self.fd, 16384)
            except OSError as e:
                if e.errno == errno.EAGAIN:
                    return out
                if e.errno in (errno.EPIPE, errno.EINVAL):
                    continue
                raise
            if not rec:
                return out
            out.append(rec)

    def close(self):
        os.close(self.fd)


class Slice(object):
    """A parent memory cgroup named like a systemd slice, for one run of trials."""

    def __init__(self, tag="victims"):
        self.name = "sre-oom-%s-%d.slice" % (tag, os.getpid())
        self.path = os.path.join(MEMCG_ROOT, self.name)

    def __enter__(self):
        os.mkdir(self.path)
        return self

    def __exit__(self, *exc):
        for entry in os.listdir(self.path):
            sub = os.path.join(self.path, entry)
            if os.path.isdir(sub):
                _rmdir(sub)
        _rmdir(self.path)
        return False


def plan(rng, limit_mb):
    """3 to 8 candidates: (size MB, oom_score_adj) with sizes 8-40 MB and distinct adj
    values raised from a random base in steps of 2 to 30 (so the machine-wide
    oom_score, 1 point per ~1.5 adj steps on a big machine, orders them by adj while
    inside a 256 MB limit one adj step is only 65 pages: size and adj both count),
    their total well inside the limit."""
    while True:
        n = rng.randint(3, 8)
        adj = rng.randint(100, 700)
        adjs = []
        for _i in range(n):
            adj += rng.randint(2, 30)
            adjs.append(min(adj, 1000))
        rng.shuffle(adjs)
        hi = max(8, min(40, int(limit_mb * 0.75 / n) - 10))    # 8 candidates fit too
        cands = [(rng.randint(8, hi), a) for a in adjs]
        if sum(mb + 10 for mb, _adj in cands) < limit_mb * 0.8:     # ~10 MB of interpreter each
            return cands


class Trial(object):
    """One memory cgroup OOM with candidates; run() returns the trial's record."""

    def __init__(self, parent, index, cands, limit_mb, python=None, exiting_first=False):
        self.parent = parent
        self.index = index
        self.cands = cands
        self.limit_mb = limit_mb
        self.python = python or sys.executable
        self.name = "trial-%d.scope" % index
        self.path = os.path.join(parent.path, self.name)
        self.cgroup = "/%s/%s" % (parent.name, self.name)
        self.shm = os.path.join(SHM, "sre-oom-%s-%s" % (parent.name, self.name))
        self.procs = []
        self.exiting_first = exiting_first

    def _spawn_candidates(self):
        procs_file = os.path.join(self.path, "cgroup.procs")
        for i, (mb, adj) in enumerate(self.cands):
            argv = [self.python, "-c", CANDIDATE, procs_file, str(adj), str(mb)]
            if self.exiting_first and i == 0:
                argv.append("slow-exit")
            p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,  # noqa: S603
                                 stderr=subprocess.DEVNULL)
            self.procs.append(p)
        for p in self.procs:
            line = p.stdout.readline()
            if line.strip() != b"ready":
                raise RuntimeError("candidate %d did not start" % p.pid)

    def _usage_mb(self):
        with open(os.path.join(self.path, "memory.usage_in_bytes")) as f:
            return int(f.read()) >> 20

    def run(self, predict, timeout=60):
        """predict(trial) -> dict of predictions, taken before the killer runs."""
        os.mkdir(self.path)
        kmsg = None
        trigger = None
        try:
            _write(os.path.join(self.path, "memory.limit_in_bytes"), str(self.limit_mb << 20))
            # no swap inside the trial: on a host with swap the candidates would be
            # swapped out at the limit instead of one of them being killed
            _write(os.path.join(self.path, "memory.swappiness"), "0")
            self._spawn_candidates()
            if self.exiting_first:
                # the first candidate is now exiting slowly: SIGTERM caught, memory held
                self.procs[0].send_signal(signal.SIGTERM)
                if self.procs[0].stdout.readline().strip() != b"exiting":
                    raise RuntimeError("candidate %d did not start exiting" % self.procs[0].pid)
            prediction = predict(self)
            kmsg = Kmsg()
            need = self.limit_mb - self._usage_mb() + 6
            trigger = subprocess.Popen(  # noqa: S603 - our interpreter, fixed argv
                [self.python, "-c", TRIGGER, os.path.join(self.path, "cgroup.procs"), self.shm, str(need)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            trigger.wait(timeout)
            time.sleep(0.05)
            records = kmsg.records()
            killed = self._first_kill(records)
            self.kills = self._all_kills(records)
            with open(os.path.join(self.path, "memory.oom_control")) as f:
                oom_control = f.read()
            return {"index": self.index, "cgroup": self.cgroup, "limit_mb": self.limit_mb,
                    "candidates": [{"pid": p.pid, "mb": mb, "oom_score_adj": adj}
                                   for p, (mb, adj) in zip(self.procs, self.cands)],
                    "trigger": trigger.pid, "kernel_victim": killed, "prediction": prediction,
                    "oom_control": oom_control}
        finally:
            if kmsg is not None:
                kmsg.close()
            if trigger is not None and trigger.poll() is None:
                trigger.kill()
                trigger.wait()
            for p in self.procs:
                if p.poll() is None:
                    p.kill()
                p.wait()
                for pipe in (p.stdin, p.stdout):
                    if pipe:
                        pipe.close()
            try:
                os.unlink(self.shm)
            except FileNotFoundError:
                pass
            _rmdir(self.path)      # removed right after its kill

    def _all_kills(self, records):
        out = []
        for rec in records:
            m = _OOM_KILL_RE.search(rec.split(b";", 1)[-1])
            if m and m.group(1).decode() == self.cgroup:
                out.append(int(m.group(4)))
        return out

    def _first_kill(self, records):
        """The first kill of this trial's cgroup: {pid, comm, memcg, oom_memcg}."""
        for rec in records:
            body = rec.split(b";", 1)[-1]
            m = _OOM_KILL_RE.search(body)
            if m and m.group(1).decode() == self.cgroup:
                return {"pid": int(m.group(4)), "comm": m.group(3).decode(), "memcg": m.group(2).decode(),
                        "oom_memcg": m.group(1).decode()}
        for rec in records:
            m = KILLED_RE.search(rec)
            if m and int(m.group(1)) in [p.pid for p in self.procs] + [-1]:
                return {"pid": int(m.group(1)), "comm": m.group(2).decode(), "memcg": None, "oom_memcg": None}
        return None


def machine_wide_order(pids):
    """The order of the existing `processes` fact (/proc/PID/oom_score, then rss)."""
    rows = []
    for pid in pids:
        try:
            with open("/proc/%d/oom_score" % pid) as f:
                score = int(f.read())
            with open("/proc/%d/statm" % pid) as f:
                rss = int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        rows.append((-score, -rss, pid))
    return [pid for _s, _r, pid in sorted(rows)]


def run_trials(n, seed, limit_mb=256, predict=None, python=None, log=None):
    rng = random.Random(seed)
    results = []
    with Slice() as parent:
        for i in range(n):
            cands = plan(rng, limit_mb)
            trial = Trial(parent, i, cands, limit_mb, python=python)
            rec = trial.run(predict)
            results.append(rec)
            if log:
                log(rec)
    return results

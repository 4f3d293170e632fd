# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Soak test of the EDA source sre.oom.oom_kills: thousands of kills replayed, RSS over time.

usage: .venv/bin/python bench/eda/soak.py [--seconds 3900] [--rate 4] [--out bench/eda/soak-result.json]

A writer appends complete /dev/kmsg-format OOM reports (81 records each, taken
from a real kill on this project's VM, with a fresh pid, cgroup, sequence number
and the current uptime) to a file, `--rate` kills a second, and rotates the file
by rename every `--rotate-mb`. Two child processes follow that file side by side:

- `source`: the real main() of extensions/eda/plugins/event_source/oom_kills.py
  (path=<file>, rate_limit 200 events / 60 s so the drop counter and the
  summary events are exercised too), with a consumer that counts events, checks
  that every written kill is either emitted or counted as dropped, and measures
  latency (receive time - the kill's own time, which the writer sets to now);
- `baseline`: the same file follower (file_batches) with a line counter instead
  of the parser: what following the file costs by itself.

Each child samples its own VmRSS every `--sample` seconds. The result (a few KB)
is written as JSON: samples, counts, latency percentiles and the RSS growth
between the 10th minute and the end.
"""

import argparse
import asyncio
import json
import os
import re
import runpy
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
COLLECTIONS = os.path.join(ROOT, "build", "collections")
SOURCE = os.path.join(COLLECTIONS, "ansible_collections", "sre", "oom", "extensions", "eda", "plugins",
                      "event_source", "oom_kills.py")
FIXTURE = os.path.join(ROOT, "tests", "unit", "plugins", "module_utils", "fixtures", "oom", "real-6.18-kmsg.txt")
_PREFIX_RE = re.compile(r"^(\d+),(\d+),(\d+),([^;]*);")
PID_BASE = 3000000          # above any real pid (pid_max is at most 4194304)


def template():
    """The records of the fixture's first kill, with {pid} and {cg} placeholders."""
    lines = []
    with open(FIXTURE, "r", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not _PREFIX_RE.match(line):
                if lines and line.startswith(" "):
                    lines.append(line.rstrip("\n"))
                continue
            if not lines and "invoked oom-killer" not in line:
                continue
            lines.append(line.rstrip("\n"))
            if "Killed process" in line:
                break
    out = []
    for line in lines:
        m = _PREFIX_RE.match(line)
        body = line[m.end():] if m else line
        body = body.replace("6844", "{pid}").replace("sre-oom-fixture-1", "{cg}")
        out.append((m.group(1), m.group(4), body) if m else (None, None, body))
    return out


def uptime():
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])


def writer(path, rate, seconds, rotate_bytes, state):
    """Append `rate` kills a second for `seconds`; rotate by rename past rotate_bytes."""
    tpl = template()
    seq = 1000
    n = 0
    start = time.monotonic()
    f = open(path, "a", encoding="utf-8")  # noqa: SIM115
    try:
        while time.monotonic() - start < seconds and not state.get("stop"):
            due = start + n / float(rate)
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pid = PID_BASE + n
            usec = int(uptime() * 1e6)
            buf = []
            for prio, flags, body in tpl:
                text = body.replace("{pid}", str(pid)).replace("{cg}", "soak-%d" % n)
                if prio is None:
                    buf.append(text)
                else:
                    seq += 1
                    buf.append("%s,%d,%d,%s;%s" % (prio, seq, usec, flags, text))
            f.write("\n".join(buf) + "\n")
            f.flush()
            n += 1
            state["written"] = n
            if f.tell() > rotate_bytes:
                f.close()
                tmp = path + ".new"
                open(tmp, "w").close()
                os.rename(tmp, path)
                state["rotations"] = state.get("rotations", 0) + 1
                f = open(path, "a", encoding="utf-8")  # noqa: SIM115
    finally:
        f.close()
    state["done"] = True


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


# ---------------------------------------------------------------------------
# children

class Stats(object):
    def __init__(self):
        self.events = 0
        self.summaries = 0
        self.dropped = 0
        self.lines = 0
        self.bad = 0
        self.max_pid = -1
        self.buckets = [0] * 60          # latency histogram: 50 ms buckets, last is >= 2.95 s
        self.lat_max = 0.0


def _percentile(buckets, q):
    total = sum(buckets)
    if not total:
        return None
    acc = 0
    for i, n in enumerate(buckets):
        acc += n
        if acc >= q * total:
            return round((i + 1) * 0.05, 2)
    return None


async def child_source(path, sample):
    sys.path.insert(0, COLLECTIONS)
    mod = runpy.run_path(SOURCE)
    from ansible_collections.sre.oom.plugins.module_utils._eda import system
    st = Stats()

    class Q(object):
        async def put(self, item):
            now = time.time()
            if "oom_kill" in item:
                ev = item["oom_kill"]
                st.events += 1
                pid = ev["victim"]["pid"]
                if ev["kind"] != "memcg" or ev["memcg"] != "/soak-%d" % (pid - PID_BASE) or pid <= st.max_pid:
                    st.bad += 1
                st.max_pid = max(st.max_pid, pid)
                t = ev.get("time")
                if t:
                    kill_epoch = system.boot_time() + ev["uptime"]
                    lat = max(0.0, now - kill_epoch)
                    st.lat_max = max(st.lat_max, lat)
                    st.buckets[min(int(lat / 0.05), 59)] += 1
            elif "oom_kills_summary" in item:
                st.summaries += 1
                st.dropped += item["oom_kills_summary"]["dropped"]

    args = {"path": path, "start": "now", "scope": "host", "rate_limit": {"events": 200, "interval": 60},
            "summary_interval": 60}
    task = asyncio.ensure_future(mod["main"](Q(), args))
    await report_loop(st, sample, task)


async def child_baseline(path, sample):
    sys.path.insert(0, COLLECTIONS)
    from ansible_collections.sre.oom.plugins.module_utils._eda import readers
    st = Stats()

    async def follow():
        async for batch in readers.file_batches(path, "now", 0.25):
            st.lines += len(batch)
            for line in batch:
                if b"Killed process" in line:
                    st.events += 1

    task = asyncio.ensure_future(follow())
    await report_loop(st, sample, task)


async def report_loop(st, sample, task):
    start = time.time()
    while not task.done():
        print(json.dumps({
            "t": round(time.time() - start, 1), "rss_kb": rss_kb(), "events": st.events, "summaries": st.summaries,
            "dropped": st.dropped, "lines": st.lines, "bad": st.bad, "lat_max": round(st.lat_max, 3),
            "lat_p50": _percentile(st.buckets, 0.5), "lat_p99": _percentile(st.buckets, 0.99)}), flush=True)
        try:
            await asyncio.wait_for(asyncio.shield(task), sample)
        except asyncio.TimeoutError:
            pass
    task.result()


# ---------------------------------------------------------------------------

def growth(samples):
    """RSS (KiB) at 10 min, at the end, and the least-squares slope after 10 min (KiB/h)."""
    late = [s for s in samples if s["t"] >= 600]
    if len(late) < 2:
        return None
    xs = [s["t"] for s in late]
    ys = [s["rss_kb"] for s in late]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs) or 1.0
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den
    return {"rss_kb_at_10min": ys[0], "rss_kb_end": ys[-1], "rss_kb_max": max(s["rss_kb"] for s in samples),
            "rss_kb_min": min(s["rss_kb"] for s in samples), "slope_kb_per_hour": round(slope * 3600, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--seconds", type=float, default=3900)
    ap.add_argument("--rate", type=float, default=4.0, help="kills per second")
    ap.add_argument("--sample", type=float, default=30.0, help="seconds between RSS samples")
    ap.add_argument("--rotate-mb", type=float, default=8.0)
    ap.add_argument("--out", default=os.path.join(HERE, "soak-result.json"))
    ap.add_argument("--child", choices=["source", "baseline"])
    ap.add_argument("--path")
    opts = ap.parse_args()
    if opts.child:
        fn = child_source if opts.child == "source" else child_baseline
        asyncio.run(fn(opts.path, opts.sample))
        return 0

    workdir = tempfile.mkdtemp(prefix="sre-oom-eda-soak-")
    path = os.path.join(workdir, "kmsg.log")
    open(path, "w").close()
    children = {}
    samples = {"source": [], "baseline": []}
    for role in ("source", "baseline"):
        children[role] = subprocess.Popen(  # noqa: S603
            [sys.executable, os.path.abspath(__file__), "--child", role, "--path", path, "--sample", str(opts.sample)],
            stdout=subprocess.PIPE, text=True)

    def collect(role):
        for line in children[role].stdout:
            try:
                samples[role].append(json.loads(line))
            except ValueError:
                pass

    readers = [threading.Thread(target=collect, args=(r,), daemon=True) for r in children]
    for t in readers:
        t.start()
    time.sleep(2)            # both children follow the file from its end
    state = {}
    began = time.time()
    try:
        writer(path, opts.rate, opts.seconds, int(opts.rotate_mb * (1 << 20)), state)
        time.sleep(max(opts.sample, 65) + 2)   # the last batch, the last summary, one more sample
    finally:
        for proc in children.values():
            proc.terminate()
            proc.wait(10)
        for t in readers:
            t.join(5)
        for name in os.listdir(workdir):
            os.unlink(os.path.join(workdir, name))
        os.rmdir(workdir)
    src, base = samples["source"], samples["baseline"]
    last = src[-1] if src else {}
    result = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(began)),
        "seconds": round(time.time() - began),
        "rate_per_s": opts.rate,
        "kills_written": state.get("written", 0),
        "rotations": state.get("rotations", 0),
        "records_per_kill": len([t for t in template() if t[0] is not None]),
        "source": {
            "events": last.get("events"), "dropped_in_summaries": last.get("dropped"),
            "summaries": last.get("summaries"), "bad": last.get("bad"),
            "accounted": (last.get("events") or 0) + (last.get("dropped") or 0),
            "latency_s": {"p50_le": last.get("lat_p50"), "p99_le": last.get("lat_p99"), "max": last.get("lat_max")},
            "memory": growth(src),
        },
        "baseline": {"kills_seen": base[-1].get("events") if base else None, "memory": growth(base)},
        "samples": {"t": [s["t"] for s in src], "source_rss_kb": [s["rss_kb"] for s in src],
                    "baseline_rss_kb": [s["rss_kb"] for s in base]},
    }
    with open(opts.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
    ok = result["source"]["accounted"] == result["kills_written"] and not result["source"]["bad"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Latency of the EDA source sre.oom.oom_kills on real kills, beside a raw /dev/kmsg reader.

usage: .venv/bin/python bench/eda/latency.py [--kills 20] [--out bench/eda/latency-result.json]
(root, cgroup v1 memory controller: see tests/eda/memcg_hog.py)

For each of --kills real memory-cgroup OOM kills (a Python hog in a 32 MiB
cgroup of its own), two readers run side by side in one process:

- source:   main() of the source (source=kmsg) putting events on an asyncio queue
  (the time of each put is noted);
- baseline: a thread blocked in read() on /dev/kmsg that looks for the
  "Killed process <pid>" record by a byte search (no parsing at all).

Latency = the time the reader had the kill - the kernel's own stamp of the
"Killed process" record (boot time + the record's microseconds since boot).
"""

import argparse
import asyncio
import json
import os
import runpy
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SOURCE = os.path.join(ROOT, "build", "collections", "ansible_collections", "sre", "oom", "extensions", "eda",
                      "plugins", "event_source", "oom_kills.py")
sys.path.insert(0, os.path.join(ROOT, "tests", "eda"))

import memcg_hog  # noqa: E402


def boot_time():
    with open("/proc/uptime") as f:
        return time.time() - float(f.read().split()[0])


class RawReader(threading.Thread):
    """Blocking reads of /dev/kmsg; remembers when each "Killed process N" record came."""

    def __init__(self):
        threading.Thread.__init__(self, daemon=True)
        self.fd = os.open("/dev/kmsg", os.O_RDONLY)
        os.lseek(self.fd, 0, os.SEEK_END)
        self.seen = {}

    def run(self):
        while True:
            try:
                rec = os.read(self.fd, 16384)
            except OSError:
                continue
            at = time.time()
            k = rec.find(b"Killed process ")
            if k >= 0:
                pid = int(rec[k + 15:].split(b" ", 1)[0])
                usec = int(rec.split(b",", 3)[2])
                self.seen[pid] = (at, usec)


def stats(values):
    values = sorted(values)
    if not values:
        return None
    return {"n": len(values), "min": round(values[0], 4), "p50": round(values[len(values) // 2], 4),
            "max": round(values[-1], 4), "mean": round(sum(values) / len(values), 4)}


async def bench(kills):
    why = memcg_hog.available()
    if why:
        raise SystemExit("latency bench impossible here: %s" % why)
    mod = runpy.run_path(SOURCE)

    class StampQueue(asyncio.Queue):
        """Notes when the source put each event (the test reads it later)."""

        async def put(self, item):
            await asyncio.Queue.put(self, (time.time(), item))

    queue = StampQueue()
    task = asyncio.ensure_future(mod["main"](queue, {"source": "kmsg", "scope": "host", "kinds": ["memcg"]}))
    raw = RawReader()
    raw.start()
    await asyncio.sleep(0.5)
    boot = boot_time()
    src_lat, raw_lat = [], []
    loop = asyncio.get_running_loop()
    try:
        for _dummy in range(kills):
            with memcg_hog.Hog() as hog:
                await loop.run_in_executor(None, hog.run)
                if not hog.oom_killed:
                    raise SystemExit("the hog was not OOM-killed (rc %s)" % hog.returncode)
                while True:
                    got, item = await asyncio.wait_for(queue.get(), 10)
                    ev = item.get("oom_kill")
                    if ev and ev["victim"]["pid"] == hog.pid:
                        break
                src_lat.append(got - (boot + ev["uptime"]))
                for _wait in range(100):
                    if hog.pid in raw.seen:
                        break
                    await asyncio.sleep(0.01)
                at, usec = raw.seen[hog.pid]
                raw_lat.append(at - (boot + usec / 1e6))
    finally:
        task.cancel()
    return {"kills": kills, "source_s": stats(src_lat), "baseline_raw_kmsg_s": stats(raw_lat)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--out", default=os.path.join(HERE, "latency-result.json"))
    opts = ap.parse_args()
    result = asyncio.run(bench(opts.kills))
    result["measured"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with open(opts.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

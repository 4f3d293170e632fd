# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sre.oom.oom_kills beside the anchor, community.eda.journald, on one journal.

usage: .venv/bin/python bench/eda/anchor.py --anchor PATH/journald.py [--kills 5] [--idle 20]
                                           [--out bench/eda/anchor-result.json]

--anchor is the event source file of community.eda (extensions/eda/plugins/
event_source/journald.py, the same code as the deprecated ansible.eda.journald),
taken from a checkout or an installed collection: it is not shipped here. It needs
systemd-python (Debian: python3-systemd, for /usr/bin/python3).

Both sources follow the same journal directory, written by the real
systemd-journal-remote (no journald is needed on this machine): the anchor through
`systemd.journal.Reader(path=DIR)` (the harness gives its Reader's __init__ that directory;
its code is run as it is, with `match: _TRANSPORT=kernel`), sre.oom through
`journal_directory: DIR`. Each runs in its own process, and puts each event on a
queue that prints one line with the time it got it.

1. idle: nothing is written for --idle seconds; the CPU time of each process
   (utime + stime from /proc/PID/stat) over that period;
2. kills: --kills times, the 92 kernel records of a real kill (tests/eda/de/kill.kmsg,
   a fresh pid each time) are written as one journal batch, 3 s apart; latency =
   the time the source's event with that pid was printed - the time the write
   returned. A kill is delivered when an event naming its pid came within 10 s.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "eda"))
from journal_remote import RemoteJournals  # noqa: E402

SOURCE = REPO / "build" / "collections" / "ansible_collections" / "sre" / "oom" / "extensions" / "eda" / "plugins" / "event_source" / "oom_kills.py"

OURS = r'''
import asyncio, json, runpy, sys, time
mod = runpy.run_path(sys.argv[1])
class Q:
    async def put(self, ev):
        k = ev.get("oom_kill")
        print(json.dumps({"t": time.time(), "pid": k["victim"]["pid"] if k else None}), flush=True)
asyncio.run(mod["main"](Q(), {"journal_directory": sys.argv[2], "summary_interval": 0}))
'''

ANCHOR = r'''
import asyncio, json, re, runpy, sys, time
from systemd import journal
_init = journal.Reader.__init__
def _init_dir(self, *a, **kw):
    kw["path"] = sys.argv[2]
    _init(self, *a, **kw)
journal.Reader.__init__ = _init_dir
mod = runpy.run_path(sys.argv[1])
pid = re.compile(r"Killed process (\d+)")
class Q:
    async def put(self, ev):
        m = pid.search(ev.get("journald", {}).get("message", ""))
        print(json.dumps({"t": time.time(), "pid": int(m.group(1)) if m else None}), flush=True)
asyncio.run(mod["main"](Q(), {"match": "_TRANSPORT=kernel"}))
'''


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Child(object):
    def __init__(self, name, argv):
        self.name = name
        self.events = []
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # noqa: S603
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.events.append(json.loads(line))
            except ValueError:
                pass

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def kill_lines(pid):
    out = []
    for line in (REPO / "tests" / "eda" / "de" / "kill.kmsg").read_text().splitlines():
        if line.startswith("#") or ";" not in line:
            continue
        out.append(line.split(";", 1)[1].replace("6844", str(pid)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--anchor", required=True)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--idle", type=float, default=20)
    ap.add_argument("--out", default=str(HERE / "anchor-result.json"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        journals = RemoteJournals(Path(tmp) / "remote")
        journals.write("bench1", ["bench start"])
        env_py = sys.executable
        children = [Child("sre.oom.oom_kills", [env_py, "-c", OURS, str(SOURCE), journals.directory]),
                    Child("community.eda.journald", ["/usr/bin/python3", "-c", ANCHOR, a.anchor, journals.directory])]
        try:
            time.sleep(5)                    # both started and following
            start = {c.name: cpu_seconds(c.proc.pid) for c in children}
            t0 = time.monotonic()
            time.sleep(a.idle)
            idle = {c.name: round(100 * (cpu_seconds(c.proc.pid) - start[c.name]) / (time.monotonic() - t0), 1)
                    for c in children}
            writes = []
            for n in range(a.kills):
                pid = 900000 + n
                journals.write("bench1", kill_lines(pid))
                writes.append((pid, time.time()))
                time.sleep(3)
            time.sleep(10)
        finally:
            for c in children:
                c.stop()
    result = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "kills": a.kills,
              "records_per_kill": len(kill_lines(0)), "idle_seconds": a.idle, "sources": {}}
    for c in children:
        lat = []
        for pid, t in writes:
            got = [e["t"] for e in c.events if e.get("pid") == pid and e["t"] - t < 10]
            if got:
                lat.append(round(min(got) - t, 3))
        result["sources"][c.name] = {
            "delivered": len(lat), "latency_s": lat,
            "latency_median_s": statistics.median(lat) if lat else None,
            "events": len(c.events), "events_per_kill": round(len(c.events) / a.kills, 1),
            "cpu_idle_percent_of_a_core": idle[c.name],
        }
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parse one log file with the module's own file-source code, in this process.

Prints one JSON line: parse wall time, CPU time, peak RSS (ru_maxrss and VmHWM,
KiB), the number of events and the fields of the last one. Run by run.py as a
child process so that its peak memory is the module process's alone.

usage: PYTHONPATH=build/collections parse_once.py FILE
"""
import json
import resource
import sys
import time

from ansible_collections.sre.oom.plugins.module_utils import _host
from ansible_collections.sre.oom.plugins.module_utils._oom import collector as _collector
from ansible_collections.sre.oom.plugins.module_utils._oom import sources


def vm_hwm_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def main():
    path = sys.argv[1]
    host = _host.Host()                  # the module's host seam; only file access is used
    collector = _collector.EventCollector(max_events=100)
    t0, c0 = time.perf_counter(), time.process_time()
    sources.read_file(host, collector, path)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    events = collector.events()
    print(json.dumps({
        "parse_s": round(wall, 4), "cpu_s": round(cpu, 4),
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "vmhwm_kb": vm_hwm_kb(),
        "event_count": collector.count, "last_event": events[-1] if events else None,
    }))


if __name__ == "__main__":
    main()

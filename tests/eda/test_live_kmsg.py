# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration: the source on this machine's real /dev/kmsg while a real memory-cgroup OOM kill happens.

Other tests on this machine provoke kills too: only the kill of our own hog
(its pid, its cgroup) is looked for.
"""
from __future__ import annotations

import asyncio
import calendar
import time

import memcg_hog
from conftest import Running, require_live


def test_real_memcg_kill_arrives_within_two_seconds(src):
    require_live()

    async def go():
        r = Running(src, {"source": "kmsg", "scope": "host"})
        try:
            await asyncio.sleep(0.3)       # the source is at the end of the ring buffer
            loop = asyncio.get_running_loop()
            with memcg_hog.Hog() as hog:
                rc = await loop.run_in_executor(None, hog.run)
                deadline = time.monotonic() + 10
                while True:
                    ev = await r.get(max(0.1, deadline - time.monotonic()))
                    received = time.time()
                    kill = ev.get("oom_kill") or {}
                    if kill.get("victim", {}).get("pid") == hog.pid:
                        return hog, rc, ev, received
        finally:
            await r.stop()

    hog, rc, ev, received = asyncio.run(go())
    assert hog.oom_killed, "the hog was not killed by SIGKILL (rc %s)" % rc
    kill = ev["oom_kill"]
    assert kill["kind"] == "memcg"
    assert kill["memcg"] == hog.cgroup and kill["oom_memcg"] == hog.cgroup
    assert kill["source"] == "kmsg"
    assert kill["victim"]["anon_rss_kb"] > (hog.limit_mb << 10) // 2
    assert kill["invoker"]["gfp_mask"]
    # latency: from the kernel's own stamp of the kill to the event on the queue
    stamp = kill["time"]                   # 2026-11-30T02:01:36.479392Z
    kernel_time = calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + stamp[19:-1])
    latency = received - kernel_time
    print("latency from the kernel's stamp: %.3f s; from our waitpid: %.3f s" % (latency, received - hog.killed_at))
    assert -0.5 < latency < 2.0
    assert ev["host"]


def test_start_boot_finds_our_earlier_kill_in_the_ring_buffer(src):
    require_live()
    with memcg_hog.Hog() as hog:
        hog.run()
    assert hog.oom_killed

    async def go():
        r = Running(src, {"source": "kmsg", "start": "boot", "kinds": ["memcg"]})
        try:
            deadline = time.monotonic() + 10
            while True:
                ev = await r.get(max(0.1, deadline - time.monotonic()))
                if ev.get("oom_kill", {}).get("victim", {}).get("pid") == hog.pid:
                    return ev
        finally:
            await r.stop()

    ev = asyncio.run(go())
    assert ev["oom_kill"]["memcg"] == hog.cgroup

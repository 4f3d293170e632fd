# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration: the source inside a systemd container, on the real journal, with scope auto.

A Debian bookworm container of `make molecule-infra` (systemd as PID 1,
journald) gets the collection (plugins/, extensions/) and no ansible-core: the
source reads journal records with oom_facts' own code in module_utils/_oom, which
imports nothing from ansible (any import of it fails here). In the container the source
must choose the journal (source auto), find its container id (scope auto ->
container), and report the real OOM kill of a `systemd-run -p MemoryMax=64M`
hog with its unit and container id. The machine-wide Docker lock is held while
the container lives.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tarfile
import time

import pytest
from conftest import REPO

IMAGE = "localhost/sre-oom-debian:bookworm"
LOCK = "/tmp/sre-oom-molecule.lock"

PROGRAM = r'''
import asyncio, json, runpy, subprocess, sys, time
sys.modules["ansible"] = None          # the source must not need ansible-core
mod = runpy.run_path("/opt/ac/ansible_collections/sre/oom/extensions/eda/plugins/event_source/oom_kills.py")
out = {"source": mod["choose_source"](mod["validate"]({})), "scope": mod["scope_filter"]("auto", mod["parser_api"]())[1]}

async def go():
    q = asyncio.Queue()
    task = asyncio.ensure_future(mod["main"](q, {}))
    await asyncio.sleep(2)
    subprocess.run(["systemd-run", "--quiet", "--unit=sre-oom-eda-hog", "-p", "MemoryMax=64M",
                    "python3", "-c", "x = b'x' * (512 << 20)"], check=True)
    start = time.time()
    while True:
        ev = await asyncio.wait_for(q.get(), 30)
        if ev.get("oom_kill", {}).get("unit") == "sre-oom-eda-hog.service":
            out["event"] = ev
            out["after_s"] = round(time.time() - start, 3)
            break
    task.cancel()

asyncio.run(go())
print(json.dumps(out))
'''


def _docker(*args, **kw):
    return subprocess.run(["docker"] + list(args), check=False, capture_output=True, text=True, timeout=120, **kw)  # noqa: S603


def _usable():
    if not shutil.which("docker"):
        return "docker is not installed (make molecule-infra)"
    if _docker("image", "inspect", IMAGE).returncode != 0:
        return "image %s is missing (make molecule-infra)" % IMAGE
    return None


def test_source_in_a_systemd_container_follows_the_journal(tmp_path):
    why = _usable()
    if why:
        if os.environ.get("SRE_OOM_REQUIRE_LIVE") == "1":
            pytest.fail("container EDA test required but impossible here: %s" % why)
        pytest.skip(why)
    bundle = tmp_path / "bundle.tar"
    with tarfile.open(bundle, "w") as tar:
        for part in ("plugins", "extensions"):
            tar.add(str(REPO / part), arcname="ac/ansible_collections/sre/oom/" + part)
    name = "sre-oom-eda-test-%d" % os.getpid()
    with open(LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            # inside the try: a run that times out or fails after creating the
            # container still has it removed below
            run = _docker("run", "-d", "--name", name, "--privileged", "--cgroupns", "private", "--network", "none",
                          "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp", IMAGE, "/sbin/init")
            assert run.returncode == 0, run.stderr
            state = ""
            for _dummy in range(60):
                state = _docker("exec", name, "systemctl", "is-system-running").stdout.strip()
                if state in ("running", "degraded"):
                    break
                time.sleep(1)
            assert state in ("running", "degraded"), state
            with open(bundle, "rb") as f:
                put = subprocess.run(["docker", "exec", "-i", name, "tar", "-C", "/opt", "-x"],  # noqa: S603
                                     stdin=f, check=False, capture_output=True, timeout=120)
            assert put.returncode == 0, put.stderr
            res = _docker("exec", "-i", name, "python3", "-", input=PROGRAM)
            assert res.returncode == 0, res.stderr[-3000:]
            cid = _docker("inspect", "-f", "{{.Id}}", name).stdout.strip()
        finally:
            _docker("rm", "-f", name)
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["source"] == "journal"
    assert out["scope"] == "container"
    kill = out["event"]["oom_kill"]
    assert kill["source"] == "journal"
    assert kill["kind"] == "memcg"
    assert kill["container_id"] == cid
    assert kill["memcg"].endswith("/system.slice/sre-oom-eda-hog.service")
    assert kill["victim"]["comm"] == "python3"
    assert out["after_s"] < 10
    print("journal event %.3f s after systemd-run returned" % out["after_s"])

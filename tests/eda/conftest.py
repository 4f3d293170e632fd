# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers of the EDA source tests.

The source is loaded the way ansible-rulebook loads it (runpy.run_path on the
file inside the collection tree build/collections/ansible_collections/sre/oom),
so its import of the collection's parser is exercised too.
"""
from __future__ import annotations

import asyncio
import os
import runpy
import signal
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
COLLECTIONS = REPO / "build" / "collections"
SOURCE = COLLECTIONS / "ansible_collections" / "sre" / "oom" / "extensions" / "eda" / "plugins" / "event_source" / "oom_kills.py"
OOM_FIXTURES = REPO / "tests" / "unit" / "plugins" / "module_utils" / "fixtures" / "oom"

sys.path.insert(0, str(HERE))


@pytest.fixture(scope="session")
def src():
    """The source module's globals (main, validate, ...), loaded as ansible-rulebook does."""
    if not SOURCE.is_file():
        pytest.fail("%s is missing: run `make setup` first" % SOURCE)
    return runpy.run_path(str(SOURCE))


@pytest.fixture(scope="session")
def oom_log():
    if str(COLLECTIONS) not in sys.path:
        sys.path.append(str(COLLECTIONS))
    from ansible_collections.sre.oom.plugins.module_utils._oom import scanner
    return scanner


class Running(object):
    """main(queue, args) running as a task; ``get()`` the next event with a timeout."""

    def __init__(self, src, args):
        self.queue = asyncio.Queue()
        self.task = asyncio.ensure_future(src["main"](self.queue, args))

    async def get(self, timeout=5.0):
        getter = asyncio.ensure_future(self.queue.get())
        done, _pending = await asyncio.wait({getter, self.task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            return getter.result()
        getter.cancel()
        if self.task in done:
            self.task.result()            # raises the source's error
            raise AssertionError("the source ended without an event")
        raise asyncio.TimeoutError("no event within %s s" % timeout)

    async def drain(self, quiet=1.0):
        """Every event until none comes for ``quiet`` seconds."""
        out = []
        while True:
            try:
                out.append(await self.get(quiet))
            except asyncio.TimeoutError:
                return out

    async def stop(self):
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass


def require_live():
    """Skip (or fail under SRE_OOM_REQUIRE_LIVE=1) when no real memcg OOM can be provoked here."""
    import memcg_hog
    why = memcg_hog.available()
    if why:
        if os.environ.get("SRE_OOM_REQUIRE_LIVE") == "1":
            pytest.fail("live EDA test required but impossible here: %s" % why)
        pytest.skip(why)


def stop_group(proc, grace=30):
    """Stop a command started in a session of its own (``start_new_session``):
    SIGINT to its process group, SIGKILL after ``grace`` seconds; reaped either way.
    Nothing is signalled once the command has ended (its pid may be reused)."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live: molecule/scripts/with-host-sysctls.sh puts the host's sysctls back, also
after a run of it was killed before it could (SIGKILL: no trap runs).

The key changed is vm.oom_dump_tasks (whether an OOM report lists the tasks), a
harmless one of the keys the script keeps, flipped and always written back. Needs
root; SRE_OOM_REQUIRE_LIVE=1 turns the skip into a failure.
"""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "molecule", "scripts", "with-host-sysctls.sh")
KEY = "/proc/sys/vm/oom_dump_tasks"


def _read():
    with open(KEY) as f:
        return f.read().strip()


def _write(value):
    with open(KEY, "w") as f:
        f.write(value + "\n")


@pytest.fixture
def flipped():
    """(the value before, the other one); the value before is written back at the end."""
    if os.geteuid() != 0 or not os.access(KEY, os.W_OK):
        if os.environ.get("SRE_OOM_REQUIRE_LIVE") == "1":
            pytest.fail("root is needed to write %s" % KEY)
        pytest.skip("root is needed to write %s" % KEY)
    before = _read()
    try:
        yield before, "0" if before != "0" else "1"
    finally:
        _write(before)


def _run(argv, state_dir, **kw):
    env = dict(os.environ, SRE_OOM_SYSCTL_STATE_DIR=str(state_dir))
    return subprocess.run([SCRIPT] + argv, env=env, capture_output=True, text=True, timeout=60, check=False, **kw)  # noqa: S603


def test_a_normal_run_restores_and_leaves_no_record(flipped, tmp_path):
    before, other = flipped
    res = _run(["sh", "-c", "echo %s > %s" % (other, KEY)], tmp_path)
    assert res.returncode == 0, res.stderr
    assert _read() == before
    assert "restored vm.oom_dump_tasks = %s (was %s)" % (before, other) in res.stderr
    assert os.listdir(tmp_path) == []


def test_a_killed_run_is_restored_by_the_next_one(flipped, tmp_path):
    before, other = flipped
    env = dict(os.environ, SRE_OOM_SYSCTL_STATE_DIR=str(tmp_path))
    # the wrapper and its command in a process group of their own: killed together, by its id
    proc = subprocess.Popen(  # noqa: S603
        [SCRIPT, "sh", "-c", "echo %s > %s; echo ready; exec sleep 60" % (other, KEY)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
    # killed: nothing was put back, and its record is left
    assert _read() == other
    assert os.listdir(tmp_path) == ["host-sysctls.%d" % proc.pid]
    res = _run(["true"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert _read() == before
    assert "restored vm.oom_dump_tasks = %s (was %s) (left by killed run %d)" % (before, other, proc.pid) in res.stderr
    assert os.listdir(tmp_path) == []


def test_a_run_inside_a_run_killed_is_restored_by_the_outer_one(flipped, tmp_path):
    # the inner run's record holds what the outer run's command had already changed:
    # the outer run restores its own values and removes that record too
    before, other = flipped
    res = _run([SCRIPT, "sh", "-c", "echo %s > %s; kill -9 $PPID" % (other, KEY)], tmp_path)
    assert res.returncode == 137, res.stderr
    assert _read() == before
    assert os.listdir(tmp_path) == []

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End to end: a real ansible-rulebook runs extensions/eda/rulebooks/oom_kills.yml
(found as sre.oom.oom_kills through the collections path of ansible.cfg), and
real memory-cgroup OOM kills on this machine fire its rules:

- each kill in the protected cgroup runs the playbook sre.oom.eda_oom_kill,
  which gathers oom_facts and records the kill in a JSON file (asserted);
- three kills on the host print the "3 OOM kills" notice (asserted).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import memcg_hog
import pytest
from conftest import REPO, require_live, stop_group

READY = "Waiting for events, ruleset: Notify on repeated OOM kills"


def _wait_for(predicate, timeout, what, proc, log):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            pytest.fail("ansible-rulebook exited (%s) before %s:\n%s" % (proc.returncode, what, log.read_text()[-4000:]))
        time.sleep(0.2)
    pytest.fail("no %s within %s s:\n%s" % (what, timeout, log.read_text()[-4000:]))


def test_real_kills_fire_the_rulebook(tmp_path):
    require_live()
    rulebook = shutil.which("ansible-rulebook")
    if not rulebook:
        pytest.fail("ansible-rulebook is not installed (make setup installs requirements.txt)")
    records = tmp_path / "records"
    hog = memcg_hog.Hog()
    (tmp_path / "vars.yml").write_text(json.dumps({
        "oom_protected_units": [],
        "oom_protected_cgroups": [hog.cgroup],
        "oom_eda_record_dir": str(records),
        "oom_eda_restart": False,
    }))
    log = tmp_path / "rulebook.log"
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", PYTHONUNBUFFERED="1")
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(  # noqa: S603
            [rulebook, "-r", "sre.oom.oom_kills", "-i", str(REPO / "inventory" / "localhost.yml"),
             "--vars", str(tmp_path / "vars.yml"), "-v"],
            cwd=str(tmp_path), env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    pids = []
    try:
        _wait_for(lambda: READY in log.read_text(errors="replace"), 90, "ruleset start", proc, log)
        time.sleep(1.0)          # both sources opened /dev/kmsg and went to its end
        ready = time.monotonic() - started
        with hog:
            for _dummy in range(3):
                hog.run()
                assert hog.oom_killed, "the hog was not OOM-killed (rc %s)" % hog.returncode
                pids.append(hog.pid)
        killed = time.monotonic()

        def recorded():
            return records.is_dir() and len([p for p in records.iterdir() if p.suffix == ".json"]) >= 3

        _wait_for(recorded, 120, "three kill records from the playbook", proc, log)
        text = log.read_text(errors="replace")
        _wait_for(lambda: "sre.oom: 3 OOM kills within 10 minutes" in log.read_text(errors="replace"),
                  30, "3-kills notice", proc, log)
        reacted = time.monotonic() - killed
    finally:
        stop_group(proc)
    text = log.read_text(errors="replace")
    got = {}
    for path in records.iterdir():
        rec = json.loads(path.read_text())
        got[rec["event"]["victim"]["pid"]] = rec
    assert sorted(got) == sorted(pids)
    for pid in pids:
        rec = got[pid]
        assert rec["event"]["memcg"] == hog.cgroup
        assert rec["event"]["kind"] == "memcg"
        assert rec["in_oom_facts"] is True          # oom_facts on the host saw the same kill
        assert rec["rule"] == "A kill in a protected unit or cgroup"
    notices = [line for line in text.splitlines() if "sre.oom: 3 OOM kills within 10 minutes" in line]
    assert any(str(pid) in " ".join(notices) for pid in pids), notices
    print("rulebook ready after %.1f s; 3 records and the notice %.1f s after the third kill; total %.1f s"
          % (ready, reacted, time.monotonic() - started))

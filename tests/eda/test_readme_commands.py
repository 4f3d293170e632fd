# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's Event-Driven Ansible commands, exactly as written, in a fresh copy
of the checkout, with no environment but PATH=/usr/bin:/bin, HOME and LANG.

The commands are read from the README's `## Event-Driven Ansible` section (the
first `sh` block) and run by bash one after the other; the last one,
ansible-rulebook, keeps running. The copy holds the files git tracks (with the
worktree's changes); its `.venv` is this checkout's, older than its stamp, so
that `make setup` as written only lays the collection link tree (CI's fresh
clone builds its own .venv with the same command). The example variables file
the README names gets the test's values (the hog's cgroup protected, records
in a temporary directory). A real memory-cgroup OOM kill must then run the
playbook sre.oom.eda_oom_kill to success: its record says oom_facts saw the kill.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import time

import memcg_hog
import pytest
from conftest import REPO, require_live, stop_group


def readme_commands():
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Event-Driven Ansible\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh[^\n]*\n(.*?)```", section, re.S).group(1)
    # join continued lines, drop comments
    lines = block.replace("\\\n", " ").splitlines()
    return [re.sub(r"\s+#.*$", "", line).strip() for line in lines if line.strip()]


def test_the_readme_names_the_commands():
    cmds = readme_commands()
    assert cmds[0] == "make setup"
    assert cmds[-1].startswith("ansible-rulebook -r sre.oom.oom_kills ")


def _copy_checkout(dest):
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
                           cwd=str(REPO), check=True, capture_output=True).stdout.split(b"\0")
    for name in files:
        if not name:
            continue
        src = REPO / name.decode()
        if not src.is_file() or src.is_symlink() and name.decode() == ".venv":
            continue
        target = dest / name.decode()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(src.read_bytes())
        os.chmod(target, src.stat().st_mode & 0o777)


def test_readme_commands_run_the_playbook(tmp_path):
    require_live()
    venv = (REPO / ".venv").resolve()
    stamp = venv / ".stamp"
    if not stamp.is_file():
        pytest.fail("%s is missing: run `make setup` first" % stamp)
    clone = tmp_path / "clone"
    _copy_checkout(clone)
    (clone / ".venv").symlink_to(venv)
    old = stamp.stat().st_mtime - 60
    for name in ("requirements-dev.txt", "scripts/setup-venv.sh"):
        os.utime(clone / name, (old, old))              # make sees the venv as up to date
    records = tmp_path / "records"
    hog = memcg_hog.Hog()
    (clone / "extensions" / "eda" / "vars" / "oom_kills.yml").write_text(json.dumps({
        "oom_protected_units": [], "oom_protected_cgroups": [hog.cgroup],
        "oom_eda_record_dir": str(records), "oom_eda_restart": False}))
    script = "set -e\n" + "\n".join(readme_commands()) + "\n"
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    log = tmp_path / "out.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["/bin/bash", "-c", script], cwd=str(clone), env=env,  # noqa: S603
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    pids = []
    try:
        # Without -v ansible-rulebook says nothing when it is ready (and its output
        # to a file is buffered): kill again every few seconds until the playbook
        # has recorded one of our kills.
        deadline = time.monotonic() + 360
        first = time.monotonic() + 20
        while not (records.is_dir() and any(records.iterdir())):
            assert proc.poll() is None, "the README's commands ended (rc %s):\n%s" % (
                proc.returncode, log.read_text(errors="replace")[-4000:])
            assert time.monotonic() < deadline, "no record from the playbook:\n%s" % log.read_text(errors="replace")[-4000:]
            if time.monotonic() > first:
                with hog:
                    hog.run()
                    assert hog.oom_killed, "the hog was not OOM-killed (rc %s)" % hog.returncode
                    pids.append(hog.pid)
                for _dummy in range(10):
                    if records.is_dir() and any(records.iterdir()):
                        break
                    time.sleep(0.5)
            else:
                time.sleep(0.5)
        time.sleep(2)           # the playbook of a later kill, if any, finishes its record
    finally:
        stop_group(proc)
    text = log.read_text(errors="replace")
    assert "ansible-galaxy is not installed" not in text
    assert "couldn't resolve module/action" not in text
    got = [json.loads(p.read_text()) for p in sorted(records.iterdir())]
    assert got and all(rec["event"]["victim"]["pid"] in pids for rec in got), (pids, got)
    for path in records.iterdir():
        assert path.name.startswith("localhost-")               # the inventory's name for this machine
    for rec in got:
        assert rec["host"] == "localhost"
        assert rec["in_oom_facts"] is True                       # sre.oom.oom_facts ran in the playbook

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet set-up for real, in two Debian bookworm containers with systemd
(`make molecule-infra`'s image) on an internal Docker network of their own:

- Debian's systemd-journal-remote package (downloaded on this machine for the
  image's package list; the containers have no network beyond each other, so
  the .deb files with an index are their one package source) is installed by the
  role itself;
- `--check` of the playbook on the hosts without the package passes and
  changes nothing; so does a run refused because of a file of the host's own;
- playbooks/journal_ship.yml (role sre.oom.journal_ship, over the docker
  connection) makes `collector` receive (systemd-journal-remote.socket, http on
  the internal network) and `web7` send (systemd-journal-upload); a second run
  changes nothing;
- the source runs on the collector with `journal_directory:
  /var/log/journal/remote`, and a real kernel OOM kill of a `systemd-run -p
  MemoryMax=64M` hog on web7 comes out of it as an event of machine web7 with its
  unit.

The machine-wide Docker lock is held while the containers live.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time

import pytest
from conftest import REPO

IMAGE = "localhost/sre-oom-debian:bookworm"
LOCK = "/tmp/sre-oom-molecule.lock"
UNIT = "sre-oom-eda-fleet-hog.service"

PROGRAM = r'''
import asyncio, json, runpy, sys, time
mod = runpy.run_path("/opt/ac/ansible_collections/sre/oom/extensions/eda/plugins/event_source/oom_kills.py")

class Q:
    async def put(self, ev):
        ev["received"] = time.time()
        with open("/tmp/events.jsonl", "a") as f:
            f.write(json.dumps(ev) + "\n")

asyncio.run(mod["main"](Q(), {"journal_directory": "/var/log/journal/remote", "summary_interval": 0,
                              "state_file": "/tmp/oom_kills.cursor"}))
'''


def _docker(*args, **kw):
    kw.setdefault("timeout", 300)
    return subprocess.run(["docker"] + list(args), check=False, capture_output=True, text=True, **kw)  # noqa: S603


def _ok(res):
    assert res.returncode == 0, (res.stdout or "")[-3000:] + (res.stderr or "")[-3000:]
    return res.stdout


def _debs(dest):
    """Debian's systemd-journal-remote and what it needs beyond the image, as .deb files."""
    status = dest / "status"
    status.write_text(_ok(_docker("run", "--rm", "--network", "none", "--entrypoint", "cat", IMAGE, "/var/lib/dpkg/status")))
    (dest / "debs" / "partial").mkdir(parents=True)
    argv = ["flock", "/tmp/sre-oom-apt.lock", "apt-get", "-q", "-y", "--no-install-recommends", "--download-only",
            "-o", "Dir::State::status=%s" % status, "-o", "Dir::Cache::archives=%s" % (dest / "debs"),
            "-o", "Debug::NoLocking=1", "install", "systemd-journal-remote"]
    res = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600)  # noqa: S603
    if res.returncode != 0:
        subprocess.run(["flock", "/tmp/sre-oom-apt.lock", "apt-get", "update", "-q"], capture_output=True, check=False)  # noqa: S607
        res = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600)  # noqa: S603
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    shutil.rmtree(dest / "debs" / "partial")
    debs = sorted(p.name for p in (dest / "debs").glob("*.deb"))
    assert any(d.startswith("systemd-journal-remote_") for d in debs), debs
    # an index, so that the directory is a package source (deb [trusted=yes] file:...):
    # each package's control fields (dpkg-deb, part of dpkg) with its file, size and hash
    stanzas = []
    for name in debs:
        deb = dest / "debs" / name
        control = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True,  # noqa: S603,S607
                                 check=True, timeout=60).stdout.rstrip("\n")
        stanzas.append("%s\nFilename: ./%s\nSize: %d\nSHA256: %s\n" % (
            control, name, deb.stat().st_size, hashlib.sha256(deb.read_bytes()).hexdigest()))
    (dest / "debs" / "Packages").write_text("\n".join(stanzas))
    return dest / "debs"


def _usable():
    if not shutil.which("docker"):
        return "docker is not installed (make molecule-infra)"
    if _docker("image", "inspect", IMAGE).returncode != 0:
        return "image %s is missing (make molecule-infra)" % IMAGE
    if not shutil.which("apt-get"):
        return "apt-get is needed to fetch systemd-journal-remote for the image"
    return None


def _wait_running(name):
    state = ""
    for _dummy in range(90):
        state = _docker("exec", name, "systemctl", "is-system-running").stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(1)
    pytest.fail("%s: systemd is %r" % (name, state))


def test_role_ships_a_real_kill_from_web7_to_the_source_on_the_collector(tmp_path):
    why = _usable()
    if why:
        if os.environ.get("SRE_OOM_REQUIRE_LIVE") == "1":
            pytest.fail("container fleet test required but impossible here: %s" % why)
        pytest.skip(why)
    debs = _debs(tmp_path)
    bundle = tmp_path / "bundle.tar"
    with tarfile.open(bundle, "w") as tar:
        for part in ("plugins", "extensions"):
            tar.add(str(REPO / part), arcname="ac/ansible_collections/sre/oom/" + part,
                    filter=lambda t: None if t.name.endswith(".pyc") else t)
    tag = os.getpid()
    net = "sre-oom-eda-fleet-%d" % tag
    names = {"collector": "sre-oom-eda-collector-%d" % tag, "web7": "sre-oom-eda-web7-%d" % tag}
    inv = tmp_path / "inventory.yml"
    inv.write_text(json.dumps({"all": {
        "vars": {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3",
                 "oom_journal_ship_protocol": "http", "oom_journal_ship_url": "http://collector:19532"},
        "hosts": {"web7": {"ansible_host": names["web7"]}},
        "children": {"oom_eda_collector": {"hosts": {"collector": {"ansible_host": names["collector"]}}}}}}))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    playbook = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inv),
                str(REPO / "playbooks" / "journal_ship.yml")]
    with open(LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _ok(_docker("network", "create", "--internal", net))
        try:
            for host, name in names.items():
                _ok(_docker("run", "-d", "--name", name, "--hostname", host, "--network", net,
                            "--network-alias", host, "--privileged", "--cgroupns", "private",
                            "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp", IMAGE, "/sbin/init"))
            for name in names.values():
                _wait_running(name)
                _ok(_docker("cp", str(debs), "%s:/var/tmp/debs" % name))
                # the .deb files as the hosts' one package source: the role installs the package itself
                _ok(_docker("exec", name, "sh", "-c", "echo 'deb [trusted=yes] file:/var/tmp/debs ./' > /etc/apt/sources.list"
                            " && rm -f /etc/apt/sources.list.d/* && apt-get update -q"))
            # --check on hosts without the package: it passes and changes nothing
            # (the units it would start do not exist before the package is installed)
            checked = subprocess.run(playbook + ["--check"], capture_output=True, text=True, check=False, env=env,  # noqa: S603
                                     cwd=str(REPO), timeout=600)
            assert checked.returncode == 0, checked.stdout[-4000:] + checked.stderr[-2000:]
            for name in names.values():
                assert _docker("exec", name, "dpkg", "-s", "systemd-journal-remote").returncode != 0, name
            assert _docker("exec", names["web7"], "ls", "/etc/systemd/journal-upload.conf.d").returncode != 0
            # a file of the host's own where the role writes: refused, kept, nothing else done
            users = "/etc/systemd/journal-upload.conf.d/60-sre-oom.conf"
            _ok(_docker("exec", names["web7"], "sh", "-c", "mkdir -p %s && printf '[Upload]\\nURL=http://mine:1\\n' > %s"
                        % (os.path.dirname(users), users)))
            refused = subprocess.run(playbook, capture_output=True, text=True, check=False, env=env, cwd=str(REPO), timeout=600)  # noqa: S603
            assert refused.returncode != 0 and "%s exists and was not written by sre.oom" % users in refused.stdout, \
                refused.stdout[-3000:]
            assert _docker("exec", names["web7"], "cat", users).stdout == "[Upload]\nURL=http://mine:1\n"
            assert _docker("exec", names["web7"], "dpkg", "-s", "systemd-journal-remote").returncode != 0
            _ok(_docker("exec", names["web7"], "rm", users))
            first = subprocess.run(playbook, capture_output=True, text=True, check=False, env=env, cwd=str(REPO), timeout=600)  # noqa: S603
            assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
            for name in names.values():
                assert "Status: install ok installed" in _ok(_docker("exec", name, "dpkg", "-s", "systemd-journal-remote"))
            again = subprocess.run(playbook, capture_output=True, text=True, check=False, env=env, cwd=str(REPO), timeout=600)  # noqa: S603
            assert again.returncode == 0, again.stdout[-4000:]
            assert all("changed=0" in line for line in again.stdout.splitlines() if " : ok=" in line), again.stdout[-2000:]
            col = names["collector"]
            with open(bundle, "rb") as f:
                _ok(subprocess.run(["docker", "exec", "-i", col, "tar", "-C", "/opt", "-x"], stdin=f,  # noqa: S603,S607
                                   capture_output=True, check=False, timeout=120))
            deadline = time.monotonic() + 60
            while "remote-" not in _docker("exec", col, "ls", "/var/log/journal/remote").stdout:
                assert time.monotonic() < deadline, _docker("exec", names["web7"], "systemctl", "status",
                                                            "systemd-journal-upload").stdout
                time.sleep(1)
            _ok(_docker("exec", "-d", col, "python3", "-c", PROGRAM))
            time.sleep(5)                          # the source follows the directory
            started = time.time()
            _docker("exec", names["web7"], "systemd-run", "--quiet", "--unit=%s" % UNIT, "-p", "MemoryMax=64M",
                    "python3", "-c", "x = b'x' * (512 << 20)")
            event = None
            deadline = time.monotonic() + 60
            while event is None and time.monotonic() < deadline:
                for line in _docker("exec", col, "cat", "/tmp/events.jsonl").stdout.splitlines():
                    ev = json.loads(line)
                    if ev.get("oom_kill", {}).get("unit") == UNIT:
                        event = ev
                time.sleep(0.5)
            files = _docker("exec", col, "ls", "/var/log/journal/remote").stdout.split()
        finally:
            for name in names.values():
                _docker("rm", "-f", name)
            _docker("network", "rm", net)
    assert event is not None, "no event of the kill on web7 from the source on the collector"
    assert event["machine"] == "web7" and event["host"] == "web7" and event["meta"] == {"hosts": "web7"}
    kill = event["oom_kill"]
    assert kill["kind"] == "memcg" and kill["victim"]["comm"] == "python3" and kill["source"] == "journal"
    assert any(f.startswith("remote-") and f.endswith(".journal") for f in files), files
    print("web7's kill on the collector %.2f s after systemd-run was called (files %s)"
          % (event["received"] - started, " ".join(files)))

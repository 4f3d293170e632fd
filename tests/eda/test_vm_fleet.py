# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet on the VM test bed (scripts/vm/, `make eda-vm`; SRE_OOM_EDA_VM=1).

- a systemd-journal-remote on this machine listens on 127.0.0.1 only; each VM
  reaches it as 10.0.2.100:19532 through QEMU's guestfwd (a `nc` per connection);
- two Debian VMs (vm1, vm2) get the role sre.oom.journal_ship (upload) over SSH;
- ansible-rulebook runs a rulebook whose source follows the collector's
  directory (journal_directory, state_file) with the VMs' inventory;
- a service on vm2 with MemoryMax=64M is OOM-killed by the kernel (for real);
  the rule fires for host vm2 only (meta.hosts), playbooks/eda_oom_kill.yml runs
  against vm2 over SSH, records the kill and restarts the unit on real systemd;
- kill -> event (meta.received_at) and kill -> playbook start are measured for
  each kill and written to bench/results/eda-vm.json (a measurement, not a pass
  mark: the issue's goal, median <= 2 s, is reported in bench/eda/README.md):
  the kill's time is the guest journald's stamp, the others the controller's
  clock (the guest clock comes from the host's at boot).

Skipped unless SRE_OOM_EDA_VM=1; then a missing test bed (scripts/vm/) fails.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime

import pytest
from conftest import REPO, stop_group
from journal_remote import JOURNAL_REMOTE

VMS = ("vm1", "vm2")
UNIT = "sre-oom-eda-hog.service"
KILLS = 3
HOG = r"""[Unit]
Description=sre.oom EDA test: OOM-killed once per start flag, then idle
[Service]
MemoryMax=64M
MemorySwapMax=0
ExecStart=/usr/bin/python3 -c "%s"
""" % ("import os, time; f = '/run/sre-oom-hog.go'; go = os.path.exists(f); go and os.unlink(f); "
       "x = bytearray(512 << 20) if go else None; time.sleep(10**6)")
RULEBOOK = """---
- name: Fleet kills
  hosts: all
  sources:
    - name: fleet journals
      sre.oom.oom_kills:
        journal_directory: {directory}
        state_file: {state}
  rules:
    - name: A kill in a protected unit
      condition: event.oom_kill is defined and event.oom_kill.unit in vars.oom_protected_units
      action:
        run_playbook:
          name: sre.oom.eda_oom_kill
          extra_vars:
            oom_protected_units: "{{{{ oom_protected_units }}}}"
            oom_eda_record_dir: "{{{{ oom_eda_record_dir }}}}"
            oom_eda_restart: true
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(argv, **kw):
    kw.setdefault("timeout", 900)
    res = subprocess.run(argv, capture_output=True, text=True, check=False, **kw)  # noqa: S603
    assert res.returncode == 0, "%s: rc %s\n%s\n%s" % (" ".join(argv), res.returncode, res.stdout[-3000:], res.stderr[-3000:])
    return res.stdout


def _epoch(iso):
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def testbed(tmp_path_factory):
    if os.environ.get("SRE_OOM_EDA_VM") != "1":
        pytest.skip("the VM fleet test runs under `make eda-vm` (SRE_OOM_EDA_VM=1): it boots two VMs")
    up = REPO / "scripts" / "vm" / "up.sh"
    if not up.is_file():
        pytest.fail("the VM test bed (scripts/vm/up.sh) is not in this checkout")
    missing = [t for t in ("nc", "qemu-system-x86_64", "ansible-rulebook") if not shutil.which(t)]
    assert not missing, "missing: %s" % ", ".join(missing)
    tmp = tmp_path_factory.mktemp("vmfleet")
    collector = tmp / "remote"
    collector.mkdir()
    port = _free_port()
    remote = subprocess.Popen([JOURNAL_REMOTE, "--listen-http=127.0.0.1:%d" % port,  # noqa: S603
                               "--output=%s/" % collector, "--split-mode=host"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, SRE_OOM_VM_NETDEV_EXTRA=",guestfwd=tcp:10.0.2.100:19532-cmd:nc 127.0.0.1 %d" % port)
    started = []
    try:
        for name in VMS:
            # before up.sh: a timeout kills it with SIGKILL (no trap of its own
            # runs), and a VM it booted is still stopped below by its pid
            started.append(name)
            _run([str(up), name, "bookworm"], env=env, cwd=str(REPO))
        inv = tmp / "vms.yml"
        inv.write_text(_run([str(REPO / "scripts" / "vm" / "inventory.sh")] + list(VMS), cwd=str(REPO)))
        yield {"tmp": tmp, "collector": collector, "inventory": inv}
    finally:
        for name in started:
            subprocess.run([str(REPO / "scripts" / "vm" / "down.sh"), name], cwd=str(REPO), check=False, timeout=120)  # noqa: S603
        remote.terminate()
        try:
            remote.wait(10)
        except subprocess.TimeoutExpired:
            remote.kill()
            remote.wait()


def test_a_real_kill_on_vm2_fires_the_rule_and_restarts_the_unit(testbed):
    tmp, inv, collector = testbed["tmp"], testbed["inventory"], testbed["collector"]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_HOST_KEY_CHECKING="False")
    bindir = os.path.dirname(sys.executable)
    play = tmp / "ship.yml"
    play.write_text("""---
- name: Ship the journals of the VMs to the collector, and install the test unit
  hosts: all
  roles:
    - role: sre.oom.journal_ship
      vars:
        oom_journal_ship_mode: upload
        oom_journal_ship_url: http://10.0.2.100:19532
        oom_journal_ship_install: false
  tasks:
    - name: Install the test unit
      ansible.builtin.copy:
        dest: /etc/systemd/system/%s
        mode: "0644"
        content: %s
    - name: Load it
      ansible.builtin.systemd_service:
        daemon_reload: true
""" % (UNIT, json.dumps(HOG)))
    _run([os.path.join(bindir, "ansible-playbook"), "-i", str(inv), str(play)], env=env, cwd=str(REPO))
    deadline = time.monotonic() + 120
    while {p.name for p in collector.glob("*.journal")} == set() and time.monotonic() < deadline:
        time.sleep(1)
    assert list(collector.glob("*.journal")), "nothing uploaded to the collector"

    records = tmp / "records"
    (tmp / "rulebook.yml").write_text(RULEBOOK.format(directory=collector, state=tmp / "cursor.json"))
    (tmp / "vars.yml").write_text(json.dumps({"oom_protected_units": [UNIT], "oom_eda_record_dir": str(records)}))
    log = tmp / "rulebook.log"
    with open(log, "wb") as out:
        rb = subprocess.Popen([os.path.join(bindir, "ansible-rulebook"), "-r", str(tmp / "rulebook.yml"),  # noqa: S603
                               "-i", str(inv), "--vars", str(tmp / "vars.yml"), "-v"],
                              cwd=str(tmp), env=dict(env, PATH=bindir + os.pathsep + env["PATH"]),
                              stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    ssh = [str(REPO / "scripts" / "vm" / "ssh.sh"), "vm2"]
    try:
        deadline = time.monotonic() + 180
        while "Waiting for events" not in log.read_text(errors="replace"):
            assert rb.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-4000:]
            time.sleep(0.5)
        time.sleep(3)
        for n in range(1, KILLS + 1):
            _run(ssh + ["touch /run/sre-oom-hog.go && systemctl restart %s" % UNIT], cwd=str(REPO))
            # the n-th kill recorded, and its playbook over: its last task restarts the
            # unit, which must not stop the next hog before that one is killed
            deadline = time.monotonic() + 180
            while not (records.is_dir() and len(list(records.glob("*.json"))) >= n
                       and log.read_text(errors="replace").count("PLAY RECAP") >= n):
                assert rb.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-4000:]
                time.sleep(0.5)
            time.sleep(1)
    finally:
        stop_group(rb)
    got = [json.loads(p.read_text()) for p in sorted(records.glob("*.json"))]
    assert len(got) == KILLS
    lat, seen = [], []
    for rec in got:
        assert rec["host"] == "vm2" and rec["machine"] == "vm2", rec      # vm1 never ran the playbook
        assert rec["event"]["unit"] == UNIT and rec["event"]["kind"] == "memcg", rec
        assert rec["in_oom_facts"] is True, rec         # the same pid and uptime in vm2's own oom_facts
        assert rec["received_at"] and rec["started_at"], rec
        kill = _epoch(rec["event"]["time"])
        lat.append(_epoch(rec["started_at"]) - kill)
        seen.append(_epoch(rec["received_at"]) - kill)
    state = _run(ssh + ["systemctl show -p ActiveState -p NRestarts %s" % UNIT], cwd=str(REPO))
    assert "ActiveState=active" in state                  # restarted by the playbook, now idle
    # The latency is a measurement, not a pass mark (bench/eda/README.md has the
    # figures): kill -> the event in ansible-rulebook (the guest's journald,
    # upload, journal-remote, the source) and kill -> the playbook's first task.
    figures = {"kill_to_event_s": [round(x, 3) for x in seen], "kill_to_playbook_s": [round(x, 3) for x in lat],
               "median_kill_to_event_s": round(statistics.median(seen), 3),
               "median_kill_to_playbook_s": round(statistics.median(lat), 3),
               "accel": _accel(), "load": [round(x, 2) for x in os.getloadavg()]}
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "eda-vm.json").write_text(json.dumps(figures, indent=1) + "\n")
    print("kill -> event on vm2: %s s; kill -> playbook start: %s s" % (
        ", ".join("%.2f" % x for x in seen), ", ".join("%.2f" % x for x in lat)))


def _accel():
    try:
        return (REPO / "build" / "vm" / "run" / "accel").read_text().split("\n", 1)[0]
    except OSError:
        return None

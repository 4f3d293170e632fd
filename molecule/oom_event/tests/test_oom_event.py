"""Verify the `oom_event` scenario: a real memory-cgroup OOM kill, as oom_facts and the
fleet report (playbooks/report.yml) tell it.

Molecule's testinfra verifier passes the inventory: each test runs once per container.
"""

import json
import os
import re
import subprocess

import pytest

UNIT = "oomtest-hog.service"
REPORT_DIR = os.path.join(
    os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.join(os.path.dirname(__file__), "..", "..", "..")),
    "build", "molecule", "oom_event", "oom-report",
)


def _saved(host):
    return json.loads(host.file("/var/lib/sre-oom-test/oom-event.json").content_string)


def _name(host):
    return host.backend.get_hostname()


def _container_id(host):
    """The full docker id of this container, asked from the controller."""
    return subprocess.check_output(
        ["docker", "inspect", "-f", "{{.Id}}", _name(host)], text=True
    ).strip()


def test_unit_was_oom_killed(host):
    props = dict(
        line.split("=", 1)
        for line in host.check_output(
            "systemctl show -p ActiveState -p Result -p ExecMainStatus -p MemoryMax %s" % UNIT
        ).splitlines()
    )
    assert props["ActiveState"] in ("failed", "inactive")
    # cgroup v2 says oom-kill; on cgroup v1 systemd only sees the SIGKILL.
    assert props["Result"] == "oom-kill" or (props["Result"] == "signal" and props["ExecMainStatus"] == "9")
    assert props["MemoryMax"] == str(64 << 20)


def test_oom_facts_event(host):
    saved = _saved(host)
    event = saved["event"]
    assert event["victim"]["pid"] == saved["hog_pid"]
    assert event["victim"]["comm"] == "oomtest-hog"
    assert event["unit"] == UNIT
    assert event["kind"] == "memcg"
    assert event["memcg"].endswith("/system.slice/" + UNIT)
    # The kernel log is the machine's: every container sees the others' kills
    # too. This one is attributed to this container by its cgroup path.
    assert event["container_id"] == _container_id(host)
    assert saved["source"] in ("journal", "kmsg", "dmesg", "file")


def test_kernel_log_has_the_kill(host):
    """The event oom_facts found is in the kernel log seen from this container."""
    pid = _saved(host)["hog_pid"]
    log = host.check_output("journalctl -k -b --no-pager -o cat")
    assert re.search(r"Killed process %d \(oomtest-hog\)" % pid, log)


@pytest.fixture(scope="module")
def report_json():
    path = os.path.join(REPORT_DIR, "report.json")
    assert os.path.isfile(path), "playbooks/report.yml wrote no %s" % path
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def test_report_json_names_the_kill_on_this_host(host, report_json):
    pid = _saved(host)["hog_pid"]
    entries = [h for h in report_json["hosts"] if h.get("name") == _name(host)]
    assert len(entries) == 1, "host %s not in report.json" % _name(host)
    mine = [
        e for e in entries[0]["events"]
        if e.get("unit") == UNIT and (e.get("victim") or {}).get("pid") == pid
    ]
    assert len(mine) == 1, "no event for %s pid %d under %s in report.json" % (UNIT, pid, _name(host))
    assert mine[0].get("container_id") == _container_id(host)


def test_report_html_names_the_kill_on_this_host(host):
    path = os.path.join(REPORT_DIR, "index.html")
    assert os.path.isfile(path), "playbooks/report.yml wrote no %s" % path
    with open(path, encoding="utf-8") as f:
        html = f.read()
    pid = str(_saved(host)["hog_pid"])
    # A row of the events table names this host, the unit and the victim's pid.
    rows = re.findall(r"<tr\b.*?</tr>", html, re.S)
    assert any(_name(host) in r and UNIT in r and re.search(r"\b%s\b" % pid, r) for r in rows), (
        "no table row in index.html with %s, %s and pid %s" % (_name(host), UNIT, pid)
    )

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles' checks of their variables, as a user meets them: `ansible-playbook
--check --diff` of a play that applies one role to this machine (local
connection). Check mode only: nothing on this machine is changed.

Each case is a value that used to reach the host (or fail with an error that
named no variable), or a valid value that used to be refused.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def play(tmp_path, role, variables):
    """Run `role` on localhost in check mode with `variables`; (rc, output)."""
    book = tmp_path / "play.yml"
    book.write_text(yaml.safe_dump([{
        "name": "Apply %s" % role, "hosts": "localhost", "gather_facts": False,
        "roles": [{"role": role}],
    }]))
    extra = tmp_path / "vars.yml"
    extra.write_text(yaml.safe_dump(variables))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", PYTHONWARNINGS="ignore")
    res = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(ROOT / "inventory" / "localhost.yml"),  # noqa: S603
                          "--check", "--diff", str(book), "-e", "@%s" % extra],
                         cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=300, check=False)
    return res.returncode, res.stdout


def task_result(out, task):
    """The first status line after TASK [<task>] in the default callback's output."""
    head = "TASK [%s]" % task
    assert head in out, out[-3000:]
    for line in out.split(head, 1)[1].splitlines()[1:]:
        if line.startswith(("ok:", "changed:", "fatal:", "skipping:")):
            return line
    raise AssertionError("no result for %s:\n%s" % (task, out[-3000:]))


SHIP_CHECK = "sre.oom.journal_ship : Check the journal shipping settings"
COLLECTOR = {"oom_journal_ship_mode": "remote", "oom_journal_ship_install": False}


def test_journal_ship_https_collector_with_its_files_passes_the_check(tmp_path):
    # https is the default protocol: with the three files given, the check passes
    # (ansible-core 2.19 refused the check itself: a string is no boolean)
    rc, out = play(tmp_path, "sre.oom.journal_ship", dict(
        COLLECTOR, oom_journal_ship_directory=str(tmp_path / "journals"),
        oom_journal_ship_tls_key="/etc/ssl/private/c.pem", oom_journal_ship_tls_cert="/etc/ssl/c.pem",
        oom_journal_ship_tls_trust="/etc/ssl/ca.pem"))
    assert task_result(out, SHIP_CHECK).startswith("ok:"), out[-3000:]
    assert "ServerKeyFile=/etc/ssl/private/c.pem" in out


def test_journal_ship_https_collector_without_its_files_is_refused(tmp_path):
    rc, out = play(tmp_path, "sre.oom.journal_ship", dict(COLLECTOR, oom_journal_ship_tls_key="/k.pem"))
    assert rc != 0
    assert task_result(out, SHIP_CHECK).startswith("fatal:")
    assert "with https, the key, certificate and trust files" in out and "Nothing was changed" in out


def test_journal_ship_ipv6_listen_address_is_written_in_brackets(tmp_path):
    rc, out = play(tmp_path, "sre.oom.journal_ship", dict(
        COLLECTOR, oom_journal_ship_protocol="http", oom_journal_ship_listen_address="::1",
        oom_journal_ship_directory=str(tmp_path / "journals")))
    assert task_result(out, SHIP_CHECK).startswith("ok:")
    assert "+ListenStream=[::1]:19532" in out, out[-3000:]
    # the collector's unit makes the file system read-only but for its own directory
    assert "+ReadWritePaths=%s" % (tmp_path / "journals") in out


def test_journal_ship_bad_values_are_refused_before_any_change(tmp_path):
    for bad in ({"oom_journal_ship_mode": "upload", "oom_journal_ship_url": "https://c:19532\nServerKeyFile=/tmp/x"},
                {"oom_journal_ship_mode": "upload", "oom_journal_ship_url": "https://c:19532 x"},
                dict(COLLECTOR, oom_journal_ship_protocol="http", oom_journal_ship_listen_address="collector.lan"),
                dict(COLLECTOR, oom_journal_ship_protocol="http", oom_journal_ship_directory="/srv/j x")):
        rc, out = play(tmp_path, "sre.oom.journal_ship", bad)
        assert rc != 0, bad
        assert task_result(out, SHIP_CHECK).startswith("fatal:"), (bad, out[-2000:])
        assert "Nothing was changed" in out


def test_journal_ship_refuses_a_directory_that_holds_other_files(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("a user's file\n")
    rc, out = play(tmp_path, "sre.oom.journal_ship", dict(
        COLLECTOR, oom_journal_ship_protocol="http", oom_journal_ship_directory=str(mine)))
    assert rc != 0
    line = task_result(out, "sre.oom.journal_ship : Refuse a directory that holds other files")
    assert line.startswith("fatal:"), out[-3000:]
    assert "or holds files and is not owned by systemd-journal-remote" in out
    assert "Create the directory the journals" not in out
    # a file where the directory should be
    rc, out = play(tmp_path, "sre.oom.journal_ship", dict(
        COLLECTOR, oom_journal_ship_protocol="http", oom_journal_ship_directory=str(mine / "notes.txt")))
    assert rc != 0 and "exists and is not a directory" in out
    assert task_result(out, "sre.oom.journal_ship : Refuse a directory that holds other files").startswith("fatal:")
    # an empty directory is the collector's to take
    (mine / "notes.txt").unlink()
    rc, out = play(tmp_path, "sre.oom.journal_ship", dict(
        COLLECTOR, oom_journal_ship_protocol="http", oom_journal_ship_directory=str(mine)))
    assert task_result(out, "sre.oom.journal_ship : Refuse a directory that holds other files").startswith("ok:")


def test_services_null_settings_are_left_out(tmp_path):
    # the README and the argument spec: a key that is null is not managed
    rc, out = play(tmp_path, "sre.oom.services", {
        "oom_services": [{"name": "sre-oom-role-test", "oom_score_adj": 5, "oom_policy": None,
                          "managed_oom_swap": None, "managed_oom_memory_pressure": None,
                          "managed_oom_preference": None}]})
    line = task_result(out, "sre.oom.services : Set the OOM settings of every service in one run")
    assert line.startswith("changed:"), out[-3000:]
    assert "+OOMScoreAdjust=5" in out and "+OOMPolicy" not in out and "+ManagedOOM" not in out


def _max_events_limit():
    """sre.oom.oom_facts' own bound of max_events (MAX_EVENTS_LIMIT in the module)."""
    tree = ast.parse((ROOT / "plugins" / "modules" / "oom_facts.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["MAX_EVENTS_LIMIT"]:
            return node.value.value
    raise AssertionError("MAX_EVENTS_LIMIT is no longer in oom_facts.py")


REPORT_CHECK = "sre.oom.report : Check the number of kills to gather per host"


def test_report_max_events_out_of_range_fails_before_any_host_is_contacted(tmp_path):
    # the role's range is the module's: a change to one without the other fails here
    limit = _max_events_limit()
    rc, out = play(tmp_path, "sre.oom.report", {"oom_report_max_events": "many"})
    assert rc != 0 and "unable to convert to int" in out and "Gather OOM facts" not in out
    for bad in (-1, limit + 1):
        rc, out = play(tmp_path, "sre.oom.report", {"oom_report_max_events": bad,
                                                    "oom_report_dir": str(tmp_path / "report")})
        assert rc != 0, bad
        assert task_result(out, REPORT_CHECK).startswith("fatal:"), out[-2000:]
        assert "must be a whole number from 0 to %d" % limit in out
        assert "Gather OOM facts" not in out and not (tmp_path / "report").exists()
    rc, out = play(tmp_path, "sre.oom.report", {"oom_report_max_events": limit,
                                                "oom_report_dir": str(tmp_path / "report")})
    assert task_result(out, REPORT_CHECK).startswith("ok:"), out[-2000:]

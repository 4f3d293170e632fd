# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oom_score_adj with the filesystem root (/proc, /sys, /run, unit dirs) and systemctl
faked at one seam: the module's Host class."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _host, _managed, _systemd
from ansible_collections.sre.oom.plugins.modules import oom_score_adj

SYSTEMCTL = "/usr/bin/systemctl"
SHOW = [SYSTEMCTL, "show", "-p", "Id", "-p", "LoadState", "-p", "ActiveState", "-p", "OOMScoreAdjust",
        "-p", "OOMPolicy", "-p", "DropInPaths", "-p", "NeedDaemonReload", "-p", "ControlGroup", "--"]
RELOAD = [SYSTEMCTL, "daemon-reload"]
ETC = "etc/systemd/system"
DROPIN_MSG = ("dropin must be a file name matching [A-Za-z0-9_.@-]+\\.conf as a whole, not starting with "
              "'.', at most 255 bytes, got ")
EACCES_MSG = ("EACCES: the kernel refused oom_score_adj -500 (current 0); values below a process's minimum "
              "need CAP_SYS_RESOURCE, which this process lacks")


def write(root, rel, text):
    p = root / rel.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


@pytest.fixture
def fake(systemd_tree, fake_systemd, monkeypatch):
    sd = fake_systemd(systemd_tree)
    sd.add("worker.service", pids=(101, 102))
    sd.add("idle.service", active=False)
    monkeypatch.setattr(_host, "Host", sd.host_class())
    return sd


def dropin(sd, unit="worker.service", base=ETC, name="50-oom-score-adj.conf"):
    return sd.root / base / (unit + ".d") / name


def proc(sd, pid):
    return (sd.root / ("proc/%d/oom_score_adj" % pid)).read_text().strip()


def run(run_module, args, **kw):
    return run_module(oom_score_adj.main, args, **kw)


UNIT_KEYS = {"path", "changed", "value", "oom_policy", "effective", "shadowed_by", "live", "restarted"}
TOP_KEYS = {"changed", "daemon_reloaded", "systemd_running", "units", "failed", "warnings"}


def test_present_writes_reloads_shows_and_applies_live(fake, run_module):
    r = run(run_module, {"name": ["worker"], "value": 500})
    path = dropin(fake)
    assert set(r) == TOP_KEYS
    assert r["changed"] is True and r["daemon_reloaded"] is True and r["systemd_running"] is True
    assert fake.calls == [RELOAD, SHOW + ["worker.service"]]
    assert path.read_text() == (_managed.header("sre.oom.oom_score_adj") + _systemd.DIR_FLAG + "\n"
                                "[Service]\nOOMScoreAdjust=500\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o755
    assert r["units"] == {"worker.service": {
        "path": str(path), "changed": True, "value": 500, "oom_policy": None,
        "effective": {"oom_score_adj": 500, "oom_policy": "stop"}, "shadowed_by": [],
        "live": {"updated": [101, 102], "failed": {}}, "restarted": False}}
    assert proc(fake, 101) == "500" and proc(fake, 102) == "500"
    assert r["warnings"] == []


def test_second_run_is_unchanged_with_one_show(fake, run_module):
    args = {"units": ["worker.service"], "value": 500, "oom_policy": "kill"}
    run(run_module, args)
    fake.calls[:] = []
    r = run(run_module, args)
    assert r["changed"] is False and r["daemon_reloaded"] is False
    assert fake.calls == [SHOW + ["worker.service"]]
    u = r["units"]["worker.service"]
    assert u["changed"] is False and u["live"] == {"updated": [], "failed": {}}
    assert u["effective"] == {"oom_score_adj": 500, "oom_policy": "kill"}


def test_check_mode_writes_nothing_and_runs_only_show(fake, run_module):
    r = run(run_module, {"unit": "worker", "value": 500, "restart": "always"}, check_mode=True)
    assert r["changed"] is True and r["daemon_reloaded"] is True
    assert fake.calls == [SHOW + ["worker.service"]]
    assert not dropin(fake).parent.exists()
    u = r["units"]["worker.service"]
    assert u["changed"] is True and u["restarted"] is True
    assert u["live"] == {"updated": [], "failed": {}}     # the restart replaces them
    assert u["effective"] == {"oom_score_adj": 0, "oom_policy": "stop"}  # systemd's current value
    assert proc(fake, 101) == "0"
    live = run(run_module, {"unit": "worker", "value": 500}, check_mode=True)["units"]["worker.service"]
    assert live["live"] == {"updated": [101, 102], "failed": {}} and live["restarted"] is False


def test_diff_mode_per_unit(fake, run_module):
    run(run_module, {"name": ["worker"], "value": 500})
    r = run(run_module, {"name": ["worker", "idle"], "value": 600}, diff=True)
    w, i = str(dropin(fake)), str(dropin(fake, "idle.service"))
    assert [(d["before_header"], d["after_header"]) for d in r["diff"]] == [(w, w), (i, i)]
    assert "OOMScoreAdjust=500" in r["diff"][0]["before"] and "OOMScoreAdjust=600" in r["diff"][0]["after"]
    assert r["diff"][1]["before"] == ""
    r = run(run_module, {"name": ["worker", "idle"], "value": 600}, diff=True)
    assert r["diff"] == [] and r["changed"] is False


def test_many_units_one_reload_one_show_templates_not_queried(fake, run_module):
    fake.add("a-b@1.service", pids=(201,))
    r = run(run_module, {"name": ["worker", "idle", "a-b@1", "a-b@.service", "worker.service"], "value": 10})
    assert fake.calls == [RELOAD, SHOW + ["worker.service", "idle.service", "a-b@1.service"]]
    assert list(r["units"]) == ["worker.service", "idle.service", "a-b@1.service", "a-b@.service"]
    assert r["units"]["a-b@.service"]["effective"] == {"oom_score_adj": None, "oom_policy": None}
    assert r["units"]["a-b@1.service"]["live"]["updated"] == [201]
    assert r["units"]["idle.service"]["live"]["updated"] == []


def test_negative_value_eacces_reported_per_pid(fake, run_module):
    fake.refuse.update(str(fake.root / ("proc/%d/oom_score_adj" % p)) for p in (101, 102))
    r = run(run_module, {"name": "worker", "value": -500})
    u = r["units"]["worker.service"]
    assert r["failed"] is False and u["changed"] is True
    assert u["effective"]["oom_score_adj"] == -500
    assert u["live"] == {"updated": [], "failed": {"101": EACCES_MSG, "102": EACCES_MSG}}
    assert r["warnings"] == ["worker.service: oom_score_adj=-500 not applied live to 2 of 2 processes: "
                             "pid 101: %s; pid 102: %s" % (EACCES_MSG, EACCES_MSG)]
    assert proc(fake, 101) == "0"
    # Nothing else changes on a re-run, but the refusal is reported again.
    r = run(run_module, {"name": "worker", "value": -500})
    assert r["changed"] is False and r["units"]["worker.service"]["live"]["failed"] == {
        "101": EACCES_MSG, "102": EACCES_MSG}
    # check mode says the same: no change, and the refusal the real run meets
    c = run(run_module, {"name": "worker", "value": -500}, check_mode=True)
    assert c["changed"] is False and c["units"]["worker.service"]["live"]["updated"] == []
    assert set(c["units"]["worker.service"]["live"]["failed"]) == {"101", "102"}
    assert "would be refused" in c["units"]["worker.service"]["live"]["failed"]["101"]


def test_eacces_with_the_capability_says_so(fake, run_module):
    write(fake.root, "/proc/self/status", "CapEff:\t000001ffffffffff\n")
    fake.refuse.add(str(fake.root / "proc/101/oom_score_adj"))
    r = run(run_module, {"name": "worker", "value": -5})
    assert r["units"]["worker.service"]["live"] == {"updated": [102], "failed": {
        "101": "EACCES: the kernel refused oom_score_adj -5 (current 0); values below a process's minimum "
               "need CAP_SYS_RESOURCE, which this process has, yet was refused"}}


def test_exited_process_reported(fake, run_module):
    os.unlink(str(fake.root / "proc/102/oom_score_adj"))
    r = run(run_module, {"name": "worker", "value": 7})
    assert r["units"]["worker.service"]["live"] == {"updated": [101], "failed": {"102": "the process exited"}}


def test_foreign_file_refused_then_forced(fake, run_module):
    path = write(fake.root, "/%s/worker.service.d/50-oom-score-adj.conf" % ETC, "[Service]\nNice=5\n")
    r = run(run_module, {"name": ["idle", "worker"], "value": 5})
    assert r["failed"] is True
    assert r["msg"] == ("worker.service: %s exists and is not managed by sre.oom (no 'Managed by sre.oom' "
                        "header); refusing to overwrite it. Move it away, choose another dropin name, or "
                        "set force=true" % path)
    assert fake.calls == [] and path.read_text() == "[Service]\nNice=5\n"
    assert not dropin(fake, "idle.service").exists()
    r = run(run_module, {"name": ["worker"], "value": 5, "force": True})
    assert r["changed"] is True and _managed.has_marker(path.read_text())
    assert not _systemd.has_dir_flag(path.read_text())  # the directory was the user's


def test_absent_removes_marked_file_and_own_dir(fake, run_module):
    run(run_module, {"name": ["worker", "idle"], "value": 5})
    write(fake.root, "/%s/idle.service.d/10-user.conf" % ETC, "[Service]\nNice=1\n")
    fake.calls[:] = []
    r = run(run_module, {"name": ["worker", "idle"], "state": "absent", "value": 5})
    assert r["changed"] is True and fake.calls == [RELOAD, SHOW + ["worker.service", "idle.service"]]
    assert not dropin(fake).parent.exists()
    assert not dropin(fake, "idle.service").exists() and dropin(fake, "idle.service").parent.exists()
    assert r["units"]["worker.service"]["value"] is None
    assert r["units"]["worker.service"]["live"] == {"updated": [], "failed": {}}
    assert proc(fake, 101) == "5"  # running processes keep their value
    r = run(run_module, {"name": ["worker", "idle"], "state": "absent"})
    assert r["changed"] is False


def test_absent_whose_directory_cannot_go_removes_the_dropin_and_warns(fake, run_module, monkeypatch):
    # a bind-mounted <unit>.d (EBUSY): the drop-in is removed and systemd reloaded;
    # the directory left behind is a warning, not a failure that says nothing changed
    run(run_module, {"name": "worker", "value": 5})
    unit_d = str(dropin(fake).parent)
    real_rmdir = os.rmdir

    def rmdir(path, *args, **kwargs):
        if str(path) == unit_d:
            raise OSError(errno.EBUSY, "Device or resource busy", str(path))
        return real_rmdir(path, *args, **kwargs)
    monkeypatch.setattr(os, "rmdir", rmdir)
    fake.calls[:] = []
    r = run(run_module, {"name": "worker", "state": "absent"})
    assert r["failed"] is False and r["changed"] is True and fake.calls[0] == RELOAD
    assert not dropin(fake).exists() and os.path.isdir(unit_d)
    assert any("drop-in was removed" in w and "EBUSY" in w for w in r["warnings"])


def test_a_warning_on_stderr_of_a_restart_that_worked_is_a_warning(fake, run_module):
    # real systemctl warns that a unit's files changed on disk (daemon_reload
    # false) on stderr and exits 0 after restarting it
    warning = ("Warning: The unit file, source configuration file or drop-ins of worker.service changed on "
               "disk. Run 'systemctl daemon-reload' to reload units.\n")
    fake.fail["try-restart"] = (0, "", warning)
    r = run(run_module, {"name": "worker", "value": 5, "restart": "if_running", "daemon_reload": False})
    assert r["failed"] is False and r["units"]["worker.service"]["restarted"] is True
    assert "systemctl try-restart: " + warning.strip() in r["warnings"]
    assert r["units"]["worker.service"]["live"]["updated"] == [101, 102]


def test_absent_keeps_dir_it_did_not_create_and_foreign_files(fake, run_module):
    (fake.root / ETC / "worker.service.d").mkdir(parents=True)
    run(run_module, {"name": "worker", "value": 5})
    foreign = write(fake.root, "/%s/idle.service.d/50-oom-score-adj.conf" % ETC, "[Service]\nNice=1\n")
    r = run(run_module, {"name": ["worker", "idle"], "state": "absent", "force": True})
    assert not dropin(fake).exists() and dropin(fake).parent.is_dir()
    assert foreign.read_text() == "[Service]\nNice=1\n"
    assert r["units"]["idle.service"]["changed"] is False
    assert r["warnings"] == ["idle.service: %s is not managed by sre.oom (no 'Managed by sre.oom' header); "
                             "left in place" % foreign]


def test_shadowed_by_later_dropin_warns_and_skips_live(fake, run_module):
    other = write(fake.root, "/run/systemd/system/worker.service.d/90-other.conf", "[Service]\nOOMScoreAdjust=100\n")
    r = run(run_module, {"name": "worker", "value": 500})
    u = r["units"]["worker.service"]
    assert u["shadowed_by"] == [str(other)]
    assert u["effective"]["oom_score_adj"] == 100
    assert u["live"] == {"updated": [], "failed": {}} and proc(fake, 101) == "0"
    assert r["warnings"] == ["worker.service: the managed drop-in %s is overridden by %s" % (dropin(fake), other)]


def test_oom_policy_only(fake, run_module):
    r = run(run_module, {"name": "worker", "oom_policy": "kill"})
    assert dropin(fake).read_text().endswith("[Service]\nOOMPolicy=kill\n")
    u = r["units"]["worker.service"]
    assert u["value"] is None and u["oom_policy"] == "kill" and u["effective"]["oom_policy"] == "kill"
    assert u["live"] == {"updated": [], "failed": {}} and proc(fake, 101) == "0"


def test_mode_is_corrected(fake, run_module):
    run(run_module, {"name": "worker", "value": 5})
    os.chmod(str(dropin(fake)), 0o600)
    r = run(run_module, {"name": "worker", "value": 5})
    assert r["changed"] is True and stat.S_IMODE(dropin(fake).stat().st_mode) == 0o644


@pytest.mark.parametrize("restart,verb,targets", [
    ("if_running", "try-restart", ["worker.service"]),
    ("always", "restart", ["worker.service", "idle.service"]),
], ids=["if_running", "always"])
def test_restart_changed_units_once(fake, run_module, restart, verb, targets):
    r = run(run_module, {"name": ["worker", "idle"], "value": 5, "restart": restart})
    assert fake.calls == [RELOAD, SHOW + ["worker.service", "idle.service"], [SYSTEMCTL, verb, "--"] + targets]
    assert [u for u in r["units"] if r["units"][u]["restarted"]] == targets
    fake.calls[:] = []
    r = run(run_module, {"name": ["worker", "idle"], "value": 5, "restart": restart})
    assert fake.calls == [SHOW + ["worker.service", "idle.service"]] and r["changed"] is False


def test_need_daemon_reload_without_change(fake, run_module):
    run(run_module, {"name": "worker", "value": 5})
    fake.units["worker.service"]["NeedDaemonReload"] = "yes"
    fake.calls[:] = []
    r = run(run_module, {"name": "worker", "value": 5})
    assert fake.calls == [SHOW + ["worker.service"], RELOAD, SHOW + ["worker.service"]]
    assert r["changed"] is True and r["daemon_reloaded"] is True


def test_daemon_reload_false_warns(fake, run_module):
    r = run(run_module, {"name": "worker", "value": 5, "daemon_reload": False})
    assert fake.calls == [SHOW + ["worker.service"]] and r["daemon_reloaded"] is False
    assert r["warnings"] == ["daemon_reload=false: systemd keeps the old values until the next daemon-reload"]


def test_not_installed_unit_gets_dropin_and_warning(fake, run_module):
    r = run(run_module, {"name": "ghost", "value": 5})
    assert dropin(fake, "ghost.service").exists()
    assert r["warnings"] == ["ghost.service is not installed; its drop-in takes effect once it is"]


def test_systemd_not_pid1_check_mode_says_would(fake, run_module):
    write(fake.root, "/proc/1/comm", "bash\n")
    r = run(run_module, {"name": "worker", "value": 5}, check_mode=True)
    assert r["changed"] is True and not dropin(fake).exists()
    assert r["warnings"] == [
        "systemd is not PID 1 here: drop-ins would be written, nothing reloaded, applied live or restarted"]


def test_systemd_not_pid1(fake, run_module):
    write(fake.root, "/proc/1/comm", "bash\n")
    r = run(run_module, {"name": ["worker", "ghost"], "value": 5, "restart": "always"})
    assert fake.calls == [] and r["systemd_running"] is False and r["daemon_reloaded"] is False
    assert r["changed"] is True and dropin(fake).exists() and proc(fake, 101) == "0"
    assert r["units"]["worker.service"]["effective"] == {"oom_score_adj": None, "oom_policy": None}
    assert r["warnings"] == [
        "systemd is not PID 1 here: drop-ins written, nothing reloaded, applied live or restarted",
        "ghost.service is not installed; its drop-in takes effect once it is"]


def test_unit_dir_below_another_root(fake, run_module, tmp_path):
    r = run(run_module, {"name": "worker", "value": 5, "unit_dir": "/img/run/systemd/system"})
    path = fake.root / "img/run/systemd/system/worker.service.d/50-oom-score-adj.conf"
    assert path.exists() and fake.calls == [] and r["systemd_running"] is False
    assert r["units"]["worker.service"]["path"] == str(path)


BAD_INPUTS = [
    ({"name": ["ok", "bad/name"], "value": 1}, "name: 'bad/name' is not a valid unit name: '/' is not allowed"),
    ({"name": ["../../etc/x"], "value": 1}, "name: '../../etc/x' is not a valid unit name: '..' is not allowed"),
    ({"name": ["a\nb"], "value": 1}, "name: 'a\\nb' is not a valid unit name: control characters are not allowed"),
    ({"name": ["a.timer"], "value": 1}, "name: 'a.timer' is not a valid unit name: unit type .timer runs no "
                                        "processes; accepted suffixes are .service, .socket, .mount, .swap"),
    ({"name": ["x" * 250], "value": 1}, "name: '%s' is not a valid unit name: it is longer than 255 characters"
     % ("x" * 250)),
    ({"name": [], "value": 1}, "name: give at least one unit name"),
    ({"name": ["w"]}, "state=present needs value (-1000..1000) and/or oom_policy (continue, stop, kill)"),
    ({"name": ["w"], "value": 1001}, "value must be between -1000 and 1000, got 1001"),
    ({"name": ["w"], "value": -1001}, "value must be between -1000 and 1000, got -1001"),
    ({"name": ["w", "s.socket"], "oom_policy": "kill"}, "oom_policy applies to .service units only, not to s.socket"),
    ({"name": ["w"], "value": 1, "dropin": "../x.conf"},
     DROPIN_MSG + "'../x.conf'"),
    ({"name": ["w"], "value": 1, "dropin": ".hidden.conf"},
     DROPIN_MSG + "'.hidden.conf'"),
    ({"name": ["w"], "value": 1, "dropin": "x.txt"},
     DROPIN_MSG + "'x.txt'"),
    ({"name": ["w"], "value": 1, "unit_dir": "/tmp/units"},
     "unit_dir must be /etc/systemd/system or /run/systemd/system, or one of them below another root "
     "directory (e.g. /mnt/image/etc/systemd/system), got '/tmp/units'"),
    ({"name": ["w"], "value": 1, "oom_policy": "nope"},
     "value of oom_policy must be one of: continue, stop, kill, got: nope"),
    ({"name": ["w"], "value": "high"}, None),
    ({"name": ["w"], "value": True}, "value must be an integer from -1000 to 1000, not a boolean (True)"),
    ({"name": ["w"], "value": "5\n"}, "value must be an integer from -1000 to 1000, got '5\\n'"),
    ({"name": ["w"], "value": 1, "dropin": "x.conf\n"}, DROPIN_MSG + "'x.conf\\n'"),
    ({"name": ["w"], "value": 1, "dropin": "x" * 300 + ".conf"}, DROPIN_MSG + "'%s.conf'" % ("x" * 300)),
    ({"name": ["foo."], "value": 1}, "name: 'foo.' is not a valid unit name: a unit name cannot end with '.' "
                                     "(give the type, e.g. 'foo.service', or none)"),
    ({"name": ["a@b@c"], "value": 1}, "name: 'a@b@c' is not a valid unit name: at most one '@' is allowed "
                                      "(template@instance)"),
]


@pytest.mark.parametrize("args,msg", BAD_INPUTS, ids=[
    "slash", "traversal", "control-char", "timer", "too-long", "empty-list", "no-value", "too-high", "too-low",
    "policy-on-socket", "dropin-traversal", "dropin-hidden", "dropin-suffix", "unit-dir", "policy-choice",
    "value-not-int", "value-bool", "value-newline", "dropin-newline", "dropin-too-long", "trailing-dot",
    "two-ats"])
def test_bad_inputs_fail_before_touching_anything(fake, run_module, args, msg):
    r = run(run_module, args)
    assert r["failed"] is True
    if msg is None:
        assert "value" in r["msg"] and "int" in r["msg"]
    else:
        assert r["msg"] == msg
    assert fake.calls == [] and not (fake.root / ETC).exists()


@pytest.mark.parametrize("verb,answer,msg", [
    ("daemon-reload", (1, "", "Failed to reload daemon: Access denied\n"),
     "systemctl daemon-reload failed (rc=1): Failed to reload daemon: Access denied"),
    ("daemon-reload", (0, "", "Failed to connect to bus: No such file or directory\n"),
     "systemctl daemon-reload failed (rc=0): Failed to connect to bus: No such file or directory"),
    ("show", (1, "", "Failed to connect to bus\n"), "systemctl show failed (rc=1): Failed to connect to bus"),
    ("show", (0, "Id=worker.service\n\nId=x\n", ""),
     "cannot read the output of systemctl show: expected 1 blocks of properties, got 2"),
    ("try-restart", (1, "", "Job failed\n"), "systemctl try-restart failed (rc=1): Job failed"),
], ids=["reload-rc", "reload-stderr", "show-rc", "show-garbled", "restart-rc"])
def test_command_failures(fake, run_module, verb, answer, msg):
    fake.fail[verb] = answer
    r = run(run_module, {"name": "worker", "value": 5, "restart": "if_running"})
    assert r["failed"] is True and r["msg"] == msg
    assert r["rc"] == answer[0] and r["stderr"] == answer[2]
    assert r["cmd"][:2] == [SYSTEMCTL, verb]
    assert r["changed"] is True and "worker.service" in r["units"]


def test_policy_shadowed_still_applies_value_live(fake, run_module):
    other = write(fake.root, "/%s/worker.service.d/90-other.conf" % ETC, "[Service]\nOOMPolicy=continue\n")
    r = run(run_module, {"name": "worker", "value": 300, "oom_policy": "kill"})
    u = r["units"]["worker.service"]
    assert u["shadowed_by"] == [str(other)]
    assert u["effective"] == {"oom_score_adj": 300, "oom_policy": "continue"}
    assert u["live"] == {"updated": [101, 102], "failed": {}} and proc(fake, 101) == "300"


def test_unreadable_dropin_location_fails_cleanly(fake, run_module):
    write(fake.root, "/%s/worker.service.d" % ETC, "not a directory\n")
    r = run(run_module, {"name": "worker", "value": 5})
    assert r["failed"] is True
    assert r["msg"] == "name[0] (worker.service): %s is not a directory" % (fake.root / ETC / "worker.service.d")
    assert fake.calls == []


def test_absent_check_mode_and_diff(fake, run_module):
    run(run_module, {"name": "worker", "value": 5})
    text = dropin(fake).read_text()
    fake.calls[:] = []
    r = run(run_module, {"name": "worker", "state": "absent"}, check_mode=True, diff=True)
    assert r["changed"] is True and r["daemon_reloaded"] is True and dropin(fake).read_text() == text
    assert r["diff"] == [{"before_header": str(dropin(fake)), "after_header": str(dropin(fake)),
                          "before": text, "after": ""}]
    assert fake.calls == [SHOW + ["worker.service"]]


def test_socket_unit_gets_socket_section(fake, run_module):
    r = run(run_module, {"name": "api.socket", "value": 100})
    assert dropin(fake, "api.socket").read_text().endswith("[Socket]\nOOMScoreAdjust=100\n")
    assert r["warnings"] == ["api.socket is not installed; its drop-in takes effect once it is"]


def test_owner_drift_converged_with_diff(fake, run_module):
    run(run_module, {"name": "worker", "value": 5})
    os.chown(str(dropin(fake)), 1000, 1000)
    r = run(run_module, {"name": "worker", "value": 5}, diff=True)
    assert r["changed"] is True and r["units"]["worker.service"]["changed"] is True
    assert r["diff"][0]["before_header"] == "%s (owner 1000:1000 -> 0:0)" % dropin(fake)
    st = dropin(fake).stat()
    assert (st.st_uid, st.st_gid) == (0, 0) and stat.S_IMODE(st.st_mode) == 0o644


def test_symlinked_unit_dir_refused_nothing_written(fake, run_module, tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (fake.root / ETC).mkdir(parents=True)
    os.symlink(str(target), str(fake.root / ETC / "worker.service.d"))
    r = run(run_module, {"name": ["idle", "worker"], "value": 5})
    assert r["failed"] is True
    assert r["msg"] == ("name[1] (worker.service): %s is a symlink; refusing to write through it (make it a "
                        "real directory)" % (fake.root / ETC / "worker.service.d"))
    assert os.listdir(str(target)) == [] and not dropin(fake, "idle.service").parent.exists()
    assert fake.calls == []

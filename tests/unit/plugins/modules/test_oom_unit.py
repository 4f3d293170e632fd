# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oom_unit with the filesystem root (/proc, /sys, /run, unit dirs) and systemctl faked at
one seam: the module's Host class. The fake systemd speaks like 247 or 252 (verified
against the real ones in the Molecule containers)."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _atomic, _host, _managed, _systemd
from ansible_collections.sre.oom.plugins.modules import oom_unit

SYSTEMCTL = "/usr/bin/systemctl"
VERSION = [SYSTEMCTL, "--version"]
RELOAD = [SYSTEMCTL, "daemon-reload"]
PROPS = ["Id", "LoadState", "ActiveState", "OOMScoreAdjust", "OOMPolicy", "ManagedOOMMemoryPressure",
         "ManagedOOMMemoryPressureLimit", "ManagedOOMMemoryPressureLimitPercent", "ManagedOOMSwap",
         "ManagedOOMPreference", "DropInPaths", "NeedDaemonReload", "ControlGroup"]
SHOW = [SYSTEMCTL, "show"] + [a for p in PROPS for a in ("-p", p)] + ["--"]
ETC = "etc/systemd/system"
DROPIN = "50-oom-score-adj.conf"


def write(root, rel, text):
    p = root / rel.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


@pytest.fixture(params=[252])
def fake(request, systemd_tree, fake_systemd, monkeypatch):
    sd = fake_systemd(systemd_tree, request.param)
    sd.add("db.service", pids=(101,))
    sd.add("web.service", pids=(201, 202))
    sd.add("batch.slice", active=False)
    monkeypatch.setattr(_host, "Host", sd.host_class())
    return sd


def dropin(sd, unit, base=ETC):
    return sd.root / base / (unit + ".d") / DROPIN


def proc(sd, pid):
    return (sd.root / ("proc/%d/oom_score_adj" % pid)).read_text().strip()


def run(run_module, args, **kw):
    return run_module(oom_unit.main, args, **kw)


def body(text):
    """The drop-in without its two marker lines (and the directory flag)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")) + "\n"


FLEET = [
    {"name": "db", "oom_score_adj": -5, "oom_policy": "continue", "managed_oom_preference": "avoid"},
    {"name": "web.service", "oom_score_adj": 300, "managed_oom_memory_pressure": "kill",
     "managed_oom_memory_pressure_limit": "60%"},
    {"name": "batch.slice", "managed_oom_memory_pressure": "kill", "managed_oom_memory_pressure_limit": "55.5",
     "managed_oom_swap": "kill"},
]
TOP_KEYS = {"changed", "daemon_reloaded", "systemd_running", "systemd_version", "units", "failed", "warnings"}
UNIT_KEYS = {"path", "state", "changed", "settings", "written", "unsupported", "effective", "shadowed_by", "live",
             "restarted"}


def test_one_run_writes_each_unit_reloads_once_shows_once(fake, run_module):
    r = run(run_module, {"units": FLEET})
    assert set(r) == TOP_KEYS and r["failed"] is False
    assert fake.calls == [VERSION, RELOAD, SHOW + ["db.service", "web.service", "batch.slice"]]
    assert r["changed"] and r["daemon_reloaded"] and r["systemd_running"] and r["systemd_version"] == 252
    assert body(dropin(fake, "db.service").read_text()) == (
        "[Service]\nOOMScoreAdjust=-5\nOOMPolicy=continue\nManagedOOMPreference=avoid\n")
    assert body(dropin(fake, "web.service").read_text()) == (
        "[Service]\nOOMScoreAdjust=300\nManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit=60%\n")
    assert body(dropin(fake, "batch.slice").read_text()) == (
        "[Slice]\nManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit=55.5%\nManagedOOMSwap=kill\n")
    text = dropin(fake, "db.service").read_text()
    assert text.startswith(_managed.header("sre.oom.oom_unit") + _systemd.DIR_FLAG + "\n")
    for unit in ("db.service", "web.service", "batch.slice"):
        assert set(r["units"][unit]) == UNIT_KEYS
        st = dropin(fake, unit).stat()
        assert stat.S_IMODE(st.st_mode) == 0o644 and (st.st_uid, st.st_gid) == (0, 0)
    web = r["units"]["web.service"]
    assert web["effective"] == {"oom_score_adj": 300, "oom_policy": "stop", "managed_oom_memory_pressure": "kill",
                                "managed_oom_memory_pressure_limit": "60%", "managed_oom_swap": "auto",
                                "managed_oom_preference": "none"}
    assert web["settings"]["managed_oom_memory_pressure_limit"] == "60%"
    assert web["written"] == {"OOMScoreAdjust": "300", "ManagedOOMMemoryPressure": "kill",
                              "ManagedOOMMemoryPressureLimit": "60%"}
    assert web["live"] == {"updated": [201, 202], "failed": {}} and proc(fake, 202) == "300"
    assert r["units"]["db.service"]["live"] == {"updated": [101], "failed": {}} and proc(fake, 101) == "-5"
    sl = r["units"]["batch.slice"]
    assert sl["effective"]["managed_oom_memory_pressure_limit"] == "55.5%"
    assert sl["effective"]["oom_score_adj"] is None and sl["live"] == {"updated": [], "failed": {}}
    assert r["warnings"] == []


def test_rerun_is_unchanged_version_and_show_only(fake, run_module):
    run(run_module, {"units": FLEET})
    fake.calls[:] = []
    r = run(run_module, {"units": FLEET}, diff=True)
    assert r["changed"] is False and r["diff"] == []
    assert fake.calls == [VERSION, SHOW + ["db.service", "web.service", "batch.slice"]]
    assert all(not u["changed"] for u in r["units"].values())


def test_a_header_of_another_version_or_module_is_no_change(fake, run_module, monkeypatch):
    """The same settings under the header of an older release, or of oom_score_adj, are
    kept: no write, no daemon-reload, no restart of every service after an upgrade."""
    from ansible_collections.sre.oom.plugins.modules import oom_score_adj
    run(run_module, {"units": FLEET})
    written = _managed.VERSION
    monkeypatch.setattr(_managed, "VERSION", "9.9.9")
    fake.calls[:] = []
    r = run(run_module, {"units": FLEET, "restart": "if_running"})
    assert r["changed"] is False and fake.calls == [VERSION, SHOW + ["db.service", "web.service", "batch.slice"]]
    assert "sre.oom %s (" % written in dropin(fake, "db.service").read_text()
    adj = run(run_module, {"units": [{"name": "db", "oom_score_adj": -5}]})
    assert adj["changed"] is True          # db.service had more settings: a real change
    assert run_module(oom_score_adj.main, {"name": ["db"], "value": -5})["changed"] is False
    assert run(run_module, {"units": [{"name": "db", "oom_score_adj": -5}]})["changed"] is False


def test_two_modules_writing_one_dropin_are_told(fake, run_module):
    """oom_score_adj and oom_unit default to the same drop-in: a task of each on one
    unit drops the other's settings on every run. The run that drops another
    module's settings says so; one that keeps them (moving from oom_score_adj to
    oom_unit with the same value and more) says nothing."""
    from ansible_collections.sre.oom.plugins.modules import oom_score_adj
    run_module(oom_score_adj.main, {"name": ["web"], "value": 300})
    moved = run(run_module, {"units": [{"name": "web", "oom_score_adj": 300, "oom_policy": "kill"}]})
    assert moved["changed"] is True and not [w for w in moved["warnings"] if "undo each other" in w]
    r = run_module(oom_score_adj.main, {"name": ["web"], "value": 300})
    assert r["changed"] is True
    told = [w for w in r["warnings"] if "undo each other" in w]
    assert len(told) == 1 and "written by sre.oom.oom_unit and sets OOMPolicy" in told[0]
    assert "give each its own dropin" in told[0]


def test_check_mode_changes_nothing(fake, run_module):
    r = run(run_module, {"units": FLEET, "restart": "always"}, check_mode=True, diff=True)
    assert r["changed"] and r["daemon_reloaded"]
    assert fake.calls == [VERSION, SHOW + ["db.service", "web.service", "batch.slice"]]
    assert not (fake.root / ETC).exists() and proc(fake, 201) == "0"
    # restarted: its processes are replaced by ones that start with the value, none is set live
    assert r["units"]["web.service"]["live"] == {"updated": [], "failed": {}}
    assert r["units"]["web.service"]["restarted"] and not r["units"]["batch.slice"]["restarted"]
    assert [d["after_header"] for d in r["diff"]] == [str(dropin(fake, u)) for u in
                                                      ("db.service", "web.service", "batch.slice")]


@pytest.mark.parametrize("fake", [247], indirect=True)
def test_systemd_247_spelling_and_warnings(fake, run_module):
    r = run(run_module, {"units": FLEET})
    assert r["systemd_version"] == 247
    assert body(dropin(fake, "web.service").read_text()) == (
        "[Service]\nOOMScoreAdjust=300\nManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimitPercent=60%\n")
    assert body(dropin(fake, "db.service").read_text()) == "[Service]\nOOMScoreAdjust=-5\nOOMPolicy=continue\n"
    assert body(dropin(fake, "batch.slice").read_text()) == "[Slice]\nManagedOOMMemoryPressure=kill\nManagedOOMSwap=kill\n"
    assert r["units"]["db.service"]["unsupported"] == ["managed_oom_preference"]
    assert r["units"]["batch.slice"]["unsupported"] == ["managed_oom_memory_pressure_limit"]
    assert r["units"]["web.service"]["effective"]["managed_oom_memory_pressure_limit"] == "60%"
    assert r["units"]["web.service"]["effective"]["managed_oom_preference"] is None
    assert r["warnings"] == [
        "db.service: managed_oom_preference not written: needs systemd 248 or newer, this host runs systemd 247",
        "batch.slice: managed_oom_memory_pressure_limit not written: systemd 247 takes whole percents only "
        "(ManagedOOMMemoryPressureLimitPercent), got 55.5%",
    ]
    fake.calls[:] = []
    r = run(run_module, {"units": FLEET})
    assert r["changed"] is False and fake.calls == [VERSION, SHOW + ["db.service", "web.service", "batch.slice"]]


def test_diff_shows_every_change_and_drift(fake, run_module):
    run(run_module, {"units": FLEET})
    path = dropin(fake, "web.service")
    os.chown(str(path), 1000, 1000)
    os.chmod(str(path), 0o600)
    units = [dict(FLEET[0], oom_score_adj=-6)] + FLEET[1:]
    r = run(run_module, {"units": units}, diff=True)
    assert r["changed"] is True
    db = str(dropin(fake, "db.service"))
    assert r["diff"][0]["before_header"] == db and "OOMScoreAdjust=-5" in r["diff"][0]["before"]
    assert "OOMScoreAdjust=-6" in r["diff"][0]["after"]
    assert r["diff"][1] == {"before_header": "%s (mode 0600 -> 0644, owner 1000:1000 -> 0:0)" % path,
                            "after_header": str(path), "before": path.read_text(), "after": path.read_text()}
    st = path.stat()
    assert stat.S_IMODE(st.st_mode) == 0o644 and (st.st_uid, st.st_gid) == (0, 0)
    assert r["units"]["web.service"]["changed"] and not r["units"]["batch.slice"]["changed"]


def test_absent_removes_and_restart_skips_slices(fake, run_module):
    run(run_module, {"units": FLEET})
    fake.calls[:] = []
    r = run(run_module, {"units": [{"name": "db", "state": "absent"}, {"name": "batch.slice", "state": "absent"}],
                         "restart": "always"})
    assert not dropin(fake, "db.service").parent.exists() and not dropin(fake, "batch.slice").parent.exists()
    assert fake.calls[-1] == [SYSTEMCTL, "restart", "--", "db.service"]
    assert r["units"]["db.service"]["settings"]["oom_score_adj"] is None


def test_absent_ignores_the_settings_left_in_the_entry(fake, run_module):
    """As documented: the entry of a unit being retired may keep its settings, even
    ones that would be refused with state=present (oom_score_adj on a slice)."""
    run(run_module, {"units": FLEET})
    r = run(run_module, {"units": [{"name": "batch.slice", "state": "absent", "oom_score_adj": 5},
                                   {"name": "db", "state": "absent", "oom_score_adj": "abc"}]})
    assert r["failed"] is False and r["changed"] is True
    assert not dropin(fake, "batch.slice").parent.exists() and not dropin(fake, "db.service").parent.exists()
    bad = run(run_module, {"units": [{"name": "batch.slice", "state": "present", "oom_score_adj": 5}]})
    assert bad["failed"] is True and "applies to" in bad["msg"]


def test_shadowed_oom_score_adj_skips_live(fake, run_module):
    other = write(fake.root, "/run/systemd/system/web.service.d/90-x.conf", "[Service]\nOOMScoreAdjust=7\n")
    r = run(run_module, {"units": [FLEET[1]]})
    assert r["units"]["web.service"]["shadowed_by"] == [str(other)]
    assert r["units"]["web.service"]["live"] == {"updated": [], "failed": {}} and proc(fake, 201) == "0"
    assert r["warnings"] == ["web.service: the managed drop-in %s is overridden by %s"
                             % (dropin(fake, "web.service"), other)]


def test_eacces_reported_per_pid(fake, run_module):
    fake.refuse.add(str(fake.root / "proc/101/oom_score_adj"))
    r = run(run_module, {"units": [{"name": "db", "oom_score_adj": -500}]})
    assert r["failed"] is False and list(r["units"]["db.service"]["live"]["failed"]) == ["101"]
    assert "EACCES" in r["units"]["db.service"]["live"]["failed"]["101"]


def test_unknown_version_warns(fake, run_module, monkeypatch):
    monkeypatch.setattr(fake, "version", 252)
    original = fake.run

    def no_version(argv):
        if argv[1] == "--version":
            fake.calls.append(list(argv))
            return 1, "", "boom\n"
        return original(argv)
    monkeypatch.setattr(fake, "run", no_version)
    r = run(run_module, {"units": [FLEET[0]]})
    assert r["systemd_version"] is None
    assert r["warnings"][0] == ("cannot tell the systemd version from `systemctl --version` (rc=1: boom); "
                                "writing the setting names of systemd 248 and newer")
    assert "ManagedOOMPreference=avoid" in dropin(fake, "db.service").read_text()


# --- refusals: clear message, nothing changed on disk or in /proc -------------

BAD = [
    ({"units": [{"name": "db", "oom_score_adj": True}]},
     "units[0] (db.service): oom_score_adj must be an integer from -1000 to 1000, not a boolean (True)"),
    ({"units": [{"name": "db", "oom_score_adj": "5\n"}]},
     "units[0] (db.service): oom_score_adj must be an integer from -1000 to 1000, got '5\\n'"),
    ({"units": [{"name": "db", "oom_score_adj": 1001}]},
     "units[0] (db.service): oom_score_adj must be between -1000 and 1000, got 1001"),
    ({"units": [{"name": "db", "managed_oom_memory_pressure_limit": True}]},
     "units[0] (db.service): managed_oom_memory_pressure_limit must be a percentage such as '60%' (0 to 100, "
     "at most two decimals), got True"),
    ({"units": [{"name": "db", "managed_oom_memory_pressure_limit": "101%"}]},
     "units[0] (db.service): managed_oom_memory_pressure_limit must be a percentage such as '60%' (0 to 100, "
     "at most two decimals), got '101%'"),
    ({"units": [{"name": "batch.slice", "oom_score_adj": 5}]},
     "units[0] (batch.slice): oom_score_adj applies to .service, .socket, .mount, .swap units only"),
    ({"units": [{"name": "a.socket", "oom_policy": "kill"}]},
     "units[0] (a.socket): oom_policy applies to .service units only"),
    ({"units": [{"name": "db"}]},
     "units[0] (db.service): state=present needs at least one of oom_score_adj, oom_policy, "
     "managed_oom_memory_pressure, managed_oom_memory_pressure_limit, managed_oom_swap, managed_oom_preference"),
    ({"units": [{"name": "db", "oom_score_adj": 1}, {"name": "db.service", "oom_score_adj": 2}]},
     "units[1] (db.service): the unit is also given as units[0] with other settings"),
    ({"units": [{"name": "foo.", "oom_score_adj": 1}]},
     "units[0].name: 'foo.' is not a valid unit name: a unit name cannot end with '.' (give the type, "
     "e.g. 'foo.service', or none)"),
    ({"units": [{"name": "a@b@c", "oom_score_adj": 1}]},
     "units[0].name: 'a@b@c' is not a valid unit name: at most one '@' is allowed (template@instance)"),
    ({"units": [{"name": "x" * 250, "oom_score_adj": 1}]},
     "units[0].name: '%s' is not a valid unit name: it is longer than 255 characters" % ("x" * 250)),
    ({"units": [{"name": "a.timer", "oom_score_adj": 1}]},
     "units[0].name: 'a.timer' is not a valid unit name: unit type .timer is not accepted here; accepted "
     "suffixes are .service, .socket, .mount, .swap, .slice"),
    ({"units": [{"name": "db", "oom_score_adj": 1}], "dropin": "x.conf\n"},
     "dropin must be a file name matching [A-Za-z0-9_.@-]+\\.conf as a whole, not starting with '.', at most "
     "255 bytes, got 'x.conf\\n'"),
    ({"units": [{"name": "db", "oom_score_adj": 1}], "dropin": "x" * 300 + ".conf"},
     "dropin must be a file name matching [A-Za-z0-9_.@-]+\\.conf as a whole, not starting with '.', at most "
     "255 bytes, got '%s.conf'" % ("x" * 300)),
    ({"units": []}, "units: give at least one unit"),
]


@pytest.mark.parametrize("args,msg", BAD, ids=[
    "bool-adj", "adj-newline", "adj-range", "bool-limit", "limit-range", "adj-on-slice", "policy-on-socket",
    "no-setting", "conflicting-duplicate", "trailing-dot", "two-ats", "too-long", "timer", "dropin-newline",
    "dropin-too-long", "empty"])
def test_bad_input_refused_nothing_touched(fake, run_module, args, msg):
    r = run(run_module, args)
    assert r["failed"] is True and r["msg"] == msg
    assert fake.calls == [] and not (fake.root / ETC).exists()
    assert proc(fake, 101) == "0"


def test_choice_validated_by_argument_spec(fake, run_module):
    r = run(run_module, {"units": [{"name": "db", "managed_oom_swap": "yes"}]})
    assert r["failed"] is True and "managed_oom_swap" in r["msg"] and "auto, kill" in r["msg"]
    assert fake.calls == []


def test_null_choice_is_a_setting_left_out(fake, run_module):
    """As documented, null is a setting not managed, for the settings with choices too."""
    nulls = dict(oom_policy=None, managed_oom_memory_pressure=None, managed_oom_swap=None,
                 managed_oom_preference=None)
    r = run(run_module, {"units": [dict(nulls, name="db", oom_score_adj=5)]})
    assert not r.get("failed"), r
    text = dropin(fake, "db.service").read_text()
    assert "OOMScoreAdjust=5" in text
    assert "OOMPolicy" not in text and "ManagedOOM" not in text
    r = run(run_module, {"units": [dict(nulls, name="db")]})
    assert r["failed"] is True and "state=present needs at least one of" in r["msg"]


def test_symlinked_unit_dir_refused(fake, run_module, tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (fake.root / ETC).mkdir(parents=True)
    os.symlink(str(target), str(fake.root / ETC / "db.service.d"))
    r = run(run_module, {"units": [{"name": "web", "oom_score_adj": 1}, {"name": "db", "oom_score_adj": 1}]})
    assert r["failed"] is True
    assert r["msg"] == ("units[1] (db.service): %s is a symlink; refusing to write through it (make it a real "
                        "directory)" % (fake.root / ETC / "db.service.d"))
    assert os.listdir(str(target)) == [] and not (fake.root / ETC / "web.service.d").exists()
    assert fake.calls == [VERSION]


def test_symlink_at_dropin_path_refused(fake, run_module, tmp_path):
    victim = tmp_path / "victim.conf"
    victim.write_text("keep\n")
    d = fake.root / ETC / "db.service.d"
    d.mkdir(parents=True)
    os.symlink(str(victim), str(d / DROPIN))
    for state in ("present", "absent"):
        r = run(run_module, {"units": [{"name": "db", "oom_score_adj": 1, "state": state}]})
        assert r["failed"] is True and "is a symlink; refusing to write through it or remove it" in r["msg"]
        assert victim.read_text() == "keep\n" and os.path.islink(str(d / DROPIN))


def test_write_failure_rolls_back_and_leaves_no_empty_dir(fake, run_module, monkeypatch):
    run(run_module, {"units": [{"name": "db", "oom_score_adj": 1}]})
    db_before = dropin(fake, "db.service").read_text()
    real = _atomic.atomic_write

    def failing(module, path, content, mode=0o644):
        if "web.service" in path:
            os.makedirs(os.path.dirname(path), exist_ok=True)  # fails after creating the directory
            raise _managed.ManagedFileError("cannot write %s: No space left on device" % path)
        return real(module, path, content, mode)
    monkeypatch.setattr(_atomic, "atomic_write", failing)
    fake.calls[:] = []
    r = run(run_module, {"units": [{"name": "db", "oom_score_adj": 2}, {"name": "web", "oom_score_adj": 3}]})
    assert r["failed"] is True
    assert r["msg"] == ("units[1] (web.service), dropin %s: cannot write %s: cannot write %s: No space left on "
                        "device; nothing was changed (this run's other drop-ins were put back)"
                        % (DROPIN, dropin(fake, "web.service"), dropin(fake, "web.service")))
    assert dropin(fake, "db.service").read_text() == db_before
    assert not (fake.root / ETC / "web.service.d").exists()
    assert fake.calls == [VERSION]


def test_not_pid1_writes_only(fake, run_module):
    write(fake.root, "/proc/1/comm", "bash\n")
    r = run(run_module, {"units": [FLEET[1]]})
    assert r["systemd_running"] is False and fake.calls == [VERSION]
    assert dropin(fake, "web.service").exists() and proc(fake, 201) == "0"
    assert r["units"]["web.service"]["effective"]["managed_oom_memory_pressure"] is None


def test_warns_once_when_oomd_cannot_act(fake, run_module):
    os.unlink(str(fake.root / "sys/fs/cgroup/cgroup.controllers"))
    os.unlink(str(fake.root / "proc/pressure/memory"))
    r = run(run_module, {"units": FLEET})
    assert r["failed"] is False and dropin(fake, "batch.slice").exists()
    assert r["warnings"] == [
        "systemd-oomd cannot act on this host (/sys/fs/cgroup is not the unified cgroup v2 hierarchy (cgroup v1); "
        "systemd-oomd needs it (systemd.unified_cgroup_hierarchy=1); no Pressure Stall Information: "
        "/proc/pressure/memory is missing (a kernel without CONFIG_PSI, or older than 4.20)): the ManagedOOM* "
        "settings of db.service, web.service, batch.slice are written "
        "and read back but kill nothing here"]
    r = run(run_module, {"units": [{"name": "db", "oom_score_adj": 1}]})
    assert r["warnings"] == []


def test_absent_cleans_a_killed_runs_temporary_file_then_removes_the_dir(fake, run_module):
    # A run killed between creating its temporary file and renaming it leaves
    # .sre-oom-<12 hex>.tmp beside the drop-in; it must not keep the directory alive.
    run(run_module, {"units": [{"name": "db", "oom_score_adj": 1}]})
    unit_d = fake.root / ETC / "db.service.d"
    stale = unit_d / ".sre-oom-0123456789ab.tmp"
    stale.write_text("half a drop-in")
    run(run_module, {"units": [{"name": "web", "oom_score_adj": 1}]})
    users = write(fake.root, "/%s/web.service.d/.sre-oom-backup.tmp" % ETC, "not ours\n")
    checked = run(run_module, {"units": [{"name": "db", "state": "absent"}]}, check_mode=True)
    assert checked["changed"] is True and stale.exists()
    warning = ("db.service: removing %s, a temporary file left by an interrupted sre.oom run" % stale)
    assert checked["warnings"] == [warning]
    r = run(run_module, {"units": [{"name": "db", "state": "absent"}, {"name": "web", "state": "absent"}]})
    assert r["changed"] is True and r["warnings"] == [warning]
    assert not unit_d.exists()
    # Someone else's file of a similar name is never removed, so that directory stays.
    assert users.read_text() == "not ours\n" and not dropin(fake, "web.service").exists()
    assert sorted(os.listdir(str(users.parent))) == [".sre-oom-backup.tmp"]

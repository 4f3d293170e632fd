# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The phases of _units on their own: validation, version-aware settings, plans (immutable,
shadowing included), diff, read-back and the result builder."""

from __future__ import annotations

import os

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _managed, _systemctl, _systemd, _unit_plan, _unit_spec, _units


def spec(unit="a.service", state="present", **settings):
    pairs = tuple((o, settings[o]) for o in _unit_spec.OPTIONS if o in settings)
    return _unit_spec.UnitSpec(0, unit, state, pairs, "units[0] (%s)" % unit)


# --- validation -------------------------------------------------------------

def test_validate_entries_normalises_and_keeps_order():
    specs = _unit_spec.validate_entries([
        {"name": "db", "oom_score_adj": "-5", "managed_oom_memory_pressure_limit": 60},
        {"name": "b.slice", "managed_oom_swap": "kill"},
        {"name": "db.service", "oom_score_adj": -5, "managed_oom_memory_pressure_limit": "60%"},
        {"name": "old", "state": "absent", "oom_score_adj": 3},
    ])
    assert [s.unit for s in specs] == ["db.service", "b.slice", "old.service"]
    assert specs[0].settings == (("oom_score_adj", -5), ("managed_oom_memory_pressure_limit", 6000))
    assert specs[2].settings == () and specs[2].state == "absent"


@pytest.mark.parametrize("entry,msg", [
    ({"name": "a", "oom_score_adj": False},
     "units[0] (a.service): oom_score_adj must be an integer from -1000 to 1000, not a boolean (False)"),
    ({"name": "a", "oom_score_adj": 1.5},
     "units[0] (a.service): oom_score_adj must be an integer from -1000 to 1000, got 1.5"),
    ({"name": "a", "oom_score_adj": "0x10"},
     "units[0] (a.service): oom_score_adj must be an integer from -1000 to 1000, got '0x10'"),
    ({"name": "a", "managed_oom_preference": "never"},
     "units[0] (a.service): managed_oom_preference must be one of none, avoid, omit, got 'never'"),
    ({"name": "a", "state": "gone", "oom_score_adj": 1},
     "units[0] (a.service): state must be present or absent, got 'gone'"),
    ({"name": "a.slice", "oom_policy": "kill"}, "units[0] (a.slice): oom_policy applies to .service units only"),
], ids=["bool-false", "float", "hex", "choice", "state", "policy-on-slice"])
def test_validate_entries_refuses(entry, msg):
    with pytest.raises(_unit_spec.UnitsError) as e:
        _unit_spec.validate_entries([entry])
    assert e.value.msg == msg


@pytest.mark.parametrize("name,ok", [
    ("50-oom.conf", True), ("a@b_c.d-e.conf", True), ("x" * 250 + ".conf", True),
    ("x" * 251 + ".conf", False), ("x.conf\n", False), ("\nx.conf", False), (".x.conf", False),
    ("x.conf.bak", False), ("x y.conf", False), ("../x.conf", False), ("x.CONF", False), (None, False),
], ids=["plain", "all-chars", "255-bytes", "256-bytes", "trailing-newline", "leading-newline", "hidden",
        "suffix", "space", "traversal", "upper-suffix", "none"])
def test_validate_dropin_full_match(name, ok):
    if ok:
        _unit_spec.validate_dropin(name)
    else:
        with pytest.raises(_unit_spec.UnitsError):
            _unit_spec.validate_dropin(name)


# --- versions ---------------------------------------------------------------

@pytest.mark.parametrize("version,written,unsupported", [
    (257, (("managed_oom_memory_pressure_limit", "ManagedOOMMemoryPressureLimit", "55.5%"),
           ("managed_oom_preference", "ManagedOOMPreference", "avoid")), ()),
    (248, (("managed_oom_memory_pressure_limit", "ManagedOOMMemoryPressureLimit", "55.5%"),
           ("managed_oom_preference", "ManagedOOMPreference", "avoid")), ()),
    (247, (), ("managed_oom_memory_pressure_limit", "managed_oom_preference")),
    (246, (), ("managed_oom_memory_pressure_limit", "managed_oom_preference")),
    (None, (("managed_oom_memory_pressure_limit", "ManagedOOMMemoryPressureLimit", "55.5%"),
            ("managed_oom_preference", "ManagedOOMPreference", "avoid")), ()),
], ids=["257", "248", "247", "246", "unknown"])
def test_settings_for_version(version, written, unsupported):
    got_written, lacking = _unit_spec.settings_for_version(
        spec(managed_oom_memory_pressure_limit=5550, managed_oom_preference="avoid"), version)
    assert got_written == written
    assert tuple(o for o, _why in lacking) == unsupported


def test_247_whole_percent_uses_the_old_name():
    written, lacking = _unit_spec.settings_for_version(spec(managed_oom_memory_pressure_limit=6000), 247)
    assert written == (("managed_oom_memory_pressure_limit", "ManagedOOMMemoryPressureLimitPercent", "60%"),)
    assert lacking == ()


# --- plans ------------------------------------------------------------------

def ctx(tmp_path, version=252, force=False):
    return _unit_plan.PlanContext(str(tmp_path), "/etc/systemd/system", "50-oom.conf", force, version, "sre.oom.oom_unit")


def test_plan_is_immutable_and_reads_only(tmp_path):
    plan = _unit_plan.plan_unit(spec(oom_score_adj=5), ctx(tmp_path))
    assert plan.changed and plan.before is None and plan.after.endswith("[Service]\nOOMScoreAdjust=5\n")
    assert plan.missing_dirs[0] == str(tmp_path / "etc/systemd/system/a.service.d")
    assert not os.path.exists(plan.unit_d)
    with pytest.raises(AttributeError):
        plan.changed = False


def test_plan_shadowing_per_written_key(tmp_path):
    d = tmp_path / "run/systemd/system/a.service.d"
    d.mkdir(parents=True)
    (d / "90-x.conf").write_text("[Service]\nManagedOOMSwap=auto\n")
    plan = _unit_plan.plan_unit(spec(oom_score_adj=5, managed_oom_swap="kill"), ctx(tmp_path))
    assert plan.shadowed_by == (str(d / "90-x.conf"),) and plan.adj_shadowed is False
    assert plan.warnings == ("a.service: the managed drop-in %s is overridden by %s" % (plan.path, d / "90-x.conf"),)
    plan = _unit_plan.plan_unit(spec(oom_score_adj=5), ctx(tmp_path))
    assert plan.shadowed_by == ()


def test_plan_absent_of_foreign_file_warns_and_changes_nothing(tmp_path):
    d = tmp_path / "etc/systemd/system/a.service.d"
    d.mkdir(parents=True)
    (d / "50-oom.conf").write_text("[Service]\nNice=1\n")
    plan = _unit_plan.plan_unit(spec(state="absent"), ctx(tmp_path))
    assert plan.changed is False and "left in place" in plan.warnings[0]


def test_plan_unchanged_when_file_matches(tmp_path):
    first = _unit_plan.plan_unit(spec(oom_score_adj=5), ctx(tmp_path))
    os.makedirs(first.unit_d)
    with open(first.path, "w") as f:
        f.write(first.after)
    os.chmod(first.path, 0o644)
    again = _unit_plan.plan_unit(spec(oom_score_adj=5), ctx(tmp_path))
    assert again.changed is False and again.drift == ()
    assert again.after == first.after and _managed.has_marker(again.after)
    assert _unit_plan.diff_of([again]) == []


# --- read-back and result ---------------------------------------------------

def test_show_props_ask_both_limit_spellings():
    assert _units.show_props(_unit_spec.OPTIONS) == (
        "Id", "LoadState", "ActiveState", "OOMScoreAdjust", "OOMPolicy", "ManagedOOMMemoryPressure",
        "ManagedOOMMemoryPressureLimit", "ManagedOOMMemoryPressureLimitPercent", "ManagedOOMSwap",
        "ManagedOOMPreference", "DropInPaths", "NeedDaemonReload", "ControlGroup")
    assert _units.show_props(("oom_score_adj", "oom_policy")) == (
        "Id", "LoadState", "ActiveState", "OOMScoreAdjust", "OOMPolicy", "DropInPaths", "NeedDaemonReload",
        "ControlGroup")


@pytest.mark.parametrize("block,limit,pref", [
    ({"ManagedOOMMemoryPressureLimit": "2576980377", "ManagedOOMPreference": "avoid"}, "60%", "avoid"),
    ({"ManagedOOMMemoryPressureLimitPercent": "61%"}, "61%", None),
    ({}, None, None),
], ids=["252", "247", "nothing"])
def test_effective_in_percent(block, limit, pref):
    got = _units.effective_of(block, _unit_spec.OPTIONS)
    assert got["managed_oom_memory_pressure_limit"] == limit and got["managed_oom_preference"] == pref


def test_result_builder_same_keys_without_systemd(tmp_path):
    plan = _unit_plan.plan_unit(spec(oom_score_adj=5, managed_oom_memory_pressure_limit=5550), ctx(tmp_path))
    result = _units.build_result((plan,), None, None, False, None)
    assert set(result) == {"changed", "daemon_reloaded", "systemd_running", "systemd_version", "units"}
    unit = result["units"]["a.service"]
    assert unit["settings"]["managed_oom_memory_pressure_limit"] == "55.5%"
    assert unit["effective"] == dict.fromkeys(_unit_spec.OPTIONS)
    assert unit["written"] == {"OOMScoreAdjust": "5", "ManagedOOMMemoryPressureLimit": "55.5%"}
    assert result["changed"] is True and result["daemon_reloaded"] is False


def test_runner_is_the_only_check_mode_gate():
    calls = []
    assert _units.Runner(True).act(calls.append, 1) is None and calls == []
    _units.Runner(False).act(calls.append, 2)
    assert calls == [2]


def test_section_of_slice_drop_in(tmp_path):
    plan = _unit_plan.plan_unit(spec("b.slice", managed_oom_swap="kill"), ctx(tmp_path))
    assert plan.after.endswith("[Slice]\nManagedOOMSwap=kill\n")
    assert _systemd.section_for("b.slice") == "Slice"


@pytest.mark.parametrize("text,permyriad", [
    (u"605\u2030", 6050), (u"60.5\u2030", 605), (u"6050\u2031", 6050), (u"10001\u2031", None), (u"1001\u2030", None),
], ids=["permille", "permille-decimal", "permyriad", "permyriad-over", "permille-over"])
def test_limit_takes_systemds_permille_and_permyriad(text, permyriad):
    # One grammar with oom_policy's oomd_* percentages: systemd's parse_permyriad.
    assert _unit_spec.limit_permyriad(text) == permyriad
    assert _systemctl.parse_percent(text) == permyriad

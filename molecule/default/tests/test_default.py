"""Verify the `default` scenario: sre.oom.kernel and sre.oom.services on real systemd.

Molecule's testinfra verifier passes the inventory: every test runs once per
container (bullseye, bookworm, trixie).
"""

import json
import os
import re

import pytest
import yaml

VARS_FILE = os.path.join(os.path.dirname(__file__), os.pardir, "vars", "main.yml")
with open(VARS_FILE, encoding="utf-8") as f:
    VARS = yaml.safe_load(f)

SYSCTL_FILE = "/etc/sysctl.d/60-sre-oom.conf"
DROPIN = "50-oom-score-adj.conf"
CAP_SYS_RESOURCE = 24
UNITS = {
    (s["name"] if "." in s["name"] else s["name"] + ".service"): s for s in VARS["oom_services"]
}
# The units that run processes (the slice only carries systemd-oomd settings).
SERVICES = {u: s for u, s in UNITS.items() if u.endswith(".service")}
# ManagedOOMMemoryPressureLimit as `systemctl show` prints it on systemd 248+: a
# fraction of 2^32 (read on bookworm's 252 and trixie's 257).
LIMIT_FRACTION = {"60%": "2576980377", "55.5%": "2383706849"}


def _json(host, path):
    return json.loads(host.file(path).content_string)


def _show(host, unit, *props):
    out = host.check_output("systemctl show %s %s" % (" ".join("-p " + p for p in props), unit))
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def _systemd_version(host):
    return int(host.check_output("systemctl --version").split()[1])


def _expected_dropin(version, want):
    """The keys the drop-in must set on this systemd, in the module's order."""
    keys = []
    if want.get("oom_score_adj") is not None:
        keys.append("OOMScoreAdjust=%d" % want["oom_score_adj"])
    if want.get("oom_policy"):
        keys.append("OOMPolicy=%s" % want["oom_policy"])
    if want.get("managed_oom_memory_pressure"):
        keys.append("ManagedOOMMemoryPressure=%s" % want["managed_oom_memory_pressure"])
    limit = want.get("managed_oom_memory_pressure_limit")
    if limit:
        if version >= 248:
            keys.append("ManagedOOMMemoryPressureLimit=%s" % limit)
        elif "." not in limit:  # 247: whole percents only, other spelling
            keys.append("ManagedOOMMemoryPressureLimitPercent=%s" % limit)
    if want.get("managed_oom_swap"):
        keys.append("ManagedOOMSwap=%s" % want["managed_oom_swap"])
    if want.get("managed_oom_preference") and version >= 248:
        keys.append("ManagedOOMPreference=%s" % want["managed_oom_preference"])
    return keys


def _has_cap_sys_resource(host):
    """Whether processes in this container may lower oom_score_adj (CapBnd of PID 1)."""
    status = host.file("/proc/1/status").content_string
    bnd = int(re.search(r"^CapBnd:\s*([0-9a-f]+)$", status, re.M).group(1), 16)
    return bool(bnd >> CAP_SYS_RESOURCE & 1)


def test_sysctl_file(host):
    f = host.file(SYSCTL_FILE)
    assert f.is_file
    assert f.user == "root" and f.group == "root"
    assert f.mode == 0o644
    text = f.content_string
    assert "Managed by sre.oom" in text.splitlines()[0], "no managed-by marker in the header"
    settings = {
        k.strip(): v.strip()
        for k, v in (line.split("=", 1) for line in text.splitlines()
                     if "=" in line and not line.lstrip().startswith(("#", ";")))
    }
    assert settings == {
        "vm.panic_on_oom": str(VARS["oom_kernel_panic_on_oom"]),
        "kernel.panic": str(VARS["oom_kernel_panic"]),
    }


def test_live_sysctls(host):
    # Machine-wide values: cleanup puts them back to what prepare recorded.
    assert host.file("/proc/sys/vm/panic_on_oom").content_string.strip() == "1"
    assert host.file("/proc/sys/kernel/panic").content_string.strip() == "10"


def test_kernel_role_result(host):
    result = _json(host, "/var/lib/sre-oom-test/converge-result.json")["kernel"]
    assert result["path"] == SYSCTL_FILE
    assert result["live_applied"] is True
    assert result["live_skipped_reason"] is None
    assert result["persisted"] == {"vm.panic_on_oom": 1, "kernel.panic": 10}


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_dropin(host, unit):
    want = UNITS[unit]
    d = host.file("/etc/systemd/system/%s.d" % unit)
    assert d.is_directory and d.mode == 0o755
    f = host.file("/etc/systemd/system/%s.d/%s" % (unit, DROPIN))
    assert f.is_file
    assert f.user == "root" and f.group == "root" and f.mode == 0o644
    lines = f.content_string.splitlines()
    assert "Managed by sre.oom" in lines[0], "no managed-by marker in the header"
    section = "[Slice]" if unit.endswith(".slice") else "[Service]"
    body = [line for line in lines if not line.startswith("#")]
    assert body == [section] + _expected_dropin(_systemd_version(host), want)


def test_untouched_service_has_no_dropin(host):
    assert not host.file("/etc/systemd/system/oomtest-idle.service.d").exists
    assert _show(host, "oomtest-idle.service", "OOMScoreAdjust")["OOMScoreAdjust"] == "0"


@pytest.mark.parametrize("unit", sorted(SERVICES))
def test_systemctl_show(host, unit):
    want = SERVICES[unit]
    props = _show(host, unit, "OOMScoreAdjust", "OOMPolicy", "DropInPaths", "ActiveState",
                  "NeedDaemonReload")
    assert props["ActiveState"] == "active"
    assert props["NeedDaemonReload"] == "no"
    assert props["OOMScoreAdjust"] == str(want["oom_score_adj"])
    assert props["OOMPolicy"] == want.get("oom_policy", "stop")
    assert "/etc/systemd/system/%s.d/%s" % (unit, DROPIN) in props["DropInPaths"].split()


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_systemd_oomd_settings_read_back(host, unit):
    """What systemd loaded, in its own spelling: 247 reports the limit as a percent
    under ...LimitPercent and has no ManagedOOMPreference; 248+ a fraction of 2^32."""
    want = UNITS[unit]
    version = _systemd_version(host)
    props = _show(host, unit, "ManagedOOMMemoryPressure", "ManagedOOMMemoryPressureLimit",
                  "ManagedOOMMemoryPressureLimitPercent", "ManagedOOMSwap", "ManagedOOMPreference")
    assert props["ManagedOOMMemoryPressure"] == want.get("managed_oom_memory_pressure", "auto")
    assert props["ManagedOOMSwap"] == want.get("managed_oom_swap", "auto")
    limit = want.get("managed_oom_memory_pressure_limit")
    if version >= 248:
        assert "ManagedOOMMemoryPressureLimitPercent" not in props
        assert props["ManagedOOMMemoryPressureLimit"] == LIMIT_FRACTION.get(limit, "0")
        assert props["ManagedOOMPreference"] == want.get("managed_oom_preference", "none")
    else:
        assert "ManagedOOMPreference" not in props and "ManagedOOMMemoryPressureLimit" not in props
        whole = limit if limit and "." not in limit else "0%"
        assert props["ManagedOOMMemoryPressureLimitPercent"] == whole


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_reported_effective_values_in_percent(host, unit):
    """The module's read-back (effective) matches what was asked, in percent, where
    this systemd supports the setting; the rest is listed as unsupported."""
    want = UNITS[unit]
    version = _systemd_version(host)
    saved = _json(host, "/var/lib/sre-oom-test/converge-result.json")
    assert saved["services_result"]["systemd_version"] == version
    reported = saved["services"][unit]
    unsupported = set()
    if version < 248:
        if want.get("managed_oom_preference"):
            unsupported.add("managed_oom_preference")
        if "." in str(want.get("managed_oom_memory_pressure_limit", "")):
            unsupported.add("managed_oom_memory_pressure_limit")
    assert set(reported["unsupported"]) == unsupported
    for option in ("managed_oom_memory_pressure", "managed_oom_memory_pressure_limit", "managed_oom_swap",
                   "managed_oom_preference", "oom_policy", "oom_score_adj"):
        if want.get(option) is not None and option not in unsupported:
            assert reported["effective"][option] == want[option], option
    for option in unsupported:
        assert reported["effective"][option] != want[option], option


def test_one_module_result_holds_every_unit(host):
    saved = _json(host, "/var/lib/sre-oom-test/converge-result.json")
    assert sorted(saved["services"]) == sorted(UNITS)
    assert sorted(saved["services_result"]["units"]) == sorted(UNITS)


def test_no_service_was_restarted(host):
    before = _json(host, "/var/lib/sre-oom-test/mainpids.json")
    for unit, pid in before.items():
        assert pid > 0
        assert int(_show(host, unit, "MainPID")["MainPID"]) == pid, "%s was restarted" % unit


@pytest.mark.parametrize("unit", sorted(u for u, s in SERVICES.items() if s["oom_score_adj"] >= 0))
def test_positive_value_live_without_restart(host, unit):
    pid = _json(host, "/var/lib/sre-oom-test/mainpids.json")[unit]
    live = host.file("/proc/%d/oom_score_adj" % pid).content_string.strip()
    assert live == str(SERVICES[unit]["oom_score_adj"])
    reported = _json(host, "/var/lib/sre-oom-test/converge-result.json")["services"][unit]["live"]
    assert pid in reported["updated"]
    assert not reported["failed"]


def test_negative_value_live(host):
    """-500 needs CAP_SYS_RESOURCE: applied where it is in the bounding set,
    else the EACCES is reported for the pid (not hidden) and the value stays."""
    unit = "oomtest-db.service"
    pid = _json(host, "/var/lib/sre-oom-test/mainpids.json")[unit]
    live = int(host.file("/proc/%d/oom_score_adj" % pid).content_string)
    reported = _json(host, "/var/lib/sre-oom-test/converge-result.json")["services"][unit]
    assert reported["effective"]["oom_score_adj"] == -500
    if _has_cap_sys_resource(host):
        assert live == -500
        assert pid in reported["live"]["updated"]
    else:
        assert live == 0
        assert pid not in reported["live"]["updated"]
        reason = reported["live"]["failed"].get(str(pid), "")
        assert re.search(r"EACCES|[Pp]ermission denied", reason), reported["live"]


def test_oomd_limits_reported(host):
    """systemd-oomd needs cgroup v2 and PSI; where either is missing (this machine is
    cgroup v1 hybrid) the run says so in a warning instead of pretending."""
    saved = _json(host, "/var/lib/sre-oom-test/converge-result.json")
    able = host.file("/sys/fs/cgroup/cgroup.controllers").exists and host.file("/proc/pressure/memory").exists
    said = [w for w in saved["services_result"]["warnings"] if "systemd-oomd cannot act" in w]
    assert len(said) == (0 if able else 1), saved["services_result"]["warnings"]

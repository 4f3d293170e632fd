# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_oomd: values as systemd-oomd accepts them, oomd.conf(5)'s read order, host support."""

from __future__ import annotations

import os

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _host, _managed, _oomd, _systemctl


def write(root, path, text):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)
    return full


@pytest.mark.parametrize("value,permyriad", [
    ("60%", 6000), ("0%", 0), ("100%", 10000), ("60.5%", 6050), ("60.55%", 6055), (" 90% ", 9000),
    (u"605\u2030", 6050), (u"60.5\u2030", 605), (u"6050\u2031", 6050),
    ("101%", None), ("60.555%", None), ("60", None), ("60 %", None), ("-1%", None), ("%", None), ("", None),
    ("60%\n", 6000), ("60%%", None), ("1e2%", None), (60, None), (True, None),
], ids=["60", "0", "100", "one-decimal", "two-decimals", "blanks", "permille", "permille-decimal", "permyriad",
        "over-100", "three-decimals", "no-unit", "space-before-unit", "negative", "bare", "empty",
        "newline-stripped", "double-percent", "exponent", "int", "bool"])
def test_parse_percent(value, permyriad):
    # systemd's grammar (_systemctl.parse_percent) on a value stripped as systemd strips it
    assert _oomd.percent(value) == permyriad


@pytest.mark.parametrize("value,usec", [
    ("30s", 30 * 10 ** 6), ("1min 30s", 90 * 10 ** 6), ("1min30s", 90 * 10 ** 6), ("20", 20 * 10 ** 6),
    ("0", 0), ("1.5s", 1500000), ("500ms", 500000), ("2 h", 7200 * 10 ** 6), ("30sec", 30 * 10 ** 6),
    (30, 30 * 10 ** 6), (0, 0),
    ("", None), ("abc", None), ("30x", None), ("-1s", None), ("1e3", None), (True, None), (-5, None),
    (None, None), (1.5, None), ("9" * 13, None), ("s" * 65, None), ("11y", None),
], ids=["30s", "1min-30s", "no-space", "bare-seconds", "zero", "fraction", "ms", "hours", "sec", "int", "int-zero",
        "empty", "word", "bad-unit", "negative", "exponent", "bool", "negative-int", "none", "float",
        "13-digits", "too-long", "over-ten-years"])
def test_parse_duration(value, usec):
    assert _oomd.parse_duration(value) == usec


@pytest.mark.hostile
def test_parse_duration_is_linear_on_hostile_input():
    # 64 characters at most are looked at: a long run of digits and blanks is refused at once
    assert _oomd.parse_duration("1 " * 100000) is None


@pytest.mark.parametrize("usec,text", [(0, "0"), (30 * 10 ** 6, "30s"), (90 * 10 ** 6, "1min 30s"),
                                       (3600 * 10 ** 6 + 500000, "1h 500ms")])
def test_format_duration(usec, text):
    assert _oomd.format_duration(usec) == text


@pytest.mark.parametrize("option,value,expected", [
    ("oomd_swap_used_limit", "80%", "80%"),
    ("oomd_default_memory_pressure_duration_sec", 20, "20s"),
    ("oomd_default_memory_pressure_duration_sec", " 1min ", "1min"),
    ("oomd_default_memory_pressure_duration_sec", "0", "0"),
])
def test_coerce_accepts(option, value, expected):
    key = {o[0]: o[1] for o in _oomd.OPTIONS}[option]
    assert _oomd.coerce(option, key, value) == expected


@pytest.mark.parametrize("option,value,message", [
    ("oomd_swap_used_limit", 80, "oomd_swap_used_limit must be a percentage from 0% to 100% such as \"60%\""),
    ("oomd_swap_used_limit", True, "got True (bool)"),
    ("oomd_swap_used_limit", "101%", "got '101%' (str)"),
    ("oomd_swap_used_limit", "80%\n[OOM]\nSwapUsedLimit=1%", "must be a percentage"),
    ("oomd_default_memory_pressure_duration_sec", "500ms", "must be 0 (systemd's default, 30s) or at least 1s"),
    ("oomd_default_memory_pressure_duration_sec", True, "must be a systemd time span"),
    ("oomd_default_memory_pressure_duration_sec", "30s\nSwapUsedLimit=1%", "must be a systemd time span"),
], ids=["int-percent", "bool", "over-100", "newline-injection", "under-1s", "bool-duration", "duration-injection"])
def test_coerce_refuses(option, value, message):
    key = {o[0]: o[1] for o in _oomd.OPTIONS}[option]
    with pytest.raises(_oomd.OomdError) as e:
        _oomd.coerce(option, key, value)
    assert message in str(e.value)


def test_render_and_parse_round_trip():
    text = _oomd.render({"DefaultMemoryPressureDurationSec": "20s", "SwapUsedLimit": "80%"})
    assert text == (_managed.header("sre.oom.oom_policy") + "[OOM]\nSwapUsedLimit=80%\n"
                    "DefaultMemoryPressureDurationSec=20s\n")
    assert _managed.has_marker(text)
    assert _oomd.parse_conf(text) == {"SwapUsedLimit": "80%", "DefaultMemoryPressureDurationSec": "20s"}


def test_render_for_systemd_247_uses_the_old_names():
    text = _oomd.render({"SwapUsedLimit": "80%", "DefaultMemoryPressureLimit": "50%"}, systemd_version=247)
    assert "SwapUsedLimitPercent=80%\nDefaultMemoryPressureLimitPercent=50%\n" in text
    assert _oomd.parse_conf(text) == {"SwapUsedLimit": "80%", "DefaultMemoryPressureLimit": "50%"}


def test_parse_conf_reads_only_the_oom_section():
    text = ("# c\n[Other]\nSwapUsedLimit=1%\n[OOM]\n; c\nSwapUsedLimit = 70%\nSwapUsedLimit=75%\n"
            "DefaultMemoryPressureLimit=\nnot a line\n")
    assert _oomd.parse_conf(text) == {"SwapUsedLimit": "75%", "DefaultMemoryPressureLimit": ""}


@pytest.mark.parametrize("key,a,b,equal", [
    ("SwapUsedLimit", "60%", "60.00%", True), ("SwapUsedLimit", u"600\u2030", "60%", True),
    ("SwapUsedLimit", "60%", "61%", False), ("SwapUsedLimit", "", "90%", True),
    ("DefaultMemoryPressureDurationSec", "1min", "60s", True),
    ("DefaultMemoryPressureDurationSec", "0", "30s", True),
    ("DefaultMemoryPressureDurationSec", "20s", "30s", False),
])
def test_values_equal(key, a, b, equal):
    assert _oomd.values_equal(key, a, b) is equal


OURS = "/etc/systemd/oomd.conf.d/60-sre-oom.conf"


def test_shadowing_follows_oomd_conf_order(tmp_path):
    ours = _oomd.render({"SwapUsedLimit": "80%", "DefaultMemoryPressureLimit": "50%"})
    write(tmp_path, "/etc/systemd/oomd.conf", "[OOM]\nSwapUsedLimit=10%\n")  # main file: read first
    write(tmp_path, "/usr/lib/systemd/oomd.conf.d/10-vendor.conf", "[OOM]\nSwapUsedLimit=20%\n")  # earlier name
    write(tmp_path, "/usr/lib/systemd/oomd.conf.d/70-vendor.conf", "[OOM]\nDefaultMemoryPressureLimit=40%\n")
    write(tmp_path, "/run/systemd/oomd.conf.d/99-other.conf", "[Other]\nSwapUsedLimit=1%\n")  # other section
    assert _oomd.shadowing(["DefaultMemoryPressureLimit", "SwapUsedLimit"], OURS, ours, _host.Host(root=str(tmp_path))) == {
        "DefaultMemoryPressureLimit": "/usr/lib/systemd/oomd.conf.d/70-vendor.conf"}
    eff = _oomd.effective_from_files(_host.Host(root=str(tmp_path)), OURS, ours)
    assert eff == {"SwapUsedLimit": ("80%", OURS),
                   "DefaultMemoryPressureLimit": ("40%", "/usr/lib/systemd/oomd.conf.d/70-vendor.conf"),
                   "DefaultMemoryPressureDurationSec": ("30s", None)}


def test_same_name_in_etc_wins_over_usr_lib_and_masks(tmp_path):
    write(tmp_path, "/usr/lib/systemd/oomd.conf.d/70-x.conf", "[OOM]\nSwapUsedLimit=20%\n")
    write(tmp_path, "/etc/systemd/oomd.conf.d/70-x.conf", "")  # masks the vendor file
    ours = _oomd.render({"SwapUsedLimit": "80%"})
    assert _oomd.shadowing(["SwapUsedLimit"], OURS, ours, _host.Host(root=str(tmp_path))) == {}


def test_same_name_in_a_higher_directory_hides_ours(tmp_path):
    # our file in /run (lower than /etc): /etc's file of the same name hides it whole
    ours_run = "/run/systemd/oomd.conf.d/60-sre-oom.conf"
    write(tmp_path, "/etc/systemd/oomd.conf.d/60-sre-oom.conf", "[OOM]\n")
    host = _host.Host(root=str(tmp_path))
    assert _oomd.shadowing(["SwapUsedLimit"], ours_run, _oomd.render({"SwapUsedLimit": "80%"}),
                           host) == {"SwapUsedLimit": "/etc/systemd/oomd.conf.d/60-sre-oom.conf"}


def test_main_file_is_the_first_found(tmp_path):
    write(tmp_path, "/usr/lib/systemd/oomd.conf", "[OOM]\nSwapUsedLimit=20%\n")
    assert _oomd.main_conf(_host.Host(root=str(tmp_path))) == "/usr/lib/systemd/oomd.conf"
    write(tmp_path, "/etc/systemd/oomd.conf", "[OOM]\n")
    assert _oomd.main_conf(_host.Host(root=str(tmp_path))) == "/etc/systemd/oomd.conf"
    assert _oomd.effective_from_files(_host.Host(root=str(tmp_path)))["SwapUsedLimit"] == ("90%", None)


@pytest.mark.parametrize("layout,reasons", [
    ("v2", []),
    ("hybrid", ["cgroup v2 is not the only hierarchy"]),
    ("v1", ["is not the unified cgroup v2 hierarchy (cgroup v1)"]),
    ("v2-no-memory", ["memory controller is not available"]),
    ("v2-no-accounting", ["memory accounting is off"]),
    ("v2-no-psi", ["/proc/pressure/memory is missing"]),
    ("v2-no-binary", ["systemd-oomd is not installed"]),
])
def test_support(tmp_path, layout, reasons):
    root = str(tmp_path)
    os.makedirs(os.path.join(root, "sys/fs/cgroup"))
    if layout.startswith("v2"):
        write(root, "/sys/fs/cgroup/cgroup.controllers",
              "cpu io pids\n" if layout == "v2-no-memory" else "cpu io memory pids\n")
        write(root, "/sys/fs/cgroup/cgroup.subtree_control",
              "cpu pids\n" if layout == "v2-no-accounting" else "cpu memory pids\n")
    elif layout == "hybrid":
        os.makedirs(os.path.join(root, "sys/fs/cgroup/unified"))
    if layout != "v2-no-psi":
        write(root, "/proc/pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
    if layout != "v2-no-binary":
        write(root, "/usr/lib/systemd/systemd-oomd", "")
    got = _oomd.support(_host.Host(root=root))
    assert len(got) == len(reasons)
    for fragment, reason in zip(reasons, got):
        assert fragment in reason


def test_support_on_this_host_is_honest():
    # This machine kind is cgroup v1 hybrid: oomd cannot act here, and the module must say so.
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        pytest.skip("this host has the unified hierarchy")
    assert any("cgroup" in r for r in _oomd.support(_host.Host()))


@pytest.mark.parametrize("text,version", [
    ("systemd 252 (252.30-1~deb12u2)\n+PAM +AUDIT", 252), ("systemd 247 (247.3-7+deb11u6)", 247),
    ("systemd 257 (257.9-1~deb13u1)", 257), ("", None), ("garbage", None),
])
def test_parse_systemd_version(text, version):
    assert _systemctl.parse_version(text) == version


def test_parse_dump_new_and_old_formats():
    new = ("Dry Run: no\nSwap Used Limit: 90.00%\nDefault Memory Pressure Limit: 60.00%\n"
           "Default Memory Pressure Duration: 20s\nSystem Context:\n\tSwap Used Limit: 1%\n")
    assert _oomd.parse_dump(new) == {"SwapUsedLimit": "90.00%", "DefaultMemoryPressureLimit": "60.00%",
                                     "DefaultMemoryPressureDurationSec": "20s"}
    old = "Dry Run: no\nSwap Used Limit: 90%\nDefault Memory Pressure Limit: 60%\nSystem Context:\n"
    assert _oomd.parse_dump(old) == {"SwapUsedLimit": "90%", "DefaultMemoryPressureLimit": "60%"}
    assert _oomd.parse_dump("") == {}


def test_parse_conf_reads_systemds_syntax_as_for_units():
    # One reader (_systemd.assignments) for unit drop-ins and oomd.conf: continuations,
    # both comment leaders, old names mapped in order (the later assignment wins).
    text = "[OOM]\n; c\nSwapUsedLimit=\\\n  70%\nSwapUsedLimitPercent=75%\n[Other]\nSwapUsedLimit=1%\n"
    assert _oomd.parse_conf(text) == {"SwapUsedLimit": "75%"}
    assert _oomd.parse_conf("SwapUsedLimit=1%\n[OOM]\nDefaultMemoryPressureDurationSec=\n") == {
        "DefaultMemoryPressureDurationSec": ""}

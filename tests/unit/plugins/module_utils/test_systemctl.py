# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_systemctl: `systemctl show` argument lists and blocks (with real captured
output), systemd versions and the systemd-oomd limits as systemd parses them."""

from __future__ import annotations

import os

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _systemctl, _unit_spec

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "systemd")


# --- systemctl show ---------------------------------------------------------

def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def test_show_argv():
    assert _systemctl.show_argv("/bin/systemctl", ["Id", "OOMScoreAdjust"], ["a.service", "b.socket"]) == [
        "/bin/systemctl", "show", "-p", "Id", "-p", "OOMScoreAdjust", "--", "a.service", "b.socket"]


def test_parse_show_three_units():
    blocks = _systemctl.parse_show(fixture("show-three.txt"), 3)
    assert [b["Id"] for b in blocks] == ["sleeper.service", "ssh.service", "nothere.service"]
    assert blocks[0]["OOMScoreAdjust"] == "500" and blocks[0]["ControlGroup"] == "/system.slice/sleeper.service"
    assert blocks[0]["DropInPaths"] == ("/etc/systemd/system/sleeper.service.d/50-oom-score-adj.conf "
                                        "/etc/systemd/system/sleeper.service.d/90-other.conf")
    assert blocks[1]["ActiveState"] == "active" and blocks[1]["OOMPolicy"] == "stop"
    assert blocks[2]["LoadState"] == "not-found" and blocks[2]["ControlGroup"] == ""


@pytest.mark.parametrize("text,count", [("Id=a\n", 2), ("Id=a\n\nId=b\n\nId=c\n", 2), ("", 1)],
                         ids=["too-few", "too-many", "empty"])
def test_parse_show_count_mismatch(text, count):
    with pytest.raises(ValueError):
        _systemctl.parse_show(text, count)


@pytest.mark.parametrize("val,out", [("500", 500), ("-1000", -1000), ("", None), (None, None), ("x", None)],
                         ids=["pos", "neg", "empty", "none", "junk"])
def test_parse_show_int(val, out):
    assert _systemctl.parse_show_int(val) == out


def test_parse_show_real_bookworm_output():
    # Captured from systemd 252 (Debian bookworm) in a container: empty values are
    # printed when asked for with -p, and an unknown unit still gets a block.
    blocks = _systemctl.parse_show(fixture("show-bookworm.txt"), 3)
    assert [(b["Id"], b["LoadState"]) for b in blocks] == [
        ("ssh.service", "not-found"), ("nothere.service", "not-found"), ("systemd-journald.service", "loaded")]
    assert blocks[0]["OOMPolicy"] == "" and blocks[0]["ControlGroup"] == ""
    assert blocks[2]["OOMScoreAdjust"] == "-250"
    assert blocks[2]["ControlGroup"] == "/system.slice/systemd-journald.service"


# --- versions and the systemd-oomd limit -------------------------------------

@pytest.mark.parametrize("text,version", [
    ("systemd 247 (247.3-7+deb11u5)\n+PAM +AUDIT\n", 247),
    ("systemd 252 (252.39-1~deb12u2)\n", 252),
    ("systemd 257 (257.13-1~deb13u1)\n", 257),
    ("", None),
    ("not systemd\n", None),
    ("systemd x\n", None),
], ids=["247", "252", "257", "empty", "garbage", "no-number"])
def test_parse_version(text, version):
    assert _systemctl.parse_version(text) == version


@pytest.mark.parametrize("text,permyriad", [
    ("60%", 6000), ("60", 6000), ("55.5%", 5550), ("55.55", 5555), ("0", 0), ("100%", 10000),
    ("100.01%", None), ("101", None), ("5\n", None), (" 5", None), ("5.123", None), ("-1", None),
    ("", None), ("%", None), (None, None), (60, None),
], ids=["pct", "bare", "one-decimal", "two-decimals", "zero", "hundred", "over-decimal", "over",
        "newline", "space", "three-decimals", "negative", "empty", "only-percent", "none", "int"])
def test_parse_percent_full_match(text, permyriad):
    # The limit option's form: systemd's grammar plus a bare number of percent.
    assert _unit_spec.limit_permyriad(text) == permyriad


@pytest.mark.parametrize("permyriad,text", [(6000, "60%"), (5550, "55.5%"), (5555, "55.55%"), (5, "0.05%"),
                                            (0, "0%"), (10000, "100%")],
                         ids=["60", "55.5", "55.55", "0.05", "0", "100"])
def test_format_percent(permyriad, text):
    assert _systemctl.format_percent(permyriad) == text
    assert _systemctl.parse_percent(text) == permyriad


# Values read from `systemctl show` on Debian bookworm (252) and trixie (257) for
# ManagedOOMMemoryPressureLimit=60% and 55.5%, and on bullseye (247) for
# ManagedOOMMemoryPressureLimitPercent=61%.
@pytest.mark.parametrize("val,legacy,permyriad", [
    ("2576980377", False, 6000), ("2383706849", False, 5550), ("0", False, 0),
    ("4294967295", False, 10000), ("61%", True, 6100), ("0%", True, 0), ("", False, None),
    (None, False, None), ("junk", False, None), ("\u00b2", False, None),
], ids=["60", "55.5", "zero", "max", "legacy-61", "legacy-0", "empty", "none", "junk", "superscript"])
def test_limit_from_show(val, legacy, permyriad):
    assert _systemctl.limit_from_show(val, legacy) == permyriad

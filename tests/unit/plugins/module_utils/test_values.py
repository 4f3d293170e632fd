# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of module_utils/_values.py: the one integer rule and how bad values are shown."""

from __future__ import annotations

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _sysctl, _unit_spec, _values


@pytest.mark.parametrize("value, expected", [
    (5, 5), (-1000, -1000), ("42", 42), ("+7", 7), ("-3", -3), (" \t12 ", 12), ("1" * 20, int("1" * 20)),
    (True, None), (False, None), (None, None), (1.0, None), ("1.0", None), ("1e3", None), ("inf", None),
    ("", None), ("1 2", None), ("1" * 21, None), ("\n5", None), ([5], None),
], ids=["int", "negative-int", "digits", "plus", "minus", "blanks", "20-digits",
        "true", "false", "none", "float", "float-text", "exponent", "inf",
        "empty", "two-numbers", "21-digits", "newline", "list"])
def test_integer(value, expected):
    assert _values.integer(value) == expected


@pytest.mark.parametrize("value, shown", [
    ("x", "'x'"), (None, "None"), ("y" * 200, "'" + "y" * 76 + "..."),
], ids=["short", "none", "long"])
def test_show(value, shown):
    assert _values.show(value) == shown
    assert len(_values.show(value)) <= 80


@pytest.mark.parametrize("value", [" 5", "5\t", "+5"], ids=["leading-blank", "trailing-tab", "plus"])
def test_sysctl_and_units_read_integers_with_the_same_rule(value):
    assert _sysctl.coerce_int("panic", value, {"min": 0, "max": 100}) == 5
    assert _unit_spec.strict_int(value, "value", -1000, 1000) == 5


def test_each_caller_keeps_its_message():
    with pytest.raises(_sysctl.SysctlError, match=r"^panic must be an integer >= 0, got True \(bool\)$"):
        _sysctl.coerce_int("panic", True, {"min": 0, "max": 100})
    with pytest.raises(_unit_spec.UnitsError, match=r"^value must be an integer from -1000 to 1000, not a boolean"):
        _unit_spec.strict_int(True, "value", -1000, 1000)
    with pytest.raises(_unit_spec.UnitsError, match=r"^value must be an integer from -1000 to 1000, got '1.5'$"):
        _unit_spec.strict_int("1.5", "value", -1000, 1000)
    with pytest.raises(_unit_spec.UnitsError, match=r"^value must be between -1000 and 1000, got 1001$"):
        _unit_spec.strict_int(" 1001", "value", -1000, 1000)

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_oom/tree.py: one walk over JSON-like data."""

from __future__ import annotations

import math

from ansible_collections.sre.oom.plugins.module_utils._oom import tree as _tree


def test_leaves_and_keys_are_mapped_and_the_input_is_left_alone():
    data = {"a": [1, "x", (2.5, None)], "b": {"c": "y"}}
    out = _tree.mapped(data, lambda v: v * 2 if isinstance(v, (int, str)) else v, lambda k: k.upper())
    assert out == {"A": [2, "xx", [2.5, None]], "B": {"C": "yy"}}
    assert data == {"a": [1, "x", (2.5, None)], "b": {"c": "y"}}


def test_without_a_key_function_keys_stay():
    assert _tree.mapped({"k": math.inf}, lambda v: None if v == math.inf else v) == {"k": None}


def test_any_depth_in_linear_time():
    deep = current = []
    for _dummy in range(100000):          # far deeper than recursion could go
        nxt = []
        current.append(nxt)
        current = nxt
    current.append("leaf")
    out = _tree.mapped(deep, lambda v: v.upper())
    for _dummy in range(100000):
        out = out[0]
    assert out == ["LEAF"]

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Escaping for Markdown and Prometheus labels."""

from __future__ import annotations

import pytest

from ansible_collections.sre.oom.plugins.plugin_utils import _escape


@pytest.mark.parametrize('raw, expected', [
    ('plain', 'plain'),
    ('a|b', 'a\\|b'),
    ('<b>&', '&lt;b&gt;&amp;'),
    ('*x* _y_ `z` [l](u) ~s~ \\', '\\*x\\* \\_y\\_ \\`z\\` \\[l\\](u) \\~s\\~ \\\\'),
    ('line\nbreak\r\n\tx', 'line break x'),
    ('bell\x07', 'bell'),
    (None, ''),
    (42, '42'),
], ids=['plain', 'pipe', 'html', 'markup', 'newlines', 'control', 'none', 'int'])
def test_md_escape(raw, expected):
    assert _escape.md(raw) == expected


@pytest.mark.parametrize('raw, expected', [
    ('journal', 'journal'),
    ('a"b', 'a\\"b'),
    ('a\\b', 'a\\\\b'),
    ('a\nb', 'a\\nb'),
    ('a\rb\x00', 'ab'),
    ('kmsg\ud800x\udfff', 'kmsg\ufffdx\ufffd'),
], ids=['plain', 'quote', 'backslash', 'newline', 'control', 'lone-surrogates'])
def test_prom_label(raw, expected):
    assert _escape.prom_label(raw) == expected
    _escape.prom_label(raw).encode('utf-8')       # the textfile is UTF-8: no surrogate left

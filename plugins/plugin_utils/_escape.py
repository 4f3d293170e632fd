# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: escaping for the report. Not a public API.

One function per output format. HTML is not here: the page goes through
Jinja2's own Environment with autoescape on (see _render_html.py), which escapes
every value it prints.
"""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r'([\\`*_\[\]|~])')
_MD_NEWLINES = re.compile(r'[\r\n\t\x0b\x0c]+')
_CONTROL = re.compile(r'[\x00-\x08\x0e-\x1f\x7f]')
_SURROGATE = re.compile('[\ud800-\udfff]')


def md(value):
    """Any value as Markdown text that stays one table cell on one line.

    `&`, `<` and `>` become entities (no raw HTML survives), the characters
    that make emphasis, code, links or table cells get a backslash (a comm may
    hold `|`, `*`, backticks or `[x](y)`), line breaks become spaces and other control
    characters are dropped.
    """
    text = '' if value is None else str(value)
    text = _CONTROL.sub('', _MD_NEWLINES.sub(' ', text))
    text = text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    return _MD_SPECIAL.sub(r'\\\1', text)


def prom_label(value):
    """A Prometheus label value as the text exposition format wants it.

    Backslash, double quote and line feed are escaped; a carriage return or
    other control character (which the format does not allow) is dropped; a
    lone surrogate (no character: not UTF-8) becomes U+FFFD.
    """
    text = '' if value is None else str(value)
    text = text.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')
    return _SURROGATE.sub('\ufffd', _CONTROL.sub('', text.replace('\r', '')))

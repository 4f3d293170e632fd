# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: option values shared by the modules' rooms. Not a public API.

- ``integer``: the one rule for an integer option (an int, or a decimal string with
  blanks around it allowed); booleans, floats and anything else are not integers.
- ``show``: a bad value as it appears in a message, cut short.

Pure functions, standard library only.
"""

from __future__ import annotations

import re

INT_RE = re.compile(r"[+-]?[0-9]{1,20}\Z")


def integer(value):
    """An int from an int or a decimal string (blanks and tabs around it allowed); None otherwise.

    Booleans are refused although Python counts them as ints: ``panic_on_oom: true``
    is almost certainly a mistake, not a request for 1. Floats (``10.0``, ``1e3``),
    ``inf``/``nan``, None and anything else are refused too.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip(" \t")
        if INT_RE.match(text):
            return int(text)
    return None


def show(value):
    """repr() of a bad value, cut short so a huge input makes a short message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

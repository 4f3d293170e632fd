# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the fleet report's checks of one value from a host. Not a public API.

Every value that comes from a host is checked for its type before use: times
(`parse_time`, `iso`), spans (`duration`), counts, numbers and strings, each a
pure function. What was wrong with a host's data goes to its `_Problems`, each
problem said once; a string longer than LONG_STRING is noted there (`_long`).
"""

from __future__ import annotations

import datetime as dt

from ansible_collections.sre.oom.plugins.module_utils._oom import since as _since

LONG_STRING = 1024      # longer strings from a host are flagged (and shortened on pages)
# A number from a host is one only within these bounds: a 401-digit count, NaN or
# an infinity (which a JSON fact cache can hold) is no number a page, a textfile
# or report.json can show.
MAX_NUMBER = 2 ** 63
MAX_EPOCH = 253402300799    # 9999-12-31T23:59:59Z, the last second a date can show

_UTC = dt.timezone.utc


class _Problems(list):
    """The problems found in one host's data, each said once."""

    def add(self, msg):
        if msg not in self and len(self) < 50:
            self.append(msg)


def parse_time(value):
    """An ISO 8601 time (UTC unless it has an offset) -> seconds since the epoch.

    Returns None for anything that is not a real time from 1970 to 9999 UTC
    (year 0000, month 13, hour 25, 9999-12-31T23:59:59-14:00, a number,
    garbage). The rule is `since.iso_time`'s.
    """
    if not isinstance(value, str) or len(value) > 64:
        return None
    if value[:1].isspace() or value[-1:].isspace():
        value = value.strip()
    try:
        secs = _since.iso_time(value)
    except ValueError:
        return None
    return secs if secs is not None and 0 <= secs <= MAX_EPOCH else None


def iso(secs):
    """Seconds since the epoch -> `YYYY-MM-DDTHH:MM:SSZ`."""
    return dt.datetime.fromtimestamp(int(secs), _UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


def duration(value):
    """`1d`, `12h`, `90m`, `3600` (seconds) or an int -> seconds; None when invalid.

    The rule of a span is `since.span`'s (units s, sec, m, min, h, d, w).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        return _since.span(text)
    return None


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool) and -MAX_NUMBER < v < MAX_NUMBER


def _mapping(v):
    return v if isinstance(v, dict) else None


def _seq(v):
    return v if isinstance(v, (list, tuple)) else None


def _typename(v):
    return 'null' if v is None else type(v).__name__


def _text(v, limit=4000):
    if v is None:
        return ''
    s = v if isinstance(v, str) else str(v)
    s = s.strip()
    return s if len(s) <= limit else s[:limit] + '…'


def _count(v):
    return v if _is_int(v) and v >= 0 else None


def _num(v):
    """An int or a float within MAX_NUMBER (never NaN or an infinity), else None."""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and -MAX_NUMBER < v < MAX_NUMBER:
        return v
    return None


def _str(v, limit=LONG_STRING * 4):
    return _text(v, limit) if isinstance(v, str) and v else None


def _long(value, where, problems):
    """Note a string from a host longer than LONG_STRING (shortened on the pages)."""
    if isinstance(value, str) and len(value) > LONG_STRING:
        problems.add('%s is %d characters long (shortened on the page)' % (where, len(value)))


def utc_now():
    return dt.datetime.now(dt.timezone.utc).timestamp()

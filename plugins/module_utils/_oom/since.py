# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: times a user writes, and the `since` option of oom_facts.

One rule for each form, used by oom_facts (`since`) and by the report on the
controller (`since`, `stale_after`, the facts' `gathered_at` and kill times):

- `span`: a length of time, `90m`, `1.5h`, `2w` (units s, sec, m, min, h, d, w);
- `ago`: the same with a leading minus, `-24h` (how far back);
- `iso_time`: an ISO 8601 time, `2026-11-28T17:00:00Z`, `2026-11-28 19:00+02:00`,
  `2026-11-28`; a real date (1970-9999, no 31 February), a real time of day and an
  offset within -14:00 to +14:00. Without an offset it is UTC or the host's local
  time (the process's time zone), as the caller says.

Standard library only, linear-time anchored patterns.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import time

UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
UNIT_NAMES = {"s": "second", "sec": "second", "m": "minute", "min": "minute", "h": "hour", "d": "day",
              "w": "week"}
_SPAN_RE = re.compile(r"^(\d{1,12}(?:\.\d{1,9})?)\s{0,4}(s|sec|m|min|h|d|w)$")
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s{0,4}(Z|[+-]\d{2}:?\d{2})?$"
)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_LAST_SECOND = 253402300799     # 9999-12-31T23:59:59Z: a later time has no date
_DAYS = {}          # (year, month, day) text -> seconds at 00:00 UTC, bounded
_SINCE_HELP = ("use 'boot', 'all', a relative time such as '-24h', '-30m' or '-7d', "
               "or an ISO 8601 time such as '2026-11-28T17:00:00Z'")


def span_parts(text):
    """`90m` -> ('90', 'm'), `1.5 h` -> ('1.5', 'h'); None when it is not a span."""
    m = _SPAN_RE.match(text)
    return m.groups() if m else None


def span(text):
    """`90m`, `1.5h`, `2w` -> seconds (int when whole); None when it is not a span."""
    parts = span_parts(text)
    if parts is None:
        return None
    secs = float(parts[0]) * UNITS[parts[1]]
    return int(secs) if secs.is_integer() else secs


def ago_parts(text):
    """`-24h`, `- 30 min` -> the span's parts (as `span_parts`); None without the minus
    (at most four blanks after it)."""
    if not text.startswith("-"):
        return None
    rest = text[1:5].lstrip() + text[5:]
    return span_parts(rest)


def ago(text):
    """`-24h`, `- 30 min` -> seconds back (a span after a minus); None otherwise."""
    parts = ago_parts(text)
    return span(parts[0] + parts[1]) if parts is not None else None


def _utc_day(y, mo, d):
    day = _DAYS.get((y, mo, d))
    if day is None:
        year, mon, mday = int(y), int(mo), int(d)
        if not (1970 <= year <= 9999 and 1 <= mon <= 12):
            raise ValueError("is not a valid date (year 1970-9999, month 01-12)")
        last_day = calendar.monthrange(year, mon)[1]
        if not 1 <= mday <= last_day:
            raise ValueError("is not a valid date (%04d-%02d has %d days)" % (year, mon, last_day))
        day = calendar.timegm((year, mon, mday, 0, 0, 0, 0, 0, 0))
        if len(_DAYS) < 100000:
            _DAYS[(y, mo, d)] = day
    return day


def iso_time(text, local=False):
    """An ISO 8601 time -> seconds since the epoch.

    None when `text` does not have the shape of one; ValueError (the reason, to
    follow the value in a message) when it has the shape but no real time. A time
    without an offset is UTC, or the host's local time when `local`.
    """
    # Fast path for the form oom_facts writes (2026-11-30T10:00:00[.ffffff]Z):
    # the C parser, checked to be naive; anything else takes the pattern below.
    if len(text) >= 20 and text[-1] == "Z" and text[10] == "T" and text[4] == "-" and text[19] in "Z.":
        try:
            t = dt.datetime.fromisoformat(text[:-1])
        except ValueError:
            t = None
        if t is not None and t.tzinfo is None and t.year >= 1970:
            return (t - _EPOCH_NAIVE).total_seconds()
    m = _ISO_RE.match(text)
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    day = _utc_day(y, mo, d)
    hour, minute, sec = int(hh or 0), int(mi or 0), int(ss or 0)
    if not (hour < 24 and minute < 60 and sec < 60):
        raise ValueError("is not a valid time of day (hours 00-23, minutes and seconds 00-59)")
    fraction = float(frac) if frac else 0.0
    if tz is None and local:
        try:
            return time.mktime((int(y), int(mo), int(d), hour, minute, sec, 0, 0, -1)) + fraction
        except (OverflowError, ValueError):
            raise ValueError("is not a valid date/time")
    offset = 0
    if tz and tz != "Z":
        digits = tz[1:].replace(":", "")
        tz_h, tz_m = int(digits[:2]), int(digits[2:4])
        if tz_m >= 60 or tz_h * 60 + tz_m > 14 * 60:
            raise ValueError("has no valid UTC offset (-14:00 to +14:00, minutes 00-59)")
        offset = (-1 if tz[0] == "-" else 1) * (tz_h * 3600 + tz_m * 60)
    secs = day + hour * 3600 + minute * 60 + sec - offset + fraction
    if secs > _LAST_SECOND:
        raise ValueError("is after 9999-12-31T23:59:59Z")
    return secs


def parse_since(value, now, boot_time=None):
    """Turn the `since` option into (mode, epoch).

    mode is 'boot', 'all' or 'time'; epoch is the cut-off (None for 'all', the boot
    time for 'boot' when known). A time without an offset is the host's local time.
    Raises ValueError with a message for bad input.
    """
    text = str(value).strip()
    if text in ("", "boot"):
        return "boot", boot_time
    if text == "all":
        return "all", None
    back = ago(text)
    if back is not None:
        return "time", now - back
    try:
        epoch = iso_time(text, local=True)
    except ValueError as exc:
        raise ValueError("since: %r %s" % (text, exc))
    if epoch is None:
        raise ValueError("since: %r is not understood; %s" % (text, _SINCE_HELP))
    return "time", epoch

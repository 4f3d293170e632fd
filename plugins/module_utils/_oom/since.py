# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the `since` option of oom_facts (which events to report)."""

from __future__ import annotations

import calendar
import re

from ansible_collections.sre.oom.plugins.module_utils._oom import formats as _formats

_SINCE_REL_RE = re.compile(r"^-\s{0,4}(\d{1,12}(?:\.\d{1,9})?)\s{0,4}(s|sec|m|min|h|d|w)$")
_SINCE_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_SINCE_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s{0,4}(Z|[+-]\d{2}:?\d{2})?$"
)
_SINCE_HELP = ("use 'boot', 'all', a relative time such as '-24h', '-30m' or '-7d', "
               "or an ISO 8601 time such as '2026-11-28T17:00:00Z'")


def parse_since(value, now, boot_time=None, utc_offset=None):
    """Turn the `since` option into (mode, epoch).

    mode is 'boot', 'all' or 'time'; epoch is the cut-off (None for 'all', the boot
    time for 'boot' when known). Raises ValueError with a message for bad input:
    an ISO 8601 time must be a real date (no 31 February) with a real offset
    (at most 14 hours, minutes below 60).
    """
    text = str(value).strip()
    if text in ("", "boot"):
        return "boot", boot_time
    if text == "all":
        return "all", None
    m = _SINCE_REL_RE.match(text)
    if m:
        return "time", now - float(m.group(1)) * _SINCE_UNITS[m.group(2)]
    m = _SINCE_ISO_RE.match(text)
    if not m:
        raise ValueError("since: %r is not understood; %s" % (text, _SINCE_HELP))
    year, mon, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hour = int(m.group(4) or 0)
    minute = int(m.group(5) or 0)
    sec = int(m.group(6) or 0)
    if not (1970 <= year <= 9999 and 1 <= mon <= 12):
        raise ValueError("since: %r is not a valid date (year 1970-9999, month 01-12)" % text)
    last_day = calendar.monthrange(year, mon)[1]
    if not 1 <= day <= last_day:
        raise ValueError("since: %r is not a valid date (%04d-%02d has %d days)" % (text, year, mon, last_day))
    if not (hour < 24 and minute < 60 and sec < 60):
        raise ValueError("since: %r is not a valid time of day (hours 00-23, minutes and seconds 00-59)" % text)
    tz = m.group(8)
    if tz:
        digits = tz[1:].replace(":", "") if tz != "Z" else "0000"
        tz_h, tz_m = int(digits[:2]), int(digits[2:4])
        if tz_m >= 60 or tz_h * 60 + tz_m > 14 * 60:
            raise ValueError("since: %r has no valid UTC offset (-14:00 to +14:00, minutes 00-59)" % text)
        epoch = calendar.timegm((year, mon, day, hour, minute, sec, 0, 0, 0)) - _formats.tz_seconds(tz)
        return "time", epoch + _formats.frac_seconds(m.group(7))
    epoch = _formats.epoch_local(year, mon, day, hour, minute, sec, _formats.frac_seconds(m.group(7)), utc_offset)
    if epoch is None:
        raise ValueError("since: %r is not a valid date/time" % text)
    return "time", epoch

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of module_utils/_oom/since.py: spans, `-24h`, ISO 8601 times, the `since` option."""

from __future__ import annotations

import calendar

import pytest

from ansible_collections.sre.oom.plugins.module_utils._oom import since

REF = calendar.timegm((2026, 11, 29, 0, 0, 0, 0, 0, 0))
UTC_1728 = calendar.timegm((2026, 11, 28, 17, 0, 0, 0, 0, 0))


@pytest.mark.parametrize("text, expected", [
    ("30s", 30), ("30sec", 30), ("90m", 5400), ("5min", 300), ("12h", 43200), ("1d", 86400),
    ("2w", 1209600), ("1.5h", 5400), ("0.25s", 0.25), ("3 h", 10800),
    ("-1d", None), ("1y", None), ("h", None), ("1.h", None), ("", None), ("1" * 13 + "s", None),
], ids=["s", "sec", "m", "min", "h", "d", "w", "fraction", "fraction-of-second", "space",
        "minus", "unit-y", "no-number", "empty-fraction", "empty", "13-digits"])
def test_span(text, expected):
    assert since.span(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("-24h", 86400), ("- 30 min", 1800), ("-7d", 604800), ("-0.5h", 1800),
    ("24h", None), ("+5h", None), ("--5h", None), ("-3y", None),
], ids=["hours", "spaces", "days", "fraction", "no-minus", "plus", "two-minus", "unit-y"])
def test_ago(text, expected):
    assert since.ago(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("2026-11-28T17:00:00Z", UTC_1728),
    ("2026-11-28T17:00:00.250000Z", UTC_1728 + 0.25),
    ("2026-11-28T17:00:00.123456789Z", pytest.approx(UTC_1728 + 0.123456789, abs=1e-6)),
    ("2026-11-28T19:00:00+02:00", UTC_1728),
    ("2026-11-28T16:30:00-0030", UTC_1728),
    ("2026-11-28 17:00", UTC_1728),
    ("2026-11-28", UTC_1728 - 17 * 3600),
    ("yesterday", None),
    ("2026-11-28T17:00:00+01:00Z", None),
    ("2026-11-28T17:00:00.Z", None),
], ids=["z", "fraction", "nanoseconds", "offset", "offset-no-colon", "space-no-seconds", "date",
        "words", "offset-and-z", "empty-fraction"])
def test_iso_time(text, expected):
    assert since.iso_time(text) == expected


@pytest.mark.parametrize("text, reason", [
    ("0000-01-01T00:00:00Z", "is not a valid date (year 1970-9999, month 01-12)"),
    ("2026-13-01", "is not a valid date (year 1970-9999, month 01-12)"),
    ("2026-02-30T00:00:00Z", "is not a valid date (2026-02 has 28 days)"),
    ("2026-11-30T25:00:00Z", "is not a valid time of day (hours 00-23, minutes and seconds 00-59)"),
    ("2026-11-30T23:59:60Z", "is not a valid time of day (hours 00-23, minutes and seconds 00-59)"),
    ("2026-11-30T12:00:00+14:30", "has no valid UTC offset (-14:00 to +14:00, minutes 00-59)"),
    ("2026-11-30T12:00:00+01:60", "has no valid UTC offset (-14:00 to +14:00, minutes 00-59)"),
], ids=["year-0000", "month-13", "feb-30", "hour-25", "leap-second", "offset-14h30", "offset-minutes-60"])
def test_iso_time_rejects(text, reason):
    with pytest.raises(ValueError) as exc:
        since.iso_time(text)
    assert str(exc.value) == reason


@pytest.mark.parametrize("zone, text, expected", [
    ("UTC0", "2026-11-28T17:00:00", UTC_1728),
    ("XST-2", "2026-11-28T19:00:00", UTC_1728),
    ("XST-2", "2026-11-28T17:00:00Z", UTC_1728),
    ("XST+5", "2026-11-28", UTC_1728 - 12 * 3600),
], ids=["utc", "plus-2", "z-ignores-zone", "date-minus-5"])
def test_iso_time_local_is_the_hosts_zone(host_zone, zone, text, expected):
    host_zone(zone)
    assert since.iso_time(text, local=True) == expected


SINCE_ROWS = [
    ("boot", "boot", ("boot", 1000.0)),
    ("empty", "  ", ("boot", 1000.0)),
    ("all", "all", ("all", None)),
    ("hours", "-24h", ("time", REF - 86400)),
    ("minutes", "-30m", ("time", REF - 1800)),
    ("days", "-7d", ("time", REF - 7 * 86400)),
    ("weeks", "-2w", ("time", REF - 14 * 86400)),
    ("iso-z", "2026-11-28T17:00:00Z", ("time", UTC_1728)),
    ("iso-offset", "2026-11-28T19:00:00+02:00", ("time", UTC_1728)),
    ("iso-date-local", "2026-11-28", ("time", UTC_1728 - 17 * 3600 + 3 * 3600)),
]


@pytest.mark.parametrize("rid,value,expected", SINCE_ROWS, ids=[r[0] for r in SINCE_ROWS])
def test_since(host_zone, rid, value, expected):
    host_zone("XST+3")
    assert since.parse_since(value, REF, boot_time=1000.0) == expected


@pytest.mark.parametrize("value, msg", [
    ("yesterday", "since: 'yesterday' is not understood; use 'boot', 'all', a relative time such as "
                  "'-24h', '-30m' or '-7d', or an ISO 8601 time such as '2026-11-28T17:00:00Z'"),
    ("-3y", "since: '-3y' is not understood; "),
    ("+5h", "since: '+5h' is not understood; "),
    ("24h", "since: '24h' is not understood; "),
    ("2026-13-01", "since: '2026-13-01' is not a valid date (year 1970-9999, month 01-12)"),
    ("2026-02-31", "since: '2026-02-31' is not a valid date (2026-02 has 28 days)"),
    ("2026-11-28T24:00", "since: '2026-11-28T24:00' is not a valid time of day"),
    ("2026-11-28T10:00+15:00", "since: '2026-11-28T10:00+15:00' has no valid UTC offset"),
], ids=["words", "unit-y", "plus", "no-minus", "month-13", "feb-31", "hour-24", "offset-15h"])
def test_since_rejects(value, msg):
    with pytest.raises(ValueError) as exc:
        since.parse_since(value, REF)
    assert str(exc.value).startswith(msg)

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's checks of one value from a host: times and spans."""

from __future__ import annotations

import pytest

from ansible_collections.sre.oom.plugins.plugin_utils import _report_values
from ansible_collections.sre.oom.tests.unit.plugins.plugin_utils.reportfacts import NOW


@pytest.mark.parametrize('text, expected', [
    ('2026-11-30T12:00:00Z', NOW),
    ('2026-11-30T12:00:00.250000Z', NOW + 0.25),
    ('2026-11-30T13:00:00+01:00', NOW),
    ('2026-11-30T11:30:00-0030', NOW),
    ('2026-11-30 12:00:00', NOW),
    ('0000-01-01T00:00:00Z', None),
    ('2026-13-01T00:00:00Z', None),
    ('2026-02-30T00:00:00Z', None),
    ('2026-11-30T25:00:00Z', None),
    ('1969-12-31T23:59:59Z', None),
    ('yesterday', None),
    (1700000000, None),
    (None, None),
    ('2026-11-30T12:00:00Z' + 'x' * 100, None),
    ('2026-11-30T12:00:00.5Z', NOW + 0.5),
    ('2026-11-30T12:00:00.123456789Z', pytest.approx(NOW + 0.123456789, abs=1e-6)),
    ('2026-11-30T13:00:00+01:00Z', None),
    ('2026-11-30T23:59:60Z', None),
    ('2026-11-30T12:00:00+14:30', None),
    ('2026-11-30T12:00:00.Z', None),
    ('1969-12-31T23:59:59.000000Z', None),
], ids=['utc', 'fraction', 'offset', 'offset-no-colon', 'space', 'year-0000', 'month-13', 'feb-30',
        'hour-25', 'before-1970', 'words', 'number', 'none', 'huge', 'one-digit-fraction', 'nanoseconds',
        'offset-and-z', 'leap-second', 'offset-over-14h', 'empty-fraction', 'before-1970-fraction'])
def test_parse_time(text, expected):
    assert _report_values.parse_time(text) == expected


@pytest.mark.parametrize('value, expected', [
    ('1d', 86400), ('12h', 43200), ('90m', 5400), ('30s', 30), ('2w', 1209600), ('3600', 3600),
    (600, 600), ('-1d', None), ('soon', None), (True, None), (-5, None), (None, None),
    ('1.5h', 5400), ('10min', 600), ('1y', None),
], ids=['day', 'hours', 'minutes', 'seconds', 'weeks', 'digits', 'int', 'negative', 'words', 'bool',
        'negative-int', 'none', 'fraction', 'min', 'unit-y'])
def test_duration(value, expected):
    assert _report_values.duration(value) == expected

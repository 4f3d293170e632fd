# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by the report's room tests."""

from __future__ import annotations

import pytest

from ansible_collections.sre.oom.tests.unit.plugins.plugin_utils.reportfacts import HOSTILE, build, event, facts


@pytest.fixture(scope='module')
def hostile():
    rep, view = build({
        HOSTILE: facts([event('2026-11-30T10:00:00Z', comm=HOSTILE, unit=HOSTILE, kind=HOSTILE,
                              killer=HOSTILE, container_id=HOSTILE, pod_uid=HOSTILE)],
                       source=HOSTILE, sysctl={'panic_on_oom': 1, 'panic': 0},
                       protected=[{'pid': 1, 'comm': HOSTILE, 'unit': HOSTILE, 'oom_score_adj': -1000,
                                   'rss_kb': 10 ** 9}]),
        'down': None,
    }, since=HOSTILE)
    return rep, view

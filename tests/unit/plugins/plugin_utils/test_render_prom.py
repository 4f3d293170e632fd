# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A host's node_exporter textfile: valid Prometheus text, counts by killer and kind, the new facts."""

from __future__ import annotations

import re

from ansible_collections.sre.oom.plugins.plugin_utils import _render_prom
from ansible_collections.sre.oom.tests.unit.plugins.plugin_utils.reportfacts import HOSTILE, NEW_KEYS, NOW, build, event, facts


PROM_LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                       r'(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? -?[0-9.e+]+$')


def test_prom_text_is_valid_and_counts_by_killer_and_kind(hostile):
    rep, view = build({'h': facts([
        event('2026-11-30T10:00:00Z'), event('2026-11-30T10:01:00Z', kind='global'),
        event('2026-11-30T10:02:00Z', kind='userspace', killer='systemd-oomd'),
        dict(event('2026-11-30T10:03:00Z'), killer=None)], gathered_at='2026-11-30T11:00:00Z',
        counters={'oom_kill': 5, 'missed': 2})})
    text = _render_prom.prom(rep['hosts'][0], '-7d', NOW)
    samples = {}
    for line in text.splitlines():
        if not line.startswith('#'):
            assert PROM_LINE.match(line), line
            name, value = line.rsplit(' ', 1)
            samples[name] = float(value)
    assert samples['sre_oom_kills_total'] == 5
    assert samples['sre_oom_kills_total{killer="kernel",kind="memcg"}'] == 2     # 0.1.0 facts: kernel
    assert samples['sre_oom_kills_total{killer="kernel",kind="global"}'] == 1
    assert samples['sre_oom_kills_total{killer="systemd-oomd",kind="userspace"}'] == 1
    assert samples['sre_oom_missed_kills'] == 2
    assert samples['sre_oom_facts_timestamp_seconds'] == NOW - 3600
    hostile_text = _render_prom.prom(hostile[0]['hosts'][0], HOSTILE, NOW)
    for line in hostile_text.splitlines():
        assert line.startswith('#') or PROM_LINE.match(line), line
    assert _render_prom.prom(hostile[0]['hosts'][1], '-7d', NOW) is None                # no data, no file


def test_prom_carries_the_new_facts():
    rep, _view = build({'new-1': facts([event('2026-11-30T11:00:00Z')], **NEW_KEYS), 'old-1': facts()})
    new, old = rep['hosts']
    text = _render_prom.prom(new, '-7d', NOW)
    assert 'sre_oom_unattributed_kills 2\n' in text
    assert 'sre_oom_memory_pressure_percent{kind="full",window="avg10"} 8.25\n' in text
    assert 'sre_oom_unit_pressure_over_limit{unit="batch.slice"} 1\n' in text
    old_text = _render_prom.prom(old, '-7d', NOW)
    assert 'unattributed' not in old_text and 'pressure' not in old_text

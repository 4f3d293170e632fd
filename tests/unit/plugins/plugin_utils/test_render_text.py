# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's values in words, as the page and report.md say them."""

from __future__ import annotations

import pytest

from ansible_collections.sre.oom.plugins.plugin_utils import _render_html, _render_md, _render_text
from ansible_collections.sre.oom.tests.unit.plugins.plugin_utils.reportfacts import build, event, events_table, facts


@pytest.mark.parametrize('extra, words', [
    ({'kind': 'memcg', 'oom_memcg': '/system.slice/hog.service'}, 'memory cgroup limit hit in /system.'),
    ({'kind': 'global'}, 'the whole machine ran out of memory'),
    ({'kind': 'userspace', 'killer': 'systemd-oomd', 'reason': 'memory_pressure', 'oom_memcg': '/user.slice'},
     'systemd-oomd: memory pressure too high in /user.'),
    ({'kind': 'userspace', 'killer': 'systemd-oomd', 'reason': 'swap'}, 'systemd-oomd: swap nearly full'),
    ({'kind': 'userspace', 'killer': 'earlyoom', 'reason': 'low_memory'},
     'earlyoom: available memory (and swap) too low'),
    ({'kind': 'cpuset'}, "out of memory on its cpuset&#39;s memory nodes"),
], ids=['memcg', 'global', 'oomd-pressure', 'oomd-swap', 'earlyoom', 'cpuset'])
def test_the_reason_of_a_kill_in_words(extra, words):
    ev = event('2026-11-30T10:00:00Z', **extra)
    rep, view = build({'h': facts([ev])})
    assert words in events_table(_render_html.html(rep, view)).replace('<wbr>', '')
    assert words.replace('&#39;', "'").split(' in /')[0] in _render_md.markdown(rep, view)


@pytest.mark.parametrize('since, text', [
    ('-24h', 'the last 24 hours'), ('-1d', 'the last 1 day'), ('- 90 min', 'the last 90 minutes'),
    ('-1.5h', 'the last 1.5 hours'), ('-007d', 'the last 7 days'), ('boot', "each host's current boot"),
    ('2026-11-28T17:00:00Z', 'since 2026-11-28T17:00:00Z'), ('-3y', 'since -3y'),
], ids=['hours', 'one-day', 'min', 'fraction', 'leading-zeros', 'boot', 'iso', 'unknown-unit'])
def test_window_text_reads_since_with_the_one_rule(since, text):
    assert _render_text.window_text(since) == text

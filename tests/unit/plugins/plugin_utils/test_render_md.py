# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's report.md: tables keep their shape whatever a host says; the new sections."""

from __future__ import annotations

import re

from ansible_collections.sre.oom.plugins.plugin_utils import _render_md
from ansible_collections.sre.oom.tests.unit.plugins.plugin_utils.reportfacts import NEW_KEYS, build, event, facts


def test_markdown_tables_keep_their_shape(hostile):
    md = _render_md.markdown(*hostile)
    assert '<script' not in md, [line for line in md.splitlines() if '<script' in line]
    assert '{{ 7\\*7 }}' in md
    for block in re.findall(r'((?:^\|.*\|\n)+)', md, re.M):
        widths = {len(re.findall(r'(?<!\\)\|', line)) for line in block.splitlines()}
        assert len(widths) == 1, block


def test_markdown_carries_the_new_facts():
    rep, view = build({'new-1': facts([event('2026-11-30T11:00:00Z')], **NEW_KEYS), 'old-1': facts()})
    md = _render_md.markdown(rep, view)
    for title in ('## Kills per unit, slice, container and pod', '## Next victims per OOM domain',
                  '## Memory pressure'):
        assert md.count(title) == 1
    assert '| new-1 | slice | system.slice | 1 | 0 | 3 | 2 |' in md
    assert '| new-1 | batch.slice | ' not in md and '| new-1 | 12.5% | 8.25% | batch.slice | 71% | 60% | over its limit |' in md
    assert '<script>' not in md
    for line in md.splitlines():
        if line.startswith('| new-1 | /system.slice/hog.service'):
            assert line.count(' | ') == 7                     # 8 cells: the hostile comm kept the shape
    old_md = _render_md.markdown(*build({'old-1': facts()}))
    assert 'OOM domain' not in old_md and 'Memory pressure' not in old_md

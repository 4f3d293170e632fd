# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's kill counters per unit, slice, container and pod, next victims per OOM domain, and pressure."""

from __future__ import annotations

from ansible_collections.sre.oom.plugins.plugin_utils import _report_counters, _report_values
from ansible_collections.sre.oom.tests.unit.plugins.plugin_utils.reportfacts import (
    candidate, domain, event, facts, managed, one, report_of, subtree)


def test_subtrees_most_kills_first_and_bounded():
    rows = [subtree('a.service', log=1, counter=1), subtree('b.service', log=0, counter=7),
            subtree('gone.service', log=4), subtree('x.slice', kind='slice', log=2, counter=2)]
    rows += [subtree('z%02d.service' % i, log=0, counter=0) for i in range(30)]
    problems = _report_values._Problems()
    out = _report_counters.kill_subtrees({'subtrees': rows}, problems, top=4)
    assert [r['name'] for r in out] == ['b.service', 'gone.service', 'x.slice', 'a.service']
    assert out[0]['unattributed'] == 7 and out[1]['unattributed'] is None and out[1]['counter_kills'] is None
    assert not problems


def test_subtrees_of_older_facts_and_malformed_ones():
    problems = _report_values._Problems()
    assert _report_counters.kill_subtrees({'oom_kill': 3}, problems) == []
    assert not problems
    bad = {'name': 'a.service', 'log_kills': -1, 'counter_kills': 'x'}
    out = _report_counters.kill_subtrees({'subtrees': ['nope', bad, subtree('b.service', log=1, counter=2)]}, problems)
    assert [r['name'] for r in out] == ['b.service', 'a.service']
    assert out[1]['log_kills'] is None and out[1]['counter_kills'] is None and out[1]['kind'] == 'unknown'
    assert any('subtrees 0' in p for p in problems) and any('log_kills' in p for p in problems)
    assert _report_counters.kill_subtrees({'subtrees': 'x'}, problems) == []
    assert any('not a list' in p for p in problems)


def test_attribution_per_host_and_in_the_summary():
    a = facts([event()], counters={'oom_kill': 5, 'attributed': 3, 'unattributed': 2})
    b = facts([event()], counters={'oom_kill': 1, 'attributed': 1, 'unattributed': 0})
    c = facts([event()])                    # older facts: unknown, not 0
    rep = report_of({'a': a, 'b': b, 'c': c})
    got = {h['name']: (h['kills_attributed'], h['kills_unattributed']) for h in rep['hosts']}
    assert got == {'a': (3, 2), 'b': (1, 0), 'c': (None, None)}
    assert rep['summary']['unattributed_kills'] == 2 and rep['summary']['hosts_unattributed_kills'] == 1
    bad = one(facts(counters={'oom_kill': 1, 'attributed': True, 'unattributed': -4}))
    assert (bad['kills_attributed'], bad['kills_unattributed']) == (None, None)
    assert any('counters.attributed' in p for p in bad['problems'])


def test_victim_domains_global_first_then_most_eligible_and_bounded():
    doms = [domain('/small.slice', [candidate(5, 'x', 10)], limit_kb=1024, eligible=1),
            domain('/big.slice', [candidate(6, 'y', 99), candidate(7, 'z', 50)], limit_kb=262144, eligible=9),
            domain('global', [candidate(i, 'p%d' % i, 1000 - i) for i in range(20)], eligible=300)]
    problems = _report_values._Problems()
    out = _report_counters.victim_domains(doms, problems, top=2, candidates=3)
    assert [d['domain'] for d in out] == ['global', '/big.slice']
    assert [c['pid'] for c in out[0]['candidates']] == [0, 1, 2]       # the module's order, cut
    assert out[1]['limit_kb'] == 262144 and out[1]['eligible'] == 9 and out[0]['limit_kb'] is None
    assert not problems


def test_victim_domains_keep_the_oom_group_and_exiting_and_survive_bad_input():
    grouped = candidate(8, 'w', 70, group={'cgroup': '/g', 'pids': [8, 9], 'count': 2}, exiting=True)
    problems = _report_values._Problems()
    out = _report_counters.victim_domains([domain('/g', [grouped, 'junk'], limit_kb=2048), {'limit_kb': 1}, 7], problems)
    assert len(out) == 1 and out[0]['candidates'] == [dict(
        pid=8, comm='w', points=70, oom_score_adj=0, rss_kb=1024, swap_kb=0, unit='w.service',
        cgroup='/system.slice/w.service', exiting=True, group=2)]
    assert any('no domain' in p for p in problems) and any('next_victims 2' in p for p in problems)
    assert _report_counters.victim_domains(None, problems) == []


def test_victim_domains_say_where_the_oom_killer_is_disabled():
    problems = _report_values._Problems()
    held = domain('/held', [], limit_kb=2048, eligible=3, oom_kill_disable=True)
    odd = domain('/odd', [candidate(5, 'x', 10)], limit_kb=1024, oom_kill_disable='yes')
    out = _report_counters.victim_domains([held, odd], problems)
    assert [(d['domain'], d['oom_kill_disable'], d['candidates']) for d in out][0] == ('/held', True, [])
    assert out[1]['oom_kill_disable'] is False          # only a real true disables


def test_pressure_over_limit_first_and_older_facts():
    pressure = {'memory': {'some': {'avg10': 12.5, 'avg60': 1.5, 'avg300': 0.2, 'total': 1},
                           'full': {'avg10': 8.25, 'avg60': 0.75, 'avg300': 0.1, 'total': 1}},
                'units': [managed('calm.slice', 5.0), managed('hot.slice', 71.0),
                          managed('warm.service', 40.0, limit='30%'), managed('swap.slice', 0.0, over=None, swap='kill')]}
    pressure['units'][3]['over_limit'] = None
    problems = _report_values._Problems()
    memory, units, count = _report_counters.pressure_of(pressure, problems, top=3)
    assert memory['some_avg10'] == 12.5 and memory['full_avg10'] == 8.25
    assert [u['unit'] for u in units] == ['hot.slice', 'warm.service', 'calm.slice'] and count == 4
    assert units[1]['limit_percent'] == 30.0 and units[0]['over_limit'] is True and units[2]['over_limit'] is False
    assert not problems
    assert _report_counters.pressure_of(None, problems) == (None, [], 0)
    assert _report_counters.pressure_of({'memory': None, 'units': []}, problems) == (None, [], 0)
    assert _report_counters.pressure_of([1], problems) == (None, [], 0) and problems

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One host of the report: where its data comes from, reconciliation, staleness, malformed data."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.sre.oom.plugins.plugin_utils import _report, _report_host
from ansible_collections.sre.oom.tests.unit.plugins.plugin_utils.reportfacts import NOW, build, event, facts, one, report_of


# ---------------------------------------------------------------- where data comes from

@pytest.mark.parametrize('kwargs, expected', [
    ({'result': {'ansible_facts': {'oom': {'events': []}}}, 'has_result': True}, ('ok', 'result')),
    ({'result': {'unreachable': True, 'msg': 'ssh: no route'}, 'has_result': True}, ('unreachable', 'result')),
    ({'result': {'failed': True, 'msg': 'boom'}, 'has_result': True}, ('failed', 'result')),
    ({'result': {'skipped': True}, 'has_result': True}, ('no_data', 'result')),
    ({'result': {'skipped': True}, 'facts': {'events': []}, 'has_result': True}, ('ok', 'facts')),
    ({'result': {'changed': False}, 'facts': {'events': []}, 'has_result': True}, ('ok', 'facts')),
    ({'result': 'garbage', 'has_result': True}, ('no_data', 'result')),
    ({'facts': {'events': []}}, ('ok', 'facts')),
    ({'facts': ['not', 'a', 'dict']}, ('no_data', 'facts')),
    ({}, ('no_data', None)),
], ids=['result', 'unreachable', 'failed', 'skipped', 'skipped-with-facts', 'result-without-facts',
        'result-not-dict', 'facts', 'facts-not-dict', 'nothing'])
def test_host_input(kwargs, expected):
    status, error, oom, source = _report_host.host_input('h', **kwargs)
    assert (status, source) == expected
    assert (oom is not None) == (status == 'ok')
    assert (error is None) == (status == 'ok')


def test_result_wins_over_cached_facts():
    status, _e, oom, source = _report_host.host_input(
        'h', {'ansible_facts': {'oom': {'source': 'fresh'}}}, {'source': 'cached'}, has_result=True)
    assert (status, oom['source'], source) == ('ok', 'fresh', 'result')


def test_no_data_message():
    rep = report_of({'a': facts(), 'b': None})
    b = rep['hosts'][1]
    assert b['status'] == 'no_data' and b['error'].startswith('no data')
    assert rep['summary']['hosts_without_data'] == 1 and rep['summary']['hosts_reporting'] == 1


# ---------------------------------------------------------------- reconciliation

@pytest.mark.parametrize('counters, missed, basis', [
    ({'oom_kill': 12, 'missed': 9, 'parsed_since_boot': 3}, 9, 'vmstat oom_kill 12 - parsed since boot 3'),
    ({'oom_kill': 3, 'missed': 0, 'parsed_since_boot': 3}, 0, 'vmstat oom_kill 3 - parsed since boot 3'),
    ({'oom_kill': 12, 'missed': None, 'parsed_since_boot': None}, None,
     'the events do not prove they cover the whole boot'),
    ({'oom_kill': 12}, None, 'the events do not prove they cover the whole boot'),
    ({}, None, 'no oom_kill counter'),
    ({'oom_kill': 12, 'missed': 'lots'}, None, 'the events do not prove they cover the whole boot'),
], ids=['lost', 'none-lost', 'not-proven', 'facts-0.1.0', 'no-counter', 'wrong-type'])
def test_reconcile(counters, missed, basis):
    h = one(facts([event()], counters=counters))
    assert h['missed_kills'] == missed
    assert h['missed_basis'] == basis


# ---------------------------------------------------------------- staleness

@pytest.mark.parametrize('gathered, source, stale', [
    ('2026-11-30T11:00:00Z', 'facts', False),
    ('2026-11-28T11:00:00Z', 'facts', True),
    (None, 'facts', None),
    (None, 'result', False),
    ('not a time', 'facts', None),
], ids=['fresh', 'old', 'unknown-0.1.0', 'this-run', 'garbage'])
def test_stale(gathered, source, stale):
    oom = facts()
    if gathered is not None:
        oom['gathered_at'] = gathered
    if source == 'result':
        inputs = [('h',) + _report_host.host_input('h', {'ansible_facts': {'oom': oom}}, has_result=True)]
    else:
        inputs = [('h',) + _report_host.host_input('h', facts=oom)]
    rep = _report.build(inputs, now=NOW, stale_after=86400)[0]
    assert rep['hosts'][0]['stale'] is stale
    assert rep['summary']['hosts_stale'] == (1 if stale else 0)
    assert rep['summary']['hosts_age_unknown'] == (1 if stale is None else 0)


# ---------------------------------------------------------------- malformed data, one host at a time

GOOD = facts([event('2026-11-30T09:00:00Z', comm='fine')])

MALFORMED = [
    ('year-0000', facts([event('0000-01-01T00:00:00Z')]), "event 0: time '0000-01-01T00:00:00Z' is not a valid time"),
    ('comm-10k', facts([event(comm='A' * 10240)]), 'event 0: victim.comm is 10240 characters long'),
    ('unit-10k', facts([event(unit='u' * 20000)]), 'event 0: unit is 20000 characters long'),
    ('events-not-list', dict(facts(), events={'a': 1}), 'events is a dict, not a list'),
    ('event-not-dict', facts(events=['x', 3]), 'event 0 is a str, not a dict (ignored)'),
    ('victim-not-dict', facts([event(victim='root')]), 'event 0: victim is a str, not a dict'),
    ('sysctl-str', facts(sysctl={'panic_on_oom': '1', 'panic': 0}), "sysctl.panic_on_oom is '1' (a str), not an integer"),
    ('sysctl-not-dict', facts(sysctl=[1, 2]), 'sysctl is a list, not a dict'),
    ('sysctl-bool', facts(sysctl={'panic_on_oom': True}), 'sysctl.panic_on_oom is'),
    ('counters-not-dict', facts(counters='12'), 'counters is a str, not a dict'),
    ('oom-kill-negative', facts(counters={'oom_kill': -3}), 'counters.oom_kill is'),
    ('event-count-str', facts([event()], event_count='many'), "event_count is 'many', not a count"),
    ('processes-not-list', facts(processes='java'), 'processes is a str, not a list'),
    ('protected-mixed', facts(protected=[None, {'pid': 1, 'comm': 'init', 'oom_score_adj': -1000, 'rss_kb': 1}]),
     'protected: 1 entries are not dicts (ignored)'),
    ('source-errors-list', facts(source_errors=['x']), 'source_errors is a list, not a dict'),
    ('gathered-garbage', facts(gathered_at='0000-00-00'), "gathered_at '0000-00-00' is not a valid time"),
]


@pytest.mark.hostile
@pytest.mark.parametrize('name, bad, problem', MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_host_keeps_its_row_and_spares_the_others(name, bad, problem):
    good_before = copy.deepcopy(GOOD)
    rep, view = build({'good': GOOD, 'bad': bad})
    good, badh = rep['hosts']
    assert good['problems'] == [] and good['kills'] == 1 and good['last_kill'] == '2026-11-30T09:00:00Z'
    assert badh['status'] == 'ok', name        # still reported, as far as it could be read
    assert any(p.startswith(problem) for p in badh['problems']), badh['problems']
    assert rep['summary']['hosts_with_problems'] == 1
    assert GOOD == good_before                 # inputs are never modified
    json.dumps(rep)                            # and the whole report still serialises


def test_missing_keys_everywhere():
    h = one({})
    assert h['status'] == 'ok' and h['problems'] == []
    assert h['sysctl'] == dict.fromkeys(_report_host.SYSCTLS)
    assert h['kills'] is None and h['events'] == [] and h['flags'] == [
        f for f in h['flags'] if f['id'] == 'kernel_log_unreadable']


def test_event_without_keys_is_listed_untimed():
    rep, view = build({'h': facts([{}, event('2026-11-30T11:00:00Z')])})
    assert rep['summary']['events_listed'] == 2
    assert view['timed_count'] == 1 and view['untimed_count'] == 1
    assert [t is None for _n, _e, t in view['rows']] == [False, True]     # untimed last
    assert rep['summary']['kills_by_killer_kind'] == [
        {'killer': 'kernel', 'kind': 'memcg', 'events': 1}, {'killer': 'kernel', 'kind': 'unknown', 'events': 1}]


def test_older_facts_keep_their_row_without_the_new_keys():
    h = one(facts([event()]))
    assert h['kill_subtrees'] == [] and h['victim_domains'] == [] and h['unit_pressure'] == []
    assert h['memory_pressure'] is None and h['kills_unattributed'] is None and h['problems'] == []
    assert h['next_victims'][0]['comm'] == 'java'           # processes, as before

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's pure core: inputs, risk rules, reconciliation, staleness, malformed data."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _sysctl
from ansible_collections.sre.oom.plugins.plugin_utils import _report

NOW = _report.parse_time('2026-11-30T12:00:00Z')
HOSTILE = '<script>alert("x")</script>{{ 7*7 }}'


def event(time='2026-11-30T10:00:00Z', comm='hog', kind='memcg', unit='hog.service', **extra):
    ev = {'time': time, 'uptime': 12.5, 'kind': kind, 'constraint': 'CONSTRAINT_MEMCG',
          'victim': {'pid': 42, 'comm': comm, 'uid': 0, 'anon_rss_kb': 1024, 'file_rss_kb': 0,
                     'shmem_rss_kb': 0, 'oom_score_adj': 0},
          'memcg': '/system.slice/' + unit, 'oom_memcg': '/system.slice/' + unit, 'unit': unit,
          'container_id': None, 'pod_uid': None,
          'invoker': {'comm': comm, 'pid': 43, 'gfp_mask': '0xcc0(GFP_KERNEL)', 'order': 0}}
    ev.update(extra)
    return ev


def facts(events=(), **over):
    events = list(events)
    oom = {
        'sysctl': {'panic_on_oom': 0, 'panic': 10, 'overcommit_memory': 0, 'overcommit_ratio': 50,
                   'oom_kill_allocating_task': 0, 'oom_dump_tasks': 1},
        'counters': {'oom_kill': len(events)},
        'events': events, 'event_count': len(events), 'source': 'kmsg', 'source_errors': {},
        'processes': [{'pid': 9, 'comm': 'java', 'oom_score': 600, 'oom_score_adj': 0, 'rss_kb': 4096,
                       'unit': 'app.service'}],
        'protected': [], 'services': [],
    }
    oom.update(over)
    return oom


def build(hosts, **kw):
    """hosts: {name: oom dict | None}; all from facts (fact cache)."""
    inputs = [(n,) + _report.host_input(n, facts=f) for n, f in hosts.items()]
    kw.setdefault('now', NOW)
    return _report.build(inputs, **kw)


def report_of(hosts, **kw):
    return build(hosts, **kw)[0]


def one(oom, **kw):
    rep, _view = build({'h': oom}, **kw)
    return rep['hosts'][0]


# ---------------------------------------------------------------- times

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
    assert _report.parse_time(text) == expected


@pytest.mark.parametrize('value, expected', [
    ('1d', 86400), ('12h', 43200), ('90m', 5400), ('30s', 30), ('2w', 1209600), ('3600', 3600),
    (600, 600), ('-1d', None), ('soon', None), (True, None), (-5, None), (None, None),
    ('1.5h', 5400), ('10min', 600), ('1y', None),
], ids=['day', 'hours', 'minutes', 'seconds', 'weeks', 'digits', 'int', 'negative', 'words', 'bool',
        'negative-int', 'none', 'fraction', 'min', 'unit-y'])
def test_duration(value, expected):
    assert _report.duration(value) == expected


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
    status, error, oom, source = _report.host_input('h', **kwargs)
    assert (status, source) == expected
    assert (oom is not None) == (status == 'ok')
    assert (error is None) == (status == 'ok')


def test_result_wins_over_cached_facts():
    status, _e, oom, source = _report.host_input(
        'h', {'ansible_facts': {'oom': {'source': 'fresh'}}}, {'source': 'cached'}, has_result=True)
    assert (status, oom['source'], source) == ('ok', 'fresh', 'result')


def test_no_data_message():
    rep = report_of({'a': facts(), 'b': None})
    b = rep['hosts'][1]
    assert b['status'] == 'no_data' and b['error'].startswith('no data')
    assert rep['summary']['hosts_without_data'] == 1 and rep['summary']['hosts_reporting'] == 1


# ---------------------------------------------------------------- risk rules (shared with oom_policy)

@pytest.mark.parametrize('pon, panic, ids', [
    (0, 0, []),
    (0, 10, []),
    (1, 0, ['panic_on_oom_no_reboot']),
    (1, 10, []),
    (2, 10, ['panic_on_oom_always']),
    (2, 0, ['panic_on_oom_no_reboot', 'panic_on_oom_always']),
    (None, 0, []),
    (1, None, []),
], ids=['off', 'off-reboot', 'panic-no-reboot', 'panic-reboots', 'always', 'always-no-reboot',
        'unknown-pon', 'unknown-panic'])
def test_policy_flags(pon, panic, ids):
    h = one(facts(sysctl={'panic_on_oom': pon, 'panic': panic}))
    assert [f['id'] for f in h['flags']] == ids
    assert all(f['severity'] == 'critical' for f in h['flags'])


def test_policy_messages_are_the_modules_own():
    """The rule lives once: the report shows exactly what oom_policy warns."""
    h = one(facts(sysctl={'panic_on_oom': 2, 'panic': 0}))
    expected = _sysctl.cross_key_warnings({'vm.panic_on_oom': 2, 'kernel.panic': 0}, {}, False)
    assert sorted(f['message'] for f in h['flags']) == sorted(expected)


def test_protected_top_memory_user():
    h = one(facts(protected=[{'pid': 7, 'comm': 'mysqld', 'oom_score_adj': -1000, 'rss_kb': 10 ** 7,
                              'unit': 'mysql.service'}]))
    assert [f['id'] for f in h['flags']] == ['protected_top_memory_user']
    assert 'mysqld (pid 7, mysql.service)' in h['flags'][0]['message']
    assert h['protected'] == ['mysql.service'] and h['top_memory']['comm'] == 'mysqld'


def test_log_unreadable():
    h = one(facts(source=None, source_errors={'journal': 'missing', 'dmesg': 'dmesg_restrict'}))
    assert [f['id'] for f in h['flags']] == ['kernel_log_unreadable']
    assert 'journal: missing; dmesg: dmesg_restrict' in h['flags'][0]['message']
    assert h['kills'] is None and h['log_readable'] is False


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


def test_reconcile_fleet_wide():
    rep = report_of({
        'a': facts(counters={'oom_kill': 10, 'missed': 7}),
        'b': facts(counters={'oom_kill': 2, 'missed': 0}),
        'c': facts(counters={'oom_kill': 5}),
        'd': None,
    })
    s = rep['summary']
    assert (s['missed_kills'], s['hosts_missed_kills'], s['hosts_missed_unknown']) == (7, 1, 1)


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
        inputs = [('h',) + _report.host_input('h', {'ansible_facts': {'oom': oom}}, has_result=True)]
    else:
        inputs = [('h',) + _report.host_input('h', facts=oom)]
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
    assert h['sysctl'] == dict.fromkeys(_report.SYSCTLS)
    assert h['kills'] is None and h['events'] == [] and h['flags'] == [
        f for f in h['flags'] if f['id'] == 'kernel_log_unreadable']


def test_event_without_keys_is_listed_untimed():
    rep, view = build({'h': facts([{}, event('2026-11-30T11:00:00Z')])})
    assert rep['summary']['events_listed'] == 2
    assert view['timed_count'] == 1 and view['untimed_count'] == 1
    assert [t is None for _n, _e, t in view['rows']] == [False, True]     # untimed last
    assert rep['summary']['kills_by_killer_kind'] == [
        {'killer': 'kernel', 'kind': 'memcg', 'events': 1}, {'killer': 'kernel', 'kind': 'unknown', 'events': 1}]


def test_a_crash_on_one_host_is_contained(monkeypatch):
    real = _report.host_entry

    def flaky(name, *a, **kw):
        if name == 'bad' and a[0] == 'ok':
            raise ZeroDivisionError('simulated')
        return real(name, *a, **kw)
    monkeypatch.setattr(_report, 'host_entry', flaky)
    rep = report_of({'good': GOOD, 'bad': GOOD})
    assert rep['hosts'][0]['status'] == 'ok'
    assert rep['hosts'][1]['status'] == 'no_data'
    assert 'ZeroDivisionError: simulated' in rep['hosts'][1]['problems'][0]


# ---------------------------------------------------------------- the fleet

def test_fleet_summary_order_and_last_kill():
    rep, view = build({
        'a': facts([event('2026-11-30T08:00:00Z', comm='old'), event('2026-11-30T11:00:00Z', comm=HOSTILE)]),
        'b': facts([event('2026-11-30T10:00:00Z', comm='mid', kind='global',
                          killer='systemd-oomd')]),
        'c': facts(),
    }, since='-7d')
    s = rep['summary']
    assert (s['hosts'], s['hosts_with_kills'], s['kills'], s['events_listed']) == (3, 2, 3, 3)
    assert s['last_kill']['comm'] == HOSTILE and s['last_kill']['host'] == 'a'    # kept verbatim
    order = [(name, ev['victim']['comm']) for name, ev, _t in view['rows']]
    assert order == [('a', HOSTILE), ('b', 'mid'), ('a', 'old')]
    assert [h['name'] for h in view['kill_hosts']] == ['a', 'b']
    assert rep['window']['start'] == '2026-11-23T12:00:00Z' and rep['window']['end'] == '2026-11-30T12:00:00Z'
    assert {'killer': 'systemd-oomd', 'kind': 'global', 'events': 1} in s['kills_by_killer_kind']
    assert rep['hosts'][1]['kills_by_killer'] == {'systemd-oomd': 1}


def test_policy_groups():
    risky = {'panic_on_oom': 1, 'panic': 0}
    rep, view = build({'a': facts(), 'b': facts(sysctl=risky), 'c': facts(), 'd': facts(), 'e': None})
    groups = [(len(p['hosts']), [f['id'] for f in p['flags']]) for p in view['policies']]
    assert groups == [(3, []), (1, ['panic_on_oom_no_reboot'])]
    assert view['policies'][0]['hosts'] == ['a', 'c', 'd']
    assert rep['summary']['policies'] == 2


def test_schema_keys_only_added():
    rep = report_of({'a': facts([event()])})
    assert rep['schema'] == 'sre.oom.report/1'
    for key in ('schema', 'generated', 'since', 'window', 'summary', 'hosts'):
        assert key in rep
    for key in ('hosts', 'hosts_reporting', 'hosts_without_data', 'hosts_with_kills', 'hosts_flagged',
                'hosts_log_unreadable', 'kills', 'events_listed', 'last_kill'):
        assert key in rep['summary']
    for key in ('name', 'status', 'error', 'source', 'source_errors', 'log_readable', 'kills', 'events_listed',
                'last_kill', 'oom_kill_since_boot', 'sysctl', 'protected', 'top_memory', 'next_victims',
                'services', 'counters', 'flags', 'events'):
        assert key in rep['hosts'][0]


def test_counts_are_integers_only():
    rep = report_of({'a': facts([event(comm=HOSTILE)])})
    c = _report.counts(rep)
    assert c['kills'] == 1 and 'last_kill' not in c
    assert all(isinstance(v, int) for v in c.values())


def test_linear_in_hosts():
    """5,000 hosts x 3 kills go through without error (the timing is in bench/report)."""
    hosts = {'n%d' % i: facts([event('2026-11-30T0%d:00:00Z' % (k + 1)) for k in range(3)]) for i in range(5000)}
    rep, view = build(hosts)
    assert rep['summary']['kills'] == 15000 and view['timed_count'] == 15000 and len(view['rows']) == 500


# --------------------------------------------------------------- counters.subtrees, next_victims, pressure

def subtree(name, log=0, counter=None, userspace=0, kind='unit', lost='auto', complete=True):
    if lost == 'auto':
        lost = None if counter is None else max(counter - log, 0)
    return {'kind': kind, 'name': name, 'cgroup': '/system.slice/' + name, 'log_kills': log,
            'userspace_kills': userspace, 'counter_kills': counter,
            'counter_complete': complete if counter is not None else None, 'unattributed': lost}


def candidate(pid, comm, points, adj=0, rss_kb=1024, **extra):
    c = {'pid': pid, 'comm': comm, 'points': points, 'oom_score_adj': adj, 'rss_kb': rss_kb, 'swap_kb': 0,
         'pgtables_kb': 8, 'exiting': False, 'unit': comm + '.service', 'cgroup': '/system.slice/%s.service' % comm,
         'group': None}
    c.update(extra)
    return c


def domain(name, candidates, limit_kb=None, eligible=None):
    return {'domain': name, 'version': None if name == 'global' else 2, 'limit_kb': limit_kb,
            'total_kb': limit_kb or 16777216, 'eligible': len(candidates) if eligible is None else eligible,
            'candidates': candidates}


def managed(unit, full, limit='60%', over=None, swap='auto'):
    return {'unit': unit, 'cgroup': '/' + unit, 'managed_oom_memory_pressure': 'kill', 'managed_oom_swap': swap,
            'managed_oom_memory_pressure_limit': limit, 'effective_limit': limit or '60%',
            'memory_pressure': {'some': {'avg10': full + 10, 'avg60': 1.0, 'avg300': 0.5, 'total': 9},
                                'full': {'avg10': full, 'avg60': 0.5, 'avg300': 0.1, 'total': 5}},
            'over_limit': (full > float((limit or '60%')[:-1])) if over is None else over, 'oomd_candidates': []}


def test_subtrees_most_kills_first_and_bounded():
    rows = [subtree('a.service', log=1, counter=1), subtree('b.service', log=0, counter=7),
            subtree('gone.service', log=4), subtree('x.slice', kind='slice', log=2, counter=2)]
    rows += [subtree('z%02d.service' % i, log=0, counter=0) for i in range(30)]
    problems = _report._Problems()
    out = _report.kill_subtrees({'subtrees': rows}, problems, top=4)
    assert [r['name'] for r in out] == ['b.service', 'gone.service', 'x.slice', 'a.service']
    assert out[0]['unattributed'] == 7 and out[1]['unattributed'] is None and out[1]['counter_kills'] is None
    assert not problems


def test_subtrees_of_older_facts_and_malformed_ones():
    problems = _report._Problems()
    assert _report.kill_subtrees({'oom_kill': 3}, problems) == []
    assert not problems
    bad = {'name': 'a.service', 'log_kills': -1, 'counter_kills': 'x'}
    out = _report.kill_subtrees({'subtrees': ['nope', bad, subtree('b.service', log=1, counter=2)]}, problems)
    assert [r['name'] for r in out] == ['b.service', 'a.service']
    assert out[1]['log_kills'] is None and out[1]['counter_kills'] is None and out[1]['kind'] == 'unknown'
    assert any('subtrees 0' in p for p in problems) and any('log_kills' in p for p in problems)
    assert _report.kill_subtrees({'subtrees': 'x'}, problems) == []
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
    problems = _report._Problems()
    out = _report.victim_domains(doms, problems, top=2, candidates=3)
    assert [d['domain'] for d in out] == ['global', '/big.slice']
    assert [c['pid'] for c in out[0]['candidates']] == [0, 1, 2]       # the module's order, cut
    assert out[1]['limit_kb'] == 262144 and out[1]['eligible'] == 9 and out[0]['limit_kb'] is None
    assert not problems


def test_victim_domains_keep_the_oom_group_and_exiting_and_survive_bad_input():
    grouped = candidate(8, 'w', 70, group={'cgroup': '/g', 'pids': [8, 9], 'count': 2}, exiting=True)
    problems = _report._Problems()
    out = _report.victim_domains([domain('/g', [grouped, 'junk'], limit_kb=2048), {'limit_kb': 1}, 7], problems)
    assert len(out) == 1 and out[0]['candidates'] == [dict(
        pid=8, comm='w', points=70, oom_score_adj=0, rss_kb=1024, swap_kb=0, unit='w.service',
        cgroup='/system.slice/w.service', exiting=True, group=2)]
    assert any('no domain' in p for p in problems) and any('next_victims 2' in p for p in problems)
    assert _report.victim_domains(None, problems) == []


def test_pressure_over_limit_first_and_older_facts():
    pressure = {'memory': {'some': {'avg10': 12.5, 'avg60': 1.5, 'avg300': 0.2, 'total': 1},
                           'full': {'avg10': 8.25, 'avg60': 0.75, 'avg300': 0.1, 'total': 1}},
                'units': [managed('calm.slice', 5.0), managed('hot.slice', 71.0),
                          managed('warm.service', 40.0, limit='30%'), managed('swap.slice', 0.0, over=None, swap='kill')]}
    pressure['units'][3]['over_limit'] = None
    problems = _report._Problems()
    memory, units, count = _report.pressure_of(pressure, problems, top=3)
    assert memory['some_avg10'] == 12.5 and memory['full_avg10'] == 8.25
    assert [u['unit'] for u in units] == ['hot.slice', 'warm.service', 'calm.slice'] and count == 4
    assert units[1]['limit_percent'] == 30.0 and units[0]['over_limit'] is True and units[2]['over_limit'] is False
    assert not problems
    assert _report.pressure_of(None, problems) == (None, [], 0)
    assert _report.pressure_of({'memory': None, 'units': []}, problems) == (None, [], 0)
    assert _report.pressure_of([1], problems) == (None, [], 0) and problems


def test_older_facts_keep_their_row_without_the_new_keys():
    h = one(facts([event()]))
    assert h['kill_subtrees'] == [] and h['victim_domains'] == [] and h['unit_pressure'] == []
    assert h['memory_pressure'] is None and h['kills_unattributed'] is None and h['problems'] == []
    assert h['next_victims'][0]['comm'] == 'java'           # processes, as before


def test_fleet_light_rows_stay_bounded():
    big = facts([event()], counters={'oom_kill': 1, 'attributed': 1, 'unattributed': 0,
                                     'subtrees': [subtree('u%03d.service' % i, log=1, counter=1) for i in range(500)]},
                next_victims=[domain('/d%03d' % i, [candidate(j, 'c', 100 - j) for j in range(50)], limit_kb=1024)
                              for i in range(100)] + [domain('global', [candidate(j, 'g', 100 - j) for j in range(50)])],
                pressure={'memory': None, 'units': [managed('s%03d.slice' % i, 1.0) for i in range(300)]})
    seen = []
    fleet = _report.Fleet(now=NOW, sink=seen.append, victims=3)
    fleet.add('h', *_report.host_input('h', facts=big)[:4])
    light = fleet.hosts[0]
    for key in ('counters', 'kill_subtrees', 'victim_domains', 'unit_pressure'):
        assert key not in light                                  # the light row keeps none of them
    assert light['kills_unattributed'] == 0 and light['unit_pressure_count'] == 300
    whole = seen[0]                                             # report.json's entry: bounded too
    assert len(whole['kill_subtrees']) == _report.TOP_SUBTREES
    assert len(whole['victim_domains']) == _report.TOP_DOMAINS and whole['victim_domains'][0]['domain'] == 'global'
    assert len(whole['victim_domains'][0]['candidates']) == _report.TOP_CANDIDATES
    assert len(whole['unit_pressure']) == _report.TOP_UNITS
    _rep, view = fleet.finish()
    kept = view['domain_hosts'][0]['victim_domains']
    assert all(len(d['candidates']) == 3 for d in kept) and view['subtree_total'] == _report.TOP_SUBTREES


def test_fleet_keeps_only_what_the_pages_list():
    """Of counters.subtrees, next_victims and pressure the fleet keeps the rows and hosts
    the pages can show, in their order, however many hosts there are."""
    page = {'subtree_rows': 3, 'domain_hosts': 2, 'pressure_hosts': 2}
    fleet = _report.Fleet(now=NOW, sink=lambda h: None, page=page)
    for i in range(40):
        rows = [subtree('u%d.service' % i, log=1, counter=1 + i % 5)]
        oom = facts([event()] * (i % 7), counters={'oom_kill': 9, 'subtrees': rows},
                    next_victims=[domain('global', [candidate(1, 'a', 10)])],
                    pressure={'memory': {'full': {'avg10': float(i)}}, 'units': []})
        fleet.add('h%02d' % i, *_report.host_input('h%02d' % i, facts=oom)[:4])
    rep, view = fleet.finish()
    assert len(fleet.subtrees.items) <= 6 and len(fleet.domain_hosts.items) <= 4
    assert [(n, r['unattributed']) for n, r in view['subtree_rows']] == [('h04', 4), ('h09', 4), ('h14', 4)]
    assert [h['name'] for h in view['domain_hosts']] == ['h06', 'h13']      # the most kills (6), by name
    assert [h['name'] for h in view['pressure_hosts']] == ['h39', 'h38']    # the highest full avg10
    assert view['subtree_total'] == 40 and view['domain_total'] == 40 and view['pressure_total'] == 40
    assert rep['summary']['hosts'] == 40

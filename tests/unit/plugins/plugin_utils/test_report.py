# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet: one host at a time, summary, order, policies, bounded memory; a crash on one host is contained."""

from __future__ import annotations

import pytest

from ansible_collections.sre.oom.plugins.plugin_utils import _report, _report_counters, _report_host
from ansible_collections.sre.oom.tests.unit.plugins.plugin_utils.reportfacts import (
    NOW, build, candidate, domain, event, facts, managed, report_of, subtree)


HOSTILE = '<script>alert("x")</script>{{ 7*7 }}'


def test_reconcile_fleet_wide():
    rep = report_of({
        'a': facts(counters={'oom_kill': 10, 'missed': 7}),
        'b': facts(counters={'oom_kill': 2, 'missed': 0}),
        'c': facts(counters={'oom_kill': 5}),
        'd': None,
    })
    s = rep['summary']
    assert (s['missed_kills'], s['hosts_missed_kills'], s['hosts_missed_unknown']) == (7, 1, 1)


GOOD = facts([event('2026-11-30T09:00:00Z', comm='fine')])


def test_a_crash_on_one_host_is_contained(monkeypatch):
    real = _report_host.host_entry

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


def test_fleet_light_rows_stay_bounded():
    big = facts([event()], counters={'oom_kill': 1, 'attributed': 1, 'unattributed': 0,
                                     'subtrees': [subtree('u%03d.service' % i, log=1, counter=1) for i in range(500)]},
                next_victims=[domain('/d%03d' % i, [candidate(j, 'c', 100 - j) for j in range(50)], limit_kb=1024)
                              for i in range(100)] + [domain('global', [candidate(j, 'g', 100 - j) for j in range(50)])],
                pressure={'memory': None, 'units': [managed('s%03d.slice' % i, 1.0) for i in range(300)]})
    seen = []
    fleet = _report.Fleet(now=NOW, sink=seen.append, victims=3)
    fleet.add('h', *_report_host.host_input('h', facts=big)[:4])
    light = fleet.hosts[0]
    for key in ('counters', 'kill_subtrees', 'victim_domains', 'unit_pressure'):
        assert key not in light                                  # the light row keeps none of them
    assert light['kills_unattributed'] == 0 and light['unit_pressure_count'] == 300
    whole = seen[0]                                             # report.json's entry: bounded too
    assert len(whole['kill_subtrees']) == _report_counters.TOP_SUBTREES
    assert len(whole['victim_domains']) == _report_counters.TOP_DOMAINS and whole['victim_domains'][0]['domain'] == 'global'
    assert len(whole['victim_domains'][0]['candidates']) == _report_counters.TOP_CANDIDATES
    assert len(whole['unit_pressure']) == _report_counters.TOP_UNITS
    _rep, view = fleet.finish()
    kept = view['domain_hosts'][0]['victim_domains']
    assert all(len(d['candidates']) == 3 for d in kept) and view['subtree_total'] == _report_counters.TOP_SUBTREES


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
        fleet.add('h%02d' % i, *_report_host.host_input('h%02d' % i, facts=oom)[:4])
    rep, view = fleet.finish()
    assert len(fleet.subtrees.items) <= 6 and len(fleet.domain_hosts.items) <= 4
    assert [(n, r['unattributed']) for n, r in view['subtree_rows']] == [('h04', 4), ('h09', 4), ('h14', 4)]
    assert [h['name'] for h in view['domain_hosts']] == ['h06', 'h13']      # the most kills (6), by name
    assert [h['name'] for h in view['pressure_hosts']] == ['h39', 'h38']    # the highest full avg10
    assert view['subtree_total'] == 40 and view['domain_total'] == 40 and view['pressure_total'] == 40
    assert rep['summary']['hosts'] == 40


def _fleet_in_parts(inputs, cuts, **kw):
    """The fleet of `inputs` built in parts cut at `cuts`, each from its own Fleet, merged in order."""
    whole = _report.Fleet(now=NOW, sink=lambda h: None, **kw)
    bounds = [0] + list(cuts) + [len(inputs)]
    for start, stop in zip(bounds, bounds[1:]):
        part = _report.Fleet(now=NOW, sink=lambda h: None, first=start, **kw)
        for name, oom in inputs[start:stop]:
            part.add(name, *_report_host.host_input(name, facts=oom)[:4])
        whole.merge(part.state())
    return whole.finish()


@pytest.mark.parametrize('rows', [5, 30], ids=['rows-timed', 'rows-untimed-too'])
@pytest.mark.parametrize('cuts', [(), (1,), (7,), (3, 11), (1, 2, 3, 17)], ids=str)
def test_fleet_built_in_parts_is_the_fleet_built_at_once(cuts, rows):
    """What the report's workers do: parts merged in host order give exactly one Fleet's result,
    however the hosts are cut (ties, the newest kills, untimed kills, the pages' bounded rows)."""
    inputs = []
    for i in range(18):
        events = [event('2026-11-30T%02d:00:00Z' % (i % 5 + k)) for k in range(i % 4)]   # equal times across hosts
        events += [event(time=None)] * (i % 3)                                                # untimed kills
        subtrees = [subtree('u%d.service' % i, log=1, counter=1 + i % 3)]
        oom = facts(events, counters={'oom_kill': 9, 'subtrees': subtrees},
                    next_victims=[domain('global', [candidate(1, 'a', 10)])],
                    pressure={'memory': {'full': {'avg10': float(i % 4)}}, 'units': []})
        inputs.append(('h%02d' % i, oom if i % 6 else 'garbage'))
    kw = {'rows': rows, 'page': {'subtree_rows': 3, 'domain_hosts': 2, 'pressure_hosts': 4}}
    at_once = _report.Fleet(now=NOW, sink=lambda h: None, **kw)
    for name, oom in inputs:
        at_once.add(name, *_report_host.host_input(name, facts=oom)[:4])
    assert _fleet_in_parts(inputs, cuts, **kw) == at_once.finish()
    rep, view = _fleet_in_parts(inputs, cuts, **kw)
    assert [h['name'] for h in rep['hosts']] == [n for n, _o in inputs]
    untimed = sum(i % 3 for i in range(18) if i % 6)
    assert view['untimed_count'] == untimed and len(view['rows']) == min(rows, view['timed_count'] + untimed)
    assert any(t is None for _n, _e, t in view['rows']) is (rows == 30)


def test_fleet_parts_out_of_order_are_refused():
    first, second = _report.Fleet(now=NOW), _report.Fleet(now=NOW, first=3)
    with pytest.raises(ValueError, match='out of order'):
        first.merge(second.state())

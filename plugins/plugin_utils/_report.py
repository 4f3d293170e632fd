# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the fleet report's data. Not a public API.

A pure function of its inputs: `Fleet` takes, one host at a time, what
_report_host.host_input() says of each host (its registered sre.oom.oom_facts
result, its `ansible_facts.oom`, or nothing), and `Fleet.finish()` returns the
report dict (`sre.oom.report/1`, the content of report.json) plus what the
pages need beyond it. Nothing here reads files or templates anything; a
host's strings are carried as data, never as templates. Each host's entry is
_report_host's; what is wrong with a host's data stays on its row.
"""

from __future__ import annotations

import array
import datetime as dt
import heapq

from ansible_collections.sre.oom.plugins.module_utils._oom import since as _since
from ansible_collections.sre.oom.plugins.plugin_utils._report_host import SYSCTLS, host_entry
from ansible_collections.sre.oom.plugins.plugin_utils._report_values import _UTC, _is_int, _mapping, _text, iso, parse_time

SCHEMA = 'sre.oom.report/1'


def window(since, now, oldest, newest):
    """(start, end) in seconds: from `since` when it is a time, else the oldest kill."""
    start = None
    s = since if isinstance(since, str) else ''
    back = _since.ago(s.strip())
    if back is not None:
        start = now - back
    else:
        start = parse_time(s)
    if start is None:
        start = oldest if oldest is not None else now - 86400
    if oldest is not None:
        start = min(start, oldest)
    start = max(start, 0)       # `-100000w` goes back before 1970: the page starts there
    end = max(now, newest) if newest is not None else now
    return start, end


def policy_key(host):
    return tuple(host['sysctl'][k] for k in SYSCTLS)


class _Top:
    """The `n` smallest (key, value) pairs seen, in key order; memory bounded by 2n."""

    def __init__(self, n):
        self.n, self.items = max(0, n), []

    def add(self, key, value):
        if self.n:
            self.items.append((key, value))
            if len(self.items) >= 2 * self.n:
                self.trim()

    def trim(self):
        self.items.sort(key=lambda kv: kv[0])
        del self.items[self.n:]

    def values(self):
        self.trim()
        return [v for _k, v in self.items]


def subtree_order(host_name, row):
    """The page's order of subtree rows: the most kills the log lost first (unknown, for
    want of a counter, above none lost), then the most kills."""
    lost = row['unattributed']
    return (-(lost if lost is not None else 0.5), -max(row['counter_kills'] or 0, row['log_kills'] or 0),
            -(row['userspace_kills'] or 0), host_name, row['name'] or '')


def listed_order(host, index):
    """The page's order of hosts in per-host tables: the most kills first, then inventory order."""
    return (0, -host['kills'], host['name'], index) if host['kills'] else (1, 0, '', index)


def pressure_order(host):
    """Hosts with units over their pressure limit first, then the highest full avg10."""
    over = sum(1 for u in host['unit_pressure'] if u['over_limit'])
    return (-over, -((host['memory_pressure'] or {}).get('full_avg10') or 0), host['name'])


PAGE = {'subtree_rows': 200, 'domain_hosts': 100, 'pressure_hosts': 100}


class Fleet:
    """The report, built one host at a time.

    `add()` takes one host's input as host_input() returns it (after the
    name), checks it and keeps what the pages need. With a `sink`, each
    host's complete entry (with its events) is handed to it as soon as it
    is built (the action writes it to report.json and the host's textfile),
    and only a light copy is kept: no events, services or counters, and the
    first `victims` next victims. Of the kills, the fleet keeps their times
    (for the timeline) and the newest `rows` (for the tables); so memory does
    not grow with the facts of each host. Without a sink every entry is kept
    whole (report['hosts'] is then report.json's host list).
    """

    def __init__(self, since='-7d', now=None, stale_after=86400, rows=500, sink=None, victims=5, page=None,
                 first=0):
        self.since = since
        self.first = first          # the index of this fleet's first host in the whole list
        self.now = now if now is not None else dt.datetime.now(_UTC).timestamp()
        self.stale_after = stale_after
        self.rows = rows
        self.sink = sink
        self.victims = victims
        self.hosts = []
        self.times = array.array('d')
        self.memcg = bytearray()
        self.newest = []            # heap of (t, -host index, -event index, name, event)
        self.untimed = 0
        self.untimed_rows = []
        self.by_killer_kind = {}
        # What the pages list of counters.subtrees, next_victims and pressure: only
        # the rows and hosts they can show, whatever the size of the fleet.
        page = dict(PAGE, **(page or {}))
        self.subtrees = _Top(page['subtree_rows'])
        self.domain_hosts = _Top(page['domain_hosts'])
        self.pressure_hosts = _Top(page['pressure_hosts'])
        self.subtree_total = self.domain_total = self.pressure_total = self.units_over = 0

    def add(self, name, status, error, oom, data_source):
        """Check one host's data and take it into the report; returns its entry."""
        now, stale_after = self.now, self.stale_after
        hi = self.first + len(self.hosts)
        try:
            h, times, kinds = host_entry(name, status, error, oom, data_source, now, stale_after)
        except Exception as e:  # pylint: disable=broad-except
            # A bug on one host's data must not take the fleet down.
            h, times, kinds = host_entry(name, 'no_data', None, None, None, now, stale_after)
            h['problems'] = ['the report could not read this host\'s data: %s: %s'
                             % (type(e).__name__, _text(str(e), 300))]
            h['error'] = h['problems'][0]
        events, heap, rows = h['events'], self.newest, self.rows
        for ei, t in enumerate(times):
            ev = events[ei]
            if t is None:
                self.untimed += 1
                if len(self.untimed_rows) < rows:
                    self.untimed_rows.append((name, ev))
                continue
            self.times.append(t)
            self.memcg.append(1 if ev.get('kind') == 'memcg' else 0)
            if rows <= 0:
                continue
            item = (t, -hi, -ei, name, ev)
            if len(heap) < rows:
                heapq.heappush(heap, item)
            elif item[:3] > heap[0][:3]:
                heapq.heapreplace(heap, item)
        for kk in kinds:
            self.by_killer_kind[kk] = self.by_killer_kind.get(kk, 0) + 1
        if h['status'] == 'ok':
            for row in h['kill_subtrees']:
                self.subtrees.add(subtree_order(name, row), (name, row))
            self.subtree_total += len(h['kill_subtrees'])
            if h['victim_domains']:
                self.domain_total += 1
                self.domain_hosts.add(listed_order(h, hi), {
                    'name': name, 'victim_domains': [dict(d, candidates=d['candidates'][:self.victims])
                                                     for d in h['victim_domains']]})
            self.units_over += sum(1 for u in h['unit_pressure'] if u['over_limit'])
            if h['memory_pressure'] or h['unit_pressure']:
                self.pressure_total += 1
                self.pressure_hosts.add(pressure_order(h), {
                    'name': name, 'memory_pressure': h['memory_pressure'], 'unit_pressure': h['unit_pressure'],
                    'unit_pressure_count': h['unit_pressure_count']})
        if self.sink is not None:
            self.sink(h)
            light = dict(h)
            for key in ('events', 'services', 'counters', 'kill_subtrees', 'victim_domains', 'unit_pressure'):
                del light[key]
            light['next_victims'] = h['next_victims'][:self.victims]
            self.hosts.append(light)
        else:
            self.hosts.append(h)
        return h

    def state(self):
        """What merge() needs of this fleet (no sink): picklable."""
        return {k: v for k, v in vars(self).items() if k != 'sink'}

    def merge(self, state):
        """Take in the state() of a Fleet built with the same settings over the hosts right
        after this one's (its `first` is this one's first + its host count): the outcome
        is the same as one Fleet given all of them in order."""
        if state['first'] != self.first + len(self.hosts):
            raise ValueError('fleet parts out of order: %d after %d hosts from %d'
                             % (state['first'], len(self.hosts), self.first))
        self.hosts.extend(state['hosts'])
        self.times.extend(state['times'])
        self.memcg.extend(state['memcg'])
        for item in (state['newest'] if self.rows > 0 else ()):
            if len(self.newest) < self.rows:
                heapq.heappush(self.newest, item)
            elif item[:3] > self.newest[0][:3]:
                heapq.heapreplace(self.newest, item)
        self.untimed += state['untimed']
        self.untimed_rows.extend(state['untimed_rows'][:max(0, self.rows - len(self.untimed_rows))])
        for kk, n in state['by_killer_kind'].items():
            self.by_killer_kind[kk] = self.by_killer_kind.get(kk, 0) + n
        for name in ('subtrees', 'domain_hosts', 'pressure_hosts'):
            top = getattr(self, name)
            for key, value in state[name].items:
                top.add(key, value)
        for name in ('subtree_total', 'domain_total', 'pressure_total', 'units_over'):
            setattr(self, name, getattr(self, name) + state[name])

    def finish(self):
        """(report, view): report.json (with the hosts kept) and what the pages add."""
        now, since, report_hosts = self.now, self.since, self.hosts
        newest = sorted(self.newest, key=lambda k: k[:3], reverse=True)
        rows = [(name, ev, t) for t, _h, _e, name, ev in newest]
        rows += [(name, ev, None) for name, ev in self.untimed_rows[:max(0, self.rows - len(rows))]]

        ok = [h for h in report_hosts if h['status'] == 'ok']
        bad = [h for h in report_hosts if h['status'] != 'ok']
        kill_hosts = sorted((h for h in ok if h['kills']), key=lambda h: (-h['kills'], h['name']))
        flagged = [h for h in report_hosts if h['flags']]
        last = None
        if newest:
            t, _h, _e, name, ev = newest[0]
            victim = _mapping(ev.get('victim')) or {}
            last = {'time': iso(t), 'host': name, 'comm': victim.get('comm'),
                    'pid': victim.get('pid'), 'unit': ev.get('unit'), 'container_id': ev.get('container_id')}
        oldest = min(self.times) if self.times else None
        newest_t = newest[0][0] if newest else (max(self.times) if self.times else None)
        start, end = window(since, now, oldest, newest_t)
        missed_known = [h['missed_kills'] for h in ok if h['missed_kills'] is not None]

        groups = {}
        for h in ok:
            groups.setdefault(policy_key(h), []).append(h)
        policies = []
        for key, members in groups.items():
            ids = []
            for h in members:
                for f in h['flags']:
                    if f['id'] not in ids and f['id'] in ('panic_on_oom_no_reboot', 'panic_on_oom_always'):
                        ids.append(f['id'])
            policies.append({'sysctl': dict(zip(SYSCTLS, key)), 'hosts': [h['name'] for h in members],
                             'flags': [f for f in members[0]['flags'] if f['id'] in ids],
                             'kills': sum(h['kills'] or 0 for h in members)})
        policies.sort(key=lambda p: (-len(p['hosts']), p['hosts'][0]))

        summary = {
            'hosts': len(report_hosts),
            'hosts_reporting': len(ok),
            'hosts_without_data': len(bad),
            'hosts_with_kills': len(kill_hosts),
            'hosts_flagged': len(flagged),
            'hosts_log_unreadable': sum(1 for h in ok if not h['log_readable']),
            'kills': sum(h['kills'] for h in kill_hosts),
            'events_listed': len(self.times) + self.untimed,
            'last_kill': last,
            # added in sre.oom 0.2.0
            'hosts_stale': sum(1 for h in ok if h['stale']),
            'hosts_age_unknown': sum(1 for h in ok if h['stale'] is None),
            'missed_kills': sum(missed_known),
            'hosts_missed_kills': sum(1 for m in missed_known if m > 0),
            'hosts_missed_unknown': len(ok) - len(missed_known),
            'hosts_with_problems': sum(1 for h in report_hosts if h['problems']),
            'policies': len(policies),
            'kills_by_killer_kind': [{'killer': k, 'kind': d, 'events': n}
                                     for (k, d), n in sorted(self.by_killer_kind.items())],
            # added in sre.oom 0.3.0
            'unattributed_kills': sum(h['kills_unattributed'] for h in ok if h['kills_unattributed'] is not None),
            'hosts_unattributed_kills': sum(1 for h in ok if h['kills_unattributed']),
            'units_over_pressure_limit': self.units_over,
        }
        report = {
            'schema': SCHEMA,
            'generated': iso(now),
            'since': since,
            'window': {'start': iso(start), 'end': iso(end)},
            'summary': summary,
            'stale_after_seconds': self.stale_after,
            'hosts': report_hosts,
        }
        view = {
            'now': now, 'start': start, 'end': end, 'rows': rows,
            'timed_count': len(self.times), 'untimed_count': self.untimed,
            'times': self.times, 'memcg': self.memcg,
            'ok': ok, 'bad': bad, 'kill_hosts': kill_hosts, 'flagged': flagged, 'policies': policies,
            # the first rows and hosts of the pages' tables of counters, next victims and pressure
            'subtree_rows': self.subtrees.values(), 'subtree_total': self.subtree_total,
            'domain_hosts': self.domain_hosts.values(), 'domain_total': self.domain_total,
            'pressure_hosts': self.pressure_hosts.values(), 'pressure_total': self.pressure_total,
        }
        return report, view


def build(hosts, since='-7d', now=None, stale_after=86400):
    """The report from every host's input, all held in memory.

    `hosts`: list of (name, status, error, oom, data_source) as host_input()
    returns them (after the name). Returns (report, view) as Fleet.finish().
    """
    fleet = Fleet(since=since, now=now, stale_after=stale_after)
    for name, status, error, oom, data_source in hosts:
        fleet.add(name, status, error, oom, data_source)
    return fleet.finish()


def counts(report):
    """The numbers the action plugin returns (no string from a host)."""
    s = report['summary']
    return {k: v for k, v in s.items() if _is_int(v)}

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Crafted facts for the report's room tests: hosts as sre.oom.oom_facts returns them (no tests here)."""

from __future__ import annotations

from ansible_collections.sre.oom.plugins.plugin_utils import _report, _report_host, _report_values


NOW = _report_values.parse_time('2026-11-30T12:00:00Z')


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
    inputs = [(n,) + _report_host.host_input(n, facts=f) for n, f in hosts.items()]
    kw.setdefault('now', NOW)
    return _report.build(inputs, **kw)


def report_of(hosts, **kw):
    return build(hosts, **kw)[0]


def one(oom, **kw):
    rep, _view = build({'h': oom}, **kw)
    return rep['hosts'][0]


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


def domain(name, candidates, limit_kb=None, eligible=None, oom_kill_disable=False):
    return {'domain': name, 'version': None if name == 'global' else 2, 'limit_kb': limit_kb,
            'total_kb': limit_kb or 16777216, 'eligible': len(candidates) if eligible is None else eligible,
            'oom_kill_disable': oom_kill_disable, 'candidates': candidates}


def managed(unit, full, limit='60%', over=None, swap='auto'):
    return {'unit': unit, 'cgroup': '/' + unit, 'managed_oom_memory_pressure': 'kill', 'managed_oom_swap': swap,
            'managed_oom_memory_pressure_limit': limit, 'effective_limit': limit or '60%',
            'memory_pressure': {'some': {'avg10': full + 10, 'avg60': 1.0, 'avg300': 0.5, 'total': 9},
                                'full': {'avg10': full, 'avg60': 0.5, 'avg300': 0.1, 'total': 5}},
            'over_limit': (full > float((limit or '60%')[:-1])) if over is None else over, 'oomd_candidates': []}


# The pages' hostile host string, the keys of sre.oom.oom_facts 0.3 and the sections of a page.
HOSTILE = '<script>alert("x")</script>&"q\'{{ 7*7 }}{% raw %}|*_`[a](b)\n# h'


NEW_KEYS = {
    'counters': {'oom_kill': 5, 'attributed': 3, 'unattributed': 2, 'subtree_count': 2, 'subtrees': [
        {'kind': 'slice', 'name': 'system.slice', 'cgroup': '/system.slice', 'log_kills': 1, 'userspace_kills': 0,
         'counter_kills': 3, 'counter_complete': True, 'unattributed': 2},
        {'kind': 'unit', 'name': HOSTILE + '.service', 'cgroup': '/system.slice/x.service', 'log_kills': 2,
         'userspace_kills': 1, 'counter_kills': None, 'counter_complete': None, 'unattributed': None}]},
    'next_victims': [
        {'domain': 'global', 'version': None, 'limit_kb': None, 'total_kb': 24683772, 'eligible': 42,
         'candidates': [{'pid': 812, 'comm': 'java', 'points': 1380825, 'oom_score_adj': 0, 'rss_kb': 5523300,
                         'swap_kb': 0, 'pgtables_kb': 11000, 'exiting': False, 'unit': 'app.service',
                         'cgroup': '/system.slice/app.service', 'group': None}]},
        {'domain': '/system.slice/hog.service', 'version': 2, 'limit_kb': 262144, 'total_kb': 262144,
         'eligible': 2,
         'candidates': [{'pid': 6999, 'comm': HOSTILE, 'points': 74044, 'oom_score_adj': 900, 'rss_kb': 61440,
                         'swap_kb': 0, 'pgtables_kb': 176, 'exiting': False, 'unit': 'hog.service',
                         'cgroup': '/system.slice/hog.service', 'group': {'cgroup': '/x', 'pids': [1, 2], 'count': 2}},
                        {'pid': 7001, 'comm': 'helper', 'points': 1000, 'oom_score_adj': 950, 'rss_kb': 2048,
                         'swap_kb': 0, 'pgtables_kb': 8, 'exiting': False, 'unit': 'hog.service',
                         'cgroup': '/system.slice/hog.service', 'group': None}]}],
    'pressure': {'memory': {'some': {'avg10': 12.5, 'avg60': 1.5, 'avg300': 0.2, 'total': 1},
                            'full': {'avg10': 8.25, 'avg60': 0.75, 'avg300': 0.1, 'total': 1}},
                 'units': [{'unit': 'batch.slice', 'cgroup': '/batch.slice', 'managed_oom_memory_pressure': 'kill',
                            'managed_oom_swap': 'auto', 'managed_oom_memory_pressure_limit': '60%',
                            'effective_limit': '60%', 'over_limit': True, 'oomd_candidates': [],
                            'memory_pressure': {'some': {'avg10': 90.0}, 'full': {'avg10': 71.0}}}]},
}


def section(page, ident):
    start = page.index('id="%s"' % ident)
    return page[start:page.index('</table>', start)]


def events_table(page):
    start = page.index('id="events-table"')
    return page[start:page.index('</table>', start)]

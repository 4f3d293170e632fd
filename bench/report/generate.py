# Copyright: sre.oom maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write a jsonfile fact cache and an inventory for N fake hosts with K kills each.

usage: generate.py DIR HOSTS [KILLS_PER_HOST]

DIR/cache holds each host's `ansible_facts`, written through ansible-core's own
jsonfile cache plugin (so the file layout is that of the ansible-core in use)
(only `oom`, as sre.oom.oom_facts returns it, with #11's keys on 9 hosts in 10
and 0.1.0 facts on the rest); DIR/inventory.yml lists the hosts with a local
connection that nothing ever uses (the report reads the cache only).
Deterministic: the same arguments give the same files.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import sys

POLICIES = [
    {'panic_on_oom': 0, 'panic': 0, 'oom_kill_allocating_task': 0, 'oom_dump_tasks': 1,
     'overcommit_memory': 0, 'overcommit_ratio': 50},
    {'panic_on_oom': 0, 'panic': 10, 'oom_kill_allocating_task': 0, 'oom_dump_tasks': 1,
     'overcommit_memory': 1, 'overcommit_ratio': 50},
    {'panic_on_oom': 1, 'panic': 0, 'oom_kill_allocating_task': 0, 'oom_dump_tasks': 1,
     'overcommit_memory': 0, 'overcommit_ratio': 50},
    {'panic_on_oom': 2, 'panic': 10, 'oom_kill_allocating_task': 1, 'oom_dump_tasks': 0,
     'overcommit_memory': 2, 'overcommit_ratio': 80},
]
COMMS = ['java', 'postgres', 'python3', 'node', 'chrome', 'ruby', 'stress-ng', 'ffmpeg']


def iso(t):
    return t.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def host_facts(i, kills, now, rnd):
    new = i % 10 != 0
    events = []
    for k in range(kills):
        t = now - dt.timedelta(seconds=rnd.randint(60, 6 * 86400))
        comm = rnd.choice(COMMS)
        unit = '%s-%d.service' % (comm, k % 3)
        ev = {
            'time': iso(t), 'uptime': 1000.0 + k, 'kind': 'memcg' if k % 4 else 'global',
            'constraint': 'CONSTRAINT_MEMCG' if k % 4 else 'CONSTRAINT_NONE',
            'victim': {'pid': 1000 + k, 'comm': comm, 'uid': 0, 'total_vm_kb': 2 * 524288,
                       'anon_rss_kb': 524288 + k, 'file_rss_kb': 1024, 'shmem_rss_kb': 0,
                       'pgtables_kb': 1100, 'oom_score_adj': 0},
            'memcg': '/system.slice/' + unit, 'oom_memcg': '/system.slice/' + unit,
            'unit': unit, 'container_id': None, 'pod_uid': None,
            'invoker': {'comm': comm, 'pid': 1000 + k, 'gfp_mask': '0xcc0(GFP_KERNEL)',
                        'order': 0, 'oom_score_adj': 0},
            'reaped': True, 'source': 'journal',
        }
        if new:
            ev['killer'] = 'kernel'
        events.append(ev)
    events.sort(key=lambda e: e['time'])
    lost = i % 7
    oom = {
        'gather_subset': ['counters', 'events', 'processes', 'services', 'sysctl'],
        'sysctl': dict(POLICIES[i % len(POLICIES)]),
        'counters': {'oom_kill': kills + lost, 'cgroups': []},
        'events': events,
        'event_count': kills,
        'last_event': events[-1] if events else None,
        'source': 'journal',
        'source_errors': {},
        'processes': [{'pid': 900 + p, 'comm': rnd.choice(COMMS), 'oom_score': 700 - p,
                       'oom_score_adj': 0, 'rss_kb': 2097152 - p, 'unit': 'app.service'}
                      for p in range(5)],
        'protected': [{'pid': 412, 'comm': 'sshd', 'oom_score': 0, 'oom_score_adj': -1000,
                       'rss_kb': 7420, 'unit': 'ssh.service'}],
        'services': [{'unit': 'ssh.service', 'oom_score_adjust': -1000, 'oom_policy': 'stop',
                      'result': 'success'}],
        'services_error': None,
    }
    if new:
        oom['gathered_at'] = iso(now - dt.timedelta(hours=i % 40))
        oom['scope'] = 'host'
        oom['killer_counts'] = {'kernel': kills, 'systemd-oomd': 0, 'earlyoom': 0}
        oom['counters']['missed'] = lost
        oom['counters']['parsed_since_boot'] = kills
    return {'oom': oom}


class _ClosingCache:
    """ansible-core 2.19's jsonfile `set` leaves the descriptor of its temporary
    file open, one per host: a fleet of 20,000 hosts runs out of descriptors.
    This closes the descriptors `tempfile.mkstemp` handed out during each set."""

    def __init__(self, cache):
        self.cache = cache

    def set(self, key, value):
        import tempfile
        opened, real = [], tempfile.mkstemp

        def mkstemp(*a, **kw):
            fd, path = real(*a, **kw)
            opened.append(fd)
            return fd, path
        tempfile.mkstemp = mkstemp
        try:
            self.cache.set(key, value)
        finally:
            tempfile.mkstemp = real
            for fd in opened:
                try:
                    os.close(fd)
                except OSError:
                    pass


def fact_cache(path):
    """ansible-core's jsonfile cache plugin on `path`."""
    from ansible.plugins.loader import cache_loader, init_plugin_loader
    init_plugin_loader()
    os.makedirs(path, exist_ok=True)
    return _ClosingCache(cache_loader.get('ansible.builtin.jsonfile', _uri=path))


def main(argv):
    out, n = argv[1], int(argv[2])
    kills = int(argv[3]) if len(argv) > 3 else 20
    rnd = random.Random(n * 1000 + kills)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    cache = fact_cache(os.path.join(out, 'cache'))
    names = ['node-%05d' % i for i in range(n)]
    for i, name in enumerate(names):
        cache.set(name, host_facts(i, kills, now, rnd))
    with open(os.path.join(out, 'inventory.yml'), 'w', encoding='utf-8') as f:
        f.write('---\nall:\n  vars:\n    ansible_connection: local\n  hosts:\n')
        for name in names:
            f.write('    %s:\n' % name)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

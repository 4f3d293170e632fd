# Copyright: sre.oom maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the sre.oom.report role on crafted facts, once per scenario.

Each scenario is an inventory of fake hosts (local connection) that return
crafted `ansible_facts.oom` through library/fake_oom_facts.py, plus hosts
that fail or cannot be reached; `render.yml` feeds the results to the role's
`render` entry point, exactly as its gather step would. Scenarios run lazily
and once per session (each ansible-playbook run costs seconds).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

HOSTILE = '<script>alert("x")</script>'


def _cannot(why):
    """Skip a test that cannot run here; under `make report-tests` fail instead."""
    if os.environ.get('SRE_OOM_REQUIRE_BROWSER') == '1':
        pytest.fail('required by make report-tests, impossible here: %s' % why)
    pytest.skip(why)


def iso(t):
    return t.strftime('%Y-%m-%dT%H:%M:%SZ')


def event(t, pid=4242, comm='hog', kind='memcg', unit='hog.service', rss_kb=(524288, 1024, 0),
          memcg=None, container_id=None, pod_uid=None, invoker='python3'):
    """One event as sre.oom.oom_facts returns it (issue 4's schema)."""
    anon, file_, shmem = rss_kb
    return {
        'time': iso(t) if t is not None else None,
        'uptime': 1234.5,
        'kind': kind,
        'constraint': 'CONSTRAINT_MEMCG' if kind == 'memcg' else 'CONSTRAINT_NONE',
        'victim': {'pid': pid, 'comm': comm, 'uid': 0, 'total_vm_kb': anon * 2,
                   'anon_rss_kb': anon, 'file_rss_kb': file_, 'shmem_rss_kb': shmem,
                   'pgtables_kb': 1100, 'oom_score_adj': 0},
        'memcg': memcg if memcg is not None else ('/system.slice/' + unit if unit else None),
        'oom_memcg': memcg if memcg is not None else ('/system.slice/' + unit if unit else None),
        'unit': unit,
        'container_id': container_id,
        'pod_uid': pod_uid,
        'invoker': {'comm': invoker, 'pid': pid + 1, 'gfp_mask': '0xcc0(GFP_KERNEL)',
                    'order': 0, 'oom_score_adj': 0},
        'reaped': True,
        'source': 'kmsg',
    }


def facts(events=(), panic_on_oom=0, panic=10, processes=None, protected=None, services=None,
          source='kmsg', source_errors=None, event_count=None, oom_kill=None, counters=None, **newer):
    """ansible_facts.oom as sre.oom.oom_facts returns it; `counters` adds to its counters,
    `newer` adds keys of later releases (next_victims, pressure)."""
    events = list(events)
    oom = {
        'sysctl': {'panic_on_oom': panic_on_oom, 'panic': panic, 'oom_kill_allocating_task': 0,
                   'oom_dump_tasks': 1, 'overcommit_memory': 0, 'overcommit_ratio': 50},
        'counters': {'oom_kill': len(events) if oom_kill is None else oom_kill},
        'events': events,
        'event_count': len(events) if event_count is None else event_count,
        'last_event': events[-1] if events else None,
        'source': source,
        'source_errors': source_errors or {},
        'processes': processes if processes is not None else [
            {'pid': 900, 'comm': 'postgres', 'oom_score': 660, 'oom_score_adj': 0,
             'rss_kb': 2097152, 'unit': 'postgresql.service'},
            {'pid': 901, 'comm': 'nginx', 'oom_score': 12, 'oom_score_adj': 0,
             'rss_kb': 40960, 'unit': 'nginx.service'},
        ],
        'protected': protected or [],
        'services': services or [],
    }
    oom['counters'].update(counters or {})
    oom.update(newer)
    return oom


def candidate(pid, comm, points, adj, rss_kb, unit, group=None):
    """One of next_victims' candidates."""
    return {'pid': pid, 'comm': comm, 'points': points, 'oom_score_adj': adj, 'rss_kb': rss_kb, 'swap_kb': 0,
            'pgtables_kb': 64, 'exiting': False, 'unit': unit, 'cgroup': '/system.slice/' + (unit or ''),
            'group': group}


def psi(some, full):
    return {'some': {'avg10': some, 'avg60': some / 2, 'avg300': some / 4, 'total': 123456},
            'full': {'avg10': full, 'avg60': full / 2, 'avg300': full / 4, 'total': 65432}}


def web_counters():
    """web-1's counters.subtrees and attribution (oom_facts with next_victims and pressure)."""
    return {'parsed_since_boot': 3, 'attributed': 3, 'unattributed': 9, 'subtree_count': 3, 'subtrees': [
        {'kind': 'slice', 'name': 'system.slice', 'cgroup': '/system.slice', 'log_kills': 2, 'userspace_kills': 0,
         'counter_kills': 6, 'counter_complete': True, 'unattributed': 4},
        {'kind': 'unit', 'name': HOSTILE + '.service', 'cgroup': '/system.slice/' + HOSTILE + '.service',
         'log_kills': 1, 'userspace_kills': 0, 'counter_kills': None, 'counter_complete': None,
         'unattributed': None},
        {'kind': 'container', 'name': 'ab' * 32, 'cgroup': '/kubepods.slice/kubepods-burstable.slice/'
         'kubepods-burstable-pod1b2c3d4e_5f60.slice/cri-containerd-' + 'ab' * 32 + '.scope',
         'log_kills': 1, 'userspace_kills': 0, 'counter_kills': 1, 'counter_complete': True, 'unattributed': 0}]}


def web_victims():
    return [
        {'domain': 'global', 'version': None, 'limit_kb': None, 'total_kb': 16777216, 'eligible': 212,
         'candidates': [candidate(900, 'postgres', 524800, 0, 2097152, 'postgresql.service'),
                        candidate(901, HOSTILE, 20480, 0, 40960, 'nginx.service')]},
        {'domain': '/system.slice/batch.service', 'version': 2, 'limit_kb': 262144, 'total_kb': 262144,
         'eligible': 3,
         'candidates': [candidate(3101, 'batch-worker-with-a-long-name', 45000, 100, 61440, 'batch.service',
                                  group={'cgroup': '/system.slice/batch.service', 'pids': [3101, 3102], 'count': 2}),
                        candidate(3102, 'helper', 30000, 900, 8192, 'batch.service')]},
    ]


def web_pressure():
    return {'memory': psi(12.5, 8.25), 'units': [
        {'unit': 'batch.slice', 'cgroup': '/batch.slice', 'managed_oom_memory_pressure': 'kill',
         'managed_oom_swap': 'auto', 'managed_oom_memory_pressure_limit': '60%', 'effective_limit': '60%',
         'memory_pressure': psi(90.0, 71.0), 'over_limit': True, 'oomd_candidates': []},
        {'unit': 'user@1000.service', 'cgroup': '/user.slice/user-1000.slice/user@1000.service',
         'managed_oom_memory_pressure': 'kill', 'managed_oom_swap': 'kill',
         'managed_oom_memory_pressure_limit': None, 'effective_limit': '60%',
         'memory_pressure': psi(3.5, 1.25), 'over_limit': False, 'oomd_candidates': []}]}


def _now():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def scenario_fleet():
    """A fleet with everything: hostile strings, risky settings, failures."""
    now = _now()
    h = dt.timedelta(hours=1)
    hostile_path = '/system.slice/' + HOSTILE + '&"q\'.service'
    return {
        # kills, hostile comm/unit/cgroup/invoker, panic_on_oom=1 with panic=0
        'web-1': facts(
            events=[
                event(now - 30 * h, pid=101, comm=HOSTILE, unit=HOSTILE + '.service',
                      memcg=hostile_path, invoker='{{ 7*7 }}'),
                event(now - 2 * h, pid=102, comm='java', kind='global', unit=None,
                      rss_kb=(7340032, 2048, 4),
                      memcg='/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_5f60'
                            '.slice/cri-containerd-' + 'ab' * 32 + '.scope',
                      container_id='ab' * 32, pod_uid='1b2c3d4e-5f60', invoker='kworker/u8:2'),
                event(now - 1 * h, pid=103, comm='{{ 7*7 }} (weird)', unit='batch.service'),
            ],
            panic_on_oom=1, panic=0, oom_kill=12,
            counters=web_counters(), next_victims=web_victims(), pressure=web_pressure()),
        # panic_on_oom=2, a protected process that is the top memory user
        'db-1': facts(
            events=[event(now - 50 * h, pid=201, comm='pg_dump', unit='backup.service')],
            panic_on_oom=2, panic=10,
            protected=[{'pid': 7, 'comm': 'mysqld', 'oom_score': 0, 'oom_score_adj': -1000,
                        'rss_kb': 16777216, 'unit': 'mysql.service'}]),
        # no events at all
        'quiet-1': facts(),
        # no kernel log readable
        'blind-1': facts(source=None, source_errors={'journal': 'missing', 'kmsg': 'permission',
                                                     'dmesg': 'dmesg_restrict'}),
        # the module failed
        'broken-1': {'fail': 'oom_facts: crafted failure <img src=x onerror=alert(1)>&amp;'},
        # unreachable over ssh
        'gone-1': 'unreachable',
        # failed before the report (left the play)
        'early-1': 'fail_early',
    }


def scenario_quiet():
    """Every host reachable, none with a kill."""
    return {'a-1': facts(), 'a-2': facts(processes=[])}


def scenario_down():
    """No host reachable at all."""
    return {'down-1': 'unreachable', 'down-2': 'unreachable'}


# The longest legal DNS name: 253 characters (labels of at most 63).
LONG_NAME = '.'.join(['a' * 63, 'b' * 63, 'c' * 63, 'd' * 61])


def scenario_longname():
    """A host with the longest legal DNS name, with a kill, beside a short one."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    return {LONG_NAME: facts([event(now - dt.timedelta(hours=1), comm='long-kill')]), 'short-1': facts()}


THOUSANDS_HOSTS = 3
THOUSANDS_PER_HOST = 2000


def scenario_thousands():
    """6,000 kills over three hosts, some with hostile names."""
    now = _now()
    hosts = {}
    for n in range(THOUSANDS_HOSTS):
        evs = []
        for i in range(THOUSANDS_PER_HOST):
            t = now - dt.timedelta(seconds=(THOUSANDS_PER_HOST - i) * 240 + n)
            comm = HOSTILE if i % 97 == 0 else 'worker-%d' % (i % 13)
            evs.append(event(t, pid=10000 + i, comm=comm, unit='job-%d.service' % (i % 7),
                             kind='global' if i % 5 == 0 else 'memcg'))
        hosts['bulk-%d' % n] = facts(events=evs, event_count=THOUSANDS_PER_HOST + 500)
    return hosts


SCENARIOS = {
    'fleet': (scenario_fleet, {}),
    'quiet': (scenario_quiet, {}),
    'down': (scenario_down, {'oom_report_formats': ['json', 'md']}),
    'thousands': (scenario_thousands, {}),
    'longname': (scenario_longname, {}),
}


def ansible_playbook():
    # ANSIBLE_PLAYBOOK=/path/to/ansible-playbook runs the scenarios on another
    # ansible-core (e.g. a `make test-matrix` venv).
    if os.environ.get('ANSIBLE_PLAYBOOK'):
        return os.environ['ANSIBLE_PLAYBOOK']
    exe = Path(sys.executable).with_name('ansible-playbook')
    if exe.exists():
        return str(exe)
    found = shutil.which('ansible-playbook')
    if not found:
        _cannot('ansible-playbook not found (run `make setup`)')
    return found


def run_scenario(base: Path, hosts: dict, extra: dict, textfile: bool = False):
    """Write the inventory and fixtures for `hosts`, run render.yml, return the outputs."""
    link = REPO / 'build' / 'collections' / 'ansible_collections' / 'sre' / 'oom'
    if not link.exists():
        pytest.fail('%s is missing: run `make setup` first' % link)
    base.mkdir(parents=True, exist_ok=True)
    out = base / 'out'
    inv_hosts = {}
    for i, (name, spec) in enumerate(hosts.items()):
        fixture = base / ('fixture-%d.json' % i)     # a host name may be longer than a file name
        hv = {'oom_facts_fixture': str(fixture)}
        if spec == 'unreachable':
            if not shutil.which('ssh'):
                _cannot('no ssh client: cannot make a host unreachable')
            hv.update(ansible_connection='ssh', ansible_host='%s.invalid' % name,
                      ansible_ssh_common_args='-o ConnectTimeout=3 -o BatchMode=yes')
            spec = {'oom': {}}
        elif spec == 'fail_early':
            hv['fail_before_report'] = True
            spec = {'oom': {}}
        elif 'fail' not in spec:
            spec = {'oom': spec}
        if textfile:
            tdir = base / 'textfile' / name
            tdir.mkdir(parents=True, exist_ok=True)
            hv['oom_report_textfile_dir'] = str(tdir)
        fixture.write_text(json.dumps(spec), encoding='utf-8')
        inv_hosts[name] = hv
    inventory = {'all': {
        'vars': {'ansible_connection': 'local',
                 'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'hosts': inv_hosts}}
    (base / 'inventory.json').write_text(json.dumps(inventory), encoding='utf-8')
    extra = dict({'oom_report_dir': str(out), 'oom_report_since': '-7d'}, **extra)
    (base / 'extra.json').write_text(json.dumps(extra), encoding='utf-8')
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_RETRY_FILES_ENABLED='False',
               ANSIBLE_LOCAL_TEMP=str(base / 'ansible-tmp'))
    proc = subprocess.run(
        [ansible_playbook(), '-i', str(base / 'inventory.json'), str(HERE / 'render.yml'),
         '-e', '@' + str(base / 'extra.json')],
        cwd=str(REPO), env=env, capture_output=True, text=True, timeout=900, check=False)
    (base / 'ansible.log').write_text(proc.stdout + proc.stderr, encoding='utf-8')
    return {'dir': out, 'rc': proc.returncode, 'log': proc.stdout + proc.stderr, 'base': base}


@pytest.fixture(scope='session')
def report(tmp_path_factory):
    """report(name) -> {'dir', 'rc', 'log', 'base'}, run once per session."""
    cache = {}

    def get(name, textfile=False):
        key = (name, textfile)
        if key not in cache:
            make, extra = SCENARIOS[name]
            base = tmp_path_factory.mktemp('report-%s%s' % (name, '-tf' if textfile else ''))
            cache[key] = run_scenario(base, make(), extra, textfile=textfile)
        return cache[key]

    return get

# Copyright: sre.oom maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`oom_report_gather: false`: the report from a jsonfile fact cache, contacting no host.

The fact cache is written by the test through ansible-core's own jsonfile cache
plugin (so its layout is that of the ansible-core under test). Every host is
unreachable by construction: most point at `*.invalid` over ssh; one has a
local connection whose Python interpreter is a tripwire script that records
any call. After the run the tripwire is untouched, no host is reported
unreachable, and the report holds the cached facts.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, ansible_playbook, event, facts, iso
from report_html import page

HERE = Path(__file__).resolve().parent
WRITE_CACHE = r'''
import json, sys
from ansible.plugins.loader import cache_loader, init_plugin_loader
init_plugin_loader()
cache = cache_loader.get('ansible.builtin.jsonfile', _uri=sys.argv[1])
for host, data in json.load(sys.stdin).items():
    cache.set(host, data)
'''


def _now():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def fleet():
    now = _now()
    fresh = facts([event(now - dt.timedelta(hours=2), comm='cached-kill')], oom_kill=4)
    fresh['gathered_at'] = iso(now - dt.timedelta(hours=1))
    fresh['counters']['missed'] = 3
    old = facts([event(now - dt.timedelta(days=2), comm='old-kill')])
    old['gathered_at'] = iso(now - dt.timedelta(days=3))
    legacy = facts()                         # sre.oom 0.1.0 facts: no gathered_at, no missed
    return {'fresh-1': {'oom': fresh}, 'old-1': {'oom': old}, 'legacy-1': {'oom': legacy},
            'tripwire-1': {'oom': facts()}}


BROKEN = {'truncated-1': b'{"__payload__": "{\\"oom\\": {\\"ev', 'badutf-1': b'{"oom": {"source": "\xff\xfe"}}'}


@pytest.fixture(scope='module', params=['playbook', 'role-in-fleet-play'])
def run(request, tmp_path_factory):
    base = tmp_path_factory.mktemp('cache-%s' % request.param)
    cache = base / 'facts'
    ap = ansible_playbook()
    py = Path(ap).with_name('python')
    subprocess.run([str(py if py.exists() else 'python3'), '-c', WRITE_CACHE, str(cache)],
                   input=json.dumps(fleet()), text=True, check=True, timeout=120)
    # Entries that cannot be read, in the layouts of every supported ansible-core
    # (2.17/2.18 and AWX: <host>; 2.19: s1_<host>). Only for the play on
    # localhost: in a play over the fleet, Ansible itself reads each play host's
    # entry before any task runs, fails the play on a corrupt one and deletes it
    # (the role README says so).
    broken = BROKEN if request.param == 'playbook' else {}
    for name, data in broken.items():
        for fname in (name, 's1_' + name):
            (cache / fname).write_bytes(data)
    wire = base / 'tripwire'
    wire.write_text('#!/bin/sh\necho "$0 $*" >> %s.called\nexit 1\n' % wire)
    wire.chmod(0o755)
    hosts = {name: {'ansible_connection': 'ssh', 'ansible_host': '%s.invalid' % name,
                    'ansible_ssh_common_args': '-o ConnectTimeout=2 -o BatchMode=yes'}
             for name in ('fresh-1', 'old-1', 'legacy-1', 'nofacts-1') + tuple(broken)}
    hosts['tripwire-1'] = {'ansible_connection': 'local', 'ansible_python_interpreter': str(wire)}
    (base / 'inventory.json').write_text(json.dumps({'all': {'hosts': hosts}}))
    out = base / 'out'
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_CACHE_PLUGIN='jsonfile', ANSIBLE_CACHE_PLUGIN_CONNECTION=str(cache),
               ANSIBLE_CACHE_PLUGIN_TIMEOUT='0', ANSIBLE_LOCAL_TEMP=str(base / 'tmp'))
    play = REPO / 'playbooks' / 'report.yml' if request.param == 'playbook' else HERE / 'cache.yml'
    proc = subprocess.run(
        [ap, '-i', str(base / 'inventory.json'), str(play), '-e', 'oom_report_gather=false',
         '-e', 'oom_report_dir=%s' % out], cwd=str(REPO), env=env, capture_output=True, text=True,
        timeout=600, check=False)
    log = proc.stdout + proc.stderr
    (base / 'ansible.log').write_text(log)
    return {'rc': proc.returncode, 'log': log, 'out': out, 'wire': wire, 'mode': request.param, 'cache': cache,
            'broken': broken}


def test_no_host_was_contacted(run):
    assert run['rc'] == 0, run['log'][-4000:]
    assert not Path(str(run['wire']) + '.called').exists(), 'a module ran on tripwire-1'
    assert 'UNREACHABLE' not in run['log'] and 'unreachable=1' not in run['log']
    if run['mode'] == 'playbook':
        # the whole play ran on the controller: nothing per host at all
        recap = run['log'].split('PLAY RECAP')[1]
        assert 'localhost' in recap and 'fresh-1' not in recap


def test_report_from_the_cache(run):
    rep = json.loads((run['out'] / 'report.json').read_text())
    hosts = {h['name']: h for h in rep['hosts']}
    assert set(hosts) == {'fresh-1', 'old-1', 'legacy-1', 'nofacts-1', 'tripwire-1'} | set(run['broken'])
    assert hosts['nofacts-1']['status'] == 'no_data'
    assert hosts['nofacts-1']['error'].startswith('no data')
    assert {n: h['data_source'] for n, h in hosts.items() if h['status'] == 'ok'} == {
        'fresh-1': 'facts', 'old-1': 'facts', 'legacy-1': 'facts', 'tripwire-1': 'facts'}
    for name in run['broken']:
        assert hosts[name]['status'] == 'no_data'
        assert hosts[name]['error'].startswith('no data: cache entry unreadable: %s/' % run['cache'])
        for fname in (name, 's1_' + name):          # nothing deleted behind the user's back
            assert (run['cache'] / fname).read_bytes() == BROKEN[name]
    assert hosts['fresh-1']['events'][0]['victim']['comm'] == 'cached-kill'
    assert (hosts['fresh-1']['stale'], hosts['old-1']['stale'], hosts['legacy-1']['stale']) == (False, True, None)
    assert hosts['fresh-1']['missed_kills'] == 3 and hosts['legacy-1']['missed_kills'] is None
    s = rep['summary']
    assert (s['hosts_stale'], s['hosts_age_unknown'], s['missed_kills']) == (1, 2, 3)


def test_page_shows_stale_and_no_data(run):
    p = page(run['out'])
    text = ' '.join(''.join(p.text).split())
    assert 'facts gathered more than 1d ago' in text
    assert 'old-1 (' in text
    nodata = {r[0]: r[1] for r in p.tables['nodata'][1:]}
    assert nodata == dict.fromkeys(['nofacts-1', *run['broken']], 'no data')


def test_the_tripwire_trips(tmp_path):
    """The control: running anything on such a host does leave the mark."""
    wire = tmp_path / 'wire'
    wire.write_text('#!/bin/sh\necho "$0 $*" >> %s.called\nexit 1\n' % wire)
    wire.chmod(0o755)
    inv = tmp_path / 'inv.json'
    host = {'ansible_connection': 'local', 'ansible_python_interpreter': str(wire)}
    inv.write_text(json.dumps({'all': {'hosts': {'t': host}}}))
    adhoc = Path(ansible_playbook()).with_name('ansible')
    subprocess.run([str(adhoc), '-i', str(inv), 't', '-m', 'ansible.builtin.ping'], cwd=str(REPO),
                   env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'),
                            ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp')),
                   capture_output=True, text=True, timeout=120, check=False)
    assert Path(str(wire) + '.called').exists()

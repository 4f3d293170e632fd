# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugin sre.oom.oom_report: inputs from Ansible's caches, files, check mode, errors."""

from __future__ import annotations

import hashlib
import json
from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.play_context import PlayContext

from ansible_collections.sre.oom.plugins.action import oom_report
from ansible_collections.sre.oom.plugins.plugin_utils import _render

OOM = {'sysctl': {'panic_on_oom': 1, 'panic': 0}, 'counters': {'oom_kill': 3, 'missed': 2},
       'events': [{'time': '2026-11-30T10:00:00Z', 'kind': 'memcg', 'victim': {'comm': '{{ 7*7 }}', 'pid': 5}}],
       'event_count': 1, 'source': 'kmsg', 'source_errors': {}, 'gathered_at': '2026-11-30T10:00:00Z'}


class FactCache:
    """The jsonfile/memory cache plugins raise KeyError for a host they do not hold."""

    def __init__(self, data):
        self.data = data

    def get(self, key):
        return self.data[key]


class HostVars:
    def __init__(self, facts, registered):
        self._variable_manager = MagicMock(_fact_cache=FactCache(facts), _nonpersistent_fact_cache=registered)

    def raw_get(self, name):  # pragma: no cover - the fast path is taken
        raise AssertionError('raw_get must not be needed when the caches are there')


def action(args, check_mode=False):
    task = MagicMock(args=args, check_mode=check_mode, async_val=0)
    task.action = 'sre.oom.oom_report'
    mod = oom_report.ActionModule(task, MagicMock(), PlayContext(), loader=None, templar=MagicMock(),
                                  shared_loader_obj=None)
    return mod


def task_vars():
    facts = {'cached': {'oom': OOM}, 'stale-shape': {'oom': 'garbage'}}
    registered = {'gathered': {'__oom_report_result': {'ansible_facts': {'oom': dict(OOM, source='journal')}}},
                  'gone': {'__oom_report_result': {'unreachable': True, 'msg': 'no route'}}}
    return {'hostvars': HostVars(facts, registered),
            'ansible_play_hosts_all': ['gathered', 'cached', 'gone', 'stale-shape', 'unknown']}


def test_writes_the_report_from_results_and_cached_facts(tmp_path):
    res = action({'dest': str(tmp_path / 'out')}).run(task_vars=task_vars())
    assert res['changed'] is True
    assert sorted(res['files']) == sorted(str(tmp_path / 'out' / f) for f in ('index.html', 'report.json', 'report.md'))
    rep = json.loads((tmp_path / 'out' / 'report.json').read_text())
    got = {h['name']: (h['status'], h['data_source']) for h in rep['hosts']}
    assert got == {'gathered': ('ok', 'result'), 'cached': ('ok', 'facts'), 'gone': ('unreachable', None),
                   'stale-shape': ('no_data', None), 'unknown': ('no_data', None)}
    assert res['summary']['hosts'] == 5 and res['summary']['missed_kills'] == 4
    assert all(isinstance(v, int) for v in res['summary'].values())
    assert 'textfiles' not in res
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == ['index.html', 'report.json', 'report.md']


def test_check_mode_writes_nothing(tmp_path):
    res = action({'dest': str(tmp_path / 'out')}, check_mode=True).run(task_vars=task_vars())
    assert res['changed'] is False and res['files'] == []
    assert not (tmp_path / 'out').exists()
    assert res['summary']['hosts_reporting'] == 2


def test_hosts_formats_result_var_and_textfiles(tmp_path):
    (tmp_path / 'tf').mkdir()
    (tmp_path / 'tf' / 'gone-0123456789.prom').write_text('last run')   # a host without data now
    (tmp_path / 'tf' / 'notes.txt').write_text('not ours')
    res = action({'dest': str(tmp_path), 'formats': ['json'], 'hosts': ['gathered', 'cached', 'we/ird'],
                  'result_var': '', 'textfiles_dir': str(tmp_path / 'tf')}).run(task_vars=task_vars())
    rep = json.loads((tmp_path / 'report.json').read_text())
    assert [(h['name'], h['data_source']) for h in rep['hosts']] == [
        ('gathered', None), ('cached', 'facts'), ('we/ird', None)]
    assert rep['hosts'][0]['status'] == 'no_data'        # registered results ignored, no cached facts
    assert res['textfiles'] == 1
    name = 'cached-%s.prom' % hashlib.sha1(b'cached').hexdigest()[:10]
    assert sorted(p.name for p in (tmp_path / 'tf').iterdir()) == [name, 'notes.txt']
    assert 'sre_oom_kills_total{killer="kernel",kind="memcg"} 1' in (tmp_path / 'tf' / name).read_text()
    assert _render.textfile_name('we/ird') == 'we_ird-%s.prom' % hashlib.sha1(b'we/ird').hexdigest()[:10]


@pytest.mark.parametrize('args, msg', [
    ({}, 'missing required arguments: dest'),
    ({'dest': '/tmp/x', 'formats': ['pdf']}, 'formats'),
    ({'dest': '/tmp/x', 'stale_after': 'soon'}, "stale_after='soon' is not a duration"),
], ids=['no-dest', 'bad-format', 'bad-stale-after'])
def test_bad_arguments(args, msg):
    with pytest.raises(AnsibleActionFail, match=msg):
        action(args).run(task_vars=task_vars())


def test_unwritable_destination(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('x')
    with pytest.raises(AnsibleActionFail, match='cannot write the report in'):
        action({'dest': str(blocker / 'sub')}).run(task_vars=task_vars())


class PlainHostVars:
    """HostVars without the variable manager's caches: each host through raw_get."""

    def __init__(self, data):
        self.data = data

    def raw_get(self, name):
        return self.data[name]


def test_falls_back_to_raw_get(tmp_path):
    hv = PlainHostVars({'a': {'ansible_facts': {'oom': OOM}},
                        'b': {'__oom_report_result': {'failed': True, 'msg': 'boom'}}})
    action({'dest': str(tmp_path), 'formats': ['json']}).run(
        task_vars={'hostvars': hv, 'ansible_play_hosts_all': ['a', 'b', 'c']})
    rep = json.loads((tmp_path / 'report.json').read_text())
    assert [(h['name'], h['status']) for h in rep['hosts']] == [('a', 'ok'), ('b', 'failed'), ('c', 'no_data')]

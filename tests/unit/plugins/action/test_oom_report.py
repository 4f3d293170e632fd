# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugin sre.oom.oom_report: inputs from Ansible's caches, files, check mode, errors."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.play_context import PlayContext

from ansible_collections.sre.oom.plugins.action import oom_report
from ansible_collections.sre.oom.plugins.plugin_utils import _cache, _render_prom, _report_values, _report_workers

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
    assert res['summary']['hosts'] == 5 and res['summary']['missed_kills'] == 4 and res['parts'] == 1
    assert all(isinstance(v, int) for v in res['summary'].values())
    assert 'textfiles' not in res
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == ['index.html', 'report.json', 'report.md']


def test_check_mode_writes_nothing(tmp_path):
    res = action({'dest': str(tmp_path / 'out')}, check_mode=True).run(task_vars=task_vars())
    # changed as the real run would be (the report is written anew every time)
    assert res['changed'] is True and res['files'] == []
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
    assert _render_prom.textfile_name('we/ird') == 'we_ird-%s.prom' % hashlib.sha1(b'we/ird').hexdigest()[:10]


@pytest.mark.parametrize('args, msg', [
    ({}, 'missing required arguments: dest'),
    ({'dest': '/tmp/x', 'formats': ['pdf']}, 'formats'),
    ({'dest': '/tmp/x', 'stale_after': 'soon'}, "stale_after='soon' is not a duration"),
    ({'dest': '/tmp/x', 'since': 'last tuesday'}, "since: 'last tuesday' is not understood"),
    ({'dest': '/tmp/x', 'since': '9999-12-31T23:59:59-14:00'}, 'is after 9999-12-31T23:59:59Z'),
], ids=['no-dest', 'bad-format', 'bad-stale-after', 'bad-since', 'since-past-9999'])
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


# ---------------------------------------------------------------- hostile fact caches and file sets

def jsonfile_vars(cache_dir, names, **options):
    """task_vars whose fact cache is ansible-core's own jsonfile plugin on `cache_dir`."""
    from ansible.plugins.loader import cache_loader
    cache = cache_loader.get('jsonfile', _uri=str(cache_dir), **options)
    hv = MagicMock(_variable_manager=MagicMock(_fact_cache=cache, _nonpersistent_fact_cache={}))
    return cache, {'hostvars': hv, 'ansible_play_hosts_all': list(names)}


BAD_ENTRIES = {
    's1_truncated': b'{"__payload__": "{\\"oom\\": {\\"events\\": [',          # 2.19 layout, cut short
    'utf8': b'{"oom": {"source": "\xff"}}',                                    # AWX / 2.18 layout
    'array': b'[{"oom": {}}]',
    's1_payload-type': b'{"__payload__": {"oom": {}}}',
}


def test_unreadable_cache_entries_are_listed_and_kept(tmp_path):
    cache_dir = tmp_path / 'facts'
    cache_dir.mkdir()
    cache, tv = jsonfile_vars(cache_dir, ['good', 'truncated', 'utf8', 'array', 'payload-type', 'missing'])
    cache.set('good', {'oom': OOM})
    for fname, data in BAD_ENTRIES.items():
        (cache_dir / fname).write_bytes(data)
    t = time.monotonic()
    res = action({'dest': str(tmp_path / 'out')}).run(task_vars=tv)
    assert time.monotonic() - t < 10
    rep = json.loads((tmp_path / 'out' / 'report.json').read_text())
    got = {h['name']: h for h in rep['hosts']}
    assert got['good']['status'] == 'ok' and got['good']['kills'] == 1
    for name in ('truncated', 'utf8', 'array', 'payload-type'):
        assert got[name]['status'] == 'no_data'
        assert got[name]['error'].startswith('no data: cache entry unreadable: %s' % cache_dir), got[name]['error']
    assert got['missing']['status'] == 'no_data' and 'unreadable' not in got['missing']['error']
    assert res['summary']['hosts_without_data'] == 5
    for fname, data in BAD_ENTRIES.items():
        assert (cache_dir / fname).read_bytes() == data         # nothing deleted behind the user's back


def test_a_thousand_unreadable_entries(tmp_path):
    cache_dir = tmp_path / 'facts'
    cache_dir.mkdir()
    names = ['bad-%04d' % i for i in range(1000)]
    cache, tv = jsonfile_vars(cache_dir, names + ['good'])
    cache.set('good', {'oom': OOM})
    for i, name in enumerate(names):
        (cache_dir / (('s1_' if i % 2 else '') + name)).write_bytes(b'{"oom": {"ev' if i % 3 else b'\xc3\x28')
    t = time.monotonic()
    res = action({'dest': str(tmp_path / 'out'), 'formats': ['json', 'md']}).run(task_vars=tv)
    assert time.monotonic() - t < 30
    assert res['summary']['hosts_without_data'] == 1000 and res['summary']['hosts_reporting'] == 1
    assert len(list(cache_dir.iterdir())) == 1001


def test_expired_cache_entry(tmp_path):
    cache_dir = tmp_path / 'facts'
    cache_dir.mkdir()
    cache, tv = jsonfile_vars(cache_dir, ['old'], _timeout=60)
    cache.set('old', {'oom': OOM})
    for p in cache_dir.iterdir():
        os.utime(p, (time.time() - 3600,) * 2)
    action({'dest': str(tmp_path / 'out'), 'formats': ['json']}).run(task_vars=tv)
    (h,) = json.loads((tmp_path / 'out' / 'report.json').read_text())['hosts']
    assert h['status'] == 'no_data' and h['error'].startswith('no data: the cached facts expired')


def test_awx_fact_cache_layout(tmp_path):
    """AWX writes each host's facts as `<dir>/<host>` (plain JSON) whatever the ansible-core of the job."""
    cache_dir = tmp_path / 'fact_cache'
    cache_dir.mkdir()
    (cache_dir / 'awx-1').write_text(json.dumps({'oom': OOM, 'ansible_hostname': 'awx-1'}))
    _cache, tv = jsonfile_vars(cache_dir, ['awx-1'])
    res = action({'dest': str(tmp_path / 'out'), 'formats': ['json']}).run(task_vars=tv)
    assert res['summary']['hosts_reporting'] == 1 and res['summary']['kills'] == 1


# The longest legal DNS name.
LONG_NAME = '.'.join(['a' * 63, 'b' * 63, 'c' * 63, 'd' * 61])


def test_textfile_name_fits_any_host_name(tmp_path):
    tv = task_vars()
    tv['hostvars']._variable_manager._fact_cache.data[LONG_NAME] = {'oom': OOM}
    t = time.monotonic()
    res = action({'dest': str(tmp_path), 'formats': ['json'], 'hosts': [LONG_NAME, 'cached'],
                  'textfiles_dir': str(tmp_path / 'tf')}).run(task_vars=tv)
    assert time.monotonic() - t < 10
    assert res['textfiles'] == 2
    names = sorted(p.name for p in (tmp_path / 'tf').iterdir())
    assert names[0] == '%s-%s.prom' % (LONG_NAME[:100], hashlib.sha1(LONG_NAME.encode()).hexdigest()[:10])
    assert all(len(n.encode()) <= 116 for n in names)
    assert _render_prom.textfile_name('x' * 5000 + '/') == 'x' * 100 + '-%s.prom' % hashlib.sha1(
        b'x' * 5000 + b'/').hexdigest()[:10]


def test_files_are_written_as_one_set(tmp_path):
    """A file of the set that cannot be replaced: every file keeps its old content, no temporary is left."""
    out, tf = tmp_path / 'out', tmp_path / 'tf'
    out.mkdir()
    tf.mkdir()
    for name in ('index.html', 'report.json'):
        (out / name).write_text('old ' + name)
    (out / 'report.md').mkdir()                             # cannot be replaced by a file
    old_prom = 'gone-%s.prom' % hashlib.sha1(b'gone').hexdigest()[:10]
    (tf / old_prom).write_text('old prom')
    with pytest.raises(AnsibleActionFail, match='nothing was changed'):
        action({'dest': str(out), 'textfiles_dir': str(tf)}).run(task_vars=task_vars())
    assert (out / 'index.html').read_text() == 'old index.html'
    assert (out / 'report.json').read_text() == 'old report.json'
    assert sorted(p.name for p in out.iterdir()) == ['index.html', 'report.json', 'report.md']
    assert sorted(p.name for p in tf.iterdir()) == [old_prom]        # no new file, the old one kept
    (out / 'report.md').rmdir()
    action({'dest': str(out), 'textfiles_dir': str(tf)}).run(task_vars=task_vars())
    assert (out / 'index.html').read_text().startswith('<!DOCTYPE html>')
    assert old_prom not in [p.name for p in tf.iterdir()]               # removed once the new set is in
    assert not [p.name for p in list(out.iterdir()) + list(tf.iterdir()) if p.name.startswith('.')]


def test_strings_that_are_not_unicode(tmp_path):
    """A lone surrogate (JSON `\\ud800` in a cache entry) is escaped, never a traceback."""
    tv = task_vars()
    tv['hostvars']._variable_manager._fact_cache.data['sur'] = {
        'oom': dict(OOM, events=[{'time': '2026-11-30T10:00:00Z', 'victim': {'comm': 'x\ud800y', 'pid': 1}}])}
    t = time.monotonic()
    action({'dest': str(tmp_path), 'hosts': ['sur']}).run(task_vars=tv)
    assert time.monotonic() - t < 10
    rep = json.loads((tmp_path / 'report.json').read_text(encoding='utf-8'))
    assert rep['hosts'][0]['events'][0]['victim']['comm'] == 'x\ud800y'
    assert 'x\\ud800y' in (tmp_path / 'index.html').read_text(encoding='utf-8')


@pytest.mark.parametrize('since', ['-999999999999w', '-99999999999w', 'all', 'boot'])
def test_since_far_back_starts_the_page_in_1970(tmp_path, since):
    action({'dest': str(tmp_path), 'hosts': ['cached'], 'since': since}).run(task_vars=task_vars())
    rep = json.loads((tmp_path / 'report.json').read_text())
    assert rep['window']['start'] >= '1970-01-01T00:00:00Z' and rep['since'] == since


# Numbers a JSON fact cache can hold and no page can show: NaN, the infinities
# (also 1e400, which json reads as one) and a 401-digit integer.
BAD_NUMBERS = [float('nan'), float('inf'), -float('inf'), 10 ** 400]


@pytest.mark.parametrize('bad', BAD_NUMBERS, ids=['nan', 'inf', '-inf', 'huge'])
def test_numbers_that_are_no_numbers_cost_only_their_own_cells(tmp_path, bad):
    """In every number field the pages, the textfile and report.json show: the
    host keeps its row, the others theirs, and report.json stays JSON."""
    tv = task_vars()
    ev = {'time': '2026-11-30T10:00:00Z', 'kind': 'memcg', 'uptime': bad,
          'victim': {'comm': 'hog', 'pid': 5, 'anon_rss_kb': bad, 'file_rss_kb': bad, 'shmem_rss_kb': 1,
                     'total_vm_kb': bad}}
    tv['hostvars']._variable_manager._fact_cache.data['bad'] = {'oom': dict(
        OOM, events=[ev, dict(ev, time=None)], event_count=bad, counters={'oom_kill': bad, 'missed': bad},
        sysctl={'panic_on_oom': bad, 'panic': 0},
        processes=[{'comm': 'p', 'pid': 9, 'rss_kb': bad}],
        next_victims=[{'domain': 'global', 'limit_kb': bad, 'total_kb': bad,
                       'candidates': [{'pid': 9, 'comm': 'p', 'rss_kb': bad, 'points': bad}]}],
        pressure={'memory': {'some': {'avg10': bad}, 'full': {'avg10': bad}},
                  'units': [{'unit': 'a.service', 'effective_limit': '%s%%' % bad,
                             'memory_pressure': {'full': {'avg10': bad}}, 'managed_oom_memory_pressure': 'kill'}]})}
    (tmp_path / 'tf').mkdir()
    res = action({'dest': str(tmp_path / 'out'), 'hosts': ['bad', 'cached'],
                  'textfiles_dir': str(tmp_path / 'tf')}).run(task_vars=tv)
    assert res['summary']['hosts_reporting'] == 2
    text = (tmp_path / 'out' / 'report.json').read_text()
    rep = json.loads(text, parse_constant=lambda c: pytest.fail('report.json holds %s' % c))
    bad_host = rep['hosts'][0]
    assert bad_host['status'] == 'ok' and bad_host['kills'] == 2 and bad_host['oom_kill_since_boot'] is None
    assert any('counters.oom_kill' in p for p in bad_host['problems'])
    for page in ('index.html', 'report.md'):
        text = (tmp_path / 'out' / page).read_text()
        assert 'hog' in text and not re.search(r'(?i)(nan|inf|\d{30})\s*(KiB|MiB|GiB|%|s\b)', text)
    for prom in (tmp_path / 'tf').iterdir():
        for line in prom.read_text().splitlines():
            if not line.startswith('#'):
                value = line.rsplit(' ', 1)[1]
                assert len(value) < 25 and float(value) == float(value), line


def test_psi_without_readings_beside_managed_units(tmp_path):
    """PSI off in the kernel (`pressure.memory` null) while units are under systemd-oomd."""
    tv = task_vars()
    tv['hostvars']._variable_manager._fact_cache.data['nopsi'] = {'oom': dict(OOM, pressure={
        'memory': None, 'units': [{'unit': '-.slice', 'cgroup': '/', 'managed_oom_swap': 'kill',
                                   'effective_limit': '60%', 'memory_pressure': None, 'over_limit': None},
                                  {'unit': '-.slice', 'cgroup': '/', 'effective_limit': '60%'}]})}
    (tmp_path / 'tf').mkdir()
    action({'dest': str(tmp_path), 'hosts': ['nopsi', 'cached'], 'textfiles_dir': str(tmp_path / 'tf')}).run(task_vars=tv)
    rep = json.loads((tmp_path / 'report.json').read_text())
    host = rep['hosts'][0]
    assert host['memory_pressure'] is None and [u['unit'] for u in host['unit_pressure']] == ['-.slice']
    assert any('listed before' in p for p in host['problems'])
    assert '-.slice' in (tmp_path / 'index.html').read_text()


def test_a_kill_after_9999_costs_only_its_time(tmp_path):
    tv = task_vars()
    late = {'time': '9999-12-31T23:59:59-14:00', 'kind': 'memcg', 'victim': {'comm': 'late', 'pid': 1}}
    tv['hostvars']._variable_manager._fact_cache.data['y10k'] = {'oom': dict(
        OOM, events=[late] + OOM['events'], event_count=2, gathered_at='9999-12-31T23:59:59-14:00')}
    action({'dest': str(tmp_path), 'hosts': ['y10k']}).run(task_vars=tv)
    host = json.loads((tmp_path / 'report.json').read_text())['hosts'][0]
    assert host['status'] == 'ok' and host['kills'] == 2 and host['last_kill'] == '2026-11-30T10:00:00Z'
    assert 'panic_on_oom_no_reboot' in [f['id'] for f in host['flags']]
    assert any('event 0: time' in p for p in host['problems']) and any('gathered_at' in p for p in host['problems'])


# ---------------------------------------------------------------- big fleets: the hosts read in parts by forked children

def fleet_cache(tmp_path, count):
    """A jsonfile cache of `count` hosts (every fifth entry unreadable) and one host not in it."""
    cache_dir = tmp_path / 'facts'
    cache_dir.mkdir()
    names = ['n%02d' % i for i in range(count)]
    cache, tv = jsonfile_vars(cache_dir, names + ['missing'])
    for i, name in enumerate(names):
        if i % 5 == 4:
            (cache_dir / ('s1_' + name)).write_bytes(b'{"__payload__": "{\\"oom')
            continue
        events = [dict(OOM['events'][0], time='2026-11-30T%02d:00:00Z' % ((i + k) % 12),
                       victim={'comm': 'c%d' % i, 'pid': 100 + k}) for k in range(i % 3)]
        cache.set(name, {'oom': dict(OOM, events=events, event_count=len(events), counters={'oom_kill': len(events)})})
    return cache_dir, tv


def report_files(tmp_path, tv, label):
    """Run the report (all formats, textfiles) into tmp_path/label: {file name: content}."""
    out, tf = tmp_path / label, tmp_path / (label + '-tf')
    action({'dest': str(out), 'textfiles_dir': str(tf)}).run(task_vars=tv)
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    files.update({'tf/' + p.name: p.read_bytes() for p in tf.iterdir()})
    return files


@pytest.fixture
def in_parts(monkeypatch, tmp_path):
    """Parts of 4 hosts or more, 3 processes; the pids that read cache entries are recorded."""
    monkeypatch.setattr(_report_values, 'utc_now', lambda: NOW)
    monkeypatch.setattr(_report_workers, 'MIN_HOSTS', 4)
    monkeypatch.setattr(_report_workers, 'cpus', lambda: 3)
    pids = tmp_path / 'pids'
    read = _cache.FactFiles.read

    def spy(self, host):
        with open(pids, 'a') as f:
            f.write('%d\n' % os.getpid())
        return read(self, host)
    monkeypatch.setattr(_cache.FactFiles, 'read', spy)
    return lambda: set(pids.read_text().split()) if pids.exists() else set()


NOW = 1796558400.0     # 2026-12-06T12:00:00Z


def test_a_big_fleet_is_read_in_parts_with_the_same_report(tmp_path, monkeypatch, in_parts):
    _dir, tv = fleet_cache(tmp_path, 14)
    parts = report_files(tmp_path, tv, 'parts')
    assert len(in_parts()) == 3                       # this process and two children read entries
    assert action({'dest': str(tmp_path / 'x')}, check_mode=True).run(task_vars=tv)['parts'] == 3
    monkeypatch.setattr(_report_workers, 'cpus', lambda: 1)
    (tmp_path / 'pids').unlink()
    one = report_files(tmp_path, tv, 'one')
    assert in_parts() == {str(os.getpid())}
    assert parts == one                               # byte for byte: pages, report.json, textfiles
    rep = json.loads(parts['report.json'])
    assert [h['name'] for h in rep['hosts']] == ['n%02d' % i for i in range(14)] + ['missing']
    assert rep['summary']['hosts_without_data'] == 3 and len([f for f in parts if f.startswith('tf/')]) == 12
    assert not list(tmp_path.rglob('.*'))      # no temporary file left anywhere


@pytest.mark.parametrize('how', ['exits', 'exits-late', 'raises', 'hangs'])
def test_a_child_that_fails_costs_only_time(tmp_path, monkeypatch, in_parts, how):
    """A child that dies (at once, or after staging textfiles), raises or hangs: its part is
    built by the action itself, the same report, and no temporary file of the child is left."""
    _dir, tv = fleet_cache(tmp_path, 14)
    monkeypatch.setattr(_report_workers, 'cpus', lambda: 1)
    one = report_files(tmp_path, tv, 'one')
    monkeypatch.setattr(_report_workers, 'cpus', lambda: 3)
    monkeypatch.setattr(_report_workers, 'MIN_WAIT', 1)
    parent = os.getpid()
    read = _cache.FactFiles.read
    children = tmp_path / 'children'

    def broken(self, host):
        if os.getpid() != parent:
            with open(children, 'a') as f:
                f.write('%d\n' % os.getpid())
            if how == 'exits-late':
                if children.read_text().split().count(str(os.getpid())) < 4:
                    return read(self, host)          # three hosts staged, then killed
                os._exit(9)
            if how == 'exits':
                os._exit(3)
            if how == 'raises':
                raise RuntimeError('a bug in a child')
            time.sleep(120)
        return read(self, host)
    monkeypatch.setattr(_cache.FactFiles, 'read', broken)
    t = time.monotonic()
    assert report_files(tmp_path, tv, 'parts') == one
    assert time.monotonic() - t < 60
    pids = {int(p) for p in children.read_text().split()}
    assert len(pids) == 2
    for pid in pids:                                 # ended and reaped: no such process any more
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not list(tmp_path.rglob('.*'))

# Copyright: sre.oom maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sre.oom.report rendering on crafted facts: report.json, index.html, report.md.

The scenarios (see conftest.py) run the role's `render` entry point through
ansible-playbook, so these tests exercise the action plugin sre.oom.oom_report
end to end (module results as the ansible-core in use hands them over, files
written, textfiles placed on the hosts). The Python core itself is unit-tested
table-wise in tests/unit/plugins/plugin_utils/.
"""
from __future__ import annotations

import json
import re

import pytest

from conftest import HOSTILE, LONG_NAME, THOUSANDS_HOSTS, THOUSANDS_PER_HOST
from report_html import page


def load(out):
    return json.loads((out / 'report.json').read_text(encoding='utf-8'))


def hosts_by_name(rep):
    return {h['name']: h for h in rep['hosts']}


# ---------------------------------------------------------------- the fleet


@pytest.fixture(scope='module')
def fleet(report):
    res = report('fleet', textfile=True)
    assert (res['dir'] / 'report.json').exists(), res['log'][-4000:]
    return res


def test_fleet_json_schema_and_summary(fleet):
    rep = load(fleet['dir'])
    assert rep['schema'] == 'sre.oom.report/1'
    old = ['schema', 'generated', 'since', 'window', 'summary', 'hosts']
    assert [k for k in rep if k in old] == old          # keys are only added
    assert rep['since'] == '-7d'
    s = rep['summary']
    assert s['hosts'] == 7
    assert s['hosts_reporting'] == 4
    assert s['hosts_without_data'] == 3
    assert s['hosts_with_kills'] == 2
    assert s['kills'] == 4
    assert s['events_listed'] == 4
    assert s['hosts_log_unreadable'] == 1
    assert s['last_kill']['host'] == 'web-1'
    assert s['last_kill']['comm'] == '{{ 7*7 }} (weird)'      # read back, never templated
    assert s['last_kill']['unit'] == 'batch.service'
    assert rep['window']['start'] < rep['window']['end']


def test_fleet_every_host_is_listed_with_its_status(fleet):
    hosts = hosts_by_name(load(fleet['dir']))
    assert set(hosts) == {'web-1', 'db-1', 'quiet-1', 'blind-1', 'broken-1', 'gone-1', 'early-1'}
    status = {n: h['status'] for n, h in hosts.items()}
    assert status == {'web-1': 'ok', 'db-1': 'ok', 'quiet-1': 'ok', 'blind-1': 'ok',
                      'broken-1': 'failed', 'gone-1': 'unreachable', 'early-1': 'no_data'}
    assert 'crafted failure' in hosts['broken-1']['error']
    assert 'gone-1.invalid' in hosts['gone-1']['error']
    assert hosts['early-1']['error'].startswith('no data')
    for n in ('broken-1', 'gone-1', 'early-1'):
        assert hosts[n]['kills'] is None and hosts[n]['events'] == []


@pytest.mark.parametrize('host, expected', [
    ('web-1', ['panic_on_oom_no_reboot']),
    ('db-1', ['panic_on_oom_always', 'protected_top_memory_user']),
    ('quiet-1', []),
    ('blind-1', ['kernel_log_unreadable']),
], ids=['panic-no-reboot', 'panic-always-and-protected-top', 'clean', 'log-unreadable'])
def test_fleet_risk_flags(fleet, host, expected):
    h = hosts_by_name(load(fleet['dir']))[host]
    assert [f['id'] for f in h['flags']] == expected
    assert all(f['severity'] in ('critical', 'warning') and f['message'] for f in h['flags'])


def test_fleet_host_fields(fleet):
    hosts = hosts_by_name(load(fleet['dir']))
    web = hosts['web-1']
    assert web['kills'] == 3 and web['events_listed'] == 3
    assert web['oom_kill_since_boot'] == 12
    assert web['sysctl']['panic_on_oom'] == 1 and web['sysctl']['panic'] == 0
    assert [e['victim']['pid'] for e in web['events']] == [101, 102, 103]   # as gathered
    assert web['next_victims'][0]['comm'] == 'postgres'
    assert hosts['db-1']['protected'] == ['mysql.service']
    assert hosts['db-1']['top_memory']['comm'] == 'mysqld'
    assert hosts['blind-1']['kills'] is None and hosts['blind-1']['log_readable'] is False
    assert hosts['quiet-1']['kills'] == 0 and hosts['quiet-1']['last_kill'] is None


def test_fleet_hostile_strings_kept_verbatim_in_json(fleet):
    web = hosts_by_name(load(fleet['dir']))['web-1']
    ev = web['events'][0]
    assert ev['victim']['comm'] == HOSTILE
    assert ev['unit'] == HOSTILE + '.service'
    assert ev['invoker']['comm'] == '{{ 7*7 }}'     # never templated


def test_fleet_html_escapes_everything(fleet):
    raw = (fleet['dir'] / 'index.html').read_text(encoding='utf-8')
    assert raw.lower().count('<script') == 1             # the page's own, at the end
    assert HOSTILE not in raw and 'alert(' not in raw.split('<script>')[1]
    assert '<img' not in raw                              # from broken-1's error
    assert 'crafted failure &lt;img src=x onerror=alert(1)&gt;&amp;amp;' in raw
    assert '&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;' in raw
    assert '{{ 7*7 }} (weird)' in raw and '{{ 7*7 }} (102)' in raw      # comm, invoker
    assert '49 (weird)' not in raw and '49 (102)' not in raw
    p = page(fleet['dir'])
    assert p.count('script') == 1
    text = ''.join(p.text)
    assert HOSTILE in text                                # shown as text, not markup
    # the hostile cgroup path, in an attribute
    assert ('title="memcg /system.slice/&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;'
            '&amp;&#34;q&#39;.service') in raw


def test_fleet_html_is_self_contained(fleet):
    raw = (fleet['dir'] / 'index.html').read_text(encoding='utf-8')
    p = page(fleet['dir'])
    for tag, a in p.tags:
        for attr in ('src', 'href', 'srcset', 'action'):
            assert attr not in a, (tag, a)
    assert p.count('link') == 0 and p.count('img') == 0 and p.count('iframe') == 0
    assert not re.search(r'url\(|@import|https?://', raw)


def test_fleet_html_tables_and_charts(fleet):
    p = page(fleet['dir'])
    events = p.tables['events'][1:]
    assert len(events) == 4
    assert [r[1] for r in events] == ['web-1', 'web-1', 'web-1', 'db-1']      # newest first
    assert events[0][2] == '{{ 7*7 }} (weird)'
    assert events[1][5].startswith('container abababababab')
    # one row per distinct policy: quiet-1 and blind-1 share theirs
    policy = [(r[0], r[1], r[2], r[8]) for r in p.tables['policy'][1:]]
    assert sorted(policy) == [('1', '1', '0', 'web-1'), ('1', '2', '10', 'db-1'),
                              ('2', '0', '10', '2 hostsquiet-1, blind-1')]   # <details> summary + list
    hosts = {r[0]: r for r in p.tables['hosts'][1:]}
    assert set(hosts) == {'web-1', 'db-1', 'quiet-1', 'blind-1', 'broken-1', 'gone-1', 'early-1'}
    assert hosts['blind-1'][2] == 'unknown' and hosts['web-1'][2] == '3'
    assert hosts['gone-1'][1] == 'unreachable' and hosts['gone-1'][2] == '—'
    nodata = {r[0]: r[1] for r in p.tables['nodata'][1:]}
    assert nodata == {'broken-1': 'gathering failed', 'gone-1': 'unreachable', 'early-1': 'no data'}
    assert p.count('rect', **{'class': 'bar'}) == 2                 # kills per host
    assert p.count('rect', **{'class': 'tl'}) >= 3                  # timeline
    assert len(p.tables['victims'][1:]) == 8


def test_fleet_html_subtrees_victims_per_domain_and_pressure(fleet):
    p = page(fleet['dir'])
    subtrees = p.tables['subtrees'][1:]
    # the most kills the log lost first; web-1 only: the others' facts are older
    assert [(r[0], r[1], r[3], r[5], r[6]) for r in subtrees] == [
        ('web-1', 'slice', '2', '6', '4'), ('web-1', 'unit', '1', '—', 'unknown (no counter)'),
        ('web-1', 'container', '1', '1', '0')]
    assert subtrees[1][2] == HOSTILE + '.service'                       # text, not markup
    assert 'Kernel kills since boot not attributed' in ''.join(p.text)
    domains = p.tables['domains'][1:]
    assert len(domains) == 4 and domains[0][0] == 'web-1'
    assert domains[0][1].startswith('global') and domains[0][2] == 'postgres' and domains[0][4] == '524,800'
    assert domains[1][0] == HOSTILE                                     # rowspans: host and domain cells once
    assert domains[2][0] == '/system.slice/batch.servicelimit 256 MiB · 3 eligible'
    assert domains[2][1].startswith('batch-worker-with-a-long-name') and 'group of 2' in domains[2][1]
    pressure = p.tables['pressure'][1:]
    assert pressure[0][:7] == ['web-1', '12.5%', '8.25%', 'batch.slice', '71%', '60%', 'over its limit']
    assert pressure[1] == ['user@1000.service', '1.25%', '60%', 'below its limit']
    hosts = {r[0]: r for r in p.tables['hosts'][1:]}
    assert hosts['web-1'][3].endswith('3 attributed, 9 not') and hosts['db-1'][3] == 'unknown'
    assert 'db-1' not in {r[0] for r in domains} and len(p.tables['victims'][1:]) == 8   # older facts as before


def test_fleet_markdown(fleet):
    md = (fleet['dir'] / 'report.md').read_text(encoding='utf-8')
    assert md.startswith('# OOM report: 4 kills on 2 of 7 hosts')
    assert '<script' not in md and '<img' not in md
    assert '&lt;script&gt;' in md
    assert '| gone-1 | unreachable |' in md
    assert '| early-1 | no data |' in md
    assert '| web-1 | slice | system.slice | 2 | 0 | 6 | 4 |' in md
    assert '| web-1 | 12.5% | 8.25% | batch.slice | 71% | 60% | over its limit |' in md
    assert '| web-1 | global (whole machine, 16.0 GiB) | postgres | 900 | 524,800 | 0 | 2.0 GiB | postgresql.service |' in md
    # every table row has the same number of cells as its header
    for block in re.findall(r'((?:^\|.*\|\n)+)', md, re.M):
        widths = {len(re.findall(r'(?<!\\)\|', line)) for line in block.splitlines()}
        assert len(widths) == 1, block


PROM_LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                       r'(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? -?[0-9.e+]+$')


def test_fleet_textfiles(fleet):
    tdir = fleet['base'] / 'textfile'
    written = sorted(p.parent.name for p in tdir.glob('*/sre_oom.prom'))
    assert written == ['blind-1', 'db-1', 'quiet-1', 'web-1']      # none for failed hosts
    for host in written:
        d = tdir / host
        # nothing else in the directory but the (empty) staging subdirectory
        assert sorted(x.name for x in d.iterdir()) == ['.sre-oom-tmp', 'sre_oom.prom']
        assert list((d / '.sre-oom-tmp').iterdir()) == []
    metrics = {}
    for host in written:
        text = (tdir / host / 'sre_oom.prom').read_text(encoding='utf-8')
        assert text.endswith('\n')
        typed = set()
        for line in text.splitlines():
            if line.startswith('# TYPE '):
                typed.add(line.split()[2])
            elif line.startswith('#'):
                continue
            else:
                assert PROM_LINE.match(line), line
                assert re.match(r'[a-z_]+', line).group(0) in typed, line
                metrics.setdefault(host, {})[line.rsplit(' ', 1)[0]] = float(line.rsplit(' ', 1)[1])
    web = metrics['web-1']
    assert web['sre_oom_kills_total'] == 12
    assert web['sre_oom_kills_total{killer="kernel",kind="memcg"}'] == 2
    assert web['sre_oom_kills_total{killer="kernel",kind="global"}'] == 1
    assert web['sre_oom_window_kills{since="-7d"}'] == 3
    assert web['sre_oom_panic_on_oom'] == 1
    assert web['sre_oom_risk{check="panic_on_oom_no_reboot"}'] == 1
    assert web['sre_oom_last_kill_timestamp_seconds'] > 1.7e9
    assert metrics['db-1']['sre_oom_risk{check="protected_top_memory_user"}'] == 1
    assert web['sre_oom_unattributed_kills'] == 9
    assert web['sre_oom_memory_pressure_percent{kind="full",window="avg10"}'] == 8.25
    assert web['sre_oom_unit_pressure_over_limit{unit="batch.slice"}'] == 1
    assert web['sre_oom_unit_pressure_over_limit{unit="user@1000.service"}'] == 0
    assert not [k for k in metrics['db-1'] if 'unattributed' in k or 'pressure' in k]     # older facts
    assert metrics['quiet-1']['sre_oom_last_kill_timestamp_seconds'] == 0
    assert metrics['blind-1']['sre_oom_kernel_log_readable{source=""}'] == 0
    assert 'sre_oom_window_kills{since="-7d"}' not in metrics['blind-1']


# ---------------------------------------------------------------- quiet fleet


def test_quiet_fleet(report):
    res = report('quiet')
    assert res['rc'] == 0, res['log'][-4000:]
    rep = load(res['dir'])
    assert rep['summary']['kills'] == 0
    assert rep['summary']['hosts_with_kills'] == 0
    assert rep['summary']['last_kill'] is None
    assert [h['status'] for h in rep['hosts']] == ['ok', 'ok']
    p = page(res['dir'])
    text = ' '.join(''.join(p.text).split())
    assert 'No OOM kills on any reporting host in the window.' in text
    assert 'No OOM kill with a known time in the window.' in text
    assert 'No OOM kills listed in the window.' in text
    assert 'events' not in p.tables and 'nodata' not in p.tables
    assert len(p.tables['policy']) == 2                 # both hosts share one policy
    md = (res['dir'] / 'report.md').read_text(encoding='utf-8')
    assert md.startswith('# OOM report: 0 kills on 0 of 2 hosts')


# ---------------------------------------------------------------- nobody home


def test_every_host_unreachable(report):
    res = report('down')
    assert res['rc'] == 0, res['log'][-4000:]
    out = res['dir']
    assert not (out / 'index.html').exists()          # oom_report_formats: [json, md]
    rep = load(out)
    got = [(h['name'], h['status']) for h in rep['hosts']]
    assert got == [('down-1', 'unreachable'), ('down-2', 'unreachable')]
    assert rep['summary']['hosts_reporting'] == 0
    assert rep['summary']['hosts_without_data'] == 2
    md = (out / 'report.md').read_text(encoding='utf-8')
    assert '| down-1 | unreachable |' in md and '| down-2 | unreachable |' in md


# ---------------------------------------------------------------- thousands


@pytest.fixture(scope='module')
def thousands(report):
    res = report('thousands')
    assert res['rc'] == 0, res['log'][-4000:]
    return res


def test_thousands_json_complete(thousands):
    rep = load(thousands['dir'])
    total = THOUSANDS_HOSTS * THOUSANDS_PER_HOST
    assert rep['summary']['events_listed'] == total
    assert rep['summary']['kills'] == THOUSANDS_HOSTS * (THOUSANDS_PER_HOST + 500)
    assert sum(len(h['events']) for h in rep['hosts']) == total


def test_thousands_html_capped(thousands):
    html_file = thousands['dir'] / 'index.html'
    assert html_file.stat().st_size < 1_000_000
    raw = html_file.read_text(encoding='utf-8')
    assert raw.lower().count('<script') == 1
    assert HOSTILE not in raw
    p = page(thousands['dir'])
    rows = p.tables['events'][1:]
    assert len(rows) == 500
    times = [r[0] for r in rows]
    assert times == sorted(times, reverse=True)
    text = ' '.join(''.join(p.text).split())
    assert '5,500 more not shown' in text
    assert '1,500 more were counted' in text
    assert p.count('rect', **{'class': 'bar'}) == THOUSANDS_HOSTS
    assert p.count('rect', **{'class': 'tl'}) > 50


def test_thousands_markdown_capped(thousands):
    md = (thousands['dir'] / 'report.md').read_text(encoding='utf-8')
    assert '5,950 more not shown' in md
    assert md.count('| bulk-') < 100
    assert len(md) < 50_000


def test_longest_host_name_with_textfiles(report):
    """A 253-character host name: the report, every textfile, and the file on the host."""
    res = report('longname', textfile=True)
    assert res['rc'] == 0, res['log'][-4000:]
    rep = json.loads((res['dir'] / 'report.json').read_text(encoding='utf-8'))
    assert {h['name']: h['status'] for h in rep['hosts']} == {LONG_NAME: 'ok', 'short-1': 'ok'}
    staged = sorted(p.name for p in (res['dir'] / 'textfiles').iterdir())
    assert len(staged) == 2 and all(len(n.encode()) <= 116 for n in staged), staged
    assert staged[0].startswith('a' * 63 + '.' + 'b' * 36 + '-')       # 100 characters kept
    placed = res['base'] / 'textfile' / LONG_NAME / 'sre_oom.prom'
    assert 'sre_oom_kills_total{killer="kernel",kind="memcg"} 1' in placed.read_text(encoding='utf-8')
    assert (res['base'] / 'textfile' / 'short-1' / 'sre_oom.prom').is_file()

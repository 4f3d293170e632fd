# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's files: escaping by construction, caps, Prometheus format, atomic writes."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser

import pytest

from ansible_collections.sre.oom.plugins.plugin_utils import _escape, _render, _report, _report_host, _report_values

NOW = _report_values.parse_time('2026-11-30T12:00:00Z')
HOSTILE = '<script>alert("x")</script>&"q\'{{ 7*7 }}{% raw %}|*_`[a](b)\n# h'


def event(t, comm='hog', unit='hog.service', kind='memcg', **extra):
    victim = {'pid': 42, 'comm': comm, 'uid': 0, 'anon_rss_kb': 2048, 'file_rss_kb': 0, 'shmem_rss_kb': 0}
    ev = {'time': t, 'kind': kind, 'victim': victim,
          'memcg': '/system.slice/' + unit, 'unit': unit, 'invoker': {'comm': comm, 'pid': 1, 'gfp_mask': 'x'}}
    ev.update(extra)
    return ev


def facts(events=(), **over):
    oom = {'sysctl': {'panic_on_oom': 0, 'panic': 10, 'overcommit_memory': 0, 'overcommit_ratio': 50,
                      'oom_kill_allocating_task': 0, 'oom_dump_tasks': 1},
           'counters': {'oom_kill': len(events)}, 'events': list(events), 'event_count': len(events),
           'source': 'kmsg', 'source_errors': {},
           'processes': [{'pid': 9, 'comm': 'java', 'oom_score': 600, 'oom_score_adj': 0, 'rss_kb': 4096}],
           'protected': [], 'services': []}
    oom.update(over)
    return oom


def events_table(page):
    start = page.index('id="events-table"')
    return page[start:page.index('</table>', start)]


def build(hosts, **kw):
    inputs = [(n,) + _report_host.host_input(n, facts=f) for n, f in hosts.items()]
    kw.setdefault('now', NOW)
    return _report.build(inputs, **kw)


class Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self._in = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in = tag == 'script'
        if self._in:
            self.scripts.append('')

    def handle_endtag(self, tag):
        self._in = False

    def handle_data(self, data):
        if self._in:
            self.scripts[-1] += data


@pytest.fixture(scope='module')
def hostile():
    rep, view = build({
        HOSTILE: facts([event('2026-11-30T10:00:00Z', comm=HOSTILE, unit=HOSTILE, kind=HOSTILE,
                              killer=HOSTILE, container_id=HOSTILE, pod_uid=HOSTILE)],
                       source=HOSTILE, sysctl={'panic_on_oom': 1, 'panic': 0},
                       protected=[{'pid': 1, 'comm': HOSTILE, 'unit': HOSTILE, 'oom_score_adj': -1000,
                                   'rss_kb': 10 ** 9}]),
        'down': None,
    }, since=HOSTILE)
    return rep, view


# ---------------------------------------------------------------- HTML

def test_html_escapes_every_host_string(hostile):
    page = _render.html(*hostile)
    assert '<script>alert' not in page
    assert '&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&#34;q&#39;{{ 7*7 }}' in page
    p = Scripts()
    p.feed(page)
    assert p.tags.count('script') == 1                      # the page's own
    assert HOSTILE not in p.scripts[0] and 'alert' not in p.scripts[0]
    assert 'img' not in p.tags and 'a' not in p.tags


def test_html_never_templates_host_strings(hostile):
    page = _render.html(*hostile)
    assert '{{ 7*7 }}' in page and '{% raw %}' in page      # printed as text, not run


def test_html_is_self_contained(hostile):
    page = _render.html(*hostile)
    assert not re.search(r'\s(src|href|srcset|action)=', page)
    assert not re.search(r'url\(|@import|https?://', page)


def test_html_long_strings_are_shortened():
    rep, view = build({'h': facts([event('2026-11-30T10:00:00Z', comm='C' * 10240, unit='U' * 10240)])})
    page = _render.html(rep, view)
    assert 'C' * 10240 not in page and 'U' * 10240 not in page
    assert '… (10240 chars)' in page
    assert 'victim.comm is 10240 characters long' in page         # the row says what was wrong


def test_html_caps_the_kills_and_says_so():
    evs = [event('2026-11-%02dT%02d:00:00Z' % (20 + i // 24, i % 24)) for i in range(240)]
    rep, view = build({'a%d' % n: facts(evs) for n in range(3)})
    assert _render.LIMITS['html_events'] == 500
    page = _render.html(rep, view)
    assert events_table(page).count('<td class="t">2026-11-') == 500
    assert '220 more not shown: the page lists the 500 most recent of 720' in page


def test_html_stale_and_missed_are_shown():
    rep, view = build({
        'old': facts(gathered_at='2026-11-20T00:00:00Z', counters={'oom_kill': 9, 'missed': 4}),
        'new': facts(gathered_at='2026-11-30T11:00:00Z'),
    })
    page = _render.html(rep, view)
    assert 'id="stale"' in page and 'old (2026-11-20 00:00:00)' in page
    assert re.search(r'Kills lost by the log</div><div class="v">4</div>', page)


# ---------------------------------------------------------------- Markdown

@pytest.mark.parametrize('raw, expected', [
    ('plain', 'plain'),
    ('a|b', 'a\\|b'),
    ('<b>&', '&lt;b&gt;&amp;'),
    ('*x* _y_ `z` [l](u) ~s~ \\', '\\*x\\* \\_y\\_ \\`z\\` \\[l\\](u) \\~s\\~ \\\\'),
    ('line\nbreak\r\n\tx', 'line break x'),
    ('bell\x07', 'bell'),
    (None, ''),
    (42, '42'),
], ids=['plain', 'pipe', 'html', 'markup', 'newlines', 'control', 'none', 'int'])
def test_md_escape(raw, expected):
    assert _escape.md(raw) == expected


def test_markdown_tables_keep_their_shape(hostile):
    md = _render.markdown(*hostile)
    assert '<script' not in md, [line for line in md.splitlines() if '<script' in line]
    assert '{{ 7\\*7 }}' in md
    for block in re.findall(r'((?:^\|.*\|\n)+)', md, re.M):
        widths = {len(re.findall(r'(?<!\\)\|', line)) for line in block.splitlines()}
        assert len(widths) == 1, block


# ---------------------------------------------------------------- Prometheus

@pytest.mark.parametrize('raw, expected', [
    ('journal', 'journal'),
    ('a"b', 'a\\"b'),
    ('a\\b', 'a\\\\b'),
    ('a\nb', 'a\\nb'),
    ('a\rb\x00', 'ab'),
], ids=['plain', 'quote', 'backslash', 'newline', 'control'])
def test_prom_label(raw, expected):
    assert _escape.prom_label(raw) == expected


PROM_LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                       r'(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? -?[0-9.e+]+$')


def test_prom_text_is_valid_and_counts_by_killer_and_kind(hostile):
    rep, view = build({'h': facts([
        event('2026-11-30T10:00:00Z'), event('2026-11-30T10:01:00Z', kind='global'),
        event('2026-11-30T10:02:00Z', kind='userspace', killer='systemd-oomd'),
        dict(event('2026-11-30T10:03:00Z'), killer=None)], gathered_at='2026-11-30T11:00:00Z',
        counters={'oom_kill': 5, 'missed': 2})})
    text = _render.prom(rep['hosts'][0], '-7d', NOW)
    samples = {}
    for line in text.splitlines():
        if not line.startswith('#'):
            assert PROM_LINE.match(line), line
            name, value = line.rsplit(' ', 1)
            samples[name] = float(value)
    assert samples['sre_oom_kills_total'] == 5
    assert samples['sre_oom_kills_total{killer="kernel",kind="memcg"}'] == 2     # 0.1.0 facts: kernel
    assert samples['sre_oom_kills_total{killer="kernel",kind="global"}'] == 1
    assert samples['sre_oom_kills_total{killer="systemd-oomd",kind="userspace"}'] == 1
    assert samples['sre_oom_missed_kills'] == 2
    assert samples['sre_oom_facts_timestamp_seconds'] == NOW - 3600
    hostile_text = _render.prom(hostile[0]['hosts'][0], HOSTILE, NOW)
    for line in hostile_text.splitlines():
        assert line.startswith('#') or PROM_LINE.match(line), line
    assert _render.prom(hostile[0]['hosts'][1], '-7d', NOW) is None                # no data, no file


# ---------------------------------------------------------------- JSON and files

def test_json_round_trips_hostile_strings(hostile):
    back = json.loads(_render.to_json(hostile[0]))
    assert back['hosts'][0]['events'][0]['victim']['comm'] == HOSTILE


def test_write_atomic_replaces_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / 'report.json'
    target.write_text('old')
    _render.write_atomic(str(target), 'new')
    assert target.read_text() == 'new'
    assert oct(os.stat(target).st_mode & 0o777) == '0o644'
    assert sorted(os.listdir(tmp_path)) == ['report.json']


def test_write_atomic_failure_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / 'index.html'
    target.write_text('old')

    def boom(src, dst):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(os, 'replace', boom)
    with pytest.raises(OSError):
        _render.write_atomic(str(target), 'new')
    assert target.read_text() == 'old'
    assert sorted(os.listdir(tmp_path)) == ['index.html']


def test_page_for_5000_hosts_is_under_10_mb():
    evs = [event('2026-11-%02dT%02d:%02d:00Z' % (24 + k % 6, k, k)) for k in range(20)]
    hosts = {'node-%05d' % i: facts(evs, gathered_at='2026-11-30T10:00:00Z',
                                    sysctl={'panic_on_oom': i % 3, 'panic': 0}) for i in range(5000)}
    rep, view = build(hosts)
    page = _render.html(rep, view)
    assert len(page.encode('utf-8')) <= 10 * 1024 * 1024
    assert events_table(page).count('<td class="t">2026-11-') == _render.LIMITS['html_events']
    assert '99,500 more not shown' in page
    assert page.count('<tr>') > 5000                        # every host has its row


# ---------------------------------------------------------------- what a person sees (issue 20)

def test_a_burst_in_the_last_hour_is_marked_on_the_timeline():
    burst = [event('2026-11-30T11:%02d:00Z' % m) for m in range(10, 50, 5)]
    page = _render.html(*build({'h': facts([event('2026-11-25T10:00:00Z')] + burst)}))
    mark = re.search(r'<rect class="recent" x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"', page)
    assert mark and float(mark.group(2)) >= 6                  # wider than an hour's bin of 2.8 px
    assert '8 in the last hour' in page
    quiet = _render.html(*build({'h': facts([event('2026-11-30T10:00:00Z')])}))
    assert 'class="recent"' not in quiet and 'in the last hour' not in quiet


@pytest.mark.parametrize('extra, words', [
    ({'kind': 'memcg', 'oom_memcg': '/system.slice/hog.service'}, 'memory cgroup limit hit in /system.'),
    ({'kind': 'global'}, 'the whole machine ran out of memory'),
    ({'kind': 'userspace', 'killer': 'systemd-oomd', 'reason': 'memory_pressure', 'oom_memcg': '/user.slice'},
     'systemd-oomd: memory pressure too high in /user.'),
    ({'kind': 'userspace', 'killer': 'systemd-oomd', 'reason': 'swap'}, 'systemd-oomd: swap nearly full'),
    ({'kind': 'userspace', 'killer': 'earlyoom', 'reason': 'low_memory'},
     'earlyoom: available memory (and swap) too low'),
    ({'kind': 'cpuset'}, "out of memory on its cpuset&#39;s memory nodes"),
], ids=['memcg', 'global', 'oomd-pressure', 'oomd-swap', 'earlyoom', 'cpuset'])
def test_the_reason_of_a_kill_in_words(extra, words):
    ev = event('2026-11-30T10:00:00Z', **extra)
    rep, view = build({'h': facts([ev])})
    assert words in events_table(_render.html(rep, view)).replace('<wbr>', '')
    assert words.replace('&#39;', "'").split(' in /')[0] in _render.markdown(rep, view)


def test_last_kill_card_says_utc():
    page = _render.html(*build({'h': facts([event('2026-11-30T10:00:00Z')])}))
    card = page[page.index('Last kill</div>'):]
    assert card.index('2026-11-30 10:00:00 UTC</div>') < 200


def test_units_wrap_at_separators_not_inside_words():
    unit = 'payments-api-worker@production-eu-west-1.service'
    page = _render.html(*build({'h': facts([event('2026-11-30T10:00:00Z', unit=unit)])}))
    assert 'payments-<wbr>api-<wbr>worker@<wbr>production-<wbr>eu-<wbr>west-<wbr>1.<wbr>service' in events_table(page)
    assert 'overflow-wrap: anywhere' not in page.split('td.prob')[0]     # only problems may break anywhere
    assert str(_render.soft(HOSTILE)).count('<script') == 0
    assert _render.soft('a/b<c>') == 'a/<wbr>b&lt;c&gt;'


@pytest.mark.parametrize('since, text', [
    ('-24h', 'the last 24 hours'), ('-1d', 'the last 1 day'), ('- 90 min', 'the last 90 minutes'),
    ('-1.5h', 'the last 1.5 hours'), ('-007d', 'the last 7 days'), ('boot', "each host's current boot"),
    ('2026-11-28T17:00:00Z', 'since 2026-11-28T17:00:00Z'), ('-3y', 'since -3y'),
], ids=['hours', 'one-day', 'min', 'fraction', 'leading-zeros', 'boot', 'iso', 'unknown-unit'])
def test_window_text_reads_since_with_the_one_rule(since, text):
    assert _render.window_text(since) == text


# --------------------------------------------------------------- counters.subtrees, next_victims, pressure

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


def test_html_shows_subtrees_domains_and_pressure():
    rep, view = build({'new-1': facts([event('2026-11-30T11:00:00Z')], **NEW_KEYS), 'old-1': facts()})
    page = _render.html(rep, view)
    sub = section(page, 'subtrees')
    assert '2</b> on 1 of 1 host that says.' in sub                     # unattributed on the host that says
    rows = re.findall(r'<tr>(.*?)</tr>', section(page, 'subtrees-table'), re.S)[1:]
    assert len(rows) == 2 and 'system.slice' in rows[0] and '<td class="n bad">2</td>' in rows[0]
    assert 'unknown (no counter)' in rows[1] and '<script>' not in sub and '&lt;script&gt;' in sub
    dom = section(page, 'domains-table')
    assert dom.count('<tr>') == 1 + 3                         # header, global's one, the cgroup's two
    assert 'whole machine, 23.5 GiB &middot; 42 eligible' in dom and 'limit 256 MiB' in dom and 'group of 2' in dom
    assert '1,380,825' in dom and 'rowspan="3"' in dom and 'rowspan="2"' in dom
    pr = section(page, 'pressure-table')
    assert '12.5%' in pr and '8.25%' in pr and '71%' in pr and '60%' in pr and 'over its limit' in pr
    assert 'old-1' not in dom and 'old-1' not in pr          # older facts: nothing to show there
    assert '3 attributed, 2 not' in page


def test_html_of_older_facts_has_none_of_the_new_sections():
    rep, view = build({'old-1': facts([event('2026-11-30T11:00:00Z')]), 'old-2': facts()})
    page = _render.html(rep, view)
    for ident in ('subtrees', 'domains', 'pressure', 'attribution'):
        assert 'id="%s' % ident not in page
    assert 'id="victims"' in page and 'java' in page         # the machine-wide ranking, as before


def test_markdown_and_prom_carry_the_new_facts():
    rep, view = build({'new-1': facts([event('2026-11-30T11:00:00Z')], **NEW_KEYS), 'old-1': facts()})
    md = _render.markdown(rep, view)
    for title in ('## Kills per unit, slice, container and pod', '## Next victims per OOM domain',
                  '## Memory pressure'):
        assert md.count(title) == 1
    assert '| new-1 | slice | system.slice | 1 | 0 | 3 | 2 |' in md
    assert '| new-1 | batch.slice | ' not in md and '| new-1 | 12.5% | 8.25% | batch.slice | 71% | 60% | over its limit |' in md
    assert '<script>' not in md
    for line in md.splitlines():
        if line.startswith('| new-1 | /system.slice/hog.service'):
            assert line.count(' | ') == 7                     # 8 cells: the hostile comm kept the shape
    new, old = rep['hosts']
    text = _render.prom(new, '-7d', NOW)
    assert 'sre_oom_unattributed_kills 2\n' in text
    assert 'sre_oom_memory_pressure_percent{kind="full",window="avg10"} 8.25\n' in text
    assert 'sre_oom_unit_pressure_over_limit{unit="batch.slice"} 1\n' in text
    old_text = _render.prom(old, '-7d', NOW)
    assert 'unattributed' not in old_text and 'pressure' not in old_text
    old_md = _render.markdown(*build({'old-1': facts()}))
    assert 'OOM domain' not in old_md and 'Memory pressure' not in old_md

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's index.html: escaping by construction, caps, the timeline, the new sections."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ansible_collections.sre.oom.plugins.plugin_utils import _render_html, _render_view
from ansible_collections.sre.oom.tests.unit.plugins.plugin_utils.reportfacts import (
    HOSTILE, NEW_KEYS, build, candidate, domain, event, events_table, facts, section)


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


# ---------------------------------------------------------------- HTML

def test_html_escapes_every_host_string(hostile):
    page = _render_html.html(*hostile)
    assert '<script>alert' not in page
    assert '&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&#34;q&#39;{{ 7*7 }}' in page
    p = Scripts()
    p.feed(page)
    assert p.tags.count('script') == 1                      # the page's own
    assert HOSTILE not in p.scripts[0] and 'alert' not in p.scripts[0]
    assert 'img' not in p.tags and 'a' not in p.tags


def test_html_never_templates_host_strings(hostile):
    page = _render_html.html(*hostile)
    assert '{{ 7*7 }}' in page and '{% raw %}' in page      # printed as text, not run


def test_html_is_self_contained(hostile):
    page = _render_html.html(*hostile)
    assert not re.search(r'\s(src|href|srcset|action)=', page)
    assert not re.search(r'url\(|@import|https?://', page)


def test_html_long_strings_are_shortened():
    rep, view = build({'h': facts([event('2026-11-30T10:00:00Z', comm='C' * 10240, unit='U' * 10240)])})
    page = _render_html.html(rep, view)
    assert 'C' * 10240 not in page and 'U' * 10240 not in page
    assert '… (10240 chars)' in page
    assert 'victim.comm is 10240 characters long' in page         # the row says what was wrong


def test_html_caps_the_kills_and_says_so():
    evs = [event('2026-11-%02dT%02d:00:00Z' % (20 + i // 24, i % 24)) for i in range(240)]
    rep, view = build({'a%d' % n: facts(evs) for n in range(3)})
    assert _render_view.LIMITS['html_events'] == 500
    page = _render_html.html(rep, view)
    assert events_table(page).count('<td class="t">2026-11-') == 500
    assert '220 more not shown: the page lists the 500 most recent of 720' in page


def test_html_stale_and_missed_are_shown():
    rep, view = build({
        'old': facts(gathered_at='2026-11-20T00:00:00Z', counters={'oom_kill': 9, 'missed': 4}),
        'new': facts(gathered_at='2026-11-30T11:00:00Z'),
    })
    page = _render_html.html(rep, view)
    assert 'id="stale"' in page and 'old (2026-11-20 00:00:00)' in page
    assert re.search(r'Kills lost by the log</div><div class="v">4</div>', page)


def test_page_for_5000_hosts_is_under_10_mb():
    evs = [event('2026-11-%02dT%02d:%02d:00Z' % (24 + k % 6, k, k)) for k in range(20)]
    hosts = {'node-%05d' % i: facts(evs, gathered_at='2026-11-30T10:00:00Z',
                                    sysctl={'panic_on_oom': i % 3, 'panic': 0}) for i in range(5000)}
    rep, view = build(hosts)
    page = _render_html.html(rep, view)
    assert len(page.encode('utf-8')) <= 10 * 1024 * 1024
    assert events_table(page).count('<td class="t">2026-11-') == _render_view.LIMITS['html_events']
    assert '99,500 more not shown' in page
    assert page.count('<tr>') > 5000                        # every host has its row


def test_a_burst_in_the_last_hour_is_marked_on_the_timeline():
    burst = [event('2026-11-30T11:%02d:00Z' % m) for m in range(10, 50, 5)]
    page = _render_html.html(*build({'h': facts([event('2026-11-25T10:00:00Z')] + burst)}))
    mark = re.search(r'<rect class="recent" x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"', page)
    assert mark and float(mark.group(2)) >= 6                  # wider than an hour's bin of 2.8 px
    assert '8 in the last hour' in page
    quiet = _render_html.html(*build({'h': facts([event('2026-11-30T10:00:00Z')])}))
    assert 'class="recent"' not in quiet and 'in the last hour' not in quiet


def test_last_kill_card_says_utc():
    page = _render_html.html(*build({'h': facts([event('2026-11-30T10:00:00Z')])}))
    card = page[page.index('Last kill</div>'):]
    assert card.index('2026-11-30 10:00:00 UTC</div>') < 200


def test_units_wrap_at_separators_not_inside_words():
    unit = 'payments-api-worker@production-eu-west-1.service'
    page = _render_html.html(*build({'h': facts([event('2026-11-30T10:00:00Z', unit=unit)])}))
    assert 'payments-<wbr>api-<wbr>worker@<wbr>production-<wbr>eu-<wbr>west-<wbr>1.<wbr>service' in events_table(page)
    assert 'overflow-wrap: anywhere' not in page.split('td.prob')[0]     # only problems may break anywhere
    assert str(_render_html.soft(HOSTILE)).count('<script') == 0
    assert _render_html.soft('a/b<c>') == 'a/<wbr>b&lt;c&gt;'


def test_html_says_a_domain_kills_no_one_when_its_oom_killer_is_disabled():
    f = facts([event('2026-11-30T11:00:00Z')],
              next_victims=[domain('global', [candidate(7, 'java', 99)], eligible=4),
                            domain('/held.slice', [], limit_kb=262144, eligible=3, oom_kill_disable=True),
                            domain('/empty.slice', [], limit_kb=1024, eligible=0)])
    rows = re.findall(r'<tr>(.*?)</tr>', section(_render_html.html(*build({'h': f})), 'domains-table'), re.S)[1:]
    assert len(rows) == 3 and 'java' in rows[0]
    assert 'held.' in rows[1] and 'OOM killer disabled here' in rows[1] and 'no eligible' not in rows[1]
    assert 'empty.' in rows[2] and 'no eligible process' in rows[2] and 'disabled' not in rows[2]


def test_html_shows_subtrees_domains_and_pressure():
    rep, view = build({'new-1': facts([event('2026-11-30T11:00:00Z')], **NEW_KEYS), 'old-1': facts()})
    page = _render_html.html(rep, view)
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
    page = _render_html.html(rep, view)
    for ident in ('subtrees', 'domains', 'pressure', 'attribution'):
        assert 'id="%s' % ident not in page
    assert 'id="victims"' in page and 'java' in page         # the machine-wide ranking, as before

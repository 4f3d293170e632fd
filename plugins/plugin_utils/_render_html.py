# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the report's index.html. Not a public API.

Jinja2's own Environment with autoescape on (not Ansible's templar), over
the template _report_index.html.j2 beside this file. Host strings reach the
template only as data in its context and are escaped when printed; they are
never templated.
"""

from __future__ import annotations

import functools
import os
import re

from ansible_collections.sre.oom.plugins.plugin_utils import _report_values
from ansible_collections.sre.oom.plugins.plugin_utils._render_text import (
    FLAG_LABELS, STATUS, _d, age, attribution_text, domain_parts, event_time, invoker, kb, killer, kind,
    lost_text, missed_text, num, overcommit, pct, pressure_state, rss, short, subtree_name, val, victim,
    victim_pid, when, where, why, window_text)
from ansible_collections.sre.oom.plugins.plugin_utils._render_view import LIMITS, domain_rows, kill_rows, subtree_rows, timeline


_SOFT = re.compile(r'([/._@:=-])')


def soft(text):
    """HTML-escaped `text` with a break opportunity (<wbr>) after / . _ @ : = -.

    Unit names, cgroup paths and container ids then wrap at their separators
    instead of in the middle of a word.
    """
    import markupsafe
    # Escaped first: the entities it makes (&amp; &lt; &#39; ...) hold none of the separators.
    return markupsafe.Markup(_SOFT.sub(r'\1<wbr>', str(markupsafe.escape(text))))


# The page's layout, a file next to this one (inside the collection tarball).
TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '_report_index.html.j2')


@functools.lru_cache(maxsize=1)
def _template():
    import jinja2
    with open(TEMPLATE, encoding='utf-8') as f:
        source = f.read()
    # Lenient undefined: a key missing from one host's event prints as nothing.
    env = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update({'num': num, 'kb': kb, 'when': when, 'short': short, 'val': val, 'soft': soft})
    env.globals.update({
        'where': where, 'invoker': invoker, 'victim': victim, 'victim_pid': victim_pid, 'rss': rss,
        'event_time': event_time, 'killer': killer, 'kind': kind, 'why': why, 'overcommit': overcommit,
        'window_text': window_text, 'age': age, 'missed_text': missed_text, 'status_text': STATUS,
        'flag_labels': FLAG_LABELS, 'd': _d, 'attribution_text': attribution_text, 'lost_text': lost_text, 'subtree_name': subtree_name,
        'domain_parts': domain_parts, 'pct': pct, 'pressure_state': pressure_state,
    })
    return env.from_string(source)


def html(report, view):
    lim = LIMITS
    v = dict(view, hosts=report['hosts'])
    tl = timeline(v)
    findings = {}
    for h in report['hosts']:
        for f in h['flags']:
            findings.setdefault(f['id'], {'id': f['id'], 'severity': f['severity'], 'message': f['message'],
                                          'hosts': []})['hosts'].append(h['name'])
    by_status = {}
    for h in view['bad']:
        by_status.setdefault(h['status'], []).append(h['name'])
    victim_hosts = [h for h in (view['kill_hosts'] + [h for h in view['flagged'] if not h['kills']]
                                + sorted((h for h in view['ok'] if not h['kills'] and not h['flags']),
                                         key=lambda h: h['name'])) if h['next_victims']]
    subtrees, subtrees_total = subtree_rows(view, lim['subtree_rows'])
    domain_hosts, pressure_hosts = view['domain_hosts'], view['pressure_hosts']
    ctx = {
        'r': report, 's': report['summary'], 'v': v, 'lim': lim, 'tl': tl,
        'subtrees': subtrees, 'subtrees_total': subtrees_total,
        'attr_hosts': [h for h in view['ok'] if h.get('kills_unattributed') is not None],
        'domain_hosts': domain_hosts[:lim['domain_hosts']], 'domain_hosts_total': view['domain_total'],
        'domain_rows': domain_rows(domain_hosts[:lim['domain_hosts']], lim['domains_per_host'],
                                   lim['victims_per_host']),
        'pressure_hosts': pressure_hosts[:lim['pressure_hosts']], 'pressure_hosts_total': view['pressure_total'],
        'rows': kill_rows(report, view, lim['html_events']),
        'bars': view['kill_hosts'][:lim['chart_hosts']],
        'top': view['kill_hosts'][:lim['top_hosts']],
        'findings': sorted(findings.values(), key=lambda f: (f['severity'] != 'critical', f['id'])),
        'by_status': sorted(by_status.items()),
        'problem_hosts': [h for h in report['hosts'] if h['problems']],
        'stale_hosts': [h for h in view['ok'] if h['stale']],
        'victim_hosts': victim_hosts[:lim['victim_hosts']],
        'victim_hosts_total': len(victim_hosts),
        'now': view['now'],
        'parse_time': _report_values.parse_time,
    }
    return _template().render(ctx)

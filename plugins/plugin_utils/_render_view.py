# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: what the page and report.md list of the fleet. Not a public API.

Their limits (LIMITS: rows and hosts shown at most; report.json has
everything), the rows of their tables as the fleet kept them (the newest
kills, the subtrees, the next victims per OOM domain) and the timeline's bins.
"""

from __future__ import annotations

from ansible_collections.sre.oom.plugins.plugin_utils import _report
from ansible_collections.sre.oom.plugins.plugin_utils._render_text import when

LIMITS = {
    'html_events': 500,         # kill rows on the page
    'md_events': 50,            # kill rows in report.md
    'chart_hosts': 25,          # bars in "kills per host"
    'top_hosts': 50,            # rows in "top hosts by kills"
    'victim_hosts': 200,        # hosts in "next likely victims"
    'victims_per_host': 5,
    'md_hosts': 50,             # rows per host table in report.md
    'domains_per_host': 4,      # in "next victims per OOM domain"
    # rows of "kills per unit, slice, container and pod", hosts of "next victims
    # per OOM domain" and of "memory pressure": what _report.Fleet keeps of them
    **_report.PAGE,
}
RECENT = 3600                   # seconds: kills this recent are marked on the timeline


def subtree_rows(view, limit):
    """(host name, subtree row) as the fleet kept them (its order, _report.subtree_order),
    the first `limit`; and how many there are in all."""
    return view['subtree_rows'][:limit], view['subtree_total']


def domain_rows(hosts, domains, candidates):
    """The table of next victims per domain: one row per candidate (or per domain
    without one), with the rowspans of the host and domain cells on the first."""
    out = []
    for h in hosts:
        first = len(out)
        for d in h['victim_domains'][:domains]:
            cands = d['candidates'][:candidates] or [None]
            for i, c in enumerate(cands):
                out.append({'host': h['name'], 'host_span': 0, 'domain': d,
                            'domain_span': len(cands) if i == 0 else 0, 'candidate': c})
        if len(out) > first:
            out[first]['host_span'] = len(out) - first
    return out


def kill_rows(report, view, limit):
    """The newest `limit` kills: (host name, event, epoch or None); untimed last."""
    return view['rows'][:limit]


def timeline(view):
    """Kills per hour (windows up to 8 days), day (up to 400) or 30 days."""
    start, end = view['start'], view['end']
    span = max(end - start, 3600)
    if span <= 8 * 86400:
        secs, name = 3600, 'hour'
    elif span <= 400 * 86400:
        secs, name = 86400, 'day'
    else:
        secs, name = 30 * 86400, '30 days'
    bins = {}
    for t, memcg in zip(view['times'], view['memcg']):
        b = int(t // secs) * secs
        entry = bins.get(b)
        if entry is None:
            entry = bins[b] = [0, 0]
        entry[0 if memcg else 1] += 1
    out = []
    for b in sorted(bins):
        m, o = bins[b]
        out.append({'start': b, 'label': when(b)[:16], 'memcg': m, 'other': o, 'total': m + o})
    # Kills in the last hour before the report: marked on their own, as a bin of an
    # hour is a few pixels wide on a window of days.
    now = view.get('now', end)
    recent = sum(1 for t in view['times'] if now - RECENT <= t <= now + 60)
    return {'bins': out, 'secs': secs, 'name': name, 'span': span, 'start': start,
            'recent': recent, 'recent_start': max(start, now - RECENT), 'now': now}

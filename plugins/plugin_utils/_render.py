# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the report's files. Not a public API.

- index.html: Jinja2's own Environment with autoescape on (not Ansible's
  templar). Host strings reach the template only as data in its context and
  are escaped when printed; they are never templated.
- report.md: built in Python; every host string goes through _escape.md.
- sre_oom.prom: built in Python; label values go through _escape.prom_label.
- report.json: json.dumps of the report dict.
- write_atomic: temp file in the target directory, fsync, os.replace.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid

from ansible_collections.sre.oom.plugins.module_utils._oom import since as _since
from ansible_collections.sre.oom.plugins.plugin_utils import _escape
from ansible_collections.sre.oom.plugins.plugin_utils import _report, _report_flags, _report_values

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
SHORT = 200                     # characters of a host string shown on a page
RECENT = 3600                   # seconds: kills this recent are marked on the timeline

FLAG_LABELS = {'panic_on_oom_no_reboot': 'panics, never reboots', 'panic_on_oom_always': 'panics on any OOM',
               'protected_top_memory_user': 'protected top memory user',
               'kernel_log_unreadable': 'kernel log unreadable'}
STATUS = {'unreachable': 'unreachable', 'failed': 'gathering failed', 'no_data': 'no data', 'ok': 'ok'}


# --------------------------------------------------------------- formatting (plain text)

def short(x, n=SHORT):
    s = '' if x is None else (x if isinstance(x, str) else str(x))
    return s if len(s) <= n else s[:n] + '… (%d chars)' % len(s)


def num(n):
    return '{:,}'.format(n) if _report_values._is_int(n) else '—'


def kb(n):
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        return '—'
    if n >= 1048576:
        return '%.1f GiB' % (n / 1048576)
    if n >= 1024:
        return '%.0f MiB' % (n / 1024)
    return '%d KiB' % n


def when(t):
    if isinstance(t, (int, float)) and not isinstance(t, bool):
        t = _report_values.iso(t)
    return t[:19].replace('T', ' ') if isinstance(t, str) and t else '—'


def _d(v):
    return v if isinstance(v, dict) else {}


def where(ev):
    parts = []
    cid, unit = ev.get('container_id'), ev.get('unit')
    if unit and not (cid and str(cid) in str(unit)):
        parts.append(short(unit))
    if cid:
        parts.append('container ' + str(cid)[:12])
    if ev.get('pod_uid'):
        parts.append('pod ' + short(ev.get('pod_uid'), 64))
    if not parts and ev.get('memcg'):
        parts.append(short(ev.get('memcg')))
    if not parts and ev.get('cgroup'):
        parts.append(short(ev.get('cgroup')))
    return ' · '.join(parts) if parts else '—'


def invoker(ev):
    i = _d(ev.get('invoker'))
    if not i.get('comm'):
        return '—'
    return short(i['comm'], 64) + (' (%s)' % short(i['pid'], 20) if i.get('pid') is not None else '')


def victim(ev):
    return short(_d(ev.get('victim')).get('comm') or '?', 64)


def victim_pid(ev):
    pid = _d(ev.get('victim')).get('pid')
    return short(pid, 20) if pid not in (None, '') else '—'


def rss(ev):
    v = _d(ev.get('victim'))
    parts = [v.get(k) for k in ('anon_rss_kb', 'file_rss_kb', 'shmem_rss_kb')]
    parts = [p for p in parts if isinstance(p, (int, float)) and not isinstance(p, bool)]
    return kb(sum(parts)) if parts else '—'


def event_time(ev, t):
    if t is not None:
        return when(t)
    up = ev.get('uptime')
    if isinstance(up, (int, float)) and not isinstance(up, bool):
        return 'uptime %s s' % up
    return '—'


def killer(ev):
    k = ev.get('killer')
    return short(k, 32) if isinstance(k, str) and k else 'kernel'


def kind(ev):
    k = ev.get('kind')
    return short(k, 32) if isinstance(k, str) and k else 'unknown'


_SOFT = re.compile(r'([/._@:=-])')


def soft(text):
    """HTML-escaped `text` with a break opportunity (<wbr>) after / . _ @ : = -.

    Unit names, cgroup paths and container ids then wrap at their separators
    instead of in the middle of a word.
    """
    import markupsafe
    # Escaped first: the entities it makes (&amp; &lt; &#39; ...) hold none of the separators.
    return markupsafe.Markup(_SOFT.sub(r'\1<wbr>', str(markupsafe.escape(text))))


def why(ev):
    """The reason of a kill, in words (from killer, kind and reason)."""
    k, r = killer(ev), ev.get('reason')
    if k == 'systemd-oomd':
        if r == 'swap':
            return 'systemd-oomd: swap nearly full'
        cg = ev.get('oom_memcg') or ev.get('cgroup')
        return 'systemd-oomd: memory pressure too high' + (' in %s' % short(cg, 80) if cg else '')
    if k == 'earlyoom':
        return 'earlyoom: available memory (and swap) too low'
    if k != 'kernel':
        return '%s%s' % (k, (': %s' % short(r, 40).replace('_', ' ')) if isinstance(r, str) and r else '')
    d = kind(ev)
    if d == 'memcg':
        cg = ev.get('oom_memcg')
        return 'memory cgroup limit hit' + (' in %s' % short(cg, 80) if cg else '')
    if d == 'global':
        return 'the whole machine ran out of memory'
    if d == 'cpuset':
        return "out of memory on its cpuset's memory nodes"
    if d == 'mempolicy':
        return "out of memory on its NUMA policy's memory nodes"
    return 'unknown'


def overcommit(s):
    m = s.get('overcommit_memory')
    if m == 0:
        return 'heuristic (0)'
    if m == 1:
        return 'always (1)'
    if m == 2:
        r = s.get('overcommit_ratio')
        return 'never (2), ratio %s%%' % (r if r is not None else '?')
    return '—' if m is None else str(m)


def val(x):
    return '—' if x is None else str(x)


def window_text(since):
    parts = _since.ago_parts(since.strip()) if isinstance(since, str) else None
    if parts is not None:
        n, unit = parts
        n = str(int(n)) if n.isdigit() else n
        return 'the last %s %s%s' % (n, _since.UNIT_NAMES[unit], '' if n == '1' else 's')
    if since == 'boot':
        return "each host's current boot"
    if since == 'all':
        return "everything in each host's kernel log"
    return 'since %s' % short(since, 64)


def age(secs):
    if secs is None:
        return 'unknown'
    secs = max(0, int(secs))
    for unit, n in (('d', 86400), ('h', 3600), ('m', 60)):
        if secs >= n:
            return '%d%s' % (secs // n, unit)
    return '%ds' % secs


def missed_text(h):
    if h['status'] != 'ok':
        return '—'
    return num(h['missed_kills']) if h['missed_kills'] is not None else 'unknown'


# --------------------------------------------------------------- counters, victims, pressure

def subtree_rows(view, limit):
    """(host name, subtree row) as the fleet kept them (its order, _report.subtree_order),
    the first `limit`; and how many there are in all."""
    return view['subtree_rows'][:limit], view['subtree_total']


def attribution_text(h):
    """`3 attributed, 2 not`, or '' when the host's facts do not say."""
    a, u = h.get('kills_attributed'), h.get('kills_unattributed')
    if a is None and u is None:
        return ''
    return '%s attributed, %s not' % (num(a), num(u))


def subtree_name(r):
    """A subtree's name as the kills table says it: a container by its short id."""
    name = r['name'] or r['cgroup'] or '?'
    if r['kind'] == 'container' and len(name) > 12 and all(c in '0123456789abcdef' for c in name):
        return name[:12]
    return short(name)


def lost_text(r):
    """What the log lost of one subtree's kills."""
    if r['unattributed'] is None:
        return 'unknown (no counter)'
    return num(r['unattributed']) + ('' if r['counter_complete'] is not False else ' (v1: existing cgroups only)')


def domain_parts(d):
    """(name, detail): `global` or the cgroup path; the memory it is out of."""
    if d['domain'] == 'global':
        return 'global', 'whole machine' + (', %s' % kb(d['total_kb']) if d['total_kb'] is not None else '')
    return short(d['domain']), 'limit %s' % kb(d['limit_kb'])


def domain_text(d):
    """`global (whole machine, 24 GiB)` or `<cgroup path> (limit 256 MiB)`."""
    return '%s (%s)' % domain_parts(d)


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


def pct(v):
    """A percentage as PSI prints it (up to 2 decimals): 8.25 -> `8.25%`, 60.0 -> `60%`."""
    return '—' if v is None else ('%.2f' % v).rstrip('0').rstrip('.') + '%'


def pressure_state(u):
    if u['over_limit']:
        return 'over its limit'
    if u['over_limit'] is False:
        return 'below its limit'
    return 'swap only' if u['swap_kill'] and not u['pressure_kill'] else 'unknown'


# --------------------------------------------------------------- shared view

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


# --------------------------------------------------------------- HTML

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


# --------------------------------------------------------------- Markdown

def _row(cells):
    return '| ' + ' | '.join(cells) + ' |'


def markdown(report, view):
    lim = LIMITS
    md = _escape.md
    s = report['summary']
    out = ['# OOM report: %s kill%s on %d of %d host%s' % (
        num(s['kills']), '' if s['kills'] == 1 else 's', s['hosts_with_kills'], s['hosts'],
        '' if s['hosts'] == 1 else 's'), '']
    out.append('Window: %s, %s → %s UTC; generated %s UTC.' % (
        md(window_text(report['since'])), md(when(report['window']['start'])),
        md(when(report['window']['end'])), md(when(report['generated']))))
    out.append('')
    last = s['last_kill']
    last_text = 'none'
    if last:
        last_text = '%s UTC, %s on %s%s' % (
            md(when(last['time'])), md(short(last['comm'] or '?', 64)), md(last['host']),
            (', ' + md(short(last['unit']))) if last['unit'] else '')
    out.append(_row(['Hosts', 'Reporting', 'With kills', 'OOM kills', 'Kills lost by the log', 'Risky settings',
                     'Without data', 'Stale', 'Last kill']))
    out.append('|---:|---:|---:|---:|---:|---:|---:|---:|---|')
    out.append(_row([num(s['hosts']), num(s['hosts_reporting']), num(s['hosts_with_kills']), num(s['kills']),
                     '%s (%s hosts unknown)' % (num(s['missed_kills']), num(s['hosts_missed_unknown'])),
                     num(s['hosts_flagged']), num(s['hosts_without_data']), num(s['hosts_stale']), last_text]))
    if view['bad'] or view['flagged']:
        out += ['', '## Needs attention', '']
        for h in view['bad'][:lim['md_hosts']]:
            out.append('- **%s**: %s: %s' % (
                md(h['name']), md(STATUS.get(h['status'], h['status'])), md(short(h['error'] or '', 300))))
        for h in view['flagged'][:lim['md_hosts']]:
            for f in h['flags']:
                out.append('- **%s** (%s): %s' % (md(h['name']), f['severity'], md(f['message'])))
        more = max(0, len(view['bad']) - lim['md_hosts']) + max(0, len(view['flagged']) - lim['md_hosts'])
        if more:
            out.append('- … and %s more hosts; all are in report.json.' % num(more))
    out += ['', '## Kills per host', '']
    if view['kill_hosts']:
        out.append(_row(['Host', 'Kills', 'Lost by the log', 'Last kill (UTC)', 'oom_kill since boot']))
        out.append('|---|---:|---:|---|---:|')
        for h in view['kill_hosts'][:lim['md_hosts']]:
            out.append(_row([md(h['name']), num(h['kills']), md(missed_text(h)), md(when(h['last_kill'])),
                             num(h['oom_kill_since_boot'])]))
        if len(view['kill_hosts']) > lim['md_hosts']:
            out += ['', '%s more hosts with kills not shown; all are in report.json.'
                    % num(len(view['kill_hosts']) - lim['md_hosts'])]
    else:
        out.append('No OOM kills on any reporting host in the window.')
    out += ['', '## OOM kills (newest first)', '']
    rows = kill_rows(report, view, lim['md_events'])
    if rows:
        out.append(_row(['Time (UTC)', 'Host', 'Victim', 'PID', 'RSS at death', 'Unit / container', 'Kind: why',
                         'Killer', 'Invoked by']))
        out.append('|---|---|---|---:|---:|---|---|---|---|')
        for hn, ev, t in rows:
            out.append(_row([md(event_time(ev, t)), md(hn), md(victim(ev)), md(victim_pid(ev)), md(rss(ev)),
                             md(where(ev)), md('%s: %s' % (kind(ev), why(ev))), md(killer(ev)), md(invoker(ev))]))
        if s['events_listed'] > len(rows):
            out += ['', '%s more not shown: this lists the %s most recent of %s; all are in report.json.' % (
                num(s['events_listed'] - len(rows)), num(len(rows)), num(s['events_listed']))]
    else:
        out.append('No OOM kills listed in the window.')
    subtrees, total = subtree_rows(view, lim['md_hosts'])
    if subtrees:
        out += ['', '## Kills per unit, slice, container and pod', '',
                'This boot: the kills in the log beside the kernel\'s cgroup counter; unattributed kernel kills '
                '(root cgroup, or lost from the log): %s on %s hosts.' % (
                    num(s.get('unattributed_kills')), num(s.get('hosts_unattributed_kills'))), '']
        out.append(_row(['Host', 'Kind', 'Unit / container', 'Kills in the log', 'By systemd-oomd / earlyoom',
                         'Kernel counter', 'Lost by the log']))
        out.append('|---|---|---|---:|---:|---:|---:|')
        for hn, r in subtrees:
            out.append(_row([md(hn), md(r['kind']), md(subtree_name(r)), num(r['log_kills']),
                             num(r['userspace_kills']), num(r['counter_kills']), md(lost_text(r))]))
        if total > len(subtrees):
            out += ['', '%s more not shown; report.json has each host\'s first ones.' % num(total - len(subtrees))]
    listed = view['domain_hosts']
    if listed:
        out += ['', '## Next victims per OOM domain', '',
                'As the kernel ranks them inside each domain (the whole machine, each memory cgroup with a limit).', '',
                _row(['Host', 'OOM domain', 'Process', 'PID', 'Points', 'oom_score_adj', 'RSS', 'Unit']),
                '|---|---|---|---:|---:|---:|---:|---|']
        for row in domain_rows(listed[:lim['md_hosts']], lim['domains_per_host'], lim['victims_per_host']):
            c = row['candidate'] or {}
            out.append(_row([md(row['host']), md(domain_text(row['domain'])),
                             md(short(c.get('comm') or ('?' if c else 'no eligible process'), 64)),
                             md(val(c.get('pid'))), num(c.get('points')), md(val(c.get('oom_score_adj'))),
                             md(kb(c.get('rss_kb')) if c else '—'), md(short(c.get('unit') or '—'))]))
        if view['domain_total'] > min(len(listed), lim['md_hosts']):
            out += ['', '%s more hosts not shown; all are in report.json.'
                    % num(view['domain_total'] - min(len(listed), lim['md_hosts']))]
    phosts = view['pressure_hosts']
    if phosts:
        out += ['', '## Memory pressure', '', 'PSI avg10; units and slices under systemd-oomd beside their limit.', '',
                _row(['Host', 'Host some', 'Host full', 'Managed unit', 'Unit full', 'Limit', 'State']),
                '|---|---:|---:|---|---:|---:|---|']
        for h in phosts[:lim['md_hosts']]:
            mp = h['memory_pressure'] or {}
            for u in h['unit_pressure'] or [None]:
                u = u or {}
                out.append(_row([md(h['name']), pct(mp.get('some_avg10')), pct(mp.get('full_avg10')),
                                 md(short(u.get('unit') or u.get('cgroup') or '—')), pct(u.get('full_avg10')),
                                 pct(u.get('limit_percent')), md(pressure_state(u)) if u else '—']))
        if view['pressure_total'] > min(len(phosts), lim['md_hosts']):
            out += ['', '%s more hosts not shown; all are in report.json.'
                    % num(view['pressure_total'] - min(len(phosts), lim['md_hosts']))]
    out += ['', '## OOM policies', '']
    if view['policies']:
        out.append(_row(['Hosts', 'vm.panic_on_oom', 'kernel.panic', 'Overcommit', 'Kill allocating task',
                         'Findings', 'Examples']))
        out.append('|---:|---:|---:|---|---:|---|---|')
        for p in view['policies'][:lim['md_hosts']]:
            sc = p['sysctl']
            ex = ', '.join(md(n) for n in p['hosts'][:5]) + (', …' if len(p['hosts']) > 5 else '')
            out.append(_row([num(len(p['hosts'])), md(val(sc['panic_on_oom'])), md(val(sc['panic'])),
                             md(overcommit(sc)), md(val(sc['oom_kill_allocating_task'])),
                             ', '.join(f['id'].replace('_', ' ') for f in p['flags']) or 'ok', ex]))
    else:
        out.append('No host returned its OOM policy.')
    if view['bad']:
        out += ['', '## Hosts without data', '', _row(['Host', 'Status', 'Error']), '|---|---|---|']
        for h in view['bad'][:lim['md_hosts']]:
            out.append(_row([md(h['name']), md(STATUS.get(h['status'], h['status'])),
                             md(short(h['error'] or '—', 300))]))
        if len(view['bad']) > lim['md_hosts']:
            out += ['', '%s more hosts without data; all are in report.json.' % num(len(view['bad']) - lim['md_hosts'])]
    problem_hosts = [h for h in report['hosts'] if h['problems']]
    if problem_hosts:
        out += ['', '## Malformed data', '', _row(['Host', 'What was wrong']), '|---|---|']
        for h in problem_hosts[:lim['md_hosts']]:
            out.append(_row([md(h['name']), md('; '.join(short(p, 300) for p in h['problems'][:10]))]))
    out += ['', '_Generated by sre.oom.report (%s); the complete data is in report.json._' % report['schema'], '']
    return '\n'.join(out)


# --------------------------------------------------------------- Prometheus

def prom(host, since, now):
    """One host's node_exporter textfile (None when the host has no data)."""
    if host['status'] != 'ok':
        return None
    lab = _escape.prom_label
    out = ['# Written by sre.oom.report (Ansible); do not edit: the next report run replaces it.']

    def metric(name, kind_, help_, samples):
        if not samples:
            return
        out.append('# HELP %s %s' % (name, help_))
        out.append('# TYPE %s %s' % (name, kind_))
        for labels, value in samples:
            lbl = ','.join('%s="%s"' % (k, lab(v)) for k, v in labels)
            out.append('%s%s %s' % (name, '{%s}' % lbl if lbl else '', int(value)))

    metric('sre_oom_report_timestamp_seconds', 'gauge',
           'When sre.oom.report last wrote this file (Unix time).', [((), now)])
    gathered = _report_values.parse_time(host['gathered_at']) if host['gathered_at'] else None
    if gathered is not None:
        metric('sre_oom_facts_timestamp_seconds', 'gauge',
               'When the OOM facts of this report were gathered on this host (Unix time).', [((), gathered)])
    metric('sre_oom_kernel_log_readable', 'gauge',
           '1 if a kernel log source could be read, 0 if kills are unknown.',
           [((('source', host['source'] or ''),), 1 if host['log_readable'] else 0)])
    samples = []
    if host['oom_kill_since_boot'] is not None:
        samples.append(((), host['oom_kill_since_boot']))
    if host['log_readable']:
        by = {}
        for ev in host['events']:
            key = (killer(ev), kind(ev))
            by[key] = by.get(key, 0) + 1
        samples += [((('killer', k), ('kind', d)), n) for (k, d), n in sorted(by.items())]
    metric('sre_oom_kills_total', 'counter',
           'OOM kills. Without labels: the kernel\'s oom_kill counter since boot (/proc/vmstat). '
           'With killer and kind: the kills found in the log in the report window, per killer and kind.',
           samples)
    if host['missed_kills'] is not None:
        metric('sre_oom_missed_kills', 'gauge',
               'Kernel OOM kills since boot that the kernel log lost (vmstat oom_kill minus kills parsed).',
               [((), host['missed_kills'])])
    if host['log_readable']:
        metric('sre_oom_window_kills', 'gauge', 'OOM kills found in the kernel log in the report window.',
               [((('since', since),), host['kills'] or 0)])
        last = _report_values.parse_time(host['last_kill']) if host['last_kill'] else None
        metric('sre_oom_last_kill_timestamp_seconds', 'gauge',
               'Time of the last OOM kill found in the kernel log (Unix time, 0 if none).', [((), last or 0)])
    for key, name, help_ in (
            ('panic_on_oom', 'sre_oom_panic_on_oom',
             'vm.panic_on_oom (0 kill a process, 1 panic on a system-wide OOM, 2 panic on any OOM).'),
            ('panic', 'sre_oom_kernel_panic_seconds', 'kernel.panic: seconds before rebooting after a panic (0 never reboot).'),
            ('overcommit_memory', 'sre_oom_overcommit_memory', 'vm.overcommit_memory (0 heuristic, 1 always, 2 never).'),
            ('overcommit_ratio', 'sre_oom_overcommit_ratio', 'vm.overcommit_ratio (percent).'),
            ('oom_kill_allocating_task', 'sre_oom_kill_allocating_task', 'vm.oom_kill_allocating_task.'),
            ('oom_dump_tasks', 'sre_oom_dump_tasks', 'vm.oom_dump_tasks.')):
        if host['sysctl'][key] is not None:
            metric(name, 'gauge', help_, [((), host['sysctl'][key])])
    if host.get('kills_unattributed') is not None:
        metric('sre_oom_unattributed_kills', 'gauge',
               'Kernel OOM kills since boot not attributed to a unit, slice, container or pod '
               '(in the root cgroup, or lost from the log).', [((), host['kills_unattributed'])])
    mp = host.get('memory_pressure') or {}
    psi = [((('kind', k),), mp['%s_avg10' % k]) for k in ('some', 'full') if mp.get('%s_avg10' % k) is not None]
    if psi:
        out.append('# HELP sre_oom_memory_pressure_percent Memory pressure of the host (PSI, percent of the '
                   'last 10 s when tasks stalled on memory: some of them, or all at once).')
        out.append('# TYPE sre_oom_memory_pressure_percent gauge')
        for labels, value in psi:
            out.append('sre_oom_memory_pressure_percent{kind="%s",window="avg10"} %s'
                       % (labels[0][1], repr(float(value))))
    metric('sre_oom_unit_pressure_over_limit', 'gauge',
           '1 when the unit\'s memory pressure is above its ManagedOOMMemoryPressureLimit= (systemd-oomd).',
           [((('unit', u['unit'] or u['cgroup'] or ''),), 1 if u['over_limit'] else 0)
            for u in host.get('unit_pressure') or () if u['over_limit'] is not None])
    metric('sre_oom_protected_processes', 'gauge', 'Processes exempt from the OOM killer (oom_score_adj -1000).',
           [((), host.get('protected_processes', 0))])
    ids = {f['id'] for f in host['flags']}
    metric('sre_oom_risk', 'gauge', '1 when the named risky OOM setting is found on this host.',
           [((('check', c),), 1 if c in ids else 0) for c in _report_flags.FLAG_IDS])
    return '\n'.join(out) + '\n'


# --------------------------------------------------------------- JSON and files

def to_json(report):
    return json.dumps(report, indent=None, separators=(',', ':'), default=str, ensure_ascii=False) + '\n'


def host_json(host):
    """One host's entry of report.json, as bytes: JSON in ASCII (anything else as \\u escapes,
    which also covers strings that are not valid Unicode; and is the encoder's fastest path)."""
    return json.dumps(host, indent=None, separators=(',', ':'), default=str).encode('ascii')


def write_json(f, report, hosts=None):
    """report.json into the binary file `f`.

    With `hosts` (a binary file holding the hosts' entries, comma-separated,
    as host_json wrote them), report['hosts'] is ignored and the entries are
    copied from it, so that the whole fleet's events are never in memory.
    """
    if hosts is None:
        f.write(to_json(report).encode('utf-8', 'backslashreplace'))
        return
    head = to_json(dict(report, hosts=[])).encode('utf-8', 'backslashreplace')
    tail = b'[]}\n'
    if not head.endswith(tail):     # pragma: no cover - 'hosts' is the last key of the report
        raise ValueError('report.json: hosts is not the last key')
    f.write(head[:-len(tail)] + b'[')
    hosts.seek(0)
    shutil.copyfileobj(hosts, f, 1 << 20)
    f.write(b']}\n')


class FileSet:
    """Files written as one set: all of them, or none.

    Each file is first written in full to a temporary file beside its target
    (fsync'ed). commit() then renames every one over its target; abort()
    removes the temporary files and leaves every target as it was. Scratch
    files (scratch()) are removed either way.
    """

    def __init__(self):
        self.staged = []        # (temporary path, target path)
        self.scratches = []

    @staticmethod
    def _temp(target):
        directory = os.path.dirname(os.path.abspath(target))
        base = os.path.basename(target)
        fd, tmp = tempfile.mkstemp(prefix='.%s.' % base[:64], suffix='.tmp', dir=directory)
        return fd, tmp

    def open(self, target):
        """A binary file for `target`'s new content; closing it is up to the caller (use `with`)."""
        fd, tmp = self._temp(target)
        self.staged.append((tmp, target))
        return os.fdopen(fd, 'wb')

    def add(self, target, text, mode=0o644):
        """Stage `target` with `text` (str or bytes)."""
        data = text if isinstance(text, bytes) else text.encode('utf-8', 'backslashreplace')
        with self.open(target) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(self.staged[-1][0], mode)

    def finish(self, f, mode=0o644):
        """Flush, fsync and close a file from open() and set its mode."""
        f.flush()
        os.fsync(f.fileno())
        f.close()
        os.chmod(self.staged[-1][0], mode)

    def scratch(self, directory):
        """A binary temporary file in `directory`, removed by commit() and abort()."""
        fd, tmp = tempfile.mkstemp(prefix='.sre-oom-report.', suffix='.tmp', dir=directory)
        self.scratches.append(tmp)
        return os.fdopen(fd, 'w+b')

    def commit(self):
        """Rename every staged file over its target, or (OSError) leave every target as it was.

        Before a target is replaced, a hard link keeps its old content; if a
        later rename fails, the targets already replaced get their old content
        back (or are removed when they are new) and the error is raised.
        """
        done = []       # (target, backup path or None)
        try:
            for tmp, target in self.staged:
                backup = None
                if os.path.lexists(target):
                    if os.path.isdir(target) and not os.path.islink(target):
                        raise IsADirectoryError(errno.EISDIR, 'Is a directory', target)
                    backup = self._backup_name(target)
                    os.link(target, backup, follow_symlinks=False)
                try:
                    os.replace(tmp, target)
                except OSError:
                    if backup:
                        os.unlink(backup)
                    raise
                done.append((target, backup))
        except OSError:
            for target, backup in reversed(done):
                try:
                    if backup:
                        os.replace(backup, target)
                    else:
                        os.unlink(target)
                except OSError:
                    pass
            raise
        finally:
            for _target, backup in done:
                if backup:
                    try:
                        os.unlink(backup)
                    except OSError:
                        pass
            self.abort()

    @staticmethod
    def _backup_name(target):
        directory, base = os.path.split(os.path.abspath(target))
        return os.path.join(directory, '.%s.%s.old.tmp' % (base[:64], uuid.uuid4().hex[:12]))

    def abort(self):
        for tmp, _target in self.staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self.staged = []
        self._drop_scratches()

    def _drop_scratches(self):
        for tmp in self.scratches:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self.scratches = []


def write_atomic(path, text, mode=0o644):
    """Write `text` to `path`: a temp file in the same directory, fsync, os.replace.

    A reader sees the old file or the new one, never half of one. Raises OSError.
    """
    files = FileSet()
    try:
        files.add(path, text, mode)
        files.commit()
    except BaseException:
        files.abort()
        raise


FILES = {'html': 'index.html', 'json': 'report.json', 'md': 'report.md'}


TEXTFILE_READABLE = 100     # characters of the host name kept in a textfile's name


def textfile_name(host_name):
    """The staging file name of a host's textfile on the controller.

    Unique and short enough for any file system whatever the inventory name
    (a 253-character DNS name, or longer): the first TEXTFILE_READABLE
    characters of the name with anything but [A-Za-z0-9_.-] replaced by `_`,
    then `-` and the first 10 hex digits of the SHA-1 of the whole name; at
    most 116 bytes. The role computes the same name in Jinja (regex_replace,
    a slice and hash('sha1')).
    """
    safe = re.sub(r'[^A-Za-z0-9_.-]', '_', host_name)[:TEXTFILE_READABLE]
    return '%s-%s.prom' % (safe, hashlib.sha1(host_name.encode('utf-8')).hexdigest()[:10])

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the report's report.md. Not a public API.

Built in Python, a table a section; every host string goes through _escape.md
so that a table keeps its shape whatever a host says.
"""

from __future__ import annotations

from ansible_collections.sre.oom.plugins.plugin_utils import _escape
from ansible_collections.sre.oom.plugins.plugin_utils._render_text import (
    STATUS, domain_text, event_time, invoker, kb, killer, kind, lost_text, missed_text, num, overcommit, pct,
    pressure_state, rss, short, subtree_name, val, victim, victim_pid, when, where, why, window_text)
from ansible_collections.sre.oom.plugins.plugin_utils._render_view import LIMITS, domain_rows, kill_rows, subtree_rows


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

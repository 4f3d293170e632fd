# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the fleet report's data. Not a public API.

A pure function of its inputs: `build(hosts, ...)` takes, for each host, its
registered sre.oom.oom_facts result or its `ansible_facts.oom` (or nothing),
and returns the report dict (`sre.oom.report/1`, the content of report.json)
plus what the pages need beyond it. Nothing here reads files or templates
anything; a host's strings are carried as data, never as templates.

Robustness: every value that comes from a host is checked for its type before
use. A host whose data is malformed (a time that does not exist, a 10 KB comm,
missing keys, wrong types) keeps its row; what was wrong is listed in its
`problems`, and the other hosts are not affected.
"""

from __future__ import annotations

import array
import datetime as dt
import heapq

from ansible_collections.sre.oom.plugins.module_utils import _sysctl
from ansible_collections.sre.oom.plugins.module_utils._oom import since as _since

SCHEMA = 'sre.oom.report/1'
SYSCTLS = ('panic_on_oom', 'panic', 'overcommit_memory', 'overcommit_ratio',
           'oom_kill_allocating_task', 'oom_dump_tasks')
FLAG_IDS = ('panic_on_oom_no_reboot', 'panic_on_oom_always', 'protected_top_memory_user',
            'kernel_log_unreadable')
LONG_STRING = 1024      # longer strings from a host are flagged (and shortened on pages)

_UTC = dt.timezone.utc


class _Problems(list):
    """The problems found in one host's data, each said once."""

    def add(self, msg):
        if msg not in self and len(self) < 50:
            self.append(msg)


def parse_time(value):
    """An ISO 8601 time (UTC unless it has an offset) -> seconds since the epoch.

    Returns None for anything that is not a real time after 1970 (year 0000,
    month 13, hour 25, a number, garbage). The rule is `since.iso_time`'s.
    """
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        secs = _since.iso_time(value.strip())
    except ValueError:
        return None
    return secs if secs is not None and secs >= 0 else None


def iso(secs):
    """Seconds since the epoch -> `YYYY-MM-DDTHH:MM:SSZ`."""
    return dt.datetime.fromtimestamp(int(secs), _UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


def duration(value):
    """`1d`, `12h`, `90m`, `3600` (seconds) or an int -> seconds; None when invalid.

    The rule of a span is `since.span`'s (units s, sec, m, min, h, d, w).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        return _since.span(text)
    return None


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _mapping(v):
    return v if isinstance(v, dict) else None


def _seq(v):
    return v if isinstance(v, (list, tuple)) else None


def _typename(v):
    return 'null' if v is None else type(v).__name__


# --------------------------------------------------------------- input

def result_decides(result):
    """True when host_input() does not look at the cached facts for this registered result."""
    if not isinstance(result, dict) or result.get('unreachable') or result.get('failed'):
        return True
    if result.get('skipped'):
        return False
    af = result.get('ansible_facts')
    return isinstance(af, dict) and isinstance(af.get('oom'), dict)


def host_input(name, result=None, facts=None, has_result=False, facts_error=None):
    """Decide where one host's data comes from.

    `result`: the registered result of sre.oom.oom_facts (when `has_result`);
    `facts`: the host's `ansible_facts.oom` known to Ansible (fact cache,
    earlier tasks), used when there is no result; `facts_error`: why there
    are no facts when it is more than their absence (an unreadable or expired
    fact cache entry). Returns (status, error, oom dict or None, data_source).
    """
    if has_result:
        r = result if isinstance(result, dict) else {}
        if not isinstance(result, dict):
            return 'no_data', 'the registered result is a %s, not a dict' % _typename(result), None, 'result'
        if r.get('unreachable'):
            return 'unreachable', _text(r.get('msg')) or 'unreachable', None, 'result'
        if r.get('failed'):
            return 'failed', _text(r.get('msg')) or 'sre.oom.oom_facts failed', None, 'result'
        if r.get('skipped'):
            if isinstance(facts, dict):
                return 'ok', None, facts, 'facts'
            return 'no_data', 'skipped: %s' % (_text(r.get('skip_reason')) or 'the gather task was skipped'), None, 'result'
        af = r.get('ansible_facts')
        oom = af.get('oom') if isinstance(af, dict) else None
        if isinstance(oom, dict):
            return 'ok', None, oom, 'result'
        if isinstance(facts, dict):
            return 'ok', None, facts, 'facts'
        return 'no_data', 'sre.oom.oom_facts returned no ansible_facts.oom', None, 'result'
    if isinstance(facts, dict):
        return 'ok', None, facts, 'facts'
    if facts is not None:
        return 'no_data', 'ansible_facts.oom is a %s, not a dict' % _typename(facts), None, 'facts'
    if facts_error:
        return 'no_data', 'no data: %s' % _text(facts_error, 1000), None, 'facts'
    return ('no_data', 'no data: no sre.oom.oom_facts result and no ansible_facts.oom known for this host '
            '(not gathered, failed or unreachable, or expired from the fact cache)', None, None)


def _text(v, limit=4000):
    if v is None:
        return ''
    s = v if isinstance(v, str) else str(v)
    s = s.strip()
    return s if len(s) <= limit else s[:limit] + '…'


# --------------------------------------------------------------- risk rules

def _policy_flags(sysctl):
    """The sysctl risk rules, which live once in _sysctl.cross_key_rules.

    The report reads a host's live values as if they were being set, so the
    rules that oom_policy applies to a change apply here to the state; each
    rule's id is the flag's id.
    """
    pon, panic = sysctl.get('panic_on_oom'), sysctl.get('panic')
    desired = {}
    if pon is not None:
        desired['vm.panic_on_oom'] = pon
    if panic is not None:
        desired['kernel.panic'] = panic
    if not desired:
        return []
    order = {_sysctl.RULE_NO_REBOOT: 0, _sysctl.RULE_ALWAYS: 1}
    flags = [{'id': rule, 'severity': 'critical', 'message': msg}
             for rule, msg in _sysctl.cross_key_rules(desired, {}, False) if rule in order]
    return sorted(flags, key=lambda f: order[f['id']])


def flags_for(sysctl, top, log_readable, status, source_errors):
    """Every risk rule for one host: [{id, severity, message}]."""
    flags = _policy_flags(sysctl)
    if top is not None and top.get('oom_score_adj') == -1000:
        unit = top.get('unit')
        flags.append({'id': 'protected_top_memory_user', 'severity': 'warning', 'message': (
            '%s (pid %s%s) is exempt from the OOM killer (oom_score_adj=-1000) and is the largest '
            'memory user: everything else is killed first, and the host panics or hangs if it '
            'keeps growing' % (_text(top.get('comm'), 200) or '?', top.get('pid', '?'),
                               (', ' + _text(unit, 200)) if unit else ''))})
    if status == 'ok' and not log_readable:
        why = '; '.join('%s: %s' % (_text(k, 200), _text(v, 200)) for k, v in source_errors.items())
        flags.append({'id': 'kernel_log_unreadable', 'severity': 'warning', 'message': (
            'no kernel log could be read, so kills on this host are unknown%s; run the report with '
            'become, or give the user access to the journal or dmesg' % ((' (%s)' % why) if why else ''))})
    return flags


# --------------------------------------------------------------- counters, victims, pressure (oom_facts 0.3)

TOP_SUBTREES = 10       # per host: units, slices, containers and pods kept (most kills first)
TOP_DOMAINS = 8         # per host: OOM domains kept (global first, then the most eligible)
TOP_CANDIDATES = 5      # per domain: next victims kept
TOP_UNITS = 10          # per host: units under systemd-oomd kept (over their limit first)


def _count(v):
    return v if _is_int(v) and v >= 0 else None


def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _str(v, limit=LONG_STRING * 4):
    return _text(v, limit) if isinstance(v, str) and v else None


def kill_subtrees(counters, problems, top=TOP_SUBTREES):
    """Kill counts per unit, slice, container and pod with what the log lost, from
    `counters.subtrees` of sre.oom.oom_facts; the `top` with the most kills
    (counter or log, whichever is larger), then by name. [] for older facts.

    Each row: kind, name, cgroup, log_kills, userspace_kills, counter_kills,
    counter_complete, unattributed (null when no counter is left for it).
    """
    rows = counters.get('subtrees')
    if rows is None:
        return []
    if _seq(rows) is None:
        problems.add('counters.subtrees is a %s, not a list' % _typename(rows))
        return []
    out = []
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            problems.add('counters.subtrees %d is a %s, not a dict (ignored)' % (i, _typename(r)))
            continue
        row = {'kind': _str(r.get('kind'), 32) or 'unknown', 'name': _str(r.get('name')),
               'cgroup': _str(r.get('cgroup'))}
        for key in ('log_kills', 'userspace_kills', 'counter_kills', 'unattributed'):
            v = r.get(key)
            row[key] = _count(v)
            if v is not None and row[key] is None:
                problems.add('counters.subtrees %d: %s is %r, not a count' % (i, key, _text(v, 40)))
        cc = r.get('counter_complete')
        row['counter_complete'] = cc if isinstance(cc, bool) else None
        _long(r.get('name'), 'counters.subtrees %d: name' % i, problems)
        out.append(row)

    def order(row):
        kills = max(row['counter_kills'] or 0, row['log_kills'] or 0)
        return (-kills, -(row['userspace_kills'] or 0), row['name'] or row['cgroup'] or '')
    return heapq.nsmallest(top, out, key=order) if top is not None else sorted(out, key=order)


def kill_attribution(counters, problems):
    """(attributed, unattributed) kernel kills of this boot on one host: those the log
    names a unit, slice, container or pod for, and the rest of `oom_kill`.
    (None, None) for facts without them."""
    out = []
    for key in ('attributed', 'unattributed'):
        v = counters.get(key)
        if v is not None and _count(v) is None:
            problems.add('counters.%s is %r, not a count' % (key, _text(v, 40)))
        out.append(_count(v))
    return tuple(out)


def victim_domains(domains, problems, top=TOP_DOMAINS, candidates=TOP_CANDIDATES):
    """Each OOM domain's next victims from `next_victims` of sre.oom.oom_facts:
    the global domain first, then the limited cgroups by the most eligible;
    the first `top` domains with their first `candidates` (the module ranks
    them). [] for older facts.

    Each domain: domain, limit_kb, total_kb, eligible, candidates [{pid, comm,
    points, oom_score_adj, rss_kb, swap_kb, unit, cgroup, exiting, group}],
    and `domains` (how many the host returned).
    """
    if domains is None:
        return []
    if _seq(domains) is None:
        problems.add('next_victims is a %s, not a list' % _typename(domains))
        return []
    out = []
    for i, d in enumerate(domains):
        if not isinstance(d, dict):
            problems.add('next_victims %d is a %s, not a dict (ignored)' % (i, _typename(d)))
            continue
        name = _str(d.get('domain'))
        if name is None:
            problems.add('next_victims %d has no domain (ignored)' % i)
            continue
        _long(d.get('domain'), 'next_victims %d: domain' % i, problems)
        cands = d.get('candidates')
        if cands is not None and _seq(cands) is None:
            problems.add('next_victims %d: candidates is a %s, not a list' % (i, _typename(cands)))
        kept = []
        for c in (_seq(cands) or [])[:candidates]:
            if not isinstance(c, dict):
                continue
            group = _mapping(c.get('group'))
            kept.append({'pid': c.get('pid') if _is_int(c.get('pid')) else None,
                         'comm': _str(c.get('comm'), LONG_STRING),
                         'points': _num(c.get('points')), 'oom_score_adj': _num(c.get('oom_score_adj')),
                         'rss_kb': _num(c.get('rss_kb')), 'swap_kb': _num(c.get('swap_kb')),
                         'unit': _str(c.get('unit')), 'cgroup': _str(c.get('cgroup')),
                         'exiting': c.get('exiting') is True,
                         'group': _count(group.get('count')) if group else None})
        out.append({'domain': name, 'limit_kb': _num(d.get('limit_kb')), 'total_kb': _num(d.get('total_kb')),
                    'eligible': _count(d.get('eligible')), 'candidates': kept})

    def order(d):
        return (d['domain'] != 'global', -(d['eligible'] or 0), d['domain'])
    return heapq.nsmallest(top, out, key=order)


def _psi(v):
    """A PSI reading {some: {avg10, ...}, full: {...}} -> {some_avg10, full_avg10, ...} or None."""
    v = _mapping(v)
    if v is None:
        return None
    out = {}
    for line in ('some', 'full'):
        m = _mapping(v.get(line)) or {}
        for key in ('avg10', 'avg60', 'avg300'):
            out['%s_%s' % (line, key)] = _num(m.get(key))
    return out if any(x is not None for x in out.values()) else None


def _percent(v):
    """systemd's `60%` (or 60.0) -> 60.0; None otherwise."""
    if _num(v) is not None:
        return float(v)
    if isinstance(v, str) and v.strip().endswith('%'):
        try:
            return float(v.strip()[:-1])
        except ValueError:
            return None
    return None


def pressure_of(pressure, problems, top=TOP_UNITS):
    """The host's memory pressure and that of its units under systemd-oomd, from
    `pressure` of sre.oom.oom_facts: (memory, units, unit_count). `memory` is
    {some_avg10, some_avg60, some_avg300, full_...} or None; `units` the first
    `top` units, those over their limit first, then the highest `full` avg10:
    [{unit, cgroup, limit_percent, full_avg10, some_avg10, over_limit, swap}].
    """
    if pressure is None:
        return None, [], 0
    if not isinstance(pressure, dict):
        problems.add('pressure is a %s, not a dict' % _typename(pressure))
        return None, [], 0
    memory = _psi(pressure.get('memory'))
    units_in = pressure.get('units')
    if units_in is not None and _seq(units_in) is None:
        problems.add('pressure.units is a %s, not a list' % _typename(units_in))
    units = []
    for i, u in enumerate(_seq(units_in) or []):
        if not isinstance(u, dict):
            problems.add('pressure.units %d is a %s, not a dict (ignored)' % (i, _typename(u)))
            continue
        psi = _psi(u.get('memory_pressure')) or {}
        ol = u.get('over_limit')
        _long(u.get('unit'), 'pressure.units %d: unit' % i, problems)
        units.append({'unit': _str(u.get('unit')), 'cgroup': _str(u.get('cgroup')),
                      'limit_percent': _percent(u.get('effective_limit', u.get('managed_oom_memory_pressure_limit'))),
                      'full_avg10': psi.get('full_avg10'), 'some_avg10': psi.get('some_avg10'),
                      'over_limit': ol if isinstance(ol, bool) else None,
                      'pressure_kill': u.get('managed_oom_memory_pressure') == 'kill',
                      'swap_kill': u.get('managed_oom_swap') == 'kill'})

    def order(u):
        return (u['over_limit'] is not True, -(u['full_avg10'] or 0), u['unit'] or u['cgroup'] or '')
    return memory, heapq.nsmallest(top, units, key=order), len(units)


# --------------------------------------------------------------- one host

def _dicts(oom, key, problems):
    v = oom.get(key)
    if v is None:
        return []
    if _seq(v) is None:
        problems.add('%s is a %s, not a list' % (key, _typename(v)))
        return []
    out = [x for x in v if isinstance(x, dict)]
    if len(out) != len(v):
        problems.add('%s: %d entries are not dicts (ignored)' % (key, len(v) - len(out)))
    return out


def _long(value, where, problems):
    """Note a string from a host longer than LONG_STRING (shortened on the pages)."""
    if isinstance(value, str) and len(value) > LONG_STRING:
        problems.add('%s is %d characters long (shortened on the page)' % (where, len(value)))


_EVENT_STRINGS = ('unit', 'memcg', 'cgroup')


def _check_event(i, ev, problems):
    """Validate one event; returns (epoch or None, killer, kind)."""
    t = ev.get('time')
    secs = None
    if t is not None:
        secs = parse_time(t)
        if secs is None:
            problems.add('event %d: time %r is not a valid time (listed without a time)' % (i, _text(t, 40)))
    victim = ev.get('victim')
    if victim is not None and not isinstance(victim, dict):
        problems.add('event %d: victim is a %s, not a dict' % (i, _typename(victim)))
    inv = ev.get('invoker')
    if inv is not None and not isinstance(inv, dict):
        problems.add('event %d: invoker is a %s, not a dict' % (i, _typename(inv)))
    for key in _EVENT_STRINGS:
        v = ev.get(key)
        if isinstance(v, str) and len(v) > LONG_STRING:
            _long(v, 'event %d: %s' % (i, key), problems)
    for who, what in ((victim, 'victim'), (inv, 'invoker')):
        if isinstance(who, dict):
            v = who.get('comm')
            if isinstance(v, str) and len(v) > LONG_STRING:
                _long(v, 'event %d: %s.comm' % (i, what), problems)
    killer = ev.get('killer')
    killer = killer if isinstance(killer, str) and killer else 'kernel'
    kind = ev.get('kind')
    kind = kind if isinstance(kind, str) and kind else 'unknown'
    return secs, killer, kind


def host_entry(name, status, error, oom, data_source, now, stale_after):
    """One host of report.json, plus its events' times (for sorting).

    Returns (host dict with `events`, [epoch or None per event], [(killer, kind) per event]).
    """
    problems = _Problems()
    oom = oom if isinstance(oom, dict) else {}
    ok = status == 'ok'

    sysctl_in = oom.get('sysctl')
    if sysctl_in is not None and not isinstance(sysctl_in, dict):
        problems.add('sysctl is a %s, not a dict' % _typename(sysctl_in))
    sysctl_in = _mapping(sysctl_in) or {}
    sysctl = {}
    for key in SYSCTLS:
        v = sysctl_in.get(key)
        if v is not None and not _is_int(v):
            problems.add('sysctl.%s is %r (a %s), not an integer' % (key, _text(v, 40), _typename(v)))
            v = None
        sysctl[key] = v

    counters = oom.get('counters')
    if counters is not None and not isinstance(counters, dict):
        problems.add('counters is a %s, not a dict' % _typename(counters))
    counters = _mapping(counters) or {}
    oom_kill = counters.get('oom_kill')
    if oom_kill is not None and not (_is_int(oom_kill) and oom_kill >= 0):
        problems.add('counters.oom_kill is %r, not a count' % _text(oom_kill, 40))
        oom_kill = None

    source_errors = oom.get('source_errors')
    if source_errors is not None and not isinstance(source_errors, dict):
        problems.add('source_errors is a %s, not a dict' % _typename(source_errors))
    source_errors = _mapping(source_errors) or {}
    source = oom.get('source')
    if source is not None and not isinstance(source, str):
        problems.add('source is a %s, not a string' % _typename(source))
        source = str(source)

    events_in = oom.get('events')
    if events_in is not None and _seq(events_in) is None:
        problems.add('events is a %s, not a list' % _typename(events_in))
    events_in = _seq(events_in) or []
    events, times, kinds = [], [], []
    for i, ev in enumerate(events_in):
        if not isinstance(ev, dict):
            problems.add('event %d is a %s, not a dict (ignored)' % (i, _typename(ev)))
            continue
        secs, killer, kind = _check_event(i, ev, problems)
        events.append(ev)
        times.append(secs)
        kinds.append((killer, kind))

    processes = _dicts(oom, 'processes', problems)
    protected = _dicts(oom, 'protected', problems)
    services = _dicts(oom, 'services', problems)
    for lst, what in ((processes, 'processes'), (protected, 'protected')):
        for i, p in enumerate(lst[:100]):
            _long(p.get('comm'), '%s %d: comm' % (what, i), problems)
            _long(p.get('unit'), '%s %d: unit' % (what, i), problems)

    log_readable = ok and source not in (None, '', 'none')
    event_count = oom.get('event_count')
    if event_count is not None and not (_is_int(event_count) and event_count >= 0):
        problems.add('event_count is %r, not a count (the events listed are counted instead)'
                     % _text(event_count, 40))
        event_count = None
    if event_count is None and ok and 'events' in oom:
        event_count = len(events)
    kills = (event_count if event_count is not None else len(events)) if log_readable else None

    timed = [t for t in times if t is not None]
    last_kill = iso(max(timed)) if timed else None

    def rss(p):
        v = p.get('rss_kb')
        return v if _is_int(v) or isinstance(v, float) else None
    ranked = [p for p in processes + protected if rss(p) is not None]
    top = max(ranked, key=rss) if ranked else None

    names = []
    for p in protected:
        n = p.get('unit') or p.get('comm') or '?'
        names.append(_text(n, LONG_STRING * 4))
    for s in services:
        adj = s.get('oom_score_adjust', s.get('OOMScoreAdjust'))
        if adj is not None and str(adj) == '-1000':
            names.append(_text(s.get('unit') or s.get('name') or '?', LONG_STRING * 4))
    protected_names = list(dict.fromkeys(names))

    flags = flags_for(sysctl, top, log_readable, status, source_errors) if ok else []

    # When the facts were gathered, and whether that is too long ago.
    gathered_raw = oom.get('gathered_at')
    gathered = parse_time(gathered_raw) if gathered_raw is not None else None
    if gathered_raw is not None and gathered is None:
        problems.add('gathered_at %r is not a valid time' % _text(gathered_raw, 40))
    if not ok:
        stale = None
    elif gathered is not None:
        stale = (now - gathered) > stale_after
    elif data_source == 'result':
        stale = False           # gathered by this very run
    else:
        stale = None            # facts from before sre.oom 0.2.0: unknown age

    missed, missed_basis = reconcile(counters, oom_kill, problems) if ok else (None, None)
    subtrees = kill_subtrees(counters, problems) if ok else []
    attributed, unattributed = kill_attribution(counters, problems) if ok else (None, None)
    domains = victim_domains(oom.get('next_victims'), problems) if ok else []
    memory_pressure, unit_pressure, unit_count = pressure_of(oom.get('pressure'), problems) if ok else (None, [], 0)

    killer_counts = {}
    for killer, _kind in kinds:
        killer_counts[killer] = killer_counts.get(killer, 0) + 1

    host = {
        'name': name,
        'status': status,
        'error': error,
        'source': source,
        'source_errors': source_errors,
        'log_readable': log_readable,
        'kills': kills,
        'events_listed': len(events),
        'last_kill': last_kill,
        'oom_kill_since_boot': oom_kill,
        'sysctl': sysctl,
        'protected': protected_names,
        'protected_processes': len(protected),
        'top_memory': top,
        'next_victims': processes,
        'services': services,
        'counters': counters,
        'flags': flags,
        # added in sre.oom 0.2.0 (schema keys are only added)
        'data_source': data_source if ok else None,
        'gathered_at': iso(gathered) if gathered is not None else None,
        'stale': stale,
        'missed_kills': missed,
        'missed_basis': missed_basis,
        'kills_by_killer': killer_counts,
        'scope': oom.get('scope') if isinstance(oom.get('scope'), str) else None,
        # added in sre.oom 0.3.0: from counters.subtrees, next_victims and pressure (bounded)
        'kill_subtrees': subtrees,
        'subtree_count': _count(counters.get('subtree_count')) if subtrees else None,
        'kills_attributed': attributed,
        'kills_unattributed': unattributed,
        'victim_domains': domains,
        'memory_pressure': memory_pressure,
        'unit_pressure': unit_pressure,
        'unit_pressure_count': unit_count,
        'problems': list(problems),
        'events': events,
    }
    return host, times, kinds


def reconcile(counters, oom_kill, problems):
    """Kills the log lost on one host: (count or None, why).

    The rule: /proc/vmstat `oom_kill` counts every kernel kill since boot.
    sre.oom.oom_facts (0.2.0 and later) compares it with the kernel kills it
    parsed for the current boot and returns `counters.missed` only when the
    events it read cover the whole boot; that number is used as is. Facts
    without it (sre.oom 0.1.0, or a log that starts after boot) cannot prove
    the log covers the boot, so the count is unknown (None), never guessed.
    """
    missed = counters.get('missed')
    if _is_int(missed) and missed >= 0:
        return missed, 'vmstat oom_kill %s - parsed since boot %s' % (
            oom_kill if oom_kill is not None else '?', counters.get('parsed_since_boot', '?'))
    if missed is not None:
        problems.add('counters.missed is %r, not a count' % _text(missed, 40))
    if oom_kill is None:
        return None, 'no oom_kill counter'
    return None, 'the events do not prove they cover the whole boot'


# --------------------------------------------------------------- the fleet

def window(since, now, oldest, newest):
    """(start, end) in seconds: from `since` when it is a time, else the oldest kill."""
    start = None
    s = since if isinstance(since, str) else ''
    back = _since.ago(s.strip())
    if back is not None:
        start = now - back
    else:
        start = parse_time(s)
    if start is None:
        start = oldest if oldest is not None else now - 86400
    if oldest is not None:
        start = min(start, oldest)
    end = max(now, newest) if newest is not None else now
    return start, end


def policy_key(host):
    return tuple(host['sysctl'][k] for k in SYSCTLS)


class _Top:
    """The `n` smallest (key, value) pairs seen, in key order; memory bounded by 2n."""

    def __init__(self, n):
        self.n, self.items = max(0, n), []

    def add(self, key, value):
        if self.n:
            self.items.append((key, value))
            if len(self.items) >= 2 * self.n:
                self.trim()

    def trim(self):
        self.items.sort(key=lambda kv: kv[0])
        del self.items[self.n:]

    def values(self):
        self.trim()
        return [v for _k, v in self.items]


def subtree_order(host_name, row):
    """The page's order of subtree rows: the most kills the log lost first (unknown, for
    want of a counter, above none lost), then the most kills."""
    lost = row['unattributed']
    return (-(lost if lost is not None else 0.5), -max(row['counter_kills'] or 0, row['log_kills'] or 0),
            -(row['userspace_kills'] or 0), host_name, row['name'] or '')


def listed_order(host, index):
    """The page's order of hosts in per-host tables: the most kills first, then inventory order."""
    return (0, -host['kills'], host['name'], index) if host['kills'] else (1, 0, '', index)


def pressure_order(host):
    """Hosts with units over their pressure limit first, then the highest full avg10."""
    over = sum(1 for u in host['unit_pressure'] if u['over_limit'])
    return (-over, -((host['memory_pressure'] or {}).get('full_avg10') or 0), host['name'])


PAGE = {'subtree_rows': 200, 'domain_hosts': 100, 'pressure_hosts': 100}


class Fleet:
    """The report, built one host at a time.

    `add()` takes one host's input as host_input() returns it (after the
    name), checks it and keeps what the pages need. With a `sink`, each
    host's complete entry (with its events) is handed to it as soon as it
    is built (the action writes it to report.json and the host's textfile),
    and only a light copy is kept: no events, services or counters, and the
    first `victims` next victims. Of the kills, the fleet keeps their times
    (for the timeline) and the newest `rows` (for the tables); so memory does
    not grow with the facts of each host. Without a sink every entry is kept
    whole (report['hosts'] is then report.json's host list).
    """

    def __init__(self, since='-7d', now=None, stale_after=86400, rows=500, sink=None, victims=5, page=None):
        self.since = since
        self.now = now if now is not None else dt.datetime.now(_UTC).timestamp()
        self.stale_after = stale_after
        self.rows = rows
        self.sink = sink
        self.victims = victims
        self.hosts = []
        self.times = array.array('d')
        self.memcg = bytearray()
        self.newest = []            # heap of (t, -host index, -event index, name, event)
        self.untimed = 0
        self.untimed_rows = []
        self.by_killer_kind = {}
        # What the pages list of counters.subtrees, next_victims and pressure: only
        # the rows and hosts they can show, whatever the size of the fleet.
        page = dict(PAGE, **(page or {}))
        self.subtrees = _Top(page['subtree_rows'])
        self.domain_hosts = _Top(page['domain_hosts'])
        self.pressure_hosts = _Top(page['pressure_hosts'])
        self.subtree_total = self.domain_total = self.pressure_total = self.units_over = 0

    def add(self, name, status, error, oom, data_source):
        """Check one host's data and take it into the report; returns its entry."""
        now, stale_after = self.now, self.stale_after
        hi = len(self.hosts)
        try:
            h, times, kinds = host_entry(name, status, error, oom, data_source, now, stale_after)
        except Exception as e:  # pylint: disable=broad-except
            # A bug on one host's data must not take the fleet down.
            h, times, kinds = host_entry(name, 'no_data', None, None, None, now, stale_after)
            h['problems'] = ['the report could not read this host\'s data: %s: %s'
                             % (type(e).__name__, _text(str(e), 300))]
            h['error'] = h['problems'][0]
        events, heap, rows = h['events'], self.newest, self.rows
        for ei, t in enumerate(times):
            ev = events[ei]
            if t is None:
                self.untimed += 1
                if len(self.untimed_rows) < rows:
                    self.untimed_rows.append((name, ev))
                continue
            self.times.append(t)
            self.memcg.append(1 if ev.get('kind') == 'memcg' else 0)
            if rows <= 0:
                continue
            item = (t, -hi, -ei, name, ev)
            if len(heap) < rows:
                heapq.heappush(heap, item)
            elif item[:3] > heap[0][:3]:
                heapq.heapreplace(heap, item)
        for kk in kinds:
            self.by_killer_kind[kk] = self.by_killer_kind.get(kk, 0) + 1
        if h['status'] == 'ok':
            for row in h['kill_subtrees']:
                self.subtrees.add(subtree_order(name, row), (name, row))
            self.subtree_total += len(h['kill_subtrees'])
            if h['victim_domains']:
                self.domain_total += 1
                self.domain_hosts.add(listed_order(h, hi), {
                    'name': name, 'victim_domains': [dict(d, candidates=d['candidates'][:self.victims])
                                                     for d in h['victim_domains']]})
            self.units_over += sum(1 for u in h['unit_pressure'] if u['over_limit'])
            if h['memory_pressure'] or h['unit_pressure']:
                self.pressure_total += 1
                self.pressure_hosts.add(pressure_order(h), {
                    'name': name, 'memory_pressure': h['memory_pressure'], 'unit_pressure': h['unit_pressure'],
                    'unit_pressure_count': h['unit_pressure_count']})
        if self.sink is not None:
            self.sink(h)
            light = dict(h)
            for key in ('events', 'services', 'counters', 'kill_subtrees', 'victim_domains', 'unit_pressure'):
                del light[key]
            light['next_victims'] = h['next_victims'][:self.victims]
            self.hosts.append(light)
        else:
            self.hosts.append(h)
        return h

    def finish(self):
        """(report, view): report.json (with the hosts kept) and what the pages add."""
        now, since, report_hosts = self.now, self.since, self.hosts
        newest = sorted(self.newest, key=lambda k: k[:3], reverse=True)
        rows = [(name, ev, t) for t, _h, _e, name, ev in newest]
        rows += [(name, ev, None) for name, ev in self.untimed_rows[:max(0, self.rows - len(rows))]]

        ok = [h for h in report_hosts if h['status'] == 'ok']
        bad = [h for h in report_hosts if h['status'] != 'ok']
        kill_hosts = sorted((h for h in ok if h['kills']), key=lambda h: (-h['kills'], h['name']))
        flagged = [h for h in report_hosts if h['flags']]
        last = None
        if newest:
            t, _h, _e, name, ev = newest[0]
            victim = _mapping(ev.get('victim')) or {}
            last = {'time': iso(t), 'host': name, 'comm': victim.get('comm'),
                    'pid': victim.get('pid'), 'unit': ev.get('unit'), 'container_id': ev.get('container_id')}
        oldest = min(self.times) if self.times else None
        newest_t = newest[0][0] if newest else (max(self.times) if self.times else None)
        start, end = window(since, now, oldest, newest_t)
        missed_known = [h['missed_kills'] for h in ok if h['missed_kills'] is not None]

        groups = {}
        for h in ok:
            groups.setdefault(policy_key(h), []).append(h)
        policies = []
        for key, members in groups.items():
            ids = []
            for h in members:
                for f in h['flags']:
                    if f['id'] not in ids and f['id'] in ('panic_on_oom_no_reboot', 'panic_on_oom_always'):
                        ids.append(f['id'])
            policies.append({'sysctl': dict(zip(SYSCTLS, key)), 'hosts': [h['name'] for h in members],
                             'flags': [f for f in members[0]['flags'] if f['id'] in ids],
                             'kills': sum(h['kills'] or 0 for h in members)})
        policies.sort(key=lambda p: (-len(p['hosts']), p['hosts'][0]))

        summary = {
            'hosts': len(report_hosts),
            'hosts_reporting': len(ok),
            'hosts_without_data': len(bad),
            'hosts_with_kills': len(kill_hosts),
            'hosts_flagged': len(flagged),
            'hosts_log_unreadable': sum(1 for h in ok if not h['log_readable']),
            'kills': sum(h['kills'] for h in kill_hosts),
            'events_listed': len(self.times) + self.untimed,
            'last_kill': last,
            # added in sre.oom 0.2.0
            'hosts_stale': sum(1 for h in ok if h['stale']),
            'hosts_age_unknown': sum(1 for h in ok if h['stale'] is None),
            'missed_kills': sum(missed_known),
            'hosts_missed_kills': sum(1 for m in missed_known if m > 0),
            'hosts_missed_unknown': len(ok) - len(missed_known),
            'hosts_with_problems': sum(1 for h in report_hosts if h['problems']),
            'policies': len(policies),
            'kills_by_killer_kind': [{'killer': k, 'kind': d, 'events': n}
                                     for (k, d), n in sorted(self.by_killer_kind.items())],
            # added in sre.oom 0.3.0
            'unattributed_kills': sum(h['kills_unattributed'] for h in ok if h['kills_unattributed'] is not None),
            'hosts_unattributed_kills': sum(1 for h in ok if h['kills_unattributed']),
            'units_over_pressure_limit': self.units_over,
        }
        report = {
            'schema': SCHEMA,
            'generated': iso(now),
            'since': since,
            'window': {'start': iso(start), 'end': iso(end)},
            'summary': summary,
            'stale_after_seconds': self.stale_after,
            'hosts': report_hosts,
        }
        view = {
            'now': now, 'start': start, 'end': end, 'rows': rows,
            'timed_count': len(self.times), 'untimed_count': self.untimed,
            'times': self.times, 'memcg': self.memcg,
            'ok': ok, 'bad': bad, 'kill_hosts': kill_hosts, 'flagged': flagged, 'policies': policies,
            # the first rows and hosts of the pages' tables of counters, next victims and pressure
            'subtree_rows': self.subtrees.values(), 'subtree_total': self.subtree_total,
            'domain_hosts': self.domain_hosts.values(), 'domain_total': self.domain_total,
            'pressure_hosts': self.pressure_hosts.values(), 'pressure_total': self.pressure_total,
        }
        return report, view


def build(hosts, since='-7d', now=None, stale_after=86400):
    """The report from every host's input, all held in memory.

    `hosts`: list of (name, status, error, oom, data_source) as host_input()
    returns them (after the name). Returns (report, view) as Fleet.finish().
    """
    fleet = Fleet(since=since, now=now, stale_after=stale_after)
    for name, status, error, oom, data_source in hosts:
        fleet.add(name, status, error, oom, data_source)
    return fleet.finish()


def counts(report):
    """The numbers the action plugin returns (no string from a host)."""
    s = report['summary']
    return {k: v for k, v in s.items() if _is_int(v)}

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: one host of the fleet report. Not a public API.

`host_input` decides where a host's data comes from (its registered
sre.oom.oom_facts result, or the `ansible_facts.oom` Ansible knows); and
`host_entry` checks that data and builds the host's entry of report.json.

Robustness: every value that comes from a host is checked for its type before
use. A host whose data is malformed (a time that does not exist, a 10 KB comm,
missing keys, wrong types) keeps its row; what was wrong is listed in its
`problems`, and the other hosts are not affected.
"""

from __future__ import annotations

from ansible_collections.sre.oom.plugins.plugin_utils._report_counters import kill_attribution, kill_subtrees, pressure_of, victim_domains
from ansible_collections.sre.oom.plugins.plugin_utils._report_flags import flags_for
from ansible_collections.sre.oom.plugins.plugin_utils._report_values import (
    LONG_STRING, _count, _is_int, _long, _mapping, _Problems, _seq, _text, _typename, iso, parse_time)

SYSCTLS = ('panic_on_oom', 'panic', 'overcommit_memory', 'overcommit_ratio',
           'oom_kill_allocating_task', 'oom_dump_tasks')


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


_EVENT_STRINGS = ('unit', 'memcg', 'cgroup')


def _check_event(i, ev, problems):
    """Validate one event; returns (epoch or None, killer, kind)."""
    get = ev.get
    t = get('time')
    secs = None
    if t is not None:
        secs = parse_time(t)
        if secs is None:
            problems.add('event %d: time %r is not a valid time (listed without a time)' % (i, _text(t, 40)))
    victim = get('victim')
    if victim is not None and not isinstance(victim, dict):
        problems.add('event %d: victim is a %s, not a dict' % (i, _typename(victim)))
    inv = get('invoker')
    if inv is not None and not isinstance(inv, dict):
        problems.add('event %d: invoker is a %s, not a dict' % (i, _typename(inv)))
    for key in _EVENT_STRINGS:
        v = get(key)
        if v is not None and isinstance(v, str) and len(v) > LONG_STRING:
            _long(v, 'event %d: %s' % (i, key), problems)
    for who, what in ((victim, 'victim'), (inv, 'invoker')):
        if isinstance(who, dict):
            v = who.get('comm')
            if isinstance(v, str) and len(v) > LONG_STRING:
                _long(v, 'event %d: %s.comm' % (i, what), problems)
    killer = get('killer')
    if not (killer and isinstance(killer, str)):
        killer = 'kernel'
    kind = get('kind')
    if not (kind and isinstance(kind, str)):
        kind = 'unknown'
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

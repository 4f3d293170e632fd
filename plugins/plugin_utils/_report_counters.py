# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the fleet report's kill counters, next victims and pressure of one host. Not a public API.

From the keys sre.oom.oom_facts 0.3 added (`counters.subtrees` and its
attribution, `next_victims`, `pressure`), each checked and bounded per host
(TOP_*); facts from before 0.3 give empty results, never problems.
"""

from __future__ import annotations

import heapq

from ansible_collections.sre.oom.plugins.plugin_utils._report_values import (
    LONG_STRING, _count, _is_int, _long, _mapping, _num, _seq, _str, _text, _typename)

TOP_SUBTREES = 10       # per host: units, slices, containers and pods kept (most kills first)
TOP_DOMAINS = 8         # per host: OOM domains kept (global first, then the most eligible)
TOP_CANDIDATES = 5      # per domain: next victims kept
TOP_UNITS = 10          # per host: units under systemd-oomd kept (over their limit first)


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

    Each domain: domain, limit_kb, total_kb, eligible, oom_kill_disable (the
    kernel kills no one there: no candidates), candidates [{pid, comm,
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
                    'eligible': _count(d.get('eligible')), 'oom_kill_disable': d.get('oom_kill_disable') is True,
                    'candidates': kept})

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
            return _num(float(v.strip()[:-1]))     # not `nan%` or `1e999%`
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
    seen = set()
    for i, u in enumerate(_seq(units_in) or []):
        if not isinstance(u, dict):
            problems.add('pressure.units %d is a %s, not a dict (ignored)' % (i, _typename(u)))
            continue
        name = _str(u.get('unit')) or _str(u.get('cgroup'))
        if name is not None:
            if name in seen:
                problems.add('pressure.units %d: %s is listed before (ignored)' % (i, _text(name, 80)))
                continue
            seen.add(name)
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

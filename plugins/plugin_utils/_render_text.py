# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the report's values in words, for the page and report.md. Not a public API.

Plain text, never markup: a host string is shortened (`short`, at most SHORT
characters) and left for the caller to escape (Jinja2's autoescape on the
page, _escape.md in report.md). Times, sizes, counts, the reason of a kill
(`why`), the report window (`window_text`), subtrees, OOM domains and
pressure, each said one way for both.
"""

from __future__ import annotations

from ansible_collections.sre.oom.plugins.module_utils._oom import since as _since
from ansible_collections.sre.oom.plugins.plugin_utils import _report_values

SHORT = 200                     # characters of a host string shown on a page
FLAG_LABELS = {'panic_on_oom_no_reboot': 'panics, never reboots', 'panic_on_oom_always': 'panics on any OOM',
               'protected_top_memory_user': 'protected top memory user',
               'kernel_log_unreadable': 'kernel log unreadable'}
STATUS = {'unreachable': 'unreachable', 'failed': 'gathering failed', 'no_data': 'no data', 'ok': 'ok'}


def short(x, n=SHORT):
    s = '' if x is None else (x if isinstance(x, str) else str(x))
    return s if len(s) <= n else s[:n] + '… (%d chars)' % len(s)


def num(n):
    return '{:,}'.format(n) if _report_values._is_int(n) else '—'


def kb(n):
    n = _report_values._num(n)
    if n is None:
        return '—'
    if n >= 1048576:
        return '%.1f GiB' % (n / 1048576)
    if n >= 1024:
        return '%.0f MiB' % (n / 1024)
    return '%d KiB' % n


def when(t):
    if isinstance(t, (int, float)) and not isinstance(t, bool):
        t = _report_values.iso(t) if 0 <= t <= _report_values.MAX_EPOCH else None
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
    parts = [p for p in parts if _report_values._num(p) is not None]
    return kb(sum(parts)) if parts else '—'


def event_time(ev, t):
    if t is not None:
        return when(t)
    up = _report_values._num(ev.get('uptime'))
    if up is not None:
        return 'uptime %s s' % up
    return '—'


def killer(ev):
    k = ev.get('killer')
    return short(k, 32) if isinstance(k, str) and k else 'kernel'


def kind(ev):
    k = ev.get('kind')
    return short(k, 32) if isinstance(k, str) and k else 'unknown'


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


def pct(v):
    """A percentage as PSI prints it (up to 2 decimals): 8.25 -> `8.25%`, 60.0 -> `60%`."""
    v = _report_values._num(v)
    return '—' if v is None else ('%.2f' % v).rstrip('0').rstrip('.') + '%'


def pressure_state(u):
    if u['over_limit']:
        return 'over its limit'
    if u['over_limit'] is False:
        return 'below its limit'
    return 'swap only' if u['swap_kill'] and not u['pressure_kill'] else 'unknown'

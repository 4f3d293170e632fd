# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: a host's node_exporter textfile (sre_oom.prom). Not a public API.

Built in Python; label values go through _escape.prom_label. `textfile_name`
is the name of a host's textfile staged on the controller.
"""

from __future__ import annotations

import hashlib
import re

from ansible_collections.sre.oom.plugins.plugin_utils import _escape, _report_flags, _report_values
from ansible_collections.sre.oom.plugins.plugin_utils._render_text import killer, kind

TEXTFILE_READABLE = 100     # characters of the host name kept in a textfile's name


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
    return '%s-%s.prom' % (safe, hashlib.sha1(host_name.encode('utf-8', 'surrogatepass')).hexdigest()[:10])

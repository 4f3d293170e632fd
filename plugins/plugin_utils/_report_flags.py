# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the fleet report's risk flags of one host. Not a public API.

`flags_for` lists every risk found on a host as {id, severity, message}; the
ids are FLAG_IDS. The sysctl rules are not written here: they live once in
module_utils/_sysctl, which oom_policy applies to a change and the report to
a host's live values.
"""

from __future__ import annotations

from ansible_collections.sre.oom.plugins.module_utils import _sysctl
from ansible_collections.sre.oom.plugins.plugin_utils._report_values import _text

FLAG_IDS = ('panic_on_oom_no_reboot', 'panic_on_oom_always', 'protected_top_memory_user',
            'kernel_log_unreadable')


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

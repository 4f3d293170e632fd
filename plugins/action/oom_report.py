# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sre.oom.oom_report: the fleet OOM report, computed on the controller.

A thin adapter: it collects each host's input from what Ansible already knows
(the registered sre.oom.oom_facts result, else `ansible_facts.oom` from the
fact cache), hands it to the pure core in plugin_utils/_report.py, renders the
files with plugin_utils/_render.py and writes them atomically. It never
contacts a host. The documentation is in plugins/modules/oom_report.py.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.sre.oom.plugins.plugin_utils import _render
from ansible_collections.sre.oom.plugins.plugin_utils import _report

_TEXTFILE = re.compile(r'^[A-Za-z0-9_.-]*-[0-9a-f]{10}\.prom$')

ARGUMENT_SPEC = {
    'dest': {'type': 'path', 'required': True},
    'formats': {'type': 'list', 'elements': 'str', 'choices': ['html', 'json', 'md'],
                'default': ['html', 'json', 'md']},
    'since': {'type': 'str', 'default': '-7d'},
    'stale_after': {'type': 'raw', 'default': '1d'},
    'hosts': {'type': 'list', 'elements': 'str'},
    'result_var': {'type': 'str', 'default': '__oom_report_result'},
    'textfiles_dir': {'type': 'path'},
}


def _fact_sources(hostvars):
    """(result_of(name, var) -> (found, value), facts_of(name) -> oom or None).

    Reads the variable manager's fact caches directly when it has them (one
    dict lookup per host: 5,000 hosts in about a second); otherwise each
    host's variables through HostVars.raw_get (the same data, several times
    slower). Neither path templates anything.
    """
    vm = getattr(hostvars, '_variable_manager', None)
    cache = getattr(vm, '_fact_cache', None)
    nonpersistent = getattr(vm, '_nonpersistent_fact_cache', None)
    if cache is not None and isinstance(nonpersistent, dict):
        def result_of(name, var):
            registered = nonpersistent.get(name) or {}
            return (var in registered), registered.get(var)

        def facts_of(name):
            try:
                facts = cache.get(name)
            except KeyError:
                return None
            return facts.get('oom') if isinstance(facts, dict) else None
        return result_of, facts_of

    def raw(name):
        try:
            v = hostvars.raw_get(name)
        except Exception:  # pylint: disable=broad-except
            return {}
        return v if isinstance(v, Mapping) else {}

    def result_of_raw(name, var):
        v = raw(name)
        return (var in v), v.get(var)

    def facts_of_raw(name):
        af = raw(name).get('ansible_facts')
        return af.get('oom') if isinstance(af, Mapping) else None
    return result_of_raw, facts_of_raw


class ActionModule(ActionBase):
    """Write the fleet OOM report on the controller from facts Ansible already holds."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        validation = ArgumentSpecValidator(ARGUMENT_SPEC).validate(self._task.args)
        if validation.error_messages:
            raise AnsibleActionFail('sre.oom.oom_report: %s' % '; '.join(validation.error_messages))
        args = validation.validated_parameters
        stale_after = _report.duration(args['stale_after'])
        if stale_after is None:
            raise AnsibleActionFail('sre.oom.oom_report: stale_after=%r is not a duration: use seconds '
                                    'or a number with s, m, h, d or w (for example 1d, 12h)'
                                    % (args['stale_after'],))
        names = args['hosts']
        if names is None:
            names = list(task_vars.get('ansible_play_hosts_all') or [])
        result_of, facts_of = _fact_sources(task_vars.get('hostvars'))

        inputs = []
        var = args['result_var']
        for name in names:
            found, registered = result_of(name, var) if var else (False, None)
            facts = facts_of(name)
            inputs.append((str(name),) + _report.host_input(name, registered, facts, has_result=found))

        report, view = _report.build(inputs, since=args['since'], now=_render.utc_now(),
                                     stale_after=stale_after)
        files = _render.render_all(report, view, args['formats'])
        dest = os.path.abspath(args['dest'])
        proms = {}
        if args['textfiles_dir']:
            now = view['now']
            proms = {_render.textfile_name(h['name']): _render.prom(h, args['since'], now)
                     for h in report['hosts'] if h['status'] == 'ok'}
        written = []
        if not self._task.check_mode:
            where = dest
            try:
                os.makedirs(dest, mode=0o755, exist_ok=True)
                for fname, text in files.items():
                    path = os.path.join(dest, fname)
                    _render.write_atomic(path, text)
                    written.append(path)
                if proms:
                    where = os.path.abspath(args['textfiles_dir'])
                    os.makedirs(where, mode=0o755, exist_ok=True)
                    for fname, text in proms.items():
                        _render.write_atomic(os.path.join(where, fname), text)
                    # A host without data this time must not get last run's file.
                    for fname in os.listdir(where):
                        if fname not in proms and _TEXTFILE.match(fname):
                            os.unlink(os.path.join(where, fname))
            except OSError as e:
                raise AnsibleActionFail('sre.oom.oom_report: cannot write the report in %s: %s'
                                        % (where, e.strerror or e))
        result.update(changed=bool(written), dest=dest, files=written, summary=_report.counts(report))
        if args['textfiles_dir']:
            result['textfiles'] = 0 if self._task.check_mode else len(proms)
        return result

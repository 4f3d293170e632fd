# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sre.oom.oom_report: the fleet OOM report, computed on the controller.

A thin adapter: it collects each host's input from what Ansible already knows
(the registered sre.oom.oom_facts result, else `ansible_facts.oom` from the
fact cache), hands it to the pure core in plugin_utils/_report*.py, renders the
files with plugin_utils/_render_*.py and writes them atomically. It never
contacts a host. The documentation is in plugins/modules/oom_report.py.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.sre.oom.plugins.module_utils._oom import since as _since
from ansible_collections.sre.oom.plugins.plugin_utils import _cache
from ansible_collections.sre.oom.plugins.plugin_utils import _render_files
from ansible_collections.sre.oom.plugins.plugin_utils import _render_html
from ansible_collections.sre.oom.plugins.plugin_utils import _render_md
from ansible_collections.sre.oom.plugins.plugin_utils import _render_prom
from ansible_collections.sre.oom.plugins.plugin_utils import _render_view
from ansible_collections.sre.oom.plugins.plugin_utils import _report
from ansible_collections.sre.oom.plugins.plugin_utils import _report_host
from ansible_collections.sre.oom.plugins.plugin_utils import _report_values
from ansible_collections.sre.oom.plugins.plugin_utils import _report_workers

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
    """(result_of(name, var) -> (found, value), facts_of(name) -> (oom or None, why or None), forkable).

    Reads the variable manager's caches directly when it has them. When the
    run's fact cache is ansible.builtin.jsonfile, each host's facts are read
    from its file by plugin_utils/_cache.py (read-only: a bad entry is reported
    as unreadable, never deleted, and fails nothing); other cache plugins are
    asked through the plugin, and an error there is reported the same way.
    Otherwise each host's variables come through HostVars.raw_get (the same
    data, several times slower). Nothing is templated. `why` says why a host
    has no facts when that is more than "not in the cache". `forkable`: a forked
    child may call them too (files and this process's memory; not a cache plugin
    that talks to a server over a connection the child would share).
    """
    vm = getattr(hostvars, '_variable_manager', None)
    cache = getattr(vm, '_fact_cache', None)
    nonpersistent = getattr(vm, '_nonpersistent_fact_cache', None)
    if cache is not None and isinstance(nonpersistent, dict):
        def result_of(name, var):
            registered = nonpersistent.get(name) or {}
            return (var in registered), registered.get(var)

        files = _cache.locate(cache)
        if files is not None:
            def facts_of(name):
                state, facts, why = files.read(name)
                if state == _cache.OK:
                    return facts.get('oom'), None
                if state == _cache.UNREADABLE:
                    return None, 'cache entry unreadable: %s' % why
                if state == _cache.EXPIRED:
                    return None, 'the cached facts expired: %s' % why
                return None, None
            return result_of, facts_of, True

        def facts_of(name):
            try:
                facts = cache.get(name)
            except KeyError:
                return None, None
            except Exception as e:  # pylint: disable=broad-except
                return None, 'cache entry unreadable: %s' % _report_values._text(str(e) or type(e).__name__, 300)
            return (facts.get('oom') if isinstance(facts, Mapping) else None), None
        return result_of, facts_of, _cache.in_memory(cache)

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
        return (af.get('oom') if isinstance(af, Mapping) else None), None
    return result_of_raw, facts_of_raw, True


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
        stale_after = _report_values.duration(args['stale_after'])
        if stale_after is None:
            raise AnsibleActionFail('sre.oom.oom_report: stale_after=%r is not a duration: use seconds '
                                    'or a number with s, m, h, d or w (for example 1d, 12h)'
                                    % (args['stale_after'],))
        try:
            _since.parse_since(args['since'], _report_values.utc_now())
        except ValueError as e:
            raise AnsibleActionFail('sre.oom.oom_report: %s' % e)
        names = args['hosts']
        if names is None:
            names = list(task_vars.get('ansible_play_hosts_all') or [])
        check = bool(self._task.check_mode)
        dest = os.path.abspath(args['dest'])
        textdir = os.path.abspath(args['textfiles_dir']) if args['textfiles_dir'] else None
        files = _render_files.FileSet()
        committed = False
        try:
            written, proms = self._write(args, names, task_vars, stale_after, check, dest, textdir, files)
            if not check:
                files.commit()
                committed = True
                if textdir:
                    # A host without data this time must not keep last run's file:
                    # removed only now that the new set is in place.
                    for fname in os.listdir(textdir):
                        if fname not in proms and _TEXTFILE.match(fname):
                            os.unlink(os.path.join(textdir, fname))
        except OSError as e:
            files.abort()
            if check:
                outcome = ''
            elif committed:
                outcome = '; the new report is in place, but textfiles of hosts without data remain'
            else:
                outcome = '; nothing was changed'
            raise AnsibleActionFail('sre.oom.oom_report: cannot write the report in %s: %s%s'
                                    % (e.filename if isinstance(e.filename, str) else dest, e.strerror or e, outcome))
        except BaseException:
            files.abort()
            raise
        # check mode predicts the real run: the report is written anew every time
        changed = bool(written) or (check and bool(args['formats'] or textdir))
        result.update(changed=changed, dest=dest, files=written, summary=self._summary, parts=self._parts)
        if textdir:
            result['textfiles'] = 0 if check else len(proms)
        return result

    @staticmethod
    def _sink(spool, files, proms, textdir, since, now):
        """What is done with each host's complete entry: appended to `spool` (report.json's
        hosts, comma-separated) and, with `textdir`, its textfile staged in `files`."""
        state = {'first': True}

        def sink(h):
            if spool is not None:
                if not state['first']:
                    spool.write(b',')
                state['first'] = False
                spool.write(_render_files.host_json(h))
            if textdir is not None and h['status'] == 'ok':
                fname = _render_prom.textfile_name(h['name'])
                if fname not in proms:
                    files.add(os.path.join(textdir, fname), _render_prom.prom(h, since, now))
                proms.add(fname)
        return sink

    def _write(self, args, names, task_vars, stale_after, check, dest, textdir, files):
        """Build the report host by host and stage its files in `files` (commit is the caller's)."""
        since, formats = args['since'], args['formats']
        now = _report_values.utc_now()
        if not check:
            os.makedirs(dest, mode=0o755, exist_ok=True)
            if textdir:
                os.makedirs(textdir, mode=0o755, exist_ok=True)
        lim = _render_view.LIMITS
        settings = dict(since=since, now=now, stale_after=stale_after, rows=max(lim['html_events'], lim['md_events']),
                        victims=lim['victims_per_host'], page={k: lim[k] for k in _report.PAGE})
        result_of, facts_of, forkable = _fact_sources(task_vars.get('hostvars'))
        var = args['result_var']
        names = [str(name) for name in names]
        # Over thousands of hosts, contiguous parts of the list are read in forked
        # children too (plugin_utils/_report_workers.py): the same result, sooner.
        ranges = _report_workers.split(len(names), _report_workers.cpus() if forkable else 1)
        spools = [files.scratch(dest) if (not check and 'json' in formats) else None for _r in ranges]
        # where a child names the textfiles it stages, so that they are removed if it dies
        records = [files.scratch(dest) if (not check and textdir and i) else None for i in range(len(ranges))]
        self._parts = len(ranges)

        def build(i, start, stop, in_child):
            """Part i of the fleet: (Fleet state, textfiles a child staged, textfile names)."""
            if in_child:
                part_files = _render_files.FileSet(record=records[i])
            else:
                part_files = files
                if records[i] is not None:
                    _render_files.FileSet.forget(records[i])     # a failed child's
            proms = set()
            spool = spools[i]
            if spool is not None:
                spool.seek(0)
                spool.truncate()
            sink = self._sink(spool, part_files, proms, textdir if not check else None, since, now)
            fleet = _report.Fleet(first=start, sink=sink, **settings)
            try:
                for name in names[start:stop]:
                    found, registered = result_of(name, var) if var else (False, None)
                    facts, why = (None, None)
                    if not found or not _report_host.result_decides(registered):
                        facts, why = facts_of(name)
                    entry = _report_host.host_input(name, registered, facts, has_result=found, facts_error=why)
                    fleet.add(name, *entry)
                if spool is not None:
                    spool.flush()
            except BaseException:
                if in_child:
                    part_files.abort()
                raise
            return fleet.state(), (part_files.staged if in_child else []), proms

        # Decoding thousands of hosts' facts allocates millions of short-lived
        # objects, and each collection of the oldest generation would walk all of
        # Ansible's own (the whole inventory): frozen for the loop, they are
        # skipped. The facts are JSON (no reference cycles): nothing is left behind.
        gc.collect()
        gc.freeze()
        try:
            parts = _report_workers.run(ranges, build)
        finally:
            gc.unfreeze()
        fleet = _report.Fleet(**settings)
        proms = set()
        for state, staged, part_proms in parts:
            fleet.merge(state)
            files.adopt(staged)
            proms |= part_proms
        report, view = fleet.finish()
        self._summary = _report.counts(report)
        written = []
        if check:
            return written, proms
        for fmt in ('html', 'json', 'md'):
            if fmt not in formats:
                continue
            path = os.path.join(dest, _render_files.FILES[fmt])
            if fmt == 'json':
                with files.open(path) as f:
                    _render_files.write_json(f, report, spools)
                    files.finish(f)
            elif fmt == 'html':
                files.add(path, _render_html.html(report, view))
            else:
                files.add(path, _render_md.markdown(report, view))
            written.append(path)
        return written, proms

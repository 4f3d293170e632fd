# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark helper (not part of the collection): count, per host, the
modules actually executed on the host and the task results.

A module execution is a call of ActionBase._execute_module, the one place
where Ansible ships a module to the host and runs it: a plain module task
is one, a loop is one per item, `template` is two or three (stat, then copy
or file), controller-side actions (debug, set_fact, validate_argument_spec)
are none. The method is wrapped when this callback is instantiated, in the
controller process, before the workers fork; the workers append one JSON
line per call to SRE_BENCH_COUNT_OUT + '.calls', and the callback folds
them into SRE_BENCH_COUNT_OUT (JSON) at the end of the run.
"""

from __future__ import annotations

import collections
import functools
import json
import os

from ansible.plugins.action import ActionBase
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: sre_bench_count
type: aggregate
short_description: Count module executions and task results per host
description:
  - Benchmark helper of sre.oom's bench/fleet; writes a JSON summary to the file
    named by the environment variable E(SRE_BENCH_COUNT_OUT).
requirements:
  - enabled in callbacks_enabled
"""

ENV_OUT = "SRE_BENCH_COUNT_OUT"


def _host_of(action, task_vars):
    """The inventory name of the host an action plugin instance works on."""
    if task_vars and task_vars.get("inventory_hostname"):
        return task_vars["inventory_hostname"]
    return getattr(action._play_context, "remote_addr", None) or "?"


def _wrap_execute_module(calls_path):
    """Wrap ActionBase._execute_module once so that every call is logged."""
    original = ActionBase._execute_module
    if getattr(original, "_sre_bench_wrapped", False):
        return

    @functools.wraps(original)
    def counting(self, module_name=None, module_args=None, tmp=None, task_vars=None,
                 *args, **kwargs):
        record = {
            "host": _host_of(self, task_vars),
            "module": module_name or self._task.action,
            "task": self._task.get_name(),
        }
        # One short line, appended with O_APPEND: safe across forked workers.
        with open(calls_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        return original(self, module_name, module_args, tmp, task_vars, *args, **kwargs)

    counting._sre_bench_wrapped = True
    ActionBase._execute_module = counting


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "sre_bench_count"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._out = os.environ.get(ENV_OUT)
        self._results = collections.defaultdict(collections.Counter)
        if self._out:
            self._calls = self._out + ".calls"
            with open(self._calls, "w", encoding="utf-8"):
                pass
            _wrap_execute_module(self._calls)

    def _count(self, result, status):
        counter = self._results[result._host.get_name()]
        counter["task_results"] += 1
        counter[status] += 1
        if result._result.get("changed"):
            counter["changed_results"] += 1

    def v2_runner_on_ok(self, result):
        self._count(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._count(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._count(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        if not self._out:
            return
        modules = collections.defaultdict(collections.Counter)
        by_task = collections.defaultdict(collections.Counter)
        with open(self._calls, encoding="utf-8") as handle:
            for line in handle:
                call = json.loads(line)
                modules[call["host"]][call["module"]] += 1
                by_task[call["host"]][call["task"]] += 1
        hosts = {}
        for host in sorted(set(stats.processed) | set(modules)):
            summary = stats.summarize(host)
            hosts[host] = {
                "module_executions": sum(modules[host].values()),
                "modules": dict(modules[host]),
                "module_executions_by_task": dict(by_task[host]),
                "task_results": dict(self._results[host]),
                "recap": summary,
            }
        with open(self._out, "w", encoding="utf-8") as handle:
            json.dump({"hosts": hosts}, handle, indent=2, sort_keys=True)
        os.unlink(self._calls)

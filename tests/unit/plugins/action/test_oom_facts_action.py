# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The oom_facts action: the module run by ansible.builtin's runner, the collector paused."""

from __future__ import annotations

import gc
from unittest.mock import MagicMock

import pytest

from ansible.playbook.play_context import PlayContext
from ansible.plugins.action.normal import ActionModule as NormalAction

from ansible_collections.sre.oom.plugins.action import oom_facts


def _action():
    task = MagicMock(args={'gather_subset': ['events']}, check_mode=False, async_val=0)
    task.action = 'sre.oom.oom_facts'
    return oom_facts.ActionModule(task, MagicMock(), PlayContext(), loader=None, templar=MagicMock(),
                                  shared_loader_obj=None)


@pytest.fixture
def restore_gc():
    was = gc.isenabled()
    yield
    gc.unfreeze()
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_module_runs_with_the_collector_paused_and_its_result_is_returned(monkeypatch, restore_gc):
    seen = []

    def run(self, tmp=None, task_vars=None):
        seen.append((gc.isenabled(), task_vars))
        return {'ansible_facts': {'oom': {'event_count': 3}}}

    monkeypatch.setattr(NormalAction, 'run', run)
    gc.enable()
    gc.unfreeze()
    result = _action().run(task_vars={'inventory_hostname': 'h1'})
    assert seen == [(False, {'inventory_hostname': 'h1'})]
    assert result == {'ansible_facts': {'oom': {'event_count': 3}}}
    assert gc.isenabled()


def _run_leaving_cycles(monkeypatch, cycles):
    """Run the action on a runner that makes `cycles` reference cycles (3 objects
    each), as ansible-core's syntax trees are, from a collector on and emptied."""
    def run(self, tmp=None, task_vars=None):
        for _i in range(cycles):
            node = {'name': 'Import'}
            node['parent'] = {'body': [node]}
        return {'changed': False}

    monkeypatch.setattr(NormalAction, 'run', run)
    gc.enable()
    gc.unfreeze()
    gc.collect()
    assert gc.get_freeze_count() == 0
    assert _action().run(task_vars={}) == {'changed': False}
    assert gc.isenabled()


def test_what_a_build_leaves_is_frozen_not_collected_on_the_spot(monkeypatch, restore_gc):
    _run_leaving_cycles(monkeypatch, oom_facts.FREEZE_ABOVE)
    assert gc.get_freeze_count() > 0
    assert gc.get_count()[0] < 100   # not 30,000 new objects for the next collection to walk


def test_a_run_with_a_cached_build_leaves_its_few_objects_to_the_collector(monkeypatch, restore_gc):
    _run_leaving_cycles(monkeypatch, 100)
    assert gc.get_freeze_count() == 0


def test_the_collector_is_restored_when_the_run_fails(monkeypatch, restore_gc):
    def run(self, tmp=None, task_vars=None):
        raise RuntimeError('connection lost')

    monkeypatch.setattr(NormalAction, 'run', run)
    gc.enable()
    gc.unfreeze()
    with pytest.raises(RuntimeError, match='connection lost'):
        _action().run(task_vars={})
    assert gc.isenabled()


def test_a_collector_paused_by_someone_else_stays_paused(monkeypatch, restore_gc):
    monkeypatch.setattr(NormalAction, 'run', lambda self, tmp=None, task_vars=None: {'changed': False})
    gc.disable()
    assert _action().run(task_vars={}) == {'changed': False}
    assert not gc.isenabled()


def test_it_is_ansible_builtins_module_runner():
    # check mode, async and diff are handled by the runner every module uses
    action = _action()
    assert isinstance(action, NormalAction)
    assert action._supports_check_mode and action._supports_async

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The oom_report action's result against its RETURN (in plugins/modules/oom_report.py),
by the checker of tests/unit/plugins/modules/test_return_docs.py. Here, not there:
the action runs on the controller, and ansible-test runs module tests without
ansible-core's controller code."""

from __future__ import annotations

import pytest

from ansible_collections.sre.oom.plugins.modules import oom_report
from ansible_collections.sre.oom.tests.unit.plugins.action import test_oom_report as report_base
from ansible_collections.sre.oom.tests.unit.plugins.modules.test_return_docs import assert_matches


@pytest.mark.parametrize("args,check_mode", [
    ({}, False),
    ({}, True),
    ({"formats": ["json"], "textfiles_dir": "tf"}, False),
], ids=["write", "check", "textfiles"])
def test_oom_report(tmp_path, args, check_mode):
    args = dict(args, dest=str(tmp_path / "out"))
    if "textfiles_dir" in args:
        (tmp_path / "tf").mkdir()
        args["textfiles_dir"] = str(tmp_path / "tf")
    action = report_base.action(args, check_mode=check_mode)
    result = action.run(task_vars=report_base.task_vars())
    assert_matches(oom_report, result)

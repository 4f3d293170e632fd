# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared harness for module unit tests: run a module's main() with arguments and
get its result dict back, on ansible-core 2.17 through 2.19."""

from __future__ import annotations

import contextlib
import json
from unittest import mock

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes


class ModuleExit(Exception):
    """Raised instead of exiting, carrying the result the module returned."""

    def __init__(self, result):
        super().__init__(result)
        self.result = result


@contextlib.contextmanager
def module_args(args):
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
    except ImportError:
        patch_module_args = None
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    with mock.patch.object(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))):
        yield


def _exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    kwargs["failed"] = False
    kwargs["warnings"] = list(getattr(self, "_sre_warnings", []))
    raise ModuleExit(kwargs)


def _fail_json(self, msg, **kwargs):
    kwargs.update(msg=msg, failed=True)
    kwargs["warnings"] = list(getattr(self, "_sre_warnings", []))
    raise ModuleExit(kwargs)


def _warn(self, warning):
    self.__dict__.setdefault("_sre_warnings", []).append(warning)


@pytest.fixture
def run_module():
    """``run_module(main, args, check_mode=False, diff=False) -> result dict``.

    ``result['warnings']`` always holds what the module passed to ``warn()``.
    """
    def _run(main, args, check_mode=False, diff=False):
        args = dict(args)
        args["_ansible_check_mode"] = check_mode
        args["_ansible_diff"] = diff
        with module_args(args), \
                mock.patch.object(basic.AnsibleModule, "exit_json", _exit_json), \
                mock.patch.object(basic.AnsibleModule, "fail_json", _fail_json), \
                mock.patch.object(basic.AnsibleModule, "warn", _warn):
            with pytest.raises(ModuleExit) as excinfo:
                main()
        return excinfo.value.result
    return _run

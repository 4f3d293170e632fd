# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oom_policy with /proc/sys and the sysctl.d directories faked under one root."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _managed, _sysctl
from ansible_collections.sre.oom.plugins.modules import oom_policy

LIVE = {"vm.panic_on_oom": 0, "kernel.panic": 0, "vm.oom_kill_allocating_task": 0,
        "vm.oom_dump_tasks": 1, "vm.overcommit_memory": 0, "vm.overcommit_ratio": 50}


@pytest.fixture
def host(tmp_path, host_at):
    root = tmp_path / "root"
    for key, value in LIVE.items():
        p = root / _sysctl.key_to_proc_path(key).lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("%s\n" % value)
    (root / "etc/sysctl.d").mkdir(parents=True)
    host_at(root)
    return root


def live(root, key):
    return (root / _sysctl.key_to_proc_path(key).lstrip("/")).read_text().strip()


def managed_path(root):
    # The managed file lives under the fake root's /etc/sysctl.d so shadowing sees it,
    # but loaded_at_boot is decided on the path as given: use a path outside /etc.
    return str(root / "etc/sysctl.d/60-sre-oom.conf")


def test_present_changes_live_and_file_then_is_idempotent(host, run_module):
    args = {"panic_on_oom": 1, "panic": 10, "path": managed_path(host)}
    first = run_module(oom_policy.main, args)
    assert first["changed"] is True and first["failed"] is False
    assert first["live"] == {"vm.panic_on_oom": {"before": 0, "after": 1}, "kernel.panic": {"before": 0, "after": 10}}
    assert first["persisted"] == {"vm.panic_on_oom": 1, "kernel.panic": 10}
    assert first["live_applied"] is True and first["live_skipped_reason"] is None
    assert live(host, "vm.panic_on_oom") == "1" and live(host, "kernel.panic") == "10"
    text = open(managed_path(host)).read()
    assert _managed.has_marker(text)
    assert [line for line in text.splitlines() if not line.startswith("#")] == ["vm.panic_on_oom = 1", "kernel.panic = 10"]
    assert stat.S_IMODE(os.stat(managed_path(host)).st_mode) == 0o644

    second = run_module(oom_policy.main, args)
    assert second["changed"] is False
    assert second["live"] == {"vm.panic_on_oom": {"before": 1, "after": 1}, "kernel.panic": {"before": 10, "after": 10}}


def test_string_values_compare_numerically(host, run_module):
    path = managed_path(host)
    run_module(oom_policy.main, {"panic": 10, "path": path})
    # A hand-normalised equivalent ("010", extra spaces) is not a change.
    with open(path, "a") as f:
        f.write("")
    again = run_module(oom_policy.main, {"panic": "010", "path": path})
    assert again["changed"] is False


def test_check_mode_reports_and_writes_nothing(host, run_module):
    path = managed_path(host)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path}, check_mode=True)
    assert result["changed"] is True
    assert result["live"] == {"vm.panic_on_oom": {"before": 0, "after": 1}}
    assert result["persisted"] == {"vm.panic_on_oom": 1}
    assert live(host, "vm.panic_on_oom") == "0"
    assert not os.path.exists(path)


def test_diff_mode_shows_file_and_live(host, run_module):
    path = managed_path(host)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "panic": 10, "path": path}, diff=True)
    file_diff, live_diff = result["diff"]
    assert file_diff["before"] == "" and "vm.panic_on_oom = 1\n" in file_diff["after"]
    assert file_diff["before_header"] == path
    assert live_diff == {"before_header": "live /proc/sys", "after_header": "live /proc/sys",
                         "before": "kernel.panic = 0\nvm.panic_on_oom = 0\n",
                         "after": "kernel.panic = 10\nvm.panic_on_oom = 1\n"}


def test_absent_removes_keys_then_file_and_leaves_live(host, run_module):
    path = managed_path(host)
    run_module(oom_policy.main, {"panic_on_oom": 1, "panic": 10, "path": path})
    one = run_module(oom_policy.main, {"panic": 10, "state": "absent", "path": path})
    assert one["changed"] is True and one["persisted"] == {"vm.panic_on_oom": 1}
    assert one["live_applied"] is False and "leaves live values" in one["live_skipped_reason"]
    assert live(host, "kernel.panic") == "10"
    two = run_module(oom_policy.main, {"panic_on_oom": 0, "state": "absent", "path": path})
    assert two["changed"] is True and two["persisted"] == {}
    assert not os.path.exists(path)
    assert live(host, "vm.panic_on_oom") == "1"
    three = run_module(oom_policy.main, {"panic_on_oom": 0, "state": "absent", "path": path})
    assert three["changed"] is False


def test_refuses_a_users_file(host, run_module):
    path = managed_path(host)
    with open(path, "w") as f:
        f.write("vm.swappiness = 10\n")
    for state in ("present", "absent"):
        result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path, "state": state})
        assert result["failed"] is True
        assert "exists and was not written by sre.oom" in result["msg"]
    assert open(path).read() == "vm.swappiness = 10\n"
    assert live(host, "vm.panic_on_oom") == "0"


def test_shadowed_warns_and_fail_changes_nothing(host, run_module):
    later = host / "etc/sysctl.d/99-local.conf"
    later.write_text("vm.panic_on_oom = 0\n")
    path = managed_path(host)
    # shadowing looks at "/etc/sysctl.d/..." below the host's root: give the module the
    # path as the host would see it by placing it under the fake root's etc.
    warned = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path, "apply": "never"})
    assert warned["shadowed_by"] == {"vm.panic_on_oom": "/etc/sysctl.d/99-local.conf"}
    assert any("overridden at boot by /etc/sysctl.d/99-local.conf" in w for w in warned["warnings"])
    os.unlink(path)
    failed = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path, "on_shadowed": "fail"})
    assert failed["failed"] is True
    assert failed["msg"] == ("another file overrides the managed value at boot: vm.panic_on_oom in "
                             "/etc/sysctl.d/99-local.conf. Nothing was changed.")
    assert not os.path.exists(path) and live(host, "vm.panic_on_oom") == "0"
    ignored = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path, "on_shadowed": "ignore", "apply": "never"})
    assert ignored["shadowed_by"] and not any("overridden" in w for w in ignored["warnings"])


def test_not_loaded_at_boot_warns(host, run_module, tmp_path):
    result = run_module(oom_policy.main, {"panic": 5, "path": str(tmp_path / "elsewhere/60.conf")})
    assert result["loaded_at_boot"] is False
    assert any("not in a directory read at boot" in w for w in result["warnings"])


def test_cross_key_warning(host, run_module):
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": managed_path(host)})
    assert any("stays down" in w for w in result["warnings"])


def read_only(monkeypatch):
    real = os.statvfs

    class RO:
        def __init__(self, st):
            self.st = st

        def __getattr__(self, name):
            return getattr(self.st, name)

        @property
        def f_flag(self):
            return self.st.f_flag | os.ST_RDONLY

    monkeypatch.setattr(_sysctl.os, "statvfs", lambda p: RO(real(p)))


def test_read_only_proc_auto_persists_only(host, run_module, monkeypatch):
    read_only(monkeypatch)
    path = managed_path(host)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})
    assert result["changed"] is True and result["live_applied"] is False
    assert "read-only filesystem" in result["live_skipped_reason"]
    assert result["live"] == {"vm.panic_on_oom": {"before": 0, "after": 0}}
    assert any("live values not applied" in w for w in result["warnings"])
    assert os.path.exists(path) and live(host, "vm.panic_on_oom") == "0"


def test_read_only_proc_always_fails_and_writes_nothing(host, run_module, monkeypatch):
    read_only(monkeypatch)
    path = managed_path(host)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path, "apply": "always"})
    assert result["failed"] is True
    assert result["msg"].startswith("apply=always, but live values cannot be written: ")
    assert result["msg"].endswith("read-only filesystem (an unprivileged container?). Nothing was changed.")
    assert not os.path.exists(path)


def test_apply_never_persists_only(host, run_module):
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": managed_path(host), "apply": "never"})
    assert result["changed"] is True and result["live_applied"] is False
    assert result["live_skipped_reason"] == "apply=never: values are persisted only"
    assert live(host, "vm.panic_on_oom") == "0"


def test_kernel_rejection_rolls_back_and_persists_nothing(host, run_module, monkeypatch):
    real_write = _sysctl.write_live

    def reject_panic(key, value, root="/"):
        if key == "kernel.panic":
            raise _sysctl.SysctlError("the kernel rejected kernel.panic = 10: Invalid argument (%s)"
                                      % errno.errorcode[errno.EINVAL])
        return real_write(key, value, root)

    monkeypatch.setattr(_sysctl, "write_live", reject_panic)
    path = managed_path(host)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "panic": 10, "path": path})
    assert result["failed"] is True and result["key"] == "kernel.panic"
    assert result["msg"] == ("the kernel rejected kernel.panic = 10: Invalid argument (EINVAL). "
                             "Nothing was persisted; restored vm.panic_on_oom=0.")
    assert live(host, "vm.panic_on_oom") == "0"
    assert not os.path.exists(path)


@pytest.mark.parametrize("args,message", [
    ({"panic_on_oom": True}, "panic_on_oom must be one of 0, 1, 2, got True (bool)"),
    ({"overcommit_ratio": -1}, "overcommit_ratio must be an integer >= 0, got -1 (int)"),
    ({"panic": 1, "path": "/etc/sysctl.d/oom.txt"},
     "path must end in .conf (systemd-sysctl and sysctl --system read only *.conf), got '/etc/sysctl.d/oom.txt'"),
], ids=["bool", "negative-ratio", "suffix"])
def test_bad_input_fails_before_touching_anything(host, run_module, args, message):
    args.setdefault("path", managed_path(host))
    result = run_module(oom_policy.main, args)
    assert result["failed"] is True and result["msg"] == message
    assert not os.path.exists(managed_path(host)) and live(host, "vm.panic_on_oom") == "0"


def test_unknown_option_is_refused(host, run_module):
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "swappiness": 10, "path": managed_path(host)})
    assert result["failed"] is True and "swappiness" in result["msg"]


def test_same_keys_on_every_path(host, run_module):
    keys = {"changed", "path", "loaded_at_boot", "live", "persisted", "live_applied", "live_skipped_reason", "shadowed_by"}
    path = managed_path(host)
    for args, check in (({"panic": 3, "path": path}, True), ({"panic": 3, "path": path}, False),
                        ({"panic": 3, "path": path}, False), ({"panic": 3, "path": path, "state": "absent"}, False)):
        result = run_module(oom_policy.main, args, check_mode=check)
        assert keys <= set(result), sorted(keys - set(result))

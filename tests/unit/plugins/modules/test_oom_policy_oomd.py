# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oom_policy's systemd-oomd drop-in: a fake root (cgroup v2 or v1, PSI, the oomd
binary) and systemctl/oomctl faked at run_command."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from ansible.module_utils import basic

from ansible_collections.sre.oom.plugins.module_utils import _managed, _oomd, _sysctl
from ansible_collections.sre.oom.plugins.modules import oom_policy

OURS = "/etc/systemd/oomd.conf.d/60-sre-oom.conf"
DUMP = ("Dry Run: no\nSwap Used Limit: {swap}\nDefault Memory Pressure Limit: 60.00%\n"
        "Default Memory Pressure Duration: 30s\nSystem Context:\n\tSwap: Used: 0B Total: 1.0G\n")


def write(root, path, text):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)
    return full


class FakeSystemd(object):
    """systemctl and oomctl as seen through run_command; records every argv."""

    def __init__(self, version=252, active=True, restart_rc=0, dump_swap="90.00%"):
        self.version, self.active, self.restart_rc, self.dump_swap = version, active, restart_rc, dump_swap
        self.calls = []

    def handle(self, args):
        self.calls.append(list(args))
        if args[1:] == ["--version"]:
            return 0, "systemd %d (%d.1-1)\n+PAM\n" % (self.version, self.version), ""
        if args[1:3] == ["is-active", "--quiet"]:
            return (0 if self.active else 3), "", ""
        if args[1] == "try-restart":
            if self.restart_rc:
                return self.restart_rc, "", "Job for systemd-oomd.service failed.\n"
            return 0, "", ""
        if args[1:] == ["dump"]:
            return 0, DUMP.format(swap=self.dump_swap), ""
        raise AssertionError("unexpected command %r" % (args,))


@pytest.fixture
def host(tmp_path, host_at):
    root = tmp_path / "root"
    for key, value in (("vm.panic_on_oom", 0), ("kernel.panic", 0)):
        write(root, _sysctl.key_to_proc_path(key), "%s\n" % value)
    (root / "etc/sysctl.d").mkdir(parents=True)
    write(root, "/sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n")
    write(root, "/sys/fs/cgroup/cgroup.subtree_control", "cpu io memory pids\n")
    write(root, "/proc/pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
    write(root, "/proc/meminfo", "MemTotal: 1000 kB\nSwapTotal: 1048572 kB\n")
    write(root, "/usr/lib/systemd/systemd-oomd", "")
    write(root, "/proc/1/comm", "systemd\n")
    (root / "run/systemd/system").mkdir(parents=True)
    host_at(root)
    return root


@pytest.fixture
def systemd(monkeypatch):
    fake = FakeSystemd()

    def run_command(module, argv, **kwargs):
        return fake.handle(argv)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                        lambda self, name, *a, **k: "/usr/bin/%s" % name if name in ("systemctl", "oomctl") else None)
    return fake


def ours(root):
    return str(root / OURS.lstrip("/"))


def args(root, **kw):
    out = {"oomd_path": ours(root)}
    out.update(kw)
    return out


def test_writes_restarts_and_reads_back(host, systemd, run_module):
    systemd.dump_swap = "80.00%"
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%",
                                         oomd_default_memory_pressure_duration_sec="20s"))
    assert r["changed"] is True and r["failed"] is False
    assert open(ours(host)).read() == (_managed.header("sre.oom.oom_policy") + "[OOM]\nSwapUsedLimit=80%\n"
                                       "DefaultMemoryPressureDurationSec=20s\n")
    assert stat.S_IMODE(os.stat(ours(host)).st_mode) == 0o644
    assert r["oomd_persisted"] == {"SwapUsedLimit": "80%", "DefaultMemoryPressureDurationSec": "20s"}
    assert r["oomd_supported"] is True and r["oomd_unsupported_reasons"] == []
    assert r["oomd_restarted"] is True and r["oomd_effective_source"] == "oomctl"
    assert r["oomd_effective"]["SwapUsedLimit"] == "80.00%"
    assert ["/usr/bin/systemctl", "try-restart", "systemd-oomd.service"] in systemd.calls
    # oomctl printed 30s although 20s was written: said, not hidden
    assert r["warnings"] == ["systemd-oomd reports DefaultMemoryPressureDurationSec 30s, not 20s as written in %s"
                             % ours(host)]
    # the sysctl side was not asked for: nothing there
    assert r["persisted"] == {} and not os.path.exists(str(host / "etc/sysctl.d/60-sre-oom.conf"))

    systemd.calls[:] = []
    again = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80.00%",
                                             oomd_default_memory_pressure_duration_sec="20"))
    assert again["changed"] is False and again["oomd_restarted"] is False
    assert not [c for c in systemd.calls if "try-restart" in c]


def test_not_running_reads_the_files_and_restarts_nothing(host, systemd, run_module):
    systemd.active = False
    write(host, "/usr/lib/systemd/oomd.conf.d/10-vendor.conf", "[OOM]\nDefaultMemoryPressureLimit=50%\n")
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%"))
    assert r["changed"] is True and r["oomd_restarted"] is False and r["oomd_effective_source"] == "files"
    assert r["oomd_effective"] == {"SwapUsedLimit": "80%", "DefaultMemoryPressureLimit": "50%",
                                   "DefaultMemoryPressureDurationSec": "30s"}
    assert not [c for c in systemd.calls if "try-restart" in c or "dump" in c]


def test_check_mode_writes_nothing_and_predicts(host, systemd, run_module):
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="70%"), check_mode=True, diff=True)
    assert r["changed"] is True and not os.path.exists(ours(host))
    assert r["oomd_effective"]["SwapUsedLimit"] == "70%" and r["oomd_effective_source"] == "files"
    assert not [c for c in systemd.calls if "try-restart" in c]
    oomd_diff = [d for d in r["diff"] if d["before_header"] == ours(host)]
    assert oomd_diff == [{"before_header": ours(host), "after_header": ours(host), "before": "",
                          "after": _oomd.render({"SwapUsedLimit": "70%"})}]


def test_shadowed_by_a_later_dropin(host, systemd, run_module):
    write(host, "/run/systemd/oomd.conf.d/99-local.conf", "[OOM]\nSwapUsedLimit=95%\n")
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%", on_shadowed="fail"))
    assert r["failed"] is True and r["msg"] == (
        "another file overrides the managed value at boot: SwapUsedLimit in "
        "/run/systemd/oomd.conf.d/99-local.conf. Nothing was changed.")
    assert not os.path.exists(ours(host))
    warned = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%"))
    assert warned["shadowed_by"] == {"SwapUsedLimit": "/run/systemd/oomd.conf.d/99-local.conf"}
    assert "SwapUsedLimit set in %s is overridden at boot by /run/systemd/oomd.conf.d/99-local.conf" % ours(host) \
        in warned["warnings"]


def test_main_oomd_conf_never_shadows(host, systemd, run_module):
    write(host, "/etc/systemd/oomd.conf", "[OOM]\nSwapUsedLimit=95%\n")
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%", apply="never"))
    assert r["shadowed_by"] == {} and r["failed"] is False


def test_cgroup_v1_host_warns_and_still_writes(host, systemd, run_module):
    os.unlink(str(host / "sys/fs/cgroup/cgroup.controllers"))
    os.unlink(str(host / "sys/fs/cgroup/cgroup.subtree_control"))
    (host / "sys/fs/cgroup/unified").mkdir()
    os.unlink(str(host / "proc/pressure/memory"))
    r = run_module(oom_policy.main, args(host, oomd_default_memory_pressure_limit="50%"))
    assert r["changed"] is True and os.path.exists(ours(host))
    assert r["oomd_supported"] is False and len(r["oomd_unsupported_reasons"]) == 2
    assert any(w.startswith("systemd-oomd cannot act on this host (cgroup v2 is not the only hierarchy")
               for w in r["warnings"])


def test_on_unsupported_fail_changes_nothing(host, systemd, run_module):
    os.unlink(str(host / "usr/lib/systemd/systemd-oomd"))
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%", panic_on_oom=1,
                                         oomd_on_unsupported="fail"))
    assert r["failed"] is True and r["msg"].startswith("systemd-oomd cannot act on this host: systemd-oomd is "
                                                       "not installed")
    assert r["msg"].endswith("oomd_on_unsupported=fail: nothing was changed.")
    assert r["oomd_supported"] is False and r["oomd_unsupported_reasons"]
    assert not os.path.exists(ours(host))
    assert (host / "proc/sys/vm/panic_on_oom").read_text() == "0\n"


def test_no_swap_warns(host, systemd, run_module):
    write(host, "/proc/meminfo", "MemTotal: 1000 kB\nSwapTotal: 0 kB\n")
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%"))
    assert "this host has no swap: SwapUsedLimit= has no effect until swap is added" in r["warnings"]


def test_systemd_247_names_and_missing_duration(host, systemd, run_module):
    systemd.version = 247
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%",
                                         oomd_default_memory_pressure_duration_sec="20s"))
    assert r["changed"] is True
    assert open(ours(host)).read().endswith("[OOM]\nSwapUsedLimitPercent=80%\n")
    assert any("systemd 247 has no DefaultMemoryPressureDurationSec=" in w for w in r["warnings"])
    bad = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80.5%"))
    assert bad["failed"] is True and "systemd 247 reads SwapUsedLimit only as a whole percentage" in bad["msg"]


def test_systemd_247_reads_whole_percentages_only(host, systemd, run_module):
    """systemd 247's *Percent= keys take `<n>%` alone: 60.00% and 600 permille are written as 60%."""
    systemd.version, systemd.active = 247, False
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="600\u2030",
                                         oomd_default_memory_pressure_limit=" 60.00% "))
    assert open(ours(host)).read().endswith("[OOM]\nSwapUsedLimitPercent=60%\nDefaultMemoryPressureLimitPercent=60%\n")
    assert r["oomd_persisted"] == {"SwapUsedLimit": "60%", "DefaultMemoryPressureLimit": "60%"}
    again = run_module(oom_policy.main, args(host, oomd_swap_used_limit="60%", oomd_default_memory_pressure_limit="60%"))
    assert again["changed"] is False


@pytest.mark.parametrize("before, after", [(247, 252), (252, 247)])
def test_an_upgrade_or_downgrade_of_systemd_rewrites_the_key_names(host, systemd, run_module, before, after):
    """A drop-in written for systemd 247 (SwapUsedLimitPercent=, which 248 and later do not
    read: Debian 11 -> 12) is written again under the names the systemd of now reads."""
    systemd.active = False
    systemd.version = before
    run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%"))
    systemd.version = after
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%"))
    name = "SwapUsedLimit=" if after >= 248 else "SwapUsedLimitPercent="
    assert r["changed"] is True and open(ours(host)).read().endswith("[OOM]\n%s80%%\n" % name)
    assert run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%"))["changed"] is False


def test_absent_on_systemd_247_removes_what_252_wrote(host, systemd, run_module):
    systemd.active = False
    run_module(oom_policy.main, args(host, oomd_swap_used_limit="60.5%", oomd_default_memory_pressure_duration_sec="20s"))
    systemd.version = 247
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="60.5%",
                                         oomd_default_memory_pressure_duration_sec="20s", state="absent"))
    assert r["failed"] is False and r["changed"] is True and not os.path.exists(ours(host))


def test_a_duration_with_seven_decimals(host, systemd, run_module):
    systemd.active = False
    run_module(oom_policy.main, args(host, oomd_default_memory_pressure_duration_sec="1.5s"))
    r = run_module(oom_policy.main, args(host, oomd_default_memory_pressure_duration_sec="1.5000000min"))
    assert r["changed"] is True and open(ours(host)).read().endswith("DefaultMemoryPressureDurationSec=1.5000000min\n")
    assert _oomd.parse_duration("1.5000000min") == 90 * 10 ** 6 and _oomd.parse_duration("0.0000015s") == 1


def test_persisted_is_what_the_file_says(host, systemd, run_module):
    """0 is systemd's default (30s) and equal to it: the file keeps 30s, and says so."""
    systemd.active = False
    run_module(oom_policy.main, args(host, oomd_default_memory_pressure_duration_sec="30s"))
    r = run_module(oom_policy.main, args(host, oomd_default_memory_pressure_duration_sec="0"))
    assert r["changed"] is False and r["oomd_persisted"] == {"DefaultMemoryPressureDurationSec": "30s"}
    assert r["live_applied"] is False and r["live_skipped_reason"] == "no sysctl option given"


def test_check_mode_says_whether_the_run_would_restart(host, systemd, run_module):
    check = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%"), check_mode=True)
    assert check["oomd_restarted"] is True and not [c for c in systemd.calls if "try-restart" in c]
    real = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%"))
    assert real["oomd_restarted"] is True


def test_restart_failure_rolls_everything_back(host, systemd, run_module):
    write(host, OURS, _oomd.render({"SwapUsedLimit": "90%"}))
    before = open(ours(host)).read()
    systemd.restart_rc = 1
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%", panic_on_oom=1,
                                         path=str(host / "etc/sysctl.d/60-sre-oom.conf")))
    assert r["failed"] is True and r["rc"] == 1
    assert r["msg"].startswith("systemctl try-restart systemd-oomd.service failed (rc 1): Job for "
                               "systemd-oomd.service failed.. Rolled back: vm.panic_on_oom=0, ")
    assert set(r["rolled_back"]) == {"vm.panic_on_oom", ours(host), str(host / "etc/sysctl.d/60-sre-oom.conf")}
    assert open(ours(host)).read() == before
    assert not os.path.exists(str(host / "etc/sysctl.d/60-sre-oom.conf"))
    assert (host / "proc/sys/vm/panic_on_oom").read_text().strip() == "0"
    assert r["changed"] is False


def test_absent_removes_keys_then_file(host, systemd, run_module):
    run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%", oomd_default_memory_pressure_limit="50%"))
    one = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%", state="absent"))
    assert one["changed"] is True and one["oomd_persisted"] == {"DefaultMemoryPressureLimit": "50%"}
    two = run_module(oom_policy.main, args(host, oomd_default_memory_pressure_limit="1%", state="absent"))
    assert two["changed"] is True and not os.path.exists(ours(host))
    three = run_module(oom_policy.main, args(host, oomd_default_memory_pressure_limit="1%", state="absent"))
    assert three["changed"] is False


@pytest.mark.parametrize("kw,fragment", [
    ({"oomd_swap_used_limit": 80}, "oomd_swap_used_limit must be a percentage"),
    ({"oomd_swap_used_limit": True}, "got True (bool)"),
    ({"oomd_swap_used_limit": "80%\n[OOM]\nSwapUsedLimit=1%"}, "must be a percentage"),
    ({"oomd_default_memory_pressure_limit": "120%"}, "oomd_default_memory_pressure_limit must be a percentage"),
    ({"oomd_default_memory_pressure_duration_sec": "soon"}, "must be a systemd time span"),
    ({"oomd_default_memory_pressure_duration_sec": "100ms"}, "or at least 1s"),
    ({"oomd_default_memory_pressure_duration_sec": "0.0000015s"}, "or at least 1s"),     # 1us, as systemd reads it
    ({"oomd_default_memory_pressure_duration_sec": False}, "got False (bool)"),
    ({"oomd_swap_used_limit": "80%", "oomd_path": "/etc/systemd/oomd.conf.d/x.ini"}, "oomd_path must end in .conf"),
    ({"oomd_swap_used_limit": "80%", "oomd_path": "relative.conf"}, "oomd_path must be an absolute path"),
    ({"oomd_swap_used_limit": "80%", "oomd_on_unsupported": "maybe"}, "oomd_on_unsupported"),
    ({"oomd_swap_used_limit": "80%", "path": "/etc/systemd/oomd.conf.d/60-sre-oom.conf",
      "oomd_path": "/etc/systemd/oomd.conf.d/60-sre-oom.conf"}, "must name two different files"),
    ({"oomd_swap_used_limit": "80%", "path": "/etc/systemd/oomd.conf.d/60-sre-oom.conf",
      "oomd_path": "//etc/systemd/oomd.conf.d/60-sre-oom.conf"}, "are the same file"),
], ids=["int", "bool", "injection", "over-100", "word", "under-1s", "seven-decimals", "bool-duration", "suffix",
        "relative", "choice", "same-path", "same-file-two-spellings"])
def test_bad_oomd_input_changes_nothing(host, systemd, run_module, kw, fragment):
    r = run_module(oom_policy.main, dict(args(host), **kw))
    assert r["failed"] is True and fragment in r["msg"]
    if "path" in fragment or "same file" in fragment or "two different" in fragment:
        assert r["option"] == "oomd_path"      # the option that names the refused file
    assert not os.path.exists(ours(host)) and not [c for c in systemd.calls if "try-restart" in c]


def test_foreign_and_symlinked_dropins_are_refused(host, systemd, run_module):
    write(host, OURS, "# NOT Managed by sre.oom\n[OOM]\nSwapUsedLimit=10%\n")
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%"))
    assert r["failed"] is True and "exists and was not written by sre.oom" in r["msg"]
    assert r["option"] == "oomd_path"
    os.unlink(ours(host))
    os.symlink("/dev/null", ours(host))
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%"))
    assert r["failed"] is True and "oomd_path: %s is a symlink" % ours(host) in r["msg"]
    assert os.readlink(ours(host)) == "/dev/null"


def test_dropin_drift_is_fixed(host, systemd, run_module):
    run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%"))
    os.chmod(ours(host), 0o600)
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%"))
    assert r["changed"] is True and r["oomd_file_attrs_drift"] == ["mode 0600 -> 0644"]
    assert stat.S_IMODE(os.stat(ours(host)).st_mode) == 0o644


def test_dropin_write_failure_after_live_values(host, systemd, run_module, monkeypatch):
    real_rename = os.rename
    renames = []

    def fail_oomd(src, dst, *a, **k):
        renames.append(dst)
        if len(renames) == 2:  # the sysctl file is renamed first, the oomd drop-in second
            raise OSError(errno.EROFS, "Read-only file system")
        return real_rename(src, dst, *a, **k)

    monkeypatch.setattr(_managed.os, "rename", fail_oomd)
    sysctl_path = str(host / "etc/sysctl.d/60-sre-oom.conf")
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%", panic_on_oom=1, path=sysctl_path))
    assert r["failed"] is True and r["option"] == "oomd_path"
    assert r["msg"].startswith("oomd_path: cannot write %s: Read-only file system (EROFS). Rolled back: "
                               "vm.panic_on_oom=0, %s (previous content)." % (ours(host), sysctl_path))
    assert not os.path.exists(sysctl_path) and not os.path.exists(ours(host))
    assert (host / "proc/sys/vm/panic_on_oom").read_text().strip() == "0"


def test_keys_are_the_same_without_oomd(host, systemd, run_module):
    r = run_module(oom_policy.main, {"panic": 3, "path": str(host / "etc/sysctl.d/60-sre-oom.conf")})
    assert r["oomd_supported"] is None and r["oomd_persisted"] == {} and r["oomd_effective"] == {}
    assert r["oomd_effective_source"] is None and r["oomd_restarted"] is False
    assert systemd.calls == []  # no systemctl when oomd is not managed


def test_failed_rename_rolls_back_the_other_file_and_its_new_directory(host, systemd, run_module, monkeypatch):
    # One transaction for both files: the sysctl file is in place (in a directory this
    # run created) when the oomd drop-in cannot be renamed; both are undone.
    sysctl_path = str(host / "etc/sysctl.d/new/61-x.conf")
    real = _managed.os.rename

    def rename(src, dst, *a, **k):
        if dst == os.path.basename(OURS):
            raise OSError(errno.EIO, "Input/output error")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(_managed.os, "rename", rename)
    r = run_module(oom_policy.main, args(host, oomd_swap_used_limit="80%", panic=10, path=sysctl_path,
                                         apply="never"))
    assert r["failed"] is True and r["changed"] is False
    assert r["msg"].startswith("oomd_path: cannot write %s: Input/output error (EIO). Rolled back: %s "
                               "(previous content)." % (ours(host), sysctl_path))
    assert r["rolled_back"] == [sysctl_path] and r["rollback_failed"] == []
    assert not (host / "etc/sysctl.d/new").exists() and not (host / "etc/systemd").exists()

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _host, _managed, _policy, _sysctl


def write(root, path, text):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)
    return full


@pytest.mark.parametrize("raw,expected", [
    ("vm.panic_on_oom", "vm.panic_on_oom"),
    ("vm/panic_on_oom", "vm.panic_on_oom"),
    ("  kernel/panic ", "kernel.panic"),
    ("net/ipv4/conf/enp3s0.200/forwarding", "net.ipv4.conf.enp3s0/200.forwarding"),
    ("net.ipv4.conf.enp3s0/200.forwarding", "net.ipv4.conf.enp3s0/200.forwarding"),
], ids=["dots", "slashes", "spaces", "slash-first-swaps", "dot-first-keeps"])
def test_normalize_key(raw, expected):
    assert _sysctl.normalize_key(raw) == expected


@pytest.mark.parametrize("text,expected", [
    ("vm.panic_on_oom=1\n", [("vm.panic_on_oom", "1", False)]),
    ("  vm.panic_on_oom =   1  \n", [("vm.panic_on_oom", "1", False)]),
    ("# comment\n; other\n\nkernel.panic = 10\n", [("kernel.panic", "10", False)]),
    ("-vm/panic_on_oom = 2\n", [("vm.panic_on_oom", "2", False)]),
    ("vm.* = 1\n-vm.swappiness\n", [("vm.*", "1", True)]),
    ("garbage line\n=\n= 3\n", []),
], ids=["plain", "whitespace", "comments", "dash-and-slash", "glob-and-exclusion", "garbage"])
def test_parse_assignments(text, expected):
    assert _sysctl.parse_assignments(text) == expected


@pytest.mark.parametrize("a,b,equal", [
    ("1", 1, True), (" 1 ", "1", True), ("01", "1", True), ("4096 87380 6291456", "4096\t87380  6291456", True),
    ("1", "2", False), ("0", None, False), (None, None, True), ("a", "a", True), ("1 2", "1", False),
], ids=["int-str", "spaces", "leading-zero", "vector", "differs", "none", "both-none", "text", "length"])
def test_values_equal(a, b, equal):
    assert _sysctl.values_equal(a, b) is equal


def test_render_is_marked_ordered_and_round_trips():
    text = _sysctl.render_managed({"vm.overcommit_ratio": "80", "vm.panic_on_oom": "1", "kernel.panic": "10"})
    assert _managed.has_marker(text)
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert body == ["vm.panic_on_oom = 1", "kernel.panic = 10", "vm.overcommit_ratio = 80"]
    assert _sysctl.parse_managed(text) == {"vm.panic_on_oom": "1", "kernel.panic": "10", "vm.overcommit_ratio": "80"}


@pytest.mark.parametrize("current,desired,state,expected", [
    ({}, {"vm.panic_on_oom": 1}, "present", {"vm.panic_on_oom": "1"}),
    ({"kernel.panic": "10"}, {"vm.panic_on_oom": 1}, "present", {"kernel.panic": "10", "vm.panic_on_oom": "1"}),
    ({"kernel.panic": "10", "vm.panic_on_oom": "1"}, {"kernel.panic": 0}, "absent", {"vm.panic_on_oom": "1"}),
    ({"kernel.panic": "10"}, {"kernel.panic": 10}, "absent", {}),
], ids=["add", "keeps-other-keys", "absent-removes-given", "absent-empties"])
def test_merge(current, desired, state, expected):
    assert _sysctl.merge(current, desired, state) == expected


@pytest.mark.parametrize("params,expected", [
    ({"panic_on_oom": 1}, {"vm.panic_on_oom": 1}),
    ({"panic_on_oom": "2", "panic": "-1"}, {"vm.panic_on_oom": 2, "kernel.panic": -1}),
    ({"oom_dump_tasks": True, "oom_kill_allocating_task": "no"},
     {"vm.oom_dump_tasks": 1, "vm.oom_kill_allocating_task": 0}),
    ({"overcommit_memory": 2, "overcommit_ratio": 0}, {"vm.overcommit_memory": 2, "vm.overcommit_ratio": 0}),
    ({"panic_on_oom": None}, {}),
], ids=["int", "strings", "bools", "overcommit", "none-unmanaged"])
def test_desired_from_params(params, expected):
    assert _sysctl.desired_from_params(params) == expected


@pytest.mark.parametrize("params,message", [
    ({"panic_on_oom": True}, "panic_on_oom must be one of 0, 1, 2, got True (bool)"),
    ({"panic_on_oom": 3}, "panic_on_oom must be one of 0, 1, 2, got 3 (int)"),
    ({"panic_on_oom": "1.0"}, "panic_on_oom must be one of 0, 1, 2, got '1.0' (str)"),
    ({"overcommit_ratio": -5}, "overcommit_ratio must be an integer >= 0, got -5 (int)"),
    ({"panic": False}, "panic must be an integer, got False (bool)"),
    ({"panic": 2 ** 40}, "panic must be an integer, got 1099511627776 (int)"),
    ({"oom_dump_tasks": "maybe"}, "oom_dump_tasks must be a boolean (true/false), got 'maybe'"),
], ids=["bool-for-int", "out-of-choices", "float-string", "negative-ratio", "bool-panic", "huge-panic", "bad-bool"])
def test_desired_from_params_rejects(params, message):
    with pytest.raises(_sysctl.SysctlError) as e:
        _sysctl.desired_from_params(params)
    assert str(e.value) == message


@pytest.mark.parametrize("path,message", [
    ("relative.conf", "path must be an absolute path ending in .conf, got 'relative.conf'"),
    ("/etc/sysctl.d/oom", "path must end in .conf (systemd-sysctl and sysctl --system read only *.conf), got '/etc/sysctl.d/oom'"),
    ("/etc/sysctl.d/.conf", "path must end in .conf (systemd-sysctl and sysctl --system read only *.conf), got '/etc/sysctl.d/.conf'"),
], ids=["relative", "suffix", "bare-suffix"])
def test_validate_path_rejects(path, message):
    with pytest.raises(_sysctl.SysctlError) as e:
        _sysctl.validate_path(path)
    assert str(e.value) == message


def test_validate_path_rejects_directory(tmp_path):
    # The rules are _sysctl's (pure); the look at the path is the planning room's.
    d = tmp_path / "x.conf"
    d.mkdir()
    with pytest.raises(_sysctl.SysctlError, match="is a directory"):
        _policy.valid_path(str(d))


@pytest.mark.parametrize("path,expected", [
    ("/etc/sysctl.d/60-sre-oom.conf", True), ("/run/sysctl.d/x.conf", True), ("/usr/lib/sysctl.d/x.conf", True),
    ("/etc/sysctl.conf", False), ("/tmp/x/60.conf", False), ("/etc/sysctl.d/sub/x.conf", False),
], ids=["etc", "run", "usr-lib", "sysctl-conf", "tmp", "subdir"])
def test_loaded_at_boot(path, expected):
    assert _sysctl.loaded_at_boot(path) is expected


MANAGED = "/etc/sysctl.d/60-sre-oom.conf"
OURS = "vm.panic_on_oom = 1\nkernel.panic = 10\n"


@pytest.mark.parametrize("files,expected", [
    ({}, {}),
    ({"/etc/sysctl.d/99-later.conf": "vm.panic_on_oom = 0\n"}, {"vm.panic_on_oom": "/etc/sysctl.d/99-later.conf"}),
    ({"/etc/sysctl.d/10-earlier.conf": "vm.panic_on_oom = 0\n"}, {}),
    ({"/usr/lib/sysctl.d/70-vendor.conf": "kernel/panic = 0\n"}, {"kernel.panic": "/usr/lib/sysctl.d/70-vendor.conf"}),
    ({"/usr/lib/sysctl.d/70-vendor.conf": "kernel.panic = 0\n", "/etc/sysctl.d/70-vendor.conf": "# masked\n"}, {}),
    ({"/etc/sysctl.conf": "vm.panic_on_oom=0\n"}, {"vm.panic_on_oom": "/etc/sysctl.conf"}),
    ({"/etc/sysctl.d/99-glob.conf": "vm.* = 0\n"}, {}),
    ({"/etc/sysctl.d/10-glob.conf": "kernel.pan* = 0\n"}, {}),
    ({"/etc/sysctl.d/99-later.conf": "-vm.panic_on_oom = 0\n"}, {"vm.panic_on_oom": "/etc/sysctl.d/99-later.conf"}),
    ({"/run/sysctl.d/60-sre-oom.conf": "vm.panic_on_oom = 0\n"}, {}),
    ({"/etc/sysctl.d/99-notconf.txt": "vm.panic_on_oom = 0\n"}, {}),
], ids=["nothing-else", "later-file-wins", "earlier-file-loses", "vendor-later-slash", "vendor-masked-by-etc",
        "sysctl-conf-last", "glob-loses-to-explicit", "early-glob", "dash-prefix", "run-same-name-loses-to-etc",
        "non-conf-ignored"])
def test_shadowing(tmp_path, files, expected):
    for path, text in files.items():
        write(tmp_path, path, text)
    assert _sysctl.shadowing(["kernel.panic", "vm.panic_on_oom"], MANAGED, OURS, _host.Host(root=str(tmp_path))) == expected


def test_shadowing_managed_file_masked_by_etc(tmp_path):
    write(tmp_path, "/etc/sysctl.d/60-sre-oom.conf", "# someone else's file of the same name\n")
    managed = "/run/sysctl.d/60-sre-oom.conf"
    got = _sysctl.shadowing(["vm.panic_on_oom"], managed, OURS, _host.Host(root=str(tmp_path)))
    assert got == {"vm.panic_on_oom": "/etc/sysctl.d/60-sre-oom.conf"}


def test_shadowing_path_outside_boot_dirs(tmp_path):
    write(tmp_path, "/etc/sysctl.d/10-early.conf", "vm.panic_on_oom = 0\n")
    got = _sysctl.shadowing(["vm.panic_on_oom", "kernel.panic"], "/tmp/x/60.conf", OURS, _host.Host(root=str(tmp_path)))
    assert got == {"vm.panic_on_oom": "/etc/sysctl.d/10-early.conf"}


def test_boot_order_dedupes_linked_dirs_and_sorts_by_basename(tmp_path):
    write(tmp_path, "/usr/lib/sysctl.d/50-default.conf", "")
    write(tmp_path, "/etc/sysctl.d/20-local.conf", "")
    write(tmp_path, "/etc/sysctl.d/50-default.conf", "")
    write(tmp_path, "/etc/sysctl.conf", "")
    os.symlink("usr/lib", str(tmp_path / "lib"))
    assert _sysctl.boot_order(_host.Host(root=str(tmp_path))) == [
        "/etc/sysctl.d/20-local.conf", "/etc/sysctl.d/50-default.conf", "/etc/sysctl.conf"]


def test_boot_order_ignores_hidden_files_as_systemd_sysctl_does(tmp_path):
    write(tmp_path, "/etc/sysctl.d/.60-sre-oom.conf", "vm.panic_on_oom = 2\n")   # an editor's or a tool's temp file
    write(tmp_path, "/etc/sysctl.d/60-sre-oom.conf", "")
    assert _sysctl.boot_order(_host.Host(root=str(tmp_path))) == ["/etc/sysctl.d/60-sre-oom.conf"]


@pytest.mark.parametrize("desired,live,kubelet,expected", [
    ({"vm.panic_on_oom": 1}, {"kernel.panic": 0}, False, ["stays down"]),
    ({"vm.panic_on_oom": 1, "kernel.panic": 10}, {"kernel.panic": 0}, False, []),
    ({"kernel.panic": 0}, {"vm.panic_on_oom": 1, "kernel.panic": 10}, False, ["stays down"]),
    ({"vm.panic_on_oom": 2, "kernel.panic": 10}, {}, False, ["any container or service"]),
    ({"vm.panic_on_oom": 0}, {"kernel.panic": 0}, True, ["kubelet"]),
    ({"vm.overcommit_ratio": 50}, {"kernel.panic": 0, "vm.panic_on_oom": 1}, True, []),
    ({"vm.panic_on_oom": 0}, {"kernel.panic": 0}, False, []),
], ids=["panic-without-reboot", "panic-with-reboot", "panic-zeroed-later", "two-is-dangerous", "kubelet",
        "unrelated-keys-quiet", "zero-is-quiet"])
def test_cross_key_warnings(desired, live, kubelet, expected):
    got = _sysctl.cross_key_warnings(desired, live, kubelet)
    assert len(got) == len(expected)
    for fragment, warning in zip(expected, got):
        assert fragment in warning


def fake_proc(root, values):
    for key, value in values.items():
        write(root, _sysctl.key_to_proc_path(key), "%s\n" % value)


def test_live_read_write_round_trip(tmp_path):
    fake_proc(tmp_path, {"vm.panic_on_oom": 0})
    assert _sysctl.read_live("vm.panic_on_oom", _host.Host(root=str(tmp_path))) == "0"
    assert _sysctl.write_live("vm.panic_on_oom", 1, _host.Host(root=str(tmp_path))) == "1"
    assert _sysctl.read_live("vm.panic_on_oom", _host.Host(root=str(tmp_path))) == "1"
    assert _sysctl.read_live("vm.nonexistent", _host.Host(root=str(tmp_path))) is None


def test_live_write_blocker(tmp_path):
    fake_proc(tmp_path, {"vm.panic_on_oom": 0})
    assert _sysctl.live_write_blocker(["vm.panic_on_oom"], _host.Host(root=str(tmp_path))) is None
    assert "does not exist on this kernel" in _sysctl.live_write_blocker(["vm.missing"], _host.Host(root=str(tmp_path)))


def test_kubelet_running(tmp_path):
    write(tmp_path, "/proc/12/comm", "bash\n")
    assert _sysctl.kubelet_running(_host.Host(root=str(tmp_path))) is False
    write(tmp_path, "/proc/345/comm", "kubelet\n")
    assert _sysctl.kubelet_running(_host.Host(root=str(tmp_path))) is True


def test_cross_key_rules_carry_ids_the_report_uses():
    rules = _sysctl.cross_key_rules({"vm.panic_on_oom": 2, "kernel.panic": 0}, {}, True)
    assert [rule for rule, _msg in rules] == [_sysctl.RULE_NO_REBOOT, _sysctl.RULE_ALWAYS, _sysctl.RULE_KUBELET]
    assert [msg for _rule, msg in rules] == _sysctl.cross_key_warnings(
        {"vm.panic_on_oom": 2, "kernel.panic": 0}, {}, True)
    assert _sysctl.cross_key_rules({"vm.panic_on_oom": 1}, {"kernel.panic": 10}, False) == []

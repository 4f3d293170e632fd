# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_services: systemd as PID 1, a unit's cgroup processes and CAP_SYS_RESOURCE,
over a directory standing for the host's root (the one seam: _host.Host(root=...))."""

from __future__ import annotations

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _host, _services


def write(root, rel, text):
    p = root / rel.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return str(p)


# --- processes and cgroups --------------------------------------------------

def test_systemd_is_pid1(tmp_path):
    assert not _services.systemd_is_pid1(_host.Host(root=str(tmp_path)))
    write(tmp_path, "/proc/1/comm", "systemd\n")
    assert not _services.systemd_is_pid1(_host.Host(root=str(tmp_path)))  # no /run/systemd/system
    (tmp_path / "run/systemd/system").mkdir(parents=True)
    assert _services.systemd_is_pid1(_host.Host(root=str(tmp_path)))
    write(tmp_path, "/proc/1/comm", "tini\n")
    assert not _services.systemd_is_pid1(_host.Host(root=str(tmp_path)))


@pytest.mark.parametrize("layout,base", [
    ("v2", "sys/fs/cgroup"), ("hybrid", "sys/fs/cgroup/unified"), ("v1", "sys/fs/cgroup/systemd"),
], ids=["v2", "hybrid", "v1"])
def test_cgroup_pids(tmp_path, layout, base):
    if layout == "v2":
        write(tmp_path, "/sys/fs/cgroup/cgroup.controllers", "cpu memory\n")
    cg = "/system.slice/w.service"
    write(tmp_path, "/%s%s/cgroup.procs" % (base, cg), "12\n7\n")
    write(tmp_path, "/%s%s/sub/cgroup.procs" % (base, cg), "99\n\u00b2\n")
    assert _services.cgroup_pids(cg, _host.Host(root=str(tmp_path))) == [7, 12, 99]
    assert _services.cgroup_pids("/system.slice/none.service", _host.Host(root=str(tmp_path))) is None
    assert _services.cgroup_pids("", _host.Host(root=str(tmp_path))) is None


@pytest.mark.parametrize("capeff,has", [("000001fffeffffff", False), ("000001ffffffffff", True), (None, None)],
                         ids=["lacking", "having", "unreadable"])
def test_has_cap_sys_resource(tmp_path, capeff, has):
    if capeff:
        write(tmp_path, "/proc/self/status", "Name:\tx\nCapEff:\t%s\n" % capeff)
    assert _services.has_cap_sys_resource(_host.Host(root=str(tmp_path))) is has

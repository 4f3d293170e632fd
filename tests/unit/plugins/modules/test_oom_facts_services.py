# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_services.gather_services (oom_facts' services): the systemd-oomd values and memory.oom.group of a service
entry, as systemd 247 and 252+ report them (formats read on the Molecule containers)."""

from __future__ import annotations

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _services

SYSTEMCTL = "/usr/bin/systemctl"


class FakeHost(object):
    def __init__(self, show_out, files=None):
        self.show_out = show_out
        self.files = files or {}
        self.calls = []

    def exists(self, path):
        return path == "/run/systemd/system"

    def which(self, name):
        return SYSTEMCTL

    def read_text(self, path):
        return self.files.get(path)

    def run(self, argv):
        self.calls.append(argv)
        if argv[1] == "list-units":
            return 0, "a.service loaded active running x\nb.service loaded active running x\n", ""
        if argv[1:] == ["show", "-p", "DefaultOOMPolicy"]:
            return 0, "DefaultOOMPolicy=stop\n", ""
        return 0, self.show_out, ""


V252 = ("Id=a.service\nOOMScoreAdjust=0\nOOMPolicy=stop\nDelegate=no\nResult=success\n"
        "ManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit=2576980377\nManagedOOMSwap=auto\n"
        "ManagedOOMPreference=avoid\nControlGroup=/system.slice/a.service\n\n"
        "Id=b.service\nOOMScoreAdjust=0\nOOMPolicy=stop\nDelegate=no\nResult=success\n"
        "ManagedOOMMemoryPressure=auto\nManagedOOMMemoryPressureLimit=0\nManagedOOMSwap=auto\n"
        "ManagedOOMPreference=none\nControlGroup=/system.slice/b.service\n")
V247 = ("Id=a.service\nOOMScoreAdjust=0\nOOMPolicy=stop\nDelegate=no\nResult=success\n"
        "ManagedOOMMemoryPressure=auto\nManagedOOMMemoryPressureLimitPercent=61%\nManagedOOMSwap=kill\n"
        "ControlGroup=/system.slice/a.service\n\n"
        "Id=b.service\nOOMScoreAdjust=0\nOOMPolicy=stop\nDelegate=no\nResult=success\n"
        "ManagedOOMMemoryPressure=auto\nManagedOOMMemoryPressureLimitPercent=0%\nManagedOOMSwap=auto\n"
        "ControlGroup=/system.slice/b.service\n")


@pytest.mark.parametrize("show_out,files,entry", [
    (V252, {"/sys/fs/cgroup/system.slice/a.service/memory.oom.group": "1\n"},
     {"unit": "a.service", "oom_score_adjust": 0, "oom_policy": "stop", "result": "success",
      "managed_oom_memory_pressure": "kill", "managed_oom_memory_pressure_limit": "60%",
      "managed_oom_swap": "auto", "managed_oom_preference": "avoid", "memory_oom_group": True}),
    (V247, {},
     {"unit": "a.service", "oom_score_adjust": 0, "oom_policy": "stop", "result": "success",
      "managed_oom_memory_pressure": "auto", "managed_oom_memory_pressure_limit": "61%",
      "managed_oom_swap": "kill", "managed_oom_preference": None, "memory_oom_group": None}),
    (V252, {"/sys/fs/cgroup/unified/system.slice/a.service/memory.oom.group": "0\n"},
     {"unit": "a.service", "oom_score_adjust": 0, "oom_policy": "stop", "result": "success",
      "managed_oom_memory_pressure": "kill", "managed_oom_memory_pressure_limit": "60%",
      "managed_oom_swap": "auto", "managed_oom_preference": "avoid", "memory_oom_group": False}),
], ids=["252-v2", "247-v1", "252-hybrid"])
def test_oomd_settings_listed_in_percent(show_out, files, entry):
    host = FakeHost(show_out, files)
    found, error = _services.gather_services(host)
    assert error is None
    assert found == [entry]  # b.service has only defaults: not listed
    show = host.calls[-1]
    assert "ManagedOOMMemoryPressureLimit" in show and "ManagedOOMMemoryPressureLimitPercent" in show
    assert show[-2:] == ["a.service", "b.service"]


def test_the_root_slice_keeps_its_cgroup_a_unit_without_one_has_none():
    show = ("Id=a.service\nOOMScoreAdjust=0\nOOMPolicy=stop\nDelegate=no\nResult=success\n"
            "ManagedOOMMemoryPressure=auto\nManagedOOMSwap=kill\nControlGroup=/\n\n"
            "Id=b.service\nOOMScoreAdjust=0\nOOMPolicy=stop\nDelegate=no\nResult=success\n"
            "ManagedOOMMemoryPressure=kill\nManagedOOMSwap=auto\nControlGroup=\n")
    control_groups = {}
    services, error = _services.gather_services(FakeHost(show), control_groups)
    assert error is None and [s["unit"] for s in services] == ["a.service", "b.service"]
    assert control_groups == {"a.service": "/", "b.service": None}
    assert services[0]["memory_oom_group"] is None      # the root has no memory.oom.group

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The systemd-oomd drop-in written by sre.oom.kernel, read back from each container."""

from __future__ import annotations

import os
import re

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "vars", "main.yml")) as _f:
    VARS = yaml.safe_load(_f)
HEADER = re.compile(r"# Managed by sre\.oom [0-9]+\.[0-9]+\.[0-9]+ \(sre\.oom\.oom_policy\)\. "
                    r"Local edits are overwritten\.\Z")


def systemd_version(host):
    return int(host.check_output("systemctl --version").split()[1])


def test_dropin_is_written_with_header_mode_and_owner(host):
    f = host.file(VARS["sre_oom_oomd_path"])
    assert f.is_file and not f.is_symlink
    assert f.user == "root" and f.group == "root" and f.mode == 0o644
    lines = f.content_string.splitlines()
    assert HEADER.match(lines[0]), lines[0]
    if systemd_version(host) >= 248:
        assert lines[2:] == ["[OOM]", "SwapUsedLimit=80%", "DefaultMemoryPressureLimit=50.5%",
                             "DefaultMemoryPressureDurationSec=20s"]
    else:  # systemd 247: the old key names, no duration
        assert lines[2:] == ["[OOM]", "SwapUsedLimitPercent=80%", "DefaultMemoryPressureLimitPercent=50%"]


def test_other_files_are_left_alone(host):
    assert host.file(VARS["sre_oom_oomd_main"]).content_string == "[OOM]\nSwapUsedLimit=10%\nDefaultMemoryPressureLimit=10%\n"
    assert host.file(VARS["sre_oom_oomd_later"]).content_string == "[OOM]\nDefaultMemoryPressureDurationSec=45s\n"


def test_no_temporary_file_left(host):
    listing = host.check_output("ls -A %s" % os.path.dirname(VARS["sre_oom_oomd_path"])).split()
    assert listing == [os.path.basename(VARS["sre_oom_oomd_path"])]


def test_oomd_cannot_run_here_and_is_not_started(host):
    # cgroup v1 hybrid machine: the unified hierarchy is not the only one
    assert not host.file("/sys/fs/cgroup/cgroup.controllers").exists
    assert host.run("systemctl is-active systemd-oomd.service").stdout.strip() != "active"

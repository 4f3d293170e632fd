# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the host's units and their processes,
through the host seam: whether systemd is PID 1, the processes of a unit's cgroup,
CAP_SYS_RESOURCE, and the units with an OOM setting (oom_facts' ``services``).
Not a public API."""

from __future__ import annotations

import os
import stat

from ansible_collections.sre.oom.plugins.module_utils._oom.formats import is_digits
from ansible_collections.sre.oom.plugins.module_utils._systemctl import (
    format_percent, limit_from_show, parse_show, parse_show_int, show_argv)


# ---------------------------------------------------------------------------
# Processes and cgroups
# ---------------------------------------------------------------------------

def systemd_is_pid1(host):
    """True when systemd runs as PID 1 (the sd_booted() test plus /proc/1/comm)."""
    try:
        if not stat.S_ISDIR(host.stat("/run/systemd/system").st_mode):
            return False
    except OSError:
        return False
    comm = host.read_text("/proc/1/comm")
    return comm is not None and comm.strip() == "systemd"


def cgroup_dirs(control_group, host):
    """Candidate directories of a unit's cgroup (the host's paths), best first.

    cgroup v2 (unified at /sys/fs/cgroup), hybrid (unified at /sys/fs/cgroup/unified),
    then cgroup v1's named "systemd" hierarchy.
    """
    cg = control_group.lstrip("/")
    base = "/sys/fs/cgroup"
    candidates = []
    if host.exists(base + "/cgroup.controllers"):
        candidates.append(os.path.join(base, cg))
    candidates.append(os.path.join(base, "unified", cg))
    candidates.append(os.path.join(base, "systemd", cg))
    return candidates


def cgroup_pids(control_group, host):
    """PIDs of every process in the unit's cgroup and its sub-cgroups, sorted.

    Returns None when no hierarchy holds the cgroup.
    """
    if not control_group or control_group == "/":
        return None
    for d in cgroup_dirs(control_group, host):
        if not host.exists(os.path.join(d, "cgroup.procs")):
            continue
        pids = set()
        for dirpath, _dirnames, filenames in host.walk(d):
            if "cgroup.procs" not in filenames:
                continue
            text = host.read_text(os.path.join(dirpath, "cgroup.procs")) or ""
            for tok in text.split():
                if is_digits(tok):
                    pids.add(int(tok))
        return sorted(pids)
    return None


def has_cap_sys_resource(host):
    """True/False from CapEff in /proc/self/status, None when unreadable."""
    text = host.read_text("/proc/self/status")
    if text is None:
        return None
    for line in text.splitlines():
        if line.startswith("CapEff:"):
            try:
                return bool(int(line.split(":", 1)[1].strip(), 16) & (1 << 24))
            except ValueError:
                return None
    return None


# ---------------------------------------------------------------------------
# The units with an OOM setting (oom_facts' services)
# ---------------------------------------------------------------------------

def gather_services(host, control_groups=None):
    """The units oom_facts lists under ``services``: (list of unit dicts, error or None).

    Services, scopes and slices with an OOM setting other than the default, or whose
    last result was oom-kill; read through the host seam (module_utils/_host.Host:
    exists, which, run, read_text). ``control_groups``, when given, gets each listed
    unit's ControlGroup (oom_facts' pressure subset reads their cgroups)."""
    if not host.exists("/run/systemd/system"):
        return [], "systemd is not the init system here (no /run/systemd/system)"
    systemctl = host.which("systemctl")
    if not systemctl:
        return [], "systemctl not found"
    rc, out, err = host.run([systemctl, "show", "-p", "DefaultOOMPolicy"])
    default_policy = "stop"
    if rc == 0:
        for blk in parse_show(out):
            default_policy = blk.get("DefaultOOMPolicy") or default_policy
    rc, out, err = host.run([systemctl, "list-units", "--all", "--type=service,scope,slice", "--no-legend",
                             "--no-pager", "--plain"])
    if rc != 0:
        return [], "systemctl list-units failed (rc=%d): %s" % (rc, (err or out).strip())
    units = []
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0].endswith((".service", ".scope", ".slice")):
            units.append(parts[0])
    # systemctl show leaves out properties its systemd does not know: the limit is
    # ManagedOOMMemoryPressureLimitPercent ("61%") on 247 and ManagedOOMMemoryPressureLimit
    # (a fraction of 2^32) from 248, which also added ManagedOOMPreference.
    props = ("Id", "OOMScoreAdjust", "OOMPolicy", "Delegate", "Result", "ManagedOOMMemoryPressure",
             "ManagedOOMMemoryPressureLimit", "ManagedOOMMemoryPressureLimitPercent", "ManagedOOMSwap",
             "ManagedOOMPreference", "ControlGroup")
    found = []
    for i in range(0, len(units), 200):
        batch = units[i:i + 200]
        rc, out, err = host.run(show_argv(systemctl, props, batch))
        if rc != 0:
            return found, "systemctl show failed (rc=%d): %s" % (rc, (err or out).strip())
        for blk in parse_show(out):
            unit = blk.get("Id")
            if not unit:
                continue
            adj = parse_show_int(blk.get("OOMScoreAdjust")) or 0
            policy = blk.get("OOMPolicy") or None
            result = blk.get("Result") or None
            pressure = blk.get("ManagedOOMMemoryPressure") or None
            swap = blk.get("ManagedOOMSwap") or None
            preference = blk.get("ManagedOOMPreference") or None
            limit = limit_from_show(blk.get("ManagedOOMMemoryPressureLimit"))
            if limit is None:
                limit = limit_from_show(blk.get("ManagedOOMMemoryPressureLimitPercent"), legacy=True)
            usual = {default_policy}
            if blk.get("Delegate") == "yes":
                usual.add("continue")
            oomd = (pressure == "kill" or swap == "kill" or bool(limit)
                    or preference in ("avoid", "omit"))
            if not (adj != 0 or (policy is not None and policy not in usual) or result == "oom-kill" or oomd):
                continue
            group = None
            raw = (blk.get("ControlGroup") or "").strip()
            cgroup = raw.strip("/")
            if control_groups is not None:
                # '/' is the root cgroup (-.slice); empty: the unit has no cgroup now
                control_groups[unit] = "/" + cgroup if cgroup else ("/" if raw else None)
            if cgroup and ".." not in cgroup.split("/"):
                for base in ("/sys/fs/cgroup/", "/sys/fs/cgroup/unified/"):
                    text = host.read_text(base + cgroup + "/memory.oom.group")
                    if text is not None and text.strip() in ("0", "1"):
                        group = text.strip() == "1"
                        break
            found.append({"unit": unit, "oom_score_adjust": adj, "oom_policy": policy, "result": result,
                          "managed_oom_memory_pressure": pressure,
                          "managed_oom_memory_pressure_limit": (
                              None if limit is None else format_percent(limit)),
                          "managed_oom_swap": swap, "managed_oom_preference": preference,
                          "memory_oom_group": group})
    found.sort(key=lambda u: u["unit"])
    return found, None

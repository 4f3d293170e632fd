#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: oom_unit
short_description: Every OOM setting of every unit in one run - OOMScoreAdjust=, OOMPolicy= and the systemd-oomd settings
version_added: 0.2.0
description:
  - Writes one drop-in per unit with the settings of its entry in O(units) -
    C(OOMScoreAdjust=), C(OOMPolicy=), C(ManagedOOMMemoryPressure=),
    C(ManagedOOMMemoryPressureLimit=), C(ManagedOOMSwap=) and C(ManagedOOMPreference=) -
    each unit with its own values, all in one module run.
  - One pass of drop-in writes (all or nothing - on an error the run's other writes are
    put back), at most one C(systemctl daemon-reload), one C(systemctl show) for every
    unit, then the live C(oom_score_adj) of each running process and the restarts asked
    for. Reads back what systemd now uses and reports any other drop-in that overrides
    the managed one.
  - Knows which systemd it talks to (one C(systemctl --version)) - systemd 247 spells the
    limit C(ManagedOOMMemoryPressureLimitPercent=) and takes whole percents only, and has
    no C(ManagedOOMPreference=) (added in 248). A setting the host's systemd lacks is not
    written and gets a warning naming the unit (RV(units.unsupported)), never a silent
    no-op.
  - This is the module to use. M(sre.oom.oom_score_adj) is a front over the same code for
    one set of values on many units, kept for existing playbooks.
  - Never overwrites or removes a file it did not write (see O(force)), and never writes
    through a symlink.
author:
  - sre.oom maintainers (@sre-oom)
options:
  units:
    description:
      - The units and their settings. A setting left out (or null) is not managed - it is
        not written, and systemd uses whatever else sets it.
      - A unit given twice must have the same settings both times.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The unit name. A name without a unit-type suffix gets C(.service).
          - Accepted suffixes are C(.service), C(.socket), C(.mount), C(.swap) and C(.slice)
            (slices take only the C(managed_oom_*) settings). Template instances
            (C(worker@3.service)) are fine; a bare template (C(worker@.service)) gets a
            drop-in for all its instances but is not queried, applied live or restarted.
          - Names follow systemd's rules - ASCII letters, digits, C(:-_.\\), at most one
            C(@), at most 255 characters; C(/), C(..), a leading or trailing C(.) and
            control characters are refused before anything is written.
        type: str
        required: true
      oom_score_adj:
        description:
          - C(OOMScoreAdjust=), an integer from -1000 (never kill) to 1000 (kill first).
            Booleans are refused. Not for slices.
        type: raw
      oom_policy:
        description:
          - C(OOMPolicy=), what systemd does with the rest of a service when the kernel
            OOM killer kills one of its processes. C(.service) units only.
        type: raw
        choices: [null, continue, stop, kill]
      managed_oom_memory_pressure:
        description:
          - C(ManagedOOMMemoryPressure=) - V(kill) lets systemd-oomd kill the unit's
            cgroup when its memory pressure stays above the limit.
        type: raw
        choices: [null, auto, kill]
      managed_oom_memory_pressure_limit:
        description:
          - C(ManagedOOMMemoryPressureLimit=), a percentage from 0 to 100 with at most two
            decimals (V(60%), V(55.5%), or a number of percent), or permille V(605‰) or
            permyriad V(6050‱) as systemd accepts them.
          - Written as C(ManagedOOMMemoryPressureLimitPercent=) on systemd 247, which
            takes whole percents only (a fraction there is not written, with a warning).
        type: raw
      managed_oom_swap:
        description:
          - C(ManagedOOMSwap=) - V(kill) lets systemd-oomd kill the unit's cgroup when
            swap use goes over oomd's C(SwapUsedLimit=).
        type: raw
        choices: [null, auto, kill]
      managed_oom_preference:
        description:
          - C(ManagedOOMPreference=) - V(avoid) or V(omit) steers systemd-oomd away from
            the unit. systemd 248 and newer (not written on 247, with a warning).
        type: raw
        choices: [null, none, avoid, omit]
      state:
        description:
          - V(present) writes the drop-in with the settings given; V(absent) removes it
            when it carries the sre.oom marker (its settings are then ignored) and
            removes the C(<unit>.d) directory when it is then empty and sre.oom created it.
        type: str
        choices: [present, absent]
        default: present
notes:
  - systemd-oomd acts only on the unified cgroup v2 hierarchy with memory accounting and
    PSI. On a cgroup v1 or hybrid host, or without C(/proc/pressure/memory), the
    C(ManagedOOM*=) settings are accepted, stored and reported by C(systemctl show) (and
    so by this module), but nothing is killed; the module then says so in one warning.
  - C(systemctl show) reports the limit as a fraction of 2^32 (60% is C(2576980377)) on
    systemd 248 and newer and as C(61%) on 247; RV(units.effective) always gives percent
    in the form of the option (V(60%), V(55.5%)).
  - Shadowing follows systemd's rules - drop-ins of every directory of the unit search
    path, of the unit's template and dash prefixes and of the top-level C(<type>.d)
    are applied sorted by file name, the last one setting a key wins.
  - With V(absent), running processes keep their current value until restarted.
  - Check mode runs only read-only commands (C(systemctl --version), C(systemctl show));
    RV(units.effective) then shows what systemd uses now, and RV(ranking) where the
    machine-wide OOM kill order would move.
extends_documentation_fragment:
  - sre.oom._attributes
  - sre.oom._attributes.changes
  - sre.oom._units
attributes:
  check_mode:
    description: Nothing is written, reloaded, restarted or applied live; the result says what would be.
  diff_mode:
    description: Before and after text of every changed drop-in with its path; a mode or owner drift shows in the
      header. When an entry sets O(units[].oom_score_adj), also how the machine-wide OOM kill order would change
      (RV(ranking)).
  platform:
    description: Linux with systemd. Drop-ins are also written where systemd is not PID 1.
seealso:
  - module: sre.oom.oom_score_adj
  - name: systemd.resource-control(5) ManagedOOMSwap=
    description: The systemd-oomd settings of units and slices.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemd.resource-control.html#ManagedOOMSwap=
  - name: systemd.exec(5) OOMScoreAdjust=
    description: The kernel OOM killer's per-process adjustment.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html#OOMScoreAdjust=
"""

EXAMPLES = r"""
- name: Each service with its own settings, in one module run
  sre.oom.oom_unit:
    units:
      - {name: ssh, oom_score_adj: -900}
      - {name: postgresql, oom_score_adj: -500, oom_policy: continue,
         managed_oom_preference: avoid}
      - {name: batch-worker@1, oom_score_adj: 800, oom_policy: kill}
      - {name: old-daemon, state: absent}

- name: Let systemd-oomd kill what runs in a slice under memory pressure
  sre.oom.oom_unit:
    units:
      - name: batch.slice
        managed_oom_memory_pressure: kill
        managed_oom_memory_pressure_limit: 60%
        managed_oom_swap: kill

- name: Apply the settings and restart the changed services that run
  sre.oom.oom_unit:
    units:
      - {name: cache, oom_score_adj: 300}
    restart: if_running
"""

RETURN = r"""
changed:
  description: Whether a drop-in was written or removed, systemd reloaded, a unit restarted or a process's value changed.
  returned: always
  type: bool
  sample: true
daemon_reloaded:
  description: Whether C(systemctl daemon-reload) ran (in check mode - would run).
  returned: always
  type: bool
  sample: true
systemd_running:
  description:
    - Whether systemd runs as PID 1 and manages O(unit_dir), so that the module reloaded,
      queried and applied. V(false) in a chroot, a plain container, or below another root.
  returned: always
  type: bool
  sample: true
systemd_version:
  description: The major version of the host's systemd (C(systemctl --version)); null when unknown.
  returned: always
  type: int
  sample: 252
ranking:
  description:
    - In check mode and with C(--diff), how the machine-wide OOM kill order of the running
      processes moves with what the run does (or would do) with O(units[].oom_score_adj) - every
      process of those units (its C(/proc/PID/cgroup) names one) that gets the value, applied
      live or by a restart, ordered by its new rank, at most 100. A unit whose value is not
      applied (O(apply_live) false, a later drop-in that shadows it) moves nothing. The rank is
      the place in the kernel's order for a whole-machine OOM (as
      RV(sre.oom.oom_facts#module:ansible_facts.oom.next_victims) computes it), 1 for the
      first to be killed; null means never (-1000).
    - Each has C(pid), C(comm), C(unit), C(before), C(after), C(oom_score_adj_before),
      C(oom_score_adj_after) and C(text) - the command, pid and unit, then the ranks before and
      after, such as V(3rd -> never). With C(--diff) the same lines are shown as a diff entry.
    - Absent when no entry sets O(units[].oom_score_adj), or for O(unit_dir) below another root;
      empty when C(/proc/meminfo) has no C(MemTotal) (the machine's size, and so the order, is unknown).
  returned: check mode or diff mode, when an oom_score_adj is given
  type: list
  elements: dict
  sample:
    - {pid: 412, comm: sshd, unit: ssh.service, before: 3, after: null, oom_score_adj_before: 0,
       oom_score_adj_after: -1000, text: "sshd (412, ssh.service): 3rd -> never"}
cmd:
  description: The C(systemctl) command that failed (C(daemon-reload), C(show), C(restart) or C(try-restart)).
  returned: when a systemctl command failed
  type: list
  elements: str
  sample: ["/usr/bin/systemctl", "daemon-reload"]
rc:
  description: The exit status of the C(systemctl) command that failed.
  returned: when a systemctl command failed
  type: int
  sample: 1
stdout:
  description: What the C(systemctl) command that failed printed on its output.
  returned: when a systemctl command failed
  type: str
  sample: ""
stderr:
  description: What the C(systemctl) command that failed printed on error.
  returned: when a systemctl command failed
  type: str
  sample: "Failed to reload daemon: Access denied"
units:
  description: One entry per unit, keyed by the full unit name.
  returned: always
  type: dict
  sample:
    batch.slice:
      path: /etc/systemd/system/batch.slice.d/50-oom-score-adj.conf
      state: present
      changed: true
      settings:
        oom_score_adj: null
        oom_policy: null
        managed_oom_memory_pressure: kill
        managed_oom_memory_pressure_limit: 60%
        managed_oom_swap: null
        managed_oom_preference: avoid
      written:
        ManagedOOMMemoryPressure: kill
        ManagedOOMMemoryPressureLimitPercent: 60%
      unsupported: [managed_oom_preference]
      effective:
        oom_score_adj: null
        oom_policy: null
        managed_oom_memory_pressure: kill
        managed_oom_memory_pressure_limit: 60%
        managed_oom_swap: auto
        managed_oom_preference: null
      shadowed_by: []
      live: {updated: [], failed: {}}
      restarted: false
  contains:
    path:
      description: The drop-in path.
      type: str
    state:
      description: The entry's O(units[].state).
      type: str
    changed:
      description: Whether the drop-in was (check mode - would be) written or removed, or its mode or owner fixed.
      type: bool
    settings:
      description:
        - The managed value of each setting, by option name; null when not managed or
          with V(absent). The limit in the form V(60%).
      type: dict
    written:
      description: The drop-in keys written and their values, in the spelling of the host's systemd.
      type: dict
    unsupported:
      description: Settings given but not written because the host's systemd lacks them (each also a warning).
      type: list
      elements: str
    effective:
      description:
        - What systemd reports after the change (C(systemctl show)), by option name; the
          limit in percent (V(60%)). All null where systemd is not running, for templates,
          and for settings this systemd does not report (C(oom_score_adj) of a slice,
          C(managed_oom_preference) on 247).
      type: dict
    shadowed_by:
      description:
        - Drop-ins that override the managed one for a key it writes - a file applied
          later that sets the key, or a file of the same name in a higher-priority
          directory. Empty when the managed values win.
      type: list
      elements: str
    live:
      description: The result of O(apply_live).
      type: dict
      contains:
        updated:
          description: PIDs whose C(oom_score_adj) was (check mode - would be) set.
          type: list
          elements: int
        failed:
          description: PID (as a string) to the reason its value could not be set.
          type: dict
    restarted:
      description: Whether the unit was (check mode - would be) restarted.
      type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sre.oom.plugins.module_utils import _host
from ansible_collections.sre.oom.plugins.module_utils import _systemd
from ansible_collections.sre.oom.plugins.module_utils import _unit_spec
from ansible_collections.sre.oom.plugins.module_utils import _units
from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup as _cgroup
from ansible_collections.sre.oom.plugins.module_utils._oom import victims as _victims


def argument_spec():
    unit_options = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    for setting in _unit_spec.SETTINGS:
        if setting.choices is None:
            unit_options[setting.option] = dict(type="raw")
        else:
            # null is a setting left out (not managed), as for the other settings
            unit_options[setting.option] = dict(type="raw", choices=[None] + list(setting.choices))
    return dict(_unit_spec.common_argument_spec(),
                units=dict(type="list", elements="dict", required=True, options=unit_options))


def proposed_values(specs):
    """unit -> the oom_score_adj an entry asks for (present entries that set one)."""
    return {s.unit: dict(s.settings)["oom_score_adj"] for s in specs
            if s.state == "present" and dict(s.settings).get("oom_score_adj") is not None}


def ranking_snapshot(host, proposed, unit_dir):
    """Check mode and --diff: the processes and their order, read before the run
    changes anything (None when no entry sets an oom_score_adj, or the drop-ins are
    for another root). /proc is read through the host seam."""
    split = _systemd.split_unit_dir(unit_dir)
    if not proposed or split is None or split[0] != "/":
        return None
    try:
        page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    except (ValueError, OSError, AttributeError):
        page_kb = 4
    return _victims.preview_snapshot(host, proposed, _cgroup.cgroup_unit, page_kb) or {}


def ranking_of(snapshot, proposed, units):
    """How the order moves with what the run does (or would do): the value of a unit
    reaches the processes it was applied to live, and those of a unit restarted;
    a unit whose value is not applied (apply_live false, the drop-in already there,
    a later drop-in shadowing it) moves nothing."""
    if not snapshot:
        return []
    moving = {}
    for pid, unit in snapshot["unit_of_pid"].items():
        result = units.get(unit) or {}
        if pid in (result.get("live") or {}).get("updated", ()) or result.get("restarted"):
            moving[pid] = proposed[unit]
    return _victims.preview_ranking(snapshot, moving)


def run_module(module, host):
    params = module.params
    _unit_spec.validate_dropin(params["dropin"])
    specs = _unit_spec.validate_entries(params["units"])
    req = _units.Request(specs, params["unit_dir"], params["dropin"], params["force"],
                         params["daemon_reload"], params["apply_live"], params["restart"],
                         "sre.oom.oom_unit", _unit_spec.OPTIONS, True)
    proposed = proposed_values(specs)
    snapshot = ranking_snapshot(host, proposed, params["unit_dir"]) if (module.check_mode or module._diff) else None
    result, warnings, diff = _units.run(module, host, req)
    ranking = None
    if snapshot is not None:
        ranking = result["ranking"] = ranking_of(snapshot, proposed, result["units"])
    if module._diff:
        moved = [e for e in ranking or () if e["before"] != e["after"]
                 or e["oom_score_adj_before"] != e["oom_score_adj_after"]]
        if moved:
            # only when something moves: a diff of a run that changes nothing stays empty
            diff = list(diff) + [{"prepared": "OOM kill order of the whole machine with the proposed oom_score_adj:\n"
                                  + "".join("  %s\n" % e["text"] for e in moved)}]
        result["diff"] = diff
    return result, warnings


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result, warnings = run_module(module, _host.Host(module))
    except _unit_spec.UnitsError as e:
        module.fail_json(msg=e.msg, **e.extra)
    for w in warnings:
        module.warn(w)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: oom_score_adj
short_description: Persist a service's OOM score adjustment and OOM policy through systemd drop-ins
version_added: 0.1.0
description:
  - Writes one drop-in per unit that sets C(OOMScoreAdjust=) and/or C(OOMPolicy=), so
    the OOM killer spares the services that must survive (negative values) and picks the
    expendable ones first (positive values).
  - Runs one C(systemctl daemon-reload) and one C(systemctl show) for all the units of a
    task, reads back the value systemd now uses, and reports any other drop-in that
    overrides the managed one (O(name) lists many units so that one task covers them).
  - Optionally writes the value to C(/proc/<pid>/oom_score_adj) of every process already
    running in each unit's cgroup, because systemd only applies C(OOMScoreAdjust=) when
    it starts a process.
  - Never overwrites or removes a file it did not write (see O(force)), and never writes
    through a symlink.
  - Which to use - this module sets B(one) value for many units. M(sre.oom.oom_unit) takes
    each unit with its own values, also manages the systemd-oomd settings
    (C(ManagedOOM*=), slices included), and runs the same code; prefer it in new
    playbooks. This module is kept, with its options and return values, for existing ones.
author:
  - sre.oom maintainers (@sre-oom)
options:
  name:
    description:
      - One or more unit names. A name without a unit-type suffix gets C(.service).
      - Accepted suffixes are those of units that run processes - C(.service),
        C(.socket), C(.mount), C(.swap). Template instances (C(worker@3.service)) are
        fine; a bare template (C(worker@.service)) gets a drop-in that applies to all
        its instances, but is not queried, applied live or restarted.
      - Names follow systemd's rules (ASCII letters, digits, C(:-_.\\), at most one C(@),
        at most 255 characters); C(/), C(..), a leading or trailing C(.) and control
        characters are refused. A bad name fails the task before anything is written.
    type: list
    elements: str
    required: true
    aliases: [unit, units]
  value:
    description:
      - The C(OOMScoreAdjust=) value, an integer from -1000 (never kill) to 1000 (kill
        first). Booleans are refused (V(true) is not 1).
      - Required with O(state=present) unless O(oom_policy) is given. Ignored with
        O(state=absent).
    type: raw
  oom_policy:
    description:
      - The C(OOMPolicy=) of the service - what systemd does with the rest of the service
        when the kernel OOM killer kills one of its processes.
      - Only for C(.service) units. Ignored with O(state=absent).
    type: str
    choices: [continue, stop, kill]
  state:
    description:
      - V(present) writes the drop-in; V(absent) removes it when it carries the sre.oom
        marker, and removes the C(<unit>.d) directory when it is then empty and sre.oom
        created it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - The drop-in starts with a comment header naming sre.oom; that marker is how the
    module recognises its own files. When it created the C(<unit>.d) directory it adds
    one more comment line saying so, which is how O(state=absent) knows it may remove
    the directory once empty - no extra file is left behind.
  - Shadowing follows systemd's rules - drop-ins from every directory of the unit search
    path (C(/etc), C(/run), C(/usr/local/lib), C(/usr/lib), C(/lib), and the C(.control),
    C(transient), C(attached) and generator directories), from the unit's own C(.d)
    directory, its template's, its dash prefixes' (C(foo-.service.d)) and the top-level
    C(service.d) are applied sorted by file name, the last one setting a key wins; of
    files with the same name the one in the higher-priority directory is used.
  - With O(state=absent), running processes keep their current value until restarted
    (use O(restart)); the module does not guess a value to put back.
  - A managed drop-in whose mode or owner drifted is put back to C(0644) C(root:root)
    (changed, with a diff). A symlink at the drop-in path or a symlinked C(<unit>.d)
    directory is refused. A write error fails the task naming the path, after putting
    back the drop-ins the run had already written.
  - Check mode runs only read-only commands (C(systemctl show)); RV(units.effective) then
    shows what systemd uses now, before the change.
extends_documentation_fragment:
  - sre.oom._attributes
  - sre.oom._attributes.changes
  - sre.oom._units
attributes:
  check_mode:
    description: Nothing is written, reloaded, restarted or applied live; the result says what would be.
  diff_mode:
    description: Before and after text of each changed drop-in, with its path; a mode or owner drift shows in the header.
  platform:
    description: Linux with systemd. Drop-ins are also written where systemd is not PID 1.
seealso:
  - module: sre.oom.oom_unit
  - name: systemd.exec(5) OOMScoreAdjust=
    description: The setting this module manages.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html#OOMScoreAdjust=
  - name: systemd.unit(5) drop-in directories
    description: How drop-ins are ordered and override each other.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemd.unit.html
"""

EXAMPLES = r"""
- name: Protect sshd and the database from the OOM killer
  sre.oom.oom_score_adj:
    name: [ssh, postgresql]
    value: -900

- name: Offer the batch workers up first and stop the whole service when one is killed
  sre.oom.oom_score_adj:
    units:
      - worker@1.service
      - worker@2.service
    value: 800
    oom_policy: stop

- name: Set the value only until the next reboot, and restart the units that run
  sre.oom.oom_score_adj:
    name: cache
    value: 300
    unit_dir: /run/systemd/system
    apply_live: false
    restart: if_running

- name: Remove the managed drop-in again
  sre.oom.oom_score_adj:
    name: cache
    state: absent
    unit_dir: /run/systemd/system

- name: Prepare an image root (written only, nothing applied)
  sre.oom.oom_score_adj:
    name: agent
    value: -1000
    unit_dir: /mnt/image/etc/systemd/system
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
      queried and applied. V(false) in a chroot, a plain container, or for a
      O(unit_dir) below another root; the drop-ins are then only written.
  returned: always
  type: bool
  sample: true
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
    worker.service:
      path: /etc/systemd/system/worker.service.d/50-oom-score-adj.conf
      changed: true
      value: 500
      oom_policy: kill
      effective:
        oom_score_adj: 500
        oom_policy: kill
      shadowed_by: []
      live:
        updated: [4242]
        failed: {}
      restarted: false
  contains:
    path:
      description: The drop-in path.
      type: str
    changed:
      description: Whether the drop-in was (or, in check mode, would be) written or removed.
      type: bool
    value:
      description: The managed C(OOMScoreAdjust=) value; null when not managed or O(state=absent).
      type: int
    oom_policy:
      description: The managed C(OOMPolicy=); null when not managed or O(state=absent).
      type: str
    effective:
      description:
        - What systemd reports after the change (C(systemctl show)). Both null where
          systemd is not running and for templates.
      type: dict
      contains:
        oom_score_adj:
          description: C(OOMScoreAdjust) as systemd reports it.
          type: int
        oom_policy:
          description: C(OOMPolicy) as systemd reports it.
          type: str
    shadowed_by:
      description:
        - Drop-ins that override the managed one for a key it sets - a file applied
          later (name sorting after it, in any directory of the search path) that sets
          the key, or a file of the same name in a higher-priority directory. Empty when
          the managed value wins.
      type: list
      elements: str
    live:
      description: The result of O(apply_live).
      type: dict
      contains:
        updated:
          description: PIDs whose C(oom_score_adj) was (check mode - would be) set to O(value).
          type: list
          elements: int
        failed:
          description: PID (as a string) to the reason its value could not be set.
          type: dict
          sample:
            "4242": "EACCES: the kernel refused oom_score_adj -500 (current 0); values below a
              process's minimum need CAP_SYS_RESOURCE, which this process lacks"
    restarted:
      description: Whether the unit was (check mode - would be) restarted.
      type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sre.oom.plugins.module_utils import _host
from ansible_collections.sre.oom.plugins.module_utils import _systemd
from ansible_collections.sre.oom.plugins.module_utils import _unit_spec
from ansible_collections.sre.oom.plugins.module_utils import _units

Failure = _unit_spec.UnitsError
OPTIONS = ("oom_score_adj", "oom_policy")


def validate(params):
    """Check every option; return the unit specs for the shared flow. Raises Failure."""
    units = []
    for raw in params["name"] or []:
        try:
            unit = _systemd.normalize_unit(raw)
        except _systemd.UnitNameError as e:
            raise Failure("name: %r is not a valid unit name: %s" % (raw, e))
        if unit not in units:
            units.append(unit)
    if not units:
        raise Failure("name: give at least one unit name")
    present = params["state"] == "present"
    value = params["value"]
    policy = params["oom_policy"]
    if present:
        if value is None and policy is None:
            raise Failure("state=present needs value (-1000..1000) and/or oom_policy "
                          "(continue, stop, kill)")
        if value is not None:
            value = _unit_spec.strict_int(value, "value", -1000, 1000)
        if policy is not None:
            others = [u for u in units if _systemd.unit_type(u) not in _systemd.OOM_POLICY_TYPES]
            if others:
                raise Failure("oom_policy applies to .service units only, not to %s"
                              % ", ".join(others))
    _unit_spec.validate_dropin(params["dropin"])
    settings = ()
    if present:
        settings = tuple((o, v) for o, v in (("oom_score_adj", value), ("oom_policy", policy))
                         if v is not None)
    return tuple(_unit_spec.UnitSpec(i, u, params["state"], settings, "name[%d] (%s)" % (i, u))
                 for i, u in enumerate(units))


def legacy_units(result):
    """The shared result's units in this module's documented shape."""
    out = {}
    for unit, res in result["units"].items():
        out[unit] = {
            "path": res["path"],
            "changed": res["changed"],
            "value": res["settings"]["oom_score_adj"],
            "oom_policy": res["settings"]["oom_policy"],
            "effective": {"oom_score_adj": res["effective"]["oom_score_adj"],
                          "oom_policy": res["effective"]["oom_policy"]},
            "shadowed_by": res["shadowed_by"],
            "live": res["live"],
            "restarted": res["restarted"],
        }
    return out


def run_module(module, host):
    params = module.params
    specs = validate(params)
    req = _units.Request(specs, params["unit_dir"], params["dropin"], params["force"],
                         params["daemon_reload"], params["apply_live"], params["restart"],
                         "sre.oom.oom_score_adj", OPTIONS, False)
    try:
        result, warnings, diff = _units.run(module, host, req)
    except Failure as e:
        if "units" in e.extra:
            e.extra["units"] = legacy_units(e.extra)
            e.extra.pop("systemd_version", None)
        raise
    out = {"changed": result["changed"], "daemon_reloaded": result["daemon_reloaded"],
           "systemd_running": result["systemd_running"], "units": legacy_units(result)}
    if module._diff:
        out["diff"] = diff
    return out, warnings


def main():
    module = AnsibleModule(
        argument_spec=dict(
            _unit_spec.common_argument_spec(),
            name=dict(type="list", elements="str", required=True, aliases=["unit", "units"]),
            value=dict(type="raw"),
            oom_policy=dict(type="str", choices=list(_systemd.OOM_POLICIES)),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        supports_check_mode=True,
    )
    try:
        result, warnings = run_module(module, _host.Host(module))
    except Failure as e:
        module.fail_json(msg=e.msg, **e.extra)
    for w in warnings:
        module.warn(w)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

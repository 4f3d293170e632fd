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
  - Never overwrites or removes a file it did not write (see O(force)).
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
      - Names follow systemd's rules (ASCII letters, digits, C(:-_.\\), one C(@) part, at
        most 255 characters); C(/), C(..), a leading C(.) and control characters are
        refused. A bad name fails the task before anything is written.
    type: list
    elements: str
    required: true
    aliases: [unit, units]
  value:
    description:
      - The C(OOMScoreAdjust=) value, from -1000 (never kill) to 1000 (kill first).
      - Required with O(state=present) unless O(oom_policy) is given. Ignored with
        O(state=absent).
    type: int
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
  dropin:
    description:
      - The drop-in file name inside C(<unit_dir>/<unit>.d/).
      - Must match C(^[A-Za-z0-9_.@-]+\.conf$) and not start with C(.) (systemd ignores
        hidden files). Name it so that it sorts after the drop-ins it must override.
    type: str
    default: 50-oom-score-adj.conf
  unit_dir:
    description:
      - Where the drop-in directory goes. V(/etc/systemd/system) persists;
        V(/run/systemd/system) lasts until the next reboot.
      - Either may also be given below another root directory, for example
        C(/mnt/image/etc/systemd/system) to prepare an image. Files are then written
        and checked for shadowing inside that tree only, and nothing is reloaded,
        applied live or restarted (RV(systemd_running=false)).
    type: path
    default: /etc/systemd/system
  daemon_reload:
    description:
      - Run C(systemctl daemon-reload) once per task when a drop-in changed, or when one
        of the units reports C(NeedDaemonReload=yes). Only where systemd runs as PID 1.
      - In the second case nothing is known to need a reload until C(systemctl show) has
        answered, so C(systemctl show) runs once more after that reload to read the new
        values; otherwise a task runs it once.
      - With V(false), systemd keeps using the old values until something reloads it;
        RV(units.effective) then shows the old values and a warning says so.
    type: bool
    default: true
  apply_live:
    description:
      - Also write the value to C(/proc/<pid>/oom_score_adj) of every process now in
        each unit's cgroup (sub-cgroups included), so that it takes effect without a
        restart. Processes already at the value are left alone.
      - Skipped for a unit whose value is overridden by another drop-in (see
        RV(units.shadowed_by)), with O(state=absent), without O(value), for templates,
        and where systemd is not PID 1.
      - A process can refuse the write - it exited, or the kernel answers EACCES because
        a value below the process's minimum needs C(CAP_SYS_RESOURCE), which many
        containers lack. Each refusal is reported per pid in RV(units.live.failed) and as
        a warning; it does not fail the task, since the drop-in is in place.
    type: bool
    default: true
  restart:
    description:
      - Restart the units whose drop-in changed. V(never) leaves them running with their
        processes' current values (see O(apply_live)); V(if_running) restarts those that
        are active (C(systemctl try-restart)); V(always) restarts them even when stopped
        (C(systemctl restart)). One command for all units, after the reload.
    type: str
    choices: [never, if_running, always]
    default: never
  force:
    description:
      - Overwrite a file at the drop-in path that does not carry the sre.oom marker.
        Without it, such a file fails the task and nothing is written.
      - O(state=absent) never removes such a file, forced or not.
    type: bool
    default: false
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
  - Check mode runs only read-only commands (C(systemctl show)); RV(units.effective) then
    shows what systemd uses now, before the change.
attributes:
  check_mode:
    support: full
    description: Nothing is written, reloaded, restarted or applied live; the result says what would be.
  diff_mode:
    support: full
    description: Before and after text of each changed drop-in, with its path.
  platform:
    support: full
    platforms: linux
    description: Linux with systemd. Drop-ins are also written where systemd is not PID 1.
seealso:
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

import errno
import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sre.oom.plugins.module_utils import _managed
from ansible_collections.sre.oom.plugins.module_utils import _systemd

DROPIN_RE = re.compile(r"^[A-Za-z0-9_.@-]+\.conf$")
SHOW_PROPS = ("Id", "LoadState", "ActiveState", "OOMScoreAdjust", "OOMPolicy",
              "DropInPaths", "NeedDaemonReload", "ControlGroup")
RUNNING_STATES = ("active", "activating", "reloading")
FILE_MODE = 0o644


class Host(object):
    """Everything the module touches outside itself: the seam unit tests replace.

    ``root`` prefixes every absolute path the module reads or writes (/proc, /sys,
    /run, the unit directories); ``run`` runs a command list in the C locale.
    """

    root = "/"

    def __init__(self, module):
        self.module = module

    def run(self, argv):
        return self.module.run_command(argv, environ_update={"LC_ALL": "C"})

    def systemctl(self):
        return self.module.get_bin_path("systemctl", required=True)

    def path(self, path):
        return _systemd.join_root(self.root, path)

    def open(self, path, mode="r"):
        """Open a /proc file (tests fake the kernel's refusals here)."""
        return open(path, mode)


class Failure(Exception):
    def __init__(self, msg, **extra):
        Exception.__init__(self, msg)
        self.msg = msg
        self.extra = extra


def validate(params):
    """Check every option; return (units, tree_root_relative, std_dir). Raises Failure."""
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
    value = params["value"]
    policy = params["oom_policy"]
    if params["state"] == "present":
        if value is None and policy is None:
            raise Failure("state=present needs value (-1000..1000) and/or oom_policy "
                          "(continue, stop, kill)")
        if value is not None and not -1000 <= value <= 1000:
            raise Failure("value must be between -1000 and 1000, got %d" % value)
        if policy is not None:
            others = [u for u in units if _systemd.unit_type(u) not in _systemd.OOM_POLICY_TYPES]
            if others:
                raise Failure("oom_policy applies to .service units only, not to %s"
                              % ", ".join(others))
    dropin = params["dropin"]
    if not DROPIN_RE.match(dropin) or dropin.startswith("."):
        raise Failure("dropin must match ^[A-Za-z0-9_.@-]+\\.conf$ and not start with '.', "
                      "got %r" % dropin)
    split = _systemd.split_unit_dir(params["unit_dir"])
    if split is None:
        raise Failure("unit_dir must be /etc/systemd/system or /run/systemd/system, or one of "
                      "them below another root directory (e.g. /mnt/image/etc/systemd/system), "
                      "got %r" % params["unit_dir"])
    return units, split[0], split[1]


def plan_unit(host, unit, tree_root, std_dir, params, warnings):
    """Decide what to do for one unit; touch nothing."""
    unit_d = _systemd.join_root(_systemd.join_root(host.root, tree_root), std_dir, unit + ".d")
    path = os.path.join(unit_d, params["dropin"])
    if os.path.isdir(path):
        raise Failure("%s: %s is a directory, not a drop-in file" % (unit, path))
    existing = _managed.read_text(path)
    managed = existing is not None and _managed.has_marker(existing)
    plan = {"unit": unit, "path": path, "unit_d": unit_d, "before": existing,
            "after": None, "changed": False, "remove_dir": False}
    if params["state"] == "present":
        if existing is not None and not managed and not params["force"]:
            raise Failure(
                "%s: %s exists and is not managed by sre.oom (no '%s' header); refusing to "
                "overwrite it. Move it away, choose another dropin name, or set force=true"
                % (unit, path, _managed.MARKER))
        if managed:
            created = _systemd.has_dir_flag(existing)
        else:
            created = not os.path.isdir(unit_d)
        plan["after"] = _systemd.render_dropin(unit, params["value"], params["oom_policy"],
                                               created_dir=created)
        mode_ok = existing is None or (os.stat(path).st_mode & 0o7777) == FILE_MODE
        plan["changed"] = existing != plan["after"] or not mode_ok
    elif existing is not None:
        if managed:
            plan["changed"] = True
            plan["after"] = None
            plan["remove_dir"] = _systemd.has_dir_flag(existing)
        else:
            warnings.append("%s: %s is not managed by sre.oom (no '%s' header); left in place"
                            % (unit, path, _managed.MARKER))
    return plan


def apply_files(module, plans):
    for plan in plans:
        if not plan["changed"]:
            continue
        if plan["after"] is not None:
            _managed.atomic_write(module, plan["path"], plan["after"], mode=FILE_MODE)
            continue
        os.unlink(plan["path"])
        if plan["remove_dir"]:
            try:
                os.rmdir(plan["unit_d"])
            except OSError as e:
                if e.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                    raise


def run_checked(host, argv, what):
    rc, out, err = host.run(argv)
    if rc != 0 or err.strip():
        raise Failure("%s failed (rc=%d): %s" % (what, rc, err.strip() or out.strip()),
                      rc=rc, stdout=out, stderr=err, cmd=argv)
    return out


def show(host, systemctl, units, warnings):
    argv = _systemd.show_argv(systemctl, SHOW_PROPS, units)
    rc, out, err = host.run(argv)
    if rc != 0:
        raise Failure("systemctl show failed (rc=%d): %s" % (rc, err.strip() or out.strip()),
                      rc=rc, stdout=out, stderr=err, cmd=argv)
    try:
        blocks = _systemd.parse_show(out, len(units))
    except ValueError as e:
        raise Failure("cannot read the output of systemctl show: %s" % e,
                      rc=rc, stdout=out, stderr=err, cmd=argv)
    if err.strip():
        warnings.append("systemctl show: %s" % err.strip())
    return dict(zip(units, blocks))


def cap_message(host, value, current):
    cap = _systemd.has_cap_sys_resource(host.root)
    lacks = {True: "which this process has, yet was refused",
             False: "which this process lacks",
             None: "which this process may lack"}[cap]
    return ("EACCES: the kernel refused oom_score_adj %d (current %d); values below a "
            "process's minimum need CAP_SYS_RESOURCE, %s" % (value, current, lacks))


def apply_live(host, pids, value, check_mode):
    updated, failed = [], {}
    for pid in pids:
        proc = host.path("/proc/%d/oom_score_adj" % pid)
        try:
            with host.open(proc, "r") as f:
                current = int(f.read().strip())
        except (IOError, OSError) as e:
            if e.errno in (errno.ENOENT, errno.ESRCH):
                failed[str(pid)] = "the process exited"
            else:
                failed[str(pid)] = "cannot read %s: %s" % (proc, e.strerror or e)
            continue
        except ValueError:
            failed[str(pid)] = "cannot read %s: not a number" % proc
            continue
        if current == value:
            continue
        if check_mode:
            updated.append(pid)
            continue
        try:
            with host.open(proc, "w") as f:
                f.write("%d\n" % value)
        except (IOError, OSError) as e:
            if e.errno in (errno.EACCES, errno.EPERM):
                failed[str(pid)] = cap_message(host, value, current)
            elif e.errno in (errno.ENOENT, errno.ESRCH):
                failed[str(pid)] = "the process exited"
            else:
                failed[str(pid)] = "cannot write %s: %s" % (proc, e.strerror or e)
            continue
        updated.append(pid)
    return updated, failed


def unit_result(plan, params):
    present = params["state"] == "present"
    return {
        "path": plan["path"],
        "changed": plan["changed"],
        "value": params["value"] if present else None,
        "oom_policy": params["oom_policy"] if present else None,
        "effective": {"oom_score_adj": None, "oom_policy": None},
        "shadowed_by": [],
        "live": {"updated": [], "failed": {}},
        "restarted": False,
    }


def run_module(module, host):
    params = module.params
    check = module.check_mode
    warnings = []
    result = {"changed": False, "daemon_reloaded": False, "systemd_running": False, "units": {}}

    units, tree_root, std_dir = validate(params)
    try:
        plans = [plan_unit(host, u, tree_root, std_dir, params, warnings) for u in units]
    except (IOError, OSError) as e:
        raise Failure("cannot read the current drop-ins: %s" % e)
    for plan in plans:
        result["units"][plan["unit"]] = unit_result(plan, params)

    any_changed = any(p["changed"] for p in plans)
    result["changed"] = any_changed
    if module._diff:
        result["diff"] = [{"before_header": p["path"], "after_header": p["path"],
                           "before": p["before"] or "", "after": p["after"] or ""}
                          for p in plans if p["changed"]]

    # Shadowing, from the files (what systemd will apply), with ours assumed present.
    tree = _systemd.join_root(host.root, tree_root)
    if params["state"] == "present":
        keys = []
        if params["value"] is not None:
            keys.append(_systemd.KEY_ADJ)
        if params["oom_policy"] is not None:
            keys.append(_systemd.KEY_POLICY)
        for plan in plans:
            dirs = _systemd.dropin_dirs(plan["unit"], tree)
            resolved = _systemd.resolve_dropins(dirs, assume=(plan["path"],))
            shadow = _systemd.shadowed_by(plan["path"], keys, plan["unit"], resolved)
            result["units"][plan["unit"]]["shadowed_by"] = shadow
            if params["value"] is not None and shadow:
                plan["adj_shadowed"] = bool(_systemd.shadowed_by(
                    plan["path"], [_systemd.KEY_ADJ], plan["unit"], resolved))
            if shadow:
                warnings.append("%s: the managed drop-in %s is overridden by %s"
                                % (plan["unit"], plan["path"], ", ".join(shadow)))

    if not check:
        try:
            apply_files(module, plans)
        except (IOError, OSError) as e:
            raise Failure("cannot write the drop-ins: %s" % e, **result)

    live_tree = tree_root == "/" and _systemd.systemd_is_pid1(host.root)
    result["systemd_running"] = live_tree
    if not live_tree:
        if tree_root == "/" and not _systemd.systemd_is_pid1(host.root) and any_changed:
            warnings.append("systemd is not PID 1 here: drop-ins written, nothing reloaded, "
                            "applied live or restarted")
        for plan in plans:
            if (params["state"] == "present" and not _systemd.unit_file_exists(plan["unit"], tree)):
                warnings.append("%s is not installed; its drop-in takes effect once it is"
                                % plan["unit"])
        return result, warnings

    try:
        finish_live(module, host, plans, result, warnings, any_changed)
    except Failure as e:
        e.extra.update(result)
        raise
    return result, warnings


def finish_live(module, host, plans, result, warnings, any_changed):
    params = module.params
    check = module.check_mode
    systemctl = host.systemctl()
    queried = [p["unit"] for p in plans if not _systemd.is_template(p["unit"])]

    reloaded = False
    if any_changed and params["daemon_reload"]:
        if not check:
            run_checked(host, [systemctl, "daemon-reload"], "systemctl daemon-reload")
        reloaded = True
    elif any_changed:
        warnings.append("daemon_reload=false: systemd keeps the old values until the next "
                        "daemon-reload")
    props = show(host, systemctl, queried, warnings) if queried else {}
    if (params["daemon_reload"] and not reloaded
            and any(p.get("NeedDaemonReload") == "yes" for p in props.values())):
        reloaded = True
        if not check:
            run_checked(host, [systemctl, "daemon-reload"], "systemctl daemon-reload")
            props = show(host, systemctl, queried, warnings)
    result["daemon_reloaded"] = reloaded
    result["changed"] = result["changed"] or reloaded

    for unit in queried:
        p = props[unit]
        res = result["units"][unit]
        res["effective"] = {
            "oom_score_adj": _systemd.parse_show_int(p.get("OOMScoreAdjust")),
            "oom_policy": p.get("OOMPolicy") or None,
        }
        if p.get("LoadState") == "not-found" and params["state"] == "present":
            warnings.append("%s is not installed; its drop-in takes effect once it is" % unit)
            continue
        if (params["state"] == "present" and not res["shadowed_by"] and not check
                and (reloaded or not any_changed)):
            for key, want, got in (("OOMScoreAdjust", res["value"], res["effective"]["oom_score_adj"]),
                                   ("OOMPolicy", res["oom_policy"], res["effective"]["oom_policy"])):
                if want is not None and want != got:
                    warnings.append("%s: systemd reports %s=%s, not %s (drop-ins it loaded: %s)"
                                    % (unit, key, got, want, p.get("DropInPaths") or "none"))

    # Restart the units whose drop-in changed.
    if params["restart"] != "never":
        targets = []
        for plan in plans:
            unit = plan["unit"]
            if not plan["changed"] or unit not in props:
                continue
            if props[unit].get("LoadState") == "not-found":
                continue
            if params["restart"] == "always" or props[unit].get("ActiveState") in RUNNING_STATES:
                targets.append(unit)
        if targets:
            verb = "restart" if params["restart"] == "always" else "try-restart"
            if not check:
                run_checked(host, [systemctl, verb, "--"] + targets, "systemctl %s" % verb)
            for unit in targets:
                result["units"][unit]["restarted"] = True
            result["changed"] = True

    # Apply the value to the processes already running.
    if not (params["apply_live"] and params["state"] == "present" and params["value"] is not None):
        return
    plans_by_unit = {p["unit"]: p for p in plans}
    for unit in queried:
        res = result["units"][unit]
        if plans_by_unit[unit].get("adj_shadowed"):
            continue
        pids = _systemd.cgroup_pids(props[unit].get("ControlGroup"), host.root)
        if not pids:
            continue
        updated, failed = apply_live(host, pids, params["value"], check)
        res["live"] = {"updated": updated, "failed": failed}
        if updated:
            result["changed"] = True
        if failed:
            warnings.append("%s: oom_score_adj=%d not applied live to %d of %d processes: %s"
                            % (unit, params["value"], len(failed), len(pids),
                               "; ".join("pid %s: %s" % kv for kv in sorted(failed.items()))))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="list", elements="str", required=True, aliases=["unit", "units"]),
            value=dict(type="int"),
            oom_policy=dict(type="str", choices=list(_systemd.OOM_POLICIES)),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            dropin=dict(type="str", default="50-oom-score-adj.conf"),
            unit_dir=dict(type="path", default="/etc/systemd/system"),
            daemon_reload=dict(type="bool", default=True),
            apply_live=dict(type="bool", default=True),
            restart=dict(type="str", default="never", choices=["never", "if_running", "always"]),
            force=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    try:
        result, warnings = run_module(module, Host(module))
    except Failure as e:
        module.fail_json(msg=e.msg, **e.extra)
    for w in warnings:
        module.warn(w)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: oom_policy
short_description: Set the system-wide OOM behaviour, live and persisted
version_added: 0.1.0
description:
  - Manages the kernel's system-wide out-of-memory settings (C(vm.panic_on_oom),
    C(kernel.panic), C(vm.oom_kill_allocating_task), C(vm.oom_dump_tasks),
    C(vm.overcommit_memory), C(vm.overcommit_ratio)) idempotently.
  - Only the options you give are managed; the others are left alone, in the
    managed file and on the live kernel.
  - Live values are read from and written to C(/proc/sys) key by key and read back
    to confirm. A whole file is never reloaded (no C(sysctl -p)).
  - Persists the values in one managed file (by default
    C(/etc/sysctl.d/60-sre-oom.conf)), written atomically with mode C(0644) and a
    header marking it as managed by sre.oom. The module refuses to overwrite or
    remove a file at O(path) whose first line is not exactly that header line,
    which names the collection, its version and the module; the header of
    sre.oom 0.1.0 (without a version) counts too. A file that merely mentions the
    marker elsewhere is a user's file.
  - The managed file converges in content, mode C(0644) and owner C(root:root)
    (when running as root). A file whose mode or owner drifted is rewritten and
    the task reports a change, with the drift in RV(file_attrs_drift) and the diff.
  - Every write is prepared first (directories, a temporary file beside the target)
    and checked before any live value changes. A failure after live values were
    written (the file cannot be renamed into place) rolls the live values back; the
    failed result lists what was restored in RV(rolled_back).
  - Optionally manages the system-wide systemd-oomd settings (C(SwapUsedLimit=),
    C(DefaultMemoryPressureLimit=), C(DefaultMemoryPressureDurationSec=)) in one
    C([OOM]) drop-in, O(oomd_path), with the same header, atomic write, shadowing check
    and convergence as the sysctl file. When the file changed and systemd-oomd runs, it
    is restarted with C(systemctl try-restart systemd-oomd.service) (a restart, so the
    new values are certainly read; nothing is started that was not running) and the
    values it uses are read back with C(oomctl dump). Where it does not run (not
    installed, cgroup v1, check mode) the effective values are computed from the files
    in systemd's order.
  - Tells you when another sysctl file would override the managed value at boot
    (see O(on_shadowed)), and warns about risky combinations
    (C(panic_on_oom) without C(kernel.panic), C(panic_on_oom=2), a kubelet on the host).
author:
  - sre.oom maintainers (@sre-oom)
extends_documentation_fragment:
  - sre.oom._attributes
  - sre.oom._attributes.changes
attributes:
  check_mode:
    description: Reports exactly which live values and which file lines would change; writes nothing.
  diff_mode:
    description: Returns the managed file before and after, and the live values before and after.
  platform:
    description: Linux only (C(/proc/sys), sysctl.d).
options:
  panic_on_oom:
    description:
      - C(vm.panic_on_oom). V(0) lets the OOM killer kill a process; V(1) panics
        unless the OOM is constrained to a memory cgroup, cpuset or mempolicy;
        V(2) always panics, also when a single container or service hits its own
        memory limit.
      - One of V(0), V(1), V(2), as a number or a string holding only the number.
        Booleans, floats (V(1.0)) and anything else are refused before anything
        changes (the option is typed C(raw) so that the module, not Ansible's
        conversion, decides).
    type: raw
  panic:
    description:
      - C(kernel.panic), seconds to wait before rebooting after a panic. V(0) keeps
        a panicked host down; a negative value reboots at once.
      - An integer from -2147483648 to 2147483647; booleans and floats are refused.
    type: raw
  oom_kill_allocating_task:
    description: C(vm.oom_kill_allocating_task). Kill the task that triggered the OOM instead of scanning for the largest one.
    type: bool
  oom_dump_tasks:
    description: C(vm.oom_dump_tasks). Print the task table to the kernel log on OOM.
    type: bool
  overcommit_memory:
    description:
      - C(vm.overcommit_memory). V(0) heuristic, V(1) always overcommit, V(2) strict accounting.
      - One of V(0), V(1), V(2); booleans and floats are refused.
    type: raw
  overcommit_ratio:
    description:
      - C(vm.overcommit_ratio), percent of RAM counted in the commit limit when O(overcommit_memory=2).
      - An integer from 0 to 2147483647; booleans and floats are refused.
    type: raw
  oomd_swap_used_limit:
    description:
      - C(SwapUsedLimit=) of systemd-oomd (oomd.conf(5)), written to the drop-in
        O(oomd_path). A percentage from V(0%) to V(100%) as systemd accepts it
        (V(60%), V(60.5%), permille V(605‰) or permyriad V(6050‱)); systemd's default is V(90%).
      - On systemd 247 it is written as C(SwapUsedLimitPercent=), whole percentages only.
    type: raw
    version_added: 0.2.0
  oomd_default_memory_pressure_limit:
    description:
      - C(DefaultMemoryPressureLimit=) of systemd-oomd, same format as
        O(oomd_swap_used_limit); systemd's default is V(60%).
      - On systemd 247 it is written as C(DefaultMemoryPressureLimitPercent=).
    type: raw
    version_added: 0.2.0
  oomd_default_memory_pressure_duration_sec:
    description:
      - C(DefaultMemoryPressureDurationSec=) of systemd-oomd, a systemd time span
        (V(30s), V(1min 30s), V(20) = seconds, or an integer of seconds); V(0) or at
        least one second. systemd's default is V(30s).
      - systemd 247 lacks this setting; there it is left out of the file with a warning.
    type: raw
    version_added: 0.2.0
  oomd_path:
    description:
      - The managed systemd-oomd drop-in, written only when an C(oomd_*) setting is
        given. Same rules as O(path) (absolute, ending in C(.conf), no symlink, sre.oom's
        header on an existing file).
      - Outside the C(oomd.conf.d) directories (C(/etc/systemd), C(/run/systemd),
        C(/usr/local/lib/systemd), C(/usr/lib/systemd), C(/lib/systemd)) it is not read
        by systemd-oomd; the module warns.
    type: path
    default: /etc/systemd/oomd.conf.d/60-sre-oom.conf
    version_added: 0.2.0
  oomd_on_unsupported:
    description:
      - systemd-oomd acts only with the unified cgroup v2 hierarchy, the memory
        controller (memory accounting) and Pressure Stall Information
        (C(/proc/pressure/memory)), and only when it is installed. Where one is missing
        the module returns RV(oomd_supported=false) with RV(oomd_unsupported_reasons).
      - V(warn) writes the drop-in all the same (it takes effect once the host can run
        systemd-oomd, for example after booting with cgroup v2) and warns; V(fail)
        fails before changing anything.
    type: str
    choices: [warn, fail]
    default: warn
    version_added: 0.2.0
  state:
    description:
      - V(present) sets the given keys live and in the managed file.
      - V(absent) removes the given keys from the managed file (and the given C(oomd_*)
        settings from O(oomd_path)) and deletes a file when no key is left. B(Live values are left as they are); the kernel keeps
        them until the next boot or until something else sets them.
    type: str
    choices: [present, absent]
    default: present
  path:
    description:
      - The managed file. Must be an absolute path ending in C(.conf), without
        C(.) or C(..) components or control characters, each name at most 255 bytes.
      - A symlink at O(path), or as the directory holding it, is refused (never
        written through, never replaced). A regular file there must start with the
        sre.oom header line, else it is refused as a user's file.
      - A path outside the sysctl.d directories (C(/etc/sysctl.d), C(/run/sysctl.d),
        C(/usr/local/lib/sysctl.d), C(/usr/lib/sysctl.d), C(/lib/sysctl.d)) is
        allowed but not loaded at boot; the module then returns
        RV(loaded_at_boot=false) and warns.
    type: path
    default: /etc/sysctl.d/60-sre-oom.conf
  apply:
    description:
      - V(auto) writes live values where C(/proc/sys) is writable. Where it is not
        (a read-only C(/proc/sys) in an unprivileged container), it persists only,
        returns RV(live_applied=false) with the reason, and warns.
      - V(always) fails, changing nothing, when live values cannot be written.
      - V(never) persists only.
    type: str
    choices: [auto, always, never]
    default: auto
  on_shadowed:
    description:
      - What to do when another file would override a managed key at boot, following
        the systemd-sysctl order (files sorted by basename across the sysctl.d
        directories, C(/etc) winning for the same basename) followed by
        C(/etc/sysctl.conf), which C(sysctl --system) applies last.
      - For the C(oomd_*) settings, the order of oomd.conf(5) is followed. The main
        C(oomd.conf) is read first (so it never overrides a drop-in), then every
        C(oomd.conf.d/*.conf) sorted by file name across C(/etc), C(/run),
        C(/usr/local/lib), C(/usr/lib) (and C(/lib)); a later file wins, and a file of the
        same name in a directory listed earlier hides O(oomd_path) whole.
      - V(warn) returns RV(shadowed_by) and warns; V(fail) fails before changing
        anything; V(ignore) only returns RV(shadowed_by).
    type: str
    choices: [warn, fail, ignore]
    default: warn
notes:
  - C(vm.*) and C(kernel.panic) are not namespaced. In a privileged container this
    module changes the values of the whole machine.
  - A kubelet resets C(vm.panic_on_oom) and C(vm.overcommit_memory) to its own
    values when it starts; the module warns when one runs.
seealso:
  - module: sre.oom.oom_score_adj
  - module: sre.oom.oom_facts
  - name: sysctl.d(5)
    description: Where and in which order systemd-sysctl reads sysctl files.
    link: https://www.freedesktop.org/software/systemd/man/latest/sysctl.d.html
"""

EXAMPLES = r"""
- name: Never panic on OOM; reboot 10 seconds after any other panic
  sre.oom.oom_policy:
    panic_on_oom: 0
    panic: 10

- name: Panic on an unconstrained OOM and reboot, with task dumps for the post-mortem
  sre.oom.oom_policy:
    panic_on_oom: 1
    panic: 10
    oom_dump_tasks: true
    on_shadowed: fail

- name: Strict overcommit accounting, persisted only (applied at the next boot)
  sre.oom.oom_policy:
    overcommit_memory: 2
    overcommit_ratio: 80
    apply: never

- name: systemd-oomd acts on swap use above 80% and on 20 s of memory pressure
  sre.oom.oom_policy:
    oomd_swap_used_limit: 80%
    oomd_default_memory_pressure_limit: 60%
    oomd_default_memory_pressure_duration_sec: 20s
    oomd_on_unsupported: fail

- name: Stop managing kernel.panic (the live value stays as it is)
  sre.oom.oom_policy:
    panic: 0
    state: absent
"""

RETURN = r"""
path:
  description: The managed file.
  returned: always
  type: str
  sample: /etc/sysctl.d/60-sre-oom.conf
loaded_at_boot:
  description: Whether O(path) is in a directory read at boot.
  returned: always
  type: bool
  sample: true
live:
  description:
    - For each managed key, the live value before and after (in check mode, what it
      would be after). Empty with O(state=absent).
    - A key that cannot be read has V(null) values.
  returned: always
  type: dict
  sample: {"vm.panic_on_oom": {"before": 0, "after": 1}}
persisted:
  description: Every key and value in the managed file after the task (empty when the file is gone).
  returned: always
  type: dict
  sample: {"vm.panic_on_oom": 1, "kernel.panic": 10}
live_applied:
  description: Whether live values were (or in check mode would be) written.
  returned: always
  type: bool
  sample: true
live_skipped_reason:
  description: Why live values were not written, or V(null) when they were.
  returned: always
  type: str
  sample: /proc/sys/vm is on a read-only filesystem (an unprivileged container?)
shadowed_by:
  description:
    - For each managed key that another file would set at boot, that file. systemd-oomd
      keys (C(SwapUsedLimit) ...) appear here too, with the drop-in that overrides them.
  returned: always
  type: dict
  sample: {"vm.panic_on_oom": "/etc/sysctl.d/99-zz-local.conf", "SwapUsedLimit": "/etc/systemd/oomd.conf.d/99-x.conf"}
oomd_path:
  description: The systemd-oomd drop-in O(oomd_path).
  returned: always
  type: str
  sample: /etc/systemd/oomd.conf.d/60-sre-oom.conf
oomd_persisted:
  description: The settings in the oomd drop-in after the task (empty when no C(oomd_*) option is given).
  returned: always
  type: dict
  sample: {"SwapUsedLimit": "80%", "DefaultMemoryPressureDurationSec": "20s"}
oomd_supported:
  description:
    - Whether systemd-oomd can act on this host (see O(oomd_on_unsupported)); V(null) when
      no C(oomd_*) option is given.
  returned: always
  type: bool
  sample: false
oomd_unsupported_reasons:
  description: Why systemd-oomd cannot act on this host; empty when it can or when not asked.
  returned: always
  type: list
  elements: str
  sample: ["cgroup v2 is not the only hierarchy (hybrid layout: /sys/fs/cgroup/unified); ..."]
oomd_effective:
  description:
    - The three system-wide settings systemd-oomd uses, as RV(oomd_effective_source) gives
      them (C(oomctl dump) prints percentages with two decimals, for example V(90.00%)).
      Empty when no C(oomd_*) option is given.
  returned: always
  type: dict
  sample: {"SwapUsedLimit": "80%", "DefaultMemoryPressureLimit": "60%", "DefaultMemoryPressureDurationSec": "20s"}
oomd_effective_source:
  description: V(oomctl) (read back from the running daemon), V(files) (computed from the files), or V(null).
  returned: always
  type: str
  sample: files
oomd_restarted:
  description: Whether systemd-oomd was restarted (it was running and its drop-in changed).
  returned: always
  type: bool
  sample: false
oomd_file_attrs_drift:
  description: As RV(file_attrs_drift), for the oomd drop-in.
  returned: always
  type: list
  elements: str
  sample: []
warnings:
  description:
    - The warnings of this task (not loaded at boot, shadowed keys, risky combinations,
      live values skipped), as Ansible shows them. Ansible adds this key when there is
      at least one warning; use C(result.warnings | default([])).
  returned: when the task has warnings
  type: list
  elements: str
  sample: ["vm.panic_on_oom=1 with kernel.panic=0: after an OOM panic the host stays down ..."]
file_attrs_drift:
  description:
    - How the managed file's mode or owner differed from C(0644) C(root:root) (fixed,
      or in check mode to be fixed). Empty when they match or there is no file.
  returned: always
  type: list
  elements: str
  sample: ["mode 0600 -> 0644"]
rolled_back:
  description:
    - On a failure after something was changed, the live keys and the file paths
      that were put back as they were. Empty when the failure came before any change.
  returned: when a write failed
  type: list
  elements: str
  sample: ["vm.panic_on_oom"]
rollback_failed:
  description: On a failure, what could not be put back (a live key or a file path).
  returned: when a write failed after live values were written
  type: list
  elements: str
  sample: []
option:
  description:
    - On a refusal or failure about a file, the option naming it (V(path) or
      V(oomd_path)); V(oomd_on_unsupported) when that refused the run.
  returned: when a file was refused or could not be written
  type: str
  sample: path
rc:
  description: The exit status of C(systemctl try-restart systemd-oomd.service) when it failed.
  returned: when restarting systemd-oomd failed
  type: int
  sample: 1
stderr:
  description: What C(systemctl try-restart systemd-oomd.service) printed on error when it failed.
  returned: when restarting systemd-oomd failed
  type: str
  sample: "Job for systemd-oomd.service failed."
diff:
  description:
    - With C(--diff), the managed file and the live values before and after; when
      the file's mode or owner drifted, an entry C(<path> (mode, owner\)) too.
  returned: when diff mode is on
  type: list
  elements: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sre.oom.plugins.module_utils import _managed, _oomd, _sysctl, _systemd, _units

# The filesystem root for /proc and the sysctl.d directories; unit tests move it.
ROOT = "/"
FILE_MODE = 0o644
OOMD_UNIT = "systemd-oomd.service"


class PolicyError(Exception):
    """A refusal found while planning: the message, plus result keys to return."""

    def __init__(self, msg, **extra):
        super().__init__(msg)
        self.extra = extra


def _as_int(value):
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return value


def _live_text(values):
    return "".join("%s = %s\n" % (k, values[k]) for k in sorted(values))


def _attrs_text(state):
    return "mode %04o\nowner %d:%d\n" % (state["mode"], state["uid"], state["gid"])


def plan_file(option, path, state, render, parse, desired, what, equal=None):
    """Plan one managed file: read it (never through a symlink) and decide.

    ``render(values)`` gives the file text for a dict of values (None: no file),
    ``parse(text)`` the values of a file sre.oom wrote, ``equal(key, a, b)`` compares
    two values of a key. Raises PolicyError when the path holds something that is not
    sre.oom's regular file. With nothing ``desired`` the file is left as it is.
    """
    try:
        if desired:
            _managed.check_parent(path)  # what the write would refuse, refused now (also in check mode)
        st = _managed.file_state(path)
    except OSError as e:
        raise PolicyError("%s: %s. Nothing was changed." % (option, e), option=option, path=path)
    if st is not None and st["kind"] == "symlink":
        raise PolicyError(
            "%s: %s is a symlink; sre.oom never writes through a symlink. Remove the link (or the file it "
            "points to, if it is yours) or choose another %s. Nothing was changed." % (option, path, option),
            option=option, path=path)
    if st is not None and st["kind"] != "file":
        raise PolicyError("%s: %s exists and is not a regular file (a %s). Nothing was changed." % (
            option, path, "directory" if st["kind"] == "dir" else "device, socket or fifo"),
            option=option, path=path)
    current_text = st["text"] if st else None
    if current_text is not None and desired and not _managed.has_marker(current_text):
        raise PolicyError(
            "%s exists and was not written by sre.oom (its first line is not the '# %s ...' header); "
            "refusing to %s it. Move it away, or choose another %s." % (
                path, _managed.MARKER, "overwrite" if state == "present" else "edit", option),
            option=option, path=path)
    managed = current_text is not None and _managed.has_marker(current_text)
    current = parse(current_text) if managed else {}
    new_values = _sysctl.merge(current, desired, state)
    equal = equal or (lambda _key, a, b: _sysctl.values_equal(a, b))
    same = (set(new_values) == set(current)
            and all(equal(k, new_values[k], current[k]) for k in current))
    if not desired or (same and managed):
        new_text = current_text
    else:
        new_text = render(new_values) if new_values else None
    drift = []
    if desired and managed and new_text is not None:
        uid, gid = _managed.wanted_owner(st)
        drift = _managed.attrs_drift(st, FILE_MODE, uid, gid)
    return {
        "option": option,
        "path": path,
        "what": what,
        "state": st,
        "current_text": current_text,
        "new_text": new_text,
        "values": new_values if (managed or new_text is not None) else {},
        "drift": drift,
        "changed": new_text != current_text or bool(drift),
    }


def plan(params, root=ROOT, systemd_version=None):
    """Read the host and decide everything; touch nothing.

    Raises SysctlError, OomdError or PolicyError on bad input. ``systemd_version``
    is a callable returning the host's systemd version (or None), asked only when
    systemd-oomd settings are managed.
    """
    oomd_desired = _oomd.desired_from_params(params)
    p = plan_sysctl(params, root)
    p["oomd"] = plan_oomd(params, oomd_desired, root, systemd_version or (lambda _warnings: None))
    if p["oomd"]["managed"]:
        p["files"].append(p["oomd"]["file"])
        p["warnings"].extend(p["oomd"]["warnings"])
        p["shadowed_by"].update(p["oomd"]["shadowed_by"])
    return p


def _as_seen_from(root, path):
    """``<root>/etc/x`` -> ``/etc/x``: the path as the host's systemd sees it."""
    if root in ("", "/"):
        return path
    rel = os.path.relpath(path, root)
    return path if rel.startswith("..") else "/" + rel


def plan_oomd(params, desired, root, systemd_version):
    """Plan the systemd-oomd drop-in; an empty plan when no oomd option is given."""
    path = _sysctl.validate_path(params["oomd_path"], option="oomd_path", reader="systemd-oomd")
    if desired and path == os.path.normpath(params["path"]):
        raise _oomd.OomdError("oomd_path and path are both %s; they must name two different files" % path)
    o = {"managed": bool(desired), "path": path, "supported": None, "reasons": [], "warnings": [],
         "shadowed_by": {}, "persisted": {}, "effective": {}, "file": None, "version": None}
    if not desired:
        return o
    state = params["state"]
    version = systemd_version(o["warnings"])
    o["version"] = version
    if version is not None and version < _oomd.RENAMED_IN:
        key = "DefaultMemoryPressureDurationSec"
        if key in desired:
            del desired[key]
            o["warnings"].append(
                "systemd %d has no %s= (added in systemd %d): not written; the duration stays 30s"
                % (version, key, _oomd.RENAMED_IN))
        for key in ("SwapUsedLimit", "DefaultMemoryPressureLimit"):
            if key in desired and _oomd.percent(desired[key]) % 100:
                raise _oomd.OomdError(
                    "systemd %d reads %s only as a whole percentage (%sPercent=), got %s"
                    % (version, key, key, desired[key]))
    seen = _as_seen_from(root, path)
    f = plan_file("oomd_path", path, state, lambda values: _oomd.render(values, version), _oomd.parse_conf,
                  desired, "oomd", _oomd.values_equal)
    o["file"] = f
    o["persisted"] = dict(f["values"])
    reasons = _oomd.support(root)
    o["supported"] = not reasons
    o["reasons"] = reasons
    if reasons and state == "present":
        if params["oomd_on_unsupported"] == "fail":
            raise PolicyError(
                "systemd-oomd cannot act on this host: %s. oomd_on_unsupported=fail: nothing was changed."
                % "; ".join(reasons), option="oomd_on_unsupported", oomd_supported=False,
                oomd_unsupported_reasons=reasons)
        o["warnings"].append(
            "systemd-oomd cannot act on this host (%s): %s is written all the same and takes effect "
            "once it can" % ("; ".join(reasons), path))
    if state == "present" and "SwapUsedLimit" in desired and _oomd.swap_total_kb(root) == 0:
        o["warnings"].append("this host has no swap: SwapUsedLimit= has no effect until swap is added")
    if not _oomd.loaded(seen):
        o["warnings"].append("%s is not in a directory systemd-oomd reads (%s): the settings have no effect"
                             % (path, ", ".join(_oomd.DROPIN_DIRS)))
    if state == "present":
        o["shadowed_by"] = _oomd.shadowing(sorted(desired), seen, f["new_text"] or "", root)
    eff = _oomd.effective_from_files(root, seen, f["new_text"])
    o["effective"] = {k: v for k, (v, _src) in eff.items()}
    return o


def plan_sysctl(params, root=ROOT):
    """The sysctl part of the plan: the managed sysctl file and the live values."""
    desired = _sysctl.desired_from_params(params)
    path = _sysctl.validate_path(params["path"])
    state, apply_mode = params["state"], params["apply"]

    sysctl_file = plan_file("path", path, state, _sysctl.render_managed, _sysctl.parse_managed,
                            desired, "sysctl")
    new_text = sysctl_file["new_text"]
    p = {
        "path": path,
        "state": state,
        "desired": desired,
        "files": [sysctl_file],
        "persisted": {k: _as_int(v) for k, v in sysctl_file["values"].items()},
        "loaded_at_boot": _sysctl.loaded_at_boot(path),
        "shadowed_by": {},
        "warnings": [],
        "live": {},
        "to_write": [],
        "live_applied": False,
        "live_skipped_reason": None,
    }
    if not p["loaded_at_boot"]:
        p["warnings"].append(
            "%s is not in a directory read at boot (%s): the values are not restored after a reboot"
            % (path, ", ".join(_sysctl.SYSCTL_DIRS)))
    if state == "absent":
        p["live_skipped_reason"] = "state=absent leaves live values as they are"
        return p

    live_before = {k: _sysctl.read_live(k, root) for k in desired}
    p["shadowed_by"] = _sysctl.shadowing(sorted(desired), path, new_text or "", root)
    live_ints = {k: _as_int(v) for k, v in live_before.items()}
    p["warnings"].extend(_sysctl.cross_key_warnings(
        desired, dict(live_ints, **{"kernel.panic": _as_int(_sysctl.read_live("kernel.panic", root))}),
        _sysctl.kubelet_running(root) if ("vm.panic_on_oom" in desired or "vm.overcommit_memory" in desired) else False))

    if apply_mode == "never":
        p["live_skipped_reason"] = "apply=never: values are persisted only"
    elif desired:
        blocker = _sysctl.live_write_blocker(sorted(desired), root)
        if blocker and apply_mode == "always":
            raise _sysctl.SysctlError(
                "apply=always, but live values cannot be written: %s. Nothing was changed." % blocker)
        if blocker:
            p["live_skipped_reason"] = blocker
            p["warnings"].append("live values not applied, persisted only: %s" % blocker)
        else:
            p["live_applied"] = True
    if p["live_applied"]:
        p["to_write"] = [k for k in sorted(desired, key=_sysctl._key_sort)
                         if not _sysctl.values_equal(live_before[k], desired[k])]
    for k in desired:
        after = desired[k] if k in p["to_write"] else live_ints[k]
        p["live"][k] = {"before": live_ints[k], "after": after}
    return p


def _file_diffs(f):
    out = [{"before_header": f["path"], "after_header": f["path"],
            "before": f["current_text"] or "", "after": f["new_text"] or ""}]
    if f["drift"]:
        uid, gid = _managed.wanted_owner(f["state"])
        out.append({"before_header": "%s (mode, owner)" % f["path"], "after_header": "%s (mode, owner)" % f["path"],
                    "before": _attrs_text(f["state"]),
                    "after": _attrs_text({"mode": FILE_MODE, "uid": uid, "gid": gid})})
    return out


def run(module):
    params = module.params
    try:
        p = plan(params, ROOT, lambda warnings: _systemd.systemd_version(_units.Host(module), warnings))
    except (_sysctl.SysctlError, _oomd.OomdError) as e:
        module.fail_json(msg=str(e))
    except PolicyError as e:
        module.fail_json(msg=str(e), **e.extra)

    if p["shadowed_by"] and params["on_shadowed"] == "fail":
        module.fail_json(
            msg="another file overrides the managed value at boot: %s. Nothing was changed." % ", ".join(
                "%s in %s" % (k, v) for k, v in sorted(p["shadowed_by"].items())),
            shadowed_by=p["shadowed_by"], path=p["path"])
    if p["shadowed_by"] and params["on_shadowed"] == "warn":
        for k, v in sorted(p["shadowed_by"].items()):
            own = p["oomd"]["path"] if k in _oomd.KEYS else p["path"]
            p["warnings"].append("%s set in %s is overridden at boot by %s" % (k, own, v))

    files = [f for f in p["files"] if f["changed"]]
    changed = bool(files) or bool(p["to_write"])
    sysctl_file = p["files"][0]
    result = {
        "changed": changed,
        "path": p["path"],
        "loaded_at_boot": p["loaded_at_boot"],
        "live": p["live"],
        "persisted": p["persisted"],
        "live_applied": p["live_applied"],
        "live_skipped_reason": p["live_skipped_reason"],
        "shadowed_by": p["shadowed_by"],
        "file_attrs_drift": sysctl_file["drift"],
    }
    o = p["oomd"]
    result.update({
        "oomd_path": o["path"],
        "oomd_persisted": o["persisted"],
        "oomd_supported": o["supported"],
        "oomd_unsupported_reasons": o["reasons"],
        "oomd_effective": o["effective"],
        "oomd_effective_source": "files" if o["managed"] else None,
        "oomd_restarted": False,
        "oomd_file_attrs_drift": o["file"]["drift"] if o["managed"] else [],
    })
    for warning in p["warnings"]:
        module.warn(warning)
    if module._diff:
        diffs = _file_diffs(sysctl_file)
        diffs.append(
            {"before_header": "live /proc/sys", "after_header": "live /proc/sys",
             "before": _live_text({k: v["before"] for k, v in p["live"].items()}),
             "after": _live_text({k: v["after"] for k, v in p["live"].items()})})
        for f in p["files"][1:]:
            diffs.extend(_file_diffs(f))
        result["diff"] = diffs
    if module.check_mode or not changed:
        if o["managed"] and not (module.check_mode and o["file"]["changed"]):
            read_back(module, o, result)
        module.exit_json(**result)
    apply_changes(module, p, files, result)
    if o["managed"]:
        read_back(module, o, result)
    module.exit_json(**result)


def oomd_active(module):
    """True when systemd is PID 1 and systemd-oomd.service is active."""
    systemctl = module.get_bin_path("systemctl")
    if not systemctl or not _systemd.systemd_is_pid1(ROOT):
        return False
    rc, _out, _err = module.run_command([systemctl, "is-active", "--quiet", OOMD_UNIT],
                                        environ_update={"LC_ALL": "C"})
    return rc == 0


def restart_oomd(module):
    """``systemctl try-restart`` systemd-oomd when it runs. Returns (restarted, error or None)."""
    if not oomd_active(module):
        return False, None
    systemctl = module.get_bin_path("systemctl")
    rc, out, err = module.run_command([systemctl, "try-restart", OOMD_UNIT], environ_update={"LC_ALL": "C"})
    if rc != 0 or err.strip():
        return False, {"cmd": [systemctl, "try-restart", OOMD_UNIT], "rc": rc, "stdout": out, "stderr": err}
    return True, None


def read_back(module, o, result):
    """The values systemd-oomd uses: ``oomctl dump`` when it runs, else what the files say."""
    oomctl = module.get_bin_path("oomctl")
    if not oomctl or not oomd_active(module):
        return
    rc, out, _err = module.run_command([oomctl, "dump"], environ_update={"LC_ALL": "C"})
    dumped = _oomd.parse_dump(out) if rc == 0 else {}
    if not dumped:
        module.warn("systemd-oomd runs but `oomctl dump` gave no settings (rc=%d); the effective values "
                    "are what the files say" % rc)
        return
    result["oomd_effective"] = dumped
    result["oomd_effective_source"] = "oomctl"
    for key, value in sorted(o["file"]["values"].items()):
        if key in dumped and key not in o["shadowed_by"] and not _oomd.values_equal(key, value, dumped[key]):
            module.warn("systemd-oomd reports %s %s, not %s as written in %s" % (key, dumped[key], value, o["path"]))


def _fail(module, msg, result, **extra):
    out = dict(result)
    out.update(extra)
    # Only what could not be put back is still changed.
    out["changed"] = bool(extra.get("rollback_failed"))
    module.fail_json(msg=msg, **out)


def apply_changes(module, p, files, result):
    """Stage every file, write live values, then rename the files into place.

    Everything that can fail before a live value changes (directories, names,
    temporary files) fails first; a failure after live values were written rolls
    them back and restores any file already renamed, and the result says so.
    """
    staged = []
    for f in files:
        if f["new_text"] is None:
            continue
        try:
            staged.append((f, _managed.stage(module, f["path"], f["new_text"], FILE_MODE)))
        except OSError as e:
            _abort(staged)
            _fail(module, "%s: %s. Nothing was changed." % (f["option"], e), result,
                  option=f["option"], path=f["path"], rolled_back=[])

    # Live first: a value the kernel rejects is never persisted.
    written = []
    for key in p["to_write"]:
        try:
            _sysctl.write_live(key, p["desired"][key], ROOT)
        except _sysctl.SysctlError as e:
            _abort(staged)
            rolled_back, failed = _roll_back(written, p["live"])
            _fail(module, "%s. Nothing was persisted%s%s." % (
                e, "; restored %s" % ", ".join(rolled_back) if rolled_back else "",
                "; could NOT restore %s" % ", ".join(failed) if failed else ""),
                result, key=key, rolled_back=[r.split("=", 1)[0] for r in rolled_back], rollback_failed=failed)
        written.append(key)

    done = []
    for f in files:
        try:
            if f["new_text"] is None:
                _managed.remove(f["path"])
            else:
                entry = [s for s in staged if s[0] is f][0]
                staged.remove(entry)
                entry[1].commit()
        except OSError as e:
            _abort(staged)
            rolled_back, failed = _roll_back(written, p["live"])
            files_back, files_failed = _restore_files(module, done)
            what = rolled_back + files_back
            _fail(module, "%s: %s.%s%s" % (
                f["option"], e,
                " Rolled back: %s." % ", ".join(what) if what else " Nothing was changed.",
                " Could NOT roll back: %s." % ", ".join(failed + files_failed) if failed or files_failed else ""),
                result, option=f["option"], path=f["path"],
                rolled_back=[r.split("=", 1)[0] for r in rolled_back] + [x.split(" ", 1)[0] for x in files_back],
                rollback_failed=failed + files_failed)
        done.append(f)

    if any(f["what"] == "oomd" for f in done):
        restarted, error = restart_oomd(module)
        if error:
            rolled_back, failed = _roll_back(written, p["live"])
            files_back, files_failed = _restore_files(module, done)
            restart_oomd(module)  # back to the previous settings, if it comes up at all
            what = rolled_back + files_back
            _fail(module, "systemctl try-restart %s failed (rc %d): %s.%s%s" % (
                OOMD_UNIT, error["rc"], (error["stderr"] or error["stdout"]).strip() or "no output",
                " Rolled back: %s." % ", ".join(what) if what else "",
                " Could NOT roll back: %s." % ", ".join(failed + files_failed) if failed or files_failed else ""),
                result, option="oomd_path", path=p["oomd"]["path"],
                rolled_back=[r.split("=", 1)[0] for r in rolled_back] + [x.split(" ", 1)[0] for x in files_back],
                rollback_failed=failed + files_failed, **error)
        result["oomd_restarted"] = restarted


def _abort(staged):
    for _f, s in staged:
        s.abort()


def _restore_files(module, done):
    """Put back the previous content of files already replaced (or remove new ones)."""
    restored, failed = [], []
    for f in reversed(done):
        try:
            if f["current_text"] is None:
                _managed.remove(f["path"])
            else:
                _managed.atomic_write(module, f["path"], f["current_text"], f["state"]["mode"])
            restored.append("%s (previous content)" % f["path"])
        except OSError:
            failed.append(f["path"])
    return restored, failed


def _roll_back(written, live):
    restored, failed = [], []
    for key in reversed(written):
        before = live[key]["before"]
        if before is None:
            failed.append(key)
            continue
        try:
            _sysctl.write_live(key, before, ROOT)
            restored.append("%s=%s" % (key, before))
        except _sysctl.SysctlError:
            failed.append(key)
    return restored, failed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            panic_on_oom=dict(type="raw"),
            panic=dict(type="raw"),
            oomd_swap_used_limit=dict(type="raw"),
            oomd_default_memory_pressure_limit=dict(type="raw"),
            oomd_default_memory_pressure_duration_sec=dict(type="raw"),
            oomd_path=dict(type="path", default=_oomd.DEFAULT_PATH),
            oomd_on_unsupported=dict(type="str", choices=["warn", "fail"], default="warn"),
            oom_kill_allocating_task=dict(type="bool"),
            oom_dump_tasks=dict(type="bool"),
            overcommit_memory=dict(type="raw"),
            overcommit_ratio=dict(type="raw"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            path=dict(type="path", default=_sysctl.DEFAULT_PATH),
            apply=dict(type="str", choices=["auto", "always", "never"], default="auto"),
            on_shadowed=dict(type="str", choices=["warn", "fail", "ignore"], default="warn"),
        ),
        supports_check_mode=True,
    )
    run(module)


if __name__ == "__main__":
    main()

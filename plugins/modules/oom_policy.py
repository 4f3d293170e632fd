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
    remove a file at O(path) that does not carry that header.
  - Tells you when another sysctl file would override the managed value at boot
    (see O(on_shadowed)), and warns about risky combinations
    (C(panic_on_oom) without C(kernel.panic), C(panic_on_oom=2), a kubelet on the host).
author:
  - sre.oom maintainers (@sre-oom)
attributes:
  check_mode:
    support: full
    description: Reports exactly which live values and which file lines would change; writes nothing.
  diff_mode:
    support: full
    description: Returns the managed file before and after, and the live values before and after.
  platform:
    support: full
    platforms: linux
    description: Linux only (C(/proc/sys), sysctl.d).
options:
  panic_on_oom:
    description:
      - C(vm.panic_on_oom). V(0) lets the OOM killer kill a process; V(1) panics
        unless the OOM is constrained to a memory cgroup, cpuset or mempolicy;
        V(2) always panics, also when a single container or service hits its own
        memory limit.
      - Booleans are refused; give the number.
    type: int
    choices: [0, 1, 2]
  panic:
    description:
      - C(kernel.panic), seconds to wait before rebooting after a panic. V(0) keeps
        a panicked host down; a negative value reboots at once.
    type: int
  oom_kill_allocating_task:
    description: C(vm.oom_kill_allocating_task). Kill the task that triggered the OOM instead of scanning for the largest one.
    type: bool
  oom_dump_tasks:
    description: C(vm.oom_dump_tasks). Print the task table to the kernel log on OOM.
    type: bool
  overcommit_memory:
    description: C(vm.overcommit_memory). V(0) heuristic, V(1) always overcommit, V(2) strict accounting.
    type: int
    choices: [0, 1, 2]
  overcommit_ratio:
    description: C(vm.overcommit_ratio), percent of RAM counted in the commit limit when O(overcommit_memory=2). An integer >= 0.
    type: int
  state:
    description:
      - V(present) sets the given keys live and in the managed file.
      - V(absent) removes the given keys from the managed file and deletes the file
        when no key is left. B(Live values are left as they are); the kernel keeps
        them until the next boot or until something else sets them.
    type: str
    choices: [present, absent]
    default: present
  path:
    description:
      - The managed file. Must be an absolute path ending in C(.conf).
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
  description: For each managed key that another file would set at boot, that file.
  returned: always
  type: dict
  sample: {"vm.panic_on_oom": "/etc/sysctl.d/99-zz-local.conf"}
warnings:
  description:
    - The warnings of this task (not loaded at boot, shadowed keys, risky combinations,
      live values skipped), as Ansible shows them. Ansible adds this key when there is
      at least one warning; use C(result.warnings | default([])).
  returned: when the task has warnings
  type: list
  elements: str
  sample: ["vm.panic_on_oom=1 with kernel.panic=0: after an OOM panic the host stays down ..."]
diff:
  description: With C(--diff), the managed file and the live values before and after.
  returned: when diff mode is on
  type: list
  elements: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sre.oom.plugins.module_utils import _managed, _sysctl

# The filesystem root for /proc and the sysctl.d directories; unit tests move it.
ROOT = "/"


def _as_int(value):
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return value


def _live_text(values):
    return "".join("%s = %s\n" % (k, values[k]) for k in sorted(values))


def plan(params, root=ROOT):
    """Read the host and decide everything; touch nothing. Raise SysctlError on bad input."""
    desired = _sysctl.desired_from_params(params)
    path = _sysctl.validate_path(params["path"])
    state, apply_mode = params["state"], params["apply"]

    current_text = _managed.read_text(path)
    if current_text is not None and not _managed.has_marker(current_text):
        raise _sysctl.SysctlError(
            "%s exists and was not written by sre.oom (no '%s' header); refusing to %s it. "
            "Move it away, or choose another path." % (
                path, _managed.MARKER, "overwrite" if state == "present" else "edit"))
    current = _sysctl.parse_managed(current_text)
    new_values = _sysctl.merge(current, desired, state)
    same = (set(new_values) == set(current)
            and all(_sysctl.values_equal(new_values[k], current[k]) for k in current))
    if same:
        new_text = current_text
    else:
        new_text = _sysctl.render_managed(new_values) if new_values else None

    p = {
        "path": path,
        "state": state,
        "desired": desired,
        "current_text": current_text,
        "new_text": new_text,
        "file_changed": new_text != current_text,
        "persisted": {k: _as_int(v) for k, v in new_values.items()},
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


def run(module):
    params = module.params
    try:
        p = plan(params, ROOT)
    except _sysctl.SysctlError as e:
        module.fail_json(msg=str(e))

    if p["shadowed_by"] and params["on_shadowed"] == "fail":
        module.fail_json(
            msg="another file overrides the managed value at boot: %s. Nothing was changed." % ", ".join(
                "%s in %s" % (k, v) for k, v in sorted(p["shadowed_by"].items())),
            shadowed_by=p["shadowed_by"], path=p["path"])
    if p["shadowed_by"] and params["on_shadowed"] == "warn":
        for k, v in sorted(p["shadowed_by"].items()):
            p["warnings"].append("%s set in %s is overridden at boot by %s" % (k, p["path"], v))

    changed = p["file_changed"] or bool(p["to_write"])
    result = {
        "changed": changed,
        "path": p["path"],
        "loaded_at_boot": p["loaded_at_boot"],
        "live": p["live"],
        "persisted": p["persisted"],
        "live_applied": p["live_applied"],
        "live_skipped_reason": p["live_skipped_reason"],
        "shadowed_by": p["shadowed_by"],
    }
    for warning in p["warnings"]:
        module.warn(warning)
    if module._diff:
        result["diff"] = [
            {"before_header": p["path"], "after_header": p["path"],
             "before": p["current_text"] or "", "after": p["new_text"] or ""},
            {"before_header": "live /proc/sys", "after_header": "live /proc/sys",
             "before": _live_text({k: v["before"] for k, v in p["live"].items()}),
             "after": _live_text({k: v["after"] for k, v in p["live"].items()})},
        ]
    if module.check_mode or not changed:
        module.exit_json(**result)

    # Live first: a value the kernel rejects is never persisted.
    written = []
    for key in p["to_write"]:
        try:
            _sysctl.write_live(key, p["desired"][key], ROOT)
        except _sysctl.SysctlError as e:
            rolled_back = _roll_back(written, p["live"])
            module.fail_json(
                msg="%s. Nothing was persisted%s." % (
                    e, "; restored %s" % ", ".join(rolled_back) if rolled_back else ""),
                key=key, path=p["path"])
        written.append(key)

    if p["file_changed"]:
        if p["new_text"] is None:
            os.unlink(p["path"])
        else:
            _managed.atomic_write(module, p["path"], p["new_text"], mode=0o644)
    module.exit_json(**result)


def _roll_back(written, live):
    restored = []
    for key in reversed(written):
        before = live[key]["before"]
        if before is None:
            continue
        try:
            _sysctl.write_live(key, before, ROOT)
            restored.append("%s=%s" % (key, before))
        except _sysctl.SysctlError:
            pass
    return restored


def main():
    module = AnsibleModule(
        argument_spec=dict(
            panic_on_oom=dict(type="int", choices=[0, 1, 2]),
            panic=dict(type="int"),
            oom_kill_allocating_task=dict(type="bool"),
            oom_dump_tasks=dict(type="bool"),
            overcommit_memory=dict(type="int", choices=[0, 1, 2]),
            overcommit_ratio=dict(type="int"),
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

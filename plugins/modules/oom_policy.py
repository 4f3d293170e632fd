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
  description:
    - The settings in the oomd drop-in after the task, as the file writes them (empty when no
      C(oomd_*) option is given). A value equal to the one asked for is not rewritten
      (V(0) for the duration is systemd's default, V(30s)). Keys have their current names
      also where systemd 247's C(*Percent) names are written.
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
  description:
    - Whether systemd-oomd was restarted (it was running and its drop-in changed); in check
      mode, whether it would be.
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
key:
  description: The sysctl key whose live value the kernel refused (nothing was persisted).
  returned: when writing a live value failed
  type: str
  sample: vm.panic_on_oom
cmd:
  description: The command that restarted systemd-oomd, when it failed.
  returned: when restarting systemd-oomd failed
  type: list
  elements: str
  sample: ["/usr/bin/systemctl", "try-restart", "systemd-oomd.service"]
stdout:
  description: What C(systemctl try-restart systemd-oomd.service) printed on its output when it failed.
  returned: when restarting systemd-oomd failed
  type: str
  sample: ""
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sre.oom.plugins.module_utils import _host, _oomd, _policy, _sysctl


def run(module):
    params = module.params
    host = _host.Host(module)
    try:
        p = _policy.plan(params, host)
    except (_sysctl.SysctlError, _oomd.OomdError) as e:
        module.fail_json(msg=str(e), **getattr(e, "extra", {}))
    except _policy.PolicyError as e:
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

    result = _policy.result_of(p)
    for warning in p["warnings"]:
        module.warn(warning)
    if module._diff:
        result["diff"] = _policy.diff_of(p)
    o = p["oomd"]
    if not module.check_mode and result["changed"]:
        try:
            _policy.apply(module, host, p, result)
        except _policy.PolicyError as e:
            module.fail_json(msg=str(e), **e.extra)
    elif module.check_mode and o["managed"] and o["file"]["changed"]:
        result["oomd_restarted"] = _policy.oomd_active(host)    # what the run would do
        module.exit_json(**result)
    if o["managed"]:
        _policy.read_back(module, host, o, result)
    module.exit_json(**result)


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

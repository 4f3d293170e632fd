# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the OOM settings of units through drop-ins. Not a public API.

One flow, shared by sre.oom.oom_unit and its thin front sre.oom.oom_score_adj, in
explicit phases:

1. ``_unit_spec.validate_entries`` - every input checked, names normalised (pure);
2. ``_unit_plan.plan_units`` - one immutable ``UnitPlan`` per unit: current file, wanted
   file, what changes, shadowing, settings the host's systemd lacks (reads only);
3. ``write_files`` - one pass of drop-in writes, rolled back on the first error;
4. ``reload_and_observe`` - at most one daemon-reload, one ``systemctl show``;
5. ``reconcile`` - the live oom_score_adj of each pid, restarts as asked;
6. ``build_result`` - the one place the module's result is made.

Check mode is decided in one place: ``Runner.act`` runs a side effect or skips it.
"""

from __future__ import annotations

import collections
import errno
import os

from ansible_collections.sre.oom.plugins.module_utils import _oomd
from ansible_collections.sre.oom.plugins.module_utils import _services
from ansible_collections.sre.oom.plugins.module_utils import _systemctl
from ansible_collections.sre.oom.plugins.module_utils import _systemd
from ansible_collections.sre.oom.plugins.module_utils import _transaction
from ansible_collections.sre.oom.plugins.module_utils import _unit_plan
from ansible_collections.sre.oom.plugins.module_utils import _unit_spec

FILE_MODE = 0o644
DIR_MODE = 0o755
RUNNING_STATES = ("active", "activating", "reloading")

BASE_PROPS = ("Id", "LoadState", "ActiveState")
TAIL_PROPS = ("DropInPaths", "NeedDaemonReload", "ControlGroup")


class Runner(object):
    """Runs side effects, or in check mode only says they would run: the one place
    where check mode is decided."""

    def __init__(self, check_mode):
        self.check_mode = check_mode

    def act(self, func, *args, **kwargs):
        if self.check_mode:
            return None
        return func(*args, **kwargs)


# ---------------------------------------------------------------------------
# Phase 3: one pass of writes, all or nothing
# ---------------------------------------------------------------------------

def write_files(module, plans, warnings=None):
    """Write every changed drop-in in one _transaction.Transaction. On the first OS error,
    undo this run's writes (including directories it created) and raise _unit_spec.UnitsError
    naming the path. What a removal left behind (an empty drop-in directory that could
    not be removed) is a warning."""
    tx = _transaction.Transaction(module)
    for plan in plans:
        if not plan.changed:
            continue
        try:
            tx.commit(_transaction.Change(plan.path, plan.before_state, plan.after, FILE_MODE),
                      rmdir=plan.unit_d if plan.remove_dir else None, stale=plan.stale)
        except OSError as e:
            _restored, failed = tx.undo()
            verb = "write" if plan.after is not None else "remove"
            msg = ("%s, dropin %s: cannot %s %s: %s"
                   % (plan.spec.where, os.path.basename(plan.path), verb, plan.path,
                      getattr(e, "strerror", None) or e))
            if failed:
                msg += "; rolling back this run's other changes failed too: %s" % "; ".join(
                    "%s: %s" % (path, getattr(ue, "strerror", None) or ue) for path, ue in failed)
            else:
                msg += "; nothing was changed (this run's other drop-ins were put back)"
            raise _unit_spec.UnitsError(msg)
    if warnings is not None:
        for path, exc in tx.leftovers:
            warnings.append("the drop-in was removed, but %s was left: %s"
                            % (path, getattr(exc, "strerror", None) or exc))


# ---------------------------------------------------------------------------
# Phase 4: reload and observe
# ---------------------------------------------------------------------------

def show_props(options):
    props = list(BASE_PROPS)
    for option in options:
        setting = _unit_spec.BY_OPTION[option]
        props.append(setting.key)
        if option == _unit_spec.LIMIT:
            props.append(_unit_spec.LEGACY_LIMIT_KEY)
    props.extend(TAIL_PROPS)
    return tuple(props)


def run_checked(host, argv, what, warnings=None):
    """Run a systemctl command. A non-zero exit code fails. So does anything on
    stderr when ``warnings`` is None (daemon-reload, which prints nothing when it
    works); otherwise what it says with exit code 0 - such as (try-)restart's warning
    that a unit's files changed on disk while the restart was done - is a warning."""
    rc, out, err = host.run(argv)
    if rc != 0 or (err.strip() and warnings is None):
        raise _unit_spec.UnitsError("%s failed (rc=%d): %s" % (what, rc, err.strip() or out.strip() or "no output"),
                                    rc=rc, stdout=out, stderr=err, cmd=argv)
    if err.strip() and warnings is not None:
        warnings.append("%s: %s" % (what, err.strip()))
    return out


def show(host, systemctl, props, units, warnings):
    argv = _systemctl.show_argv(systemctl, props, units)
    rc, out, err = host.run(argv)
    if rc != 0:
        raise _unit_spec.UnitsError("systemctl show failed (rc=%d): %s" % (rc, err.strip() or out.strip() or "no output"),
                                    rc=rc, stdout=out, stderr=err, cmd=argv)
    try:
        blocks = _systemctl.parse_show(out, len(units))
    except ValueError as e:
        raise _unit_spec.UnitsError("cannot read the output of systemctl show: %s" % e,
                                    rc=rc, stdout=out, stderr=err, cmd=argv)
    if err.strip():
        warnings.append("systemctl show: %s" % err.strip())
    return dict(zip(units, blocks))


Observed = collections.namedtuple("Observed", "reloaded props")


def reload_and_observe(host, runner, systemctl, plans, props, daemon_reload, warnings):
    """At most one daemon-reload; one `systemctl show` (a second only after a reload
    that NeedDaemonReload=yes asked for, outside check mode)."""
    any_changed = any(p.changed for p in plans)
    queried = [p.unit for p in plans if not _systemd.is_template(p.unit)]
    reload_argv = [systemctl, "daemon-reload"]
    reloaded = False
    if any_changed and daemon_reload:
        runner.act(run_checked, host, reload_argv, "systemctl daemon-reload")
        reloaded = True
    elif any_changed:
        warnings.append("daemon_reload=false: systemd keeps the old values until the next "
                        "daemon-reload")
    shown = show(host, systemctl, props, queried, warnings) if queried else {}
    if (daemon_reload and not reloaded
            and any(p.get("NeedDaemonReload") == "yes" for p in shown.values())):
        reloaded = True
        again = runner.act(_reload_then_show, host, reload_argv, systemctl, props, queried, warnings)
        if again is not None:
            shown = again
    return Observed(reloaded, shown)


def _reload_then_show(host, reload_argv, systemctl, props, queried, warnings):
    run_checked(host, reload_argv, "systemctl daemon-reload")
    return show(host, systemctl, props, queried, warnings)


def effective_of(block, options):
    """{option: value systemd reports} for ``options`` (None where not reported)."""
    out = {}
    for option in options:
        key = _unit_spec.BY_OPTION[option].key
        if block is None:
            out[option] = None
        elif option == "oom_score_adj":
            out[option] = _systemctl.parse_show_int(block.get(key))
        elif option == _unit_spec.LIMIT:
            permyriad = _systemctl.limit_from_show(block.get(key))
            if permyriad is None:
                permyriad = _systemctl.limit_from_show(block.get(_unit_spec.LEGACY_LIMIT_KEY), legacy=True)
            out[option] = None if permyriad is None else _systemctl.format_percent(permyriad)
        else:
            out[option] = block.get(key) or None
    return out


# ---------------------------------------------------------------------------
# Phase 5: reconcile (live values, restarts)
# ---------------------------------------------------------------------------

def cap_message(host, value, current):
    cap = _services.has_cap_sys_resource(host)
    lacks = {True: "which this process has, yet was refused",
             False: "which this process lacks",
             None: "which this process may lack"}[cap]
    return ("EACCES: the kernel refused oom_score_adj %d (current %d); values below a "
            "process's minimum need CAP_SYS_RESOURCE, %s" % (value, current, lacks))


def apply_live(host, runner, pids, value):
    """Set oom_score_adj of each pid (check mode: say which would change)."""
    updated, failed = [], {}
    for pid in pids:
        proc = "/proc/%d/oom_score_adj" % pid
        try:
            with host.open_regular(proc) as f:
                current = int(f.read().strip())
        except (IOError, OSError) as e:
            if e.errno in (errno.ENOENT, errno.ESRCH):
                failed[str(pid)] = "the process exited"
            else:
                failed[str(pid)] = "cannot read %s: %s" % (host.path(proc), e.strerror or e)
            continue
        except ValueError:
            failed[str(pid)] = "cannot read %s: not a number" % host.path(proc)
            continue
        if current == value:
            continue
        if runner.check_mode and value < current and _services.has_cap_sys_resource(host) is False:
            # what the real run would meet: systemd set the current value with the
            # capability, which makes it the process's minimum; lowering it needs it
            failed[str(pid)] = ("would be refused: oom_score_adj %d is below the current %d, and values below "
                                "a process's minimum need CAP_SYS_RESOURCE, which this process lacks"
                                % (value, current))
            continue
        try:
            runner.act(host.write_text, proc, "%d\n" % value)
        except (IOError, OSError) as e:
            if e.errno in (errno.EACCES, errno.EPERM):
                failed[str(pid)] = cap_message(host, value, current)
            elif e.errno in (errno.ENOENT, errno.ESRCH):
                failed[str(pid)] = "the process exited"
            else:
                failed[str(pid)] = "cannot write %s: %s" % (host.path(proc), e.strerror or e)
            continue
        updated.append(pid)
    return updated, failed


Reconciled = collections.namedtuple("Reconciled", "restarted live")


def reconcile(host, runner, systemctl, plans, observed, restart, live_enabled, warnings):
    """Restart the changed units (one command) and apply oom_score_adj to running pids."""
    shown = observed.props
    restarted = []
    if restart != "never":
        for plan in plans:
            block = shown.get(plan.unit)
            if (not plan.changed or block is None or block.get("LoadState") == "not-found"
                    or _systemd.unit_type(plan.unit) == "slice"):
                continue
            if restart == "always" or block.get("ActiveState") in RUNNING_STATES:
                restarted.append(plan.unit)
        if restarted:
            verb = "restart" if restart == "always" else "try-restart"
            runner.act(run_checked, host, [systemctl, verb, "--"] + restarted, "systemctl %s" % verb, warnings)
    live = {}
    if live_enabled:
        for plan in plans:
            value = dict(plan.spec.settings).get("oom_score_adj")
            if (value is None or plan.unit not in shown or plan.adj_shadowed
                    or "oom_score_adj" in plan.unsupported):
                continue
            pids = _services.cgroup_pids(shown[plan.unit].get("ControlGroup"), host)
            if not pids:
                continue
            if runner.check_mode and plan.unit in restarted:
                # the restart replaces these processes; the new ones start with the value
                live[plan.unit] = {"updated": [], "failed": {}}
                continue
            updated, failed = apply_live(host, runner, pids, value)
            live[plan.unit] = {"updated": updated, "failed": failed}
            if failed:
                warnings.append("%s: oom_score_adj=%d not applied live to %d of %d processes: %s"
                                % (plan.unit, value, len(failed), len(pids),
                                   "; ".join("pid %s: %s" % kv for kv in sorted(failed.items()))))
    return Reconciled(tuple(restarted), live)


def check_effective(plans, observed, any_changed, check_mode, warnings):
    """Warn where systemd reports another value than the one written and nothing
    explains it (not shadowed, reloaded or unchanged, not check mode)."""
    if check_mode or not (observed.reloaded or not any_changed):
        return
    for plan in plans:
        block = observed.props.get(plan.unit)
        if block is None or plan.spec.state != "present" or plan.shadowed_by:
            continue
        if block.get("LoadState") == "not-found":
            continue
        options = [o for o, _k, _v in plan.written]
        got = effective_of(block, options)
        for option, key, text in plan.written:
            if got[option] is not None and str(got[option]) != text:
                warnings.append("%s: systemd reports %s=%s, not %s (drop-ins it loaded: %s)"
                                % (plan.unit, key, got[option], text, block.get("DropInPaths") or "none"))


# ---------------------------------------------------------------------------
# Phase 6: the result
# ---------------------------------------------------------------------------

def build_result(plans, observed, reconciled, systemd_running, version, options=_unit_spec.OPTIONS):
    """The module's result: the same keys on every path."""
    units = {}
    for plan in plans:
        desired = dict(plan.spec.settings)
        settings = {}
        for option in options:
            value = desired.get(option)
            settings[option] = _unit_spec.render_value(option, value) if option == _unit_spec.LIMIT and value is not None else value
        block = observed.props.get(plan.unit) if observed else None
        units[plan.unit] = {
            "path": plan.path,
            "state": plan.spec.state,
            "changed": plan.changed,
            "settings": settings,
            "written": {k: v for _o, k, v in plan.written},
            "unsupported": list(plan.unsupported),
            "effective": effective_of(block, options),
            "shadowed_by": list(plan.shadowed_by),
            "live": (reconciled.live.get(plan.unit) if reconciled else None) or {"updated": [], "failed": {}},
            "restarted": bool(reconciled and plan.unit in reconciled.restarted),
        }
    changed = any(p.changed for p in plans)
    if observed and observed.reloaded:
        changed = True
    if reconciled and (reconciled.restarted or any(v["updated"] for v in reconciled.live.values())):
        changed = True
    return {
        "changed": changed,
        "daemon_reloaded": bool(observed and observed.reloaded),
        "systemd_running": systemd_running,
        "systemd_version": version,
        "units": units,
    }


# ---------------------------------------------------------------------------
# The whole flow
# ---------------------------------------------------------------------------

Request = collections.namedtuple("Request", [
    "specs", "unit_dir", "dropin", "force", "daemon_reload", "apply_live", "restart", "what",
    "options", "detect_version"])


def run(module, host, req):
    """Run every phase; return (result, warnings, diff). Raises _unit_spec.UnitsError."""
    warnings = []
    split = _systemd.split_unit_dir(req.unit_dir)
    if split is None:
        raise _unit_spec.UnitsError("unit_dir must be /etc/systemd/system or /run/systemd/system, or one of "
                                    "them below another root directory (e.g. /mnt/image/etc/systemd/system), "
                                    "got %r" % req.unit_dir)
    tree_root, std_dir = split
    tree = host.path(tree_root)
    live_tree = tree_root == "/" and _services.systemd_is_pid1(host)
    version = _systemctl.systemd_version(host, warnings) if req.detect_version else None
    runner = Runner(module.check_mode)

    try:
        plans = _unit_plan.plan_units(req.specs, _unit_plan.PlanContext(tree, std_dir, req.dropin, req.force, version, req.what))
    except OSError as e:
        raise _unit_spec.UnitsError("cannot read the current drop-ins below %s: %s" % (tree, e))
    for plan in plans:
        warnings.extend(plan.warnings)
    oomd_units = [p.unit for p in plans if any(k.startswith("ManagedOOM") for _o, k, _v in p.written)]
    if live_tree and oomd_units:
        missing = _oomd.support(host)
        if missing:
            warnings.append("systemd-oomd cannot act on this host (%s): the ManagedOOM* settings of %s "
                            "are written and read back but kill nothing here"
                            % ("; ".join(missing), ", ".join(oomd_units)))
    any_changed = any(p.changed for p in plans)
    diff = _unit_plan.diff_of(plans)

    runner.act(write_files, module, plans, warnings)

    if not live_tree:
        if tree_root == "/" and any_changed:
            warnings.append("systemd is not PID 1 here: drop-ins %s, nothing reloaded, applied live or "
                            "restarted" % ("would be written" if module.check_mode else "written"))
        for plan in plans:
            if plan.spec.state == "present" and not _systemd.unit_file_exists(plan.unit, tree):
                warnings.append("%s is not installed; its drop-in takes effect once it is" % plan.unit)
        return build_result(plans, None, None, False, version, req.options), warnings, diff

    systemctl = host.which("systemctl")
    if not systemctl:
        raise _unit_spec.UnitsError("systemd runs as PID 1 but systemctl is not found in the PATH")
    partial = build_result(plans, None, None, True, version, req.options)
    try:
        observed = reload_and_observe(host, runner, systemctl, plans, show_props(req.options),
                                      req.daemon_reload, warnings)
        for plan in plans:
            block = observed.props.get(plan.unit)
            if block is not None and block.get("LoadState") == "not-found" and plan.spec.state == "present":
                warnings.append("%s is not installed; its drop-in takes effect once it is" % plan.unit)
        check_effective(plans, observed, any_changed, runner.check_mode, warnings)
        reconciled = reconcile(host, runner, systemctl, plans, observed, req.restart, req.apply_live,
                               warnings)
    except _unit_spec.UnitsError as e:
        for key, val in partial.items():
            e.extra.setdefault(key, val)
        raise
    return build_result(plans, observed, reconciled, True, version, req.options), warnings, diff

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the OOM settings of units through drop-ins. Not a public API.

One flow, shared by sre.oom.oom_unit and its thin front sre.oom.oom_score_adj, in
explicit phases:

1. ``validate_entries`` - every input checked, names normalised (pure);
2. ``plan_units`` - one immutable ``UnitPlan`` per unit: current file, wanted
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
import re

from ansible_collections.sre.oom.plugins.module_utils import _host
from ansible_collections.sre.oom.plugins.module_utils import _managed
from ansible_collections.sre.oom.plugins.module_utils import _oomd
from ansible_collections.sre.oom.plugins.module_utils import _systemd

FILE_MODE = 0o644
DIR_MODE = 0o755
DROPIN_RE = re.compile(r"[A-Za-z0-9_.@-]+\.conf")
DROPIN_MAX_BYTES = 255
RUNNING_STATES = ("active", "activating", "reloading")

EXEC_TYPES = ("service", "socket", "mount", "swap")
CGROUP_TYPES = ("service", "socket", "mount", "swap", "slice")

# One row per setting: the option, the drop-in key (systemd 248+ name), the unit
# types it applies to, the first systemd version that knows it, and its choices
# (None: an integer or a percentage).
Setting = collections.namedtuple("Setting", "option key types since choices")
SETTINGS = (
    Setting("oom_score_adj", "OOMScoreAdjust", EXEC_TYPES, 0, None),
    Setting("oom_policy", "OOMPolicy", ("service",), 243, ("continue", "stop", "kill")),
    Setting("managed_oom_memory_pressure", "ManagedOOMMemoryPressure", CGROUP_TYPES, 247,
            ("auto", "kill")),
    Setting("managed_oom_memory_pressure_limit", "ManagedOOMMemoryPressureLimit", CGROUP_TYPES, 247,
            None),
    Setting("managed_oom_swap", "ManagedOOMSwap", CGROUP_TYPES, 247, ("auto", "kill")),
    Setting("managed_oom_preference", "ManagedOOMPreference", CGROUP_TYPES, 248,
            ("none", "avoid", "omit")),
)
BY_OPTION = {s.option: s for s in SETTINGS}
OPTIONS = tuple(s.option for s in SETTINGS)
LIMIT = "managed_oom_memory_pressure_limit"
# systemd 247 spells the limit ManagedOOMMemoryPressureLimitPercent= and takes whole
# percents only (renamed in 248, which also added ManagedOOMPreference=).
LEGACY_LIMIT_KEY = "ManagedOOMMemoryPressureLimitPercent"
LEGACY_LIMIT_BEFORE = 248

BASE_PROPS = ("Id", "LoadState", "ActiveState")
TAIL_PROPS = ("DropInPaths", "NeedDaemonReload", "ControlGroup")
_INT_RE = re.compile(r"[+-]?[0-9]{1,5}")


def common_argument_spec():
    """The options oom_unit and oom_score_adj share (documented once, in the
    sre.oom._units doc fragment)."""
    return dict(
        dropin=dict(type="str", default="50-oom-score-adj.conf"),
        unit_dir=dict(type="path", default="/etc/systemd/system"),
        daemon_reload=dict(type="bool", default=True),
        apply_live=dict(type="bool", default=True),
        restart=dict(type="str", default="never", choices=["never", "if_running", "always"]),
        force=dict(type="bool", default=False),
    )


class UnitsError(Exception):
    """A failure the module reports with fail_json(msg, **extra)."""

    def __init__(self, msg, **extra):
        Exception.__init__(self, msg)
        self.msg = msg
        self.extra = extra


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
# Phase 1: validation (pure)
# ---------------------------------------------------------------------------

UnitSpec = collections.namedtuple("UnitSpec", "index unit state settings where")
# where: how messages name the entry, e.g. "units[3] (foo.service)".
# settings: tuple of (option, value) in SETTINGS order, only the managed ones;
# the limit's value is a permyriad (60% -> 6000).


def validate_dropin(name):
    """Raise UnitsError unless ``name`` is a safe drop-in file name."""
    ok = (isinstance(name, str) and DROPIN_RE.fullmatch(name) is not None
          and not name.startswith(".") and len(name.encode("utf-8")) <= DROPIN_MAX_BYTES)
    if not ok:
        raise UnitsError("dropin must be a file name matching [A-Za-z0-9_.@-]+\\.conf as a whole, not "
                         "starting with '.', at most %d bytes, got %r" % (DROPIN_MAX_BYTES, name))


def strict_int(value, what, low, high):
    """An int from an int or a decimal string; booleans and anything else refused."""
    if isinstance(value, bool):
        raise UnitsError("%s must be an integer from %d to %d, not a boolean (%r)" % (what, low, high, value))
    if isinstance(value, int):
        num = value
    elif isinstance(value, str) and _INT_RE.fullmatch(value):
        num = int(value)
    else:
        raise UnitsError("%s must be an integer from %d to %d, got %r" % (what, low, high, value))
    if not low <= num <= high:
        raise UnitsError("%s must be between %d and %d, got %d" % (what, low, high, num))
    return num


_BARE_PERCENT_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?")


def limit_permyriad(text):
    """The limit option's text -> permyriad, or None: a percentage as systemd takes
    it ("60%", "55.5%", "605\u2030", "6050\u2031") or a number of percent ("60",
    "55.55"). Full match only."""
    if not isinstance(text, str):
        return None
    if _BARE_PERCENT_RE.fullmatch(text):
        text += "%"
    return _systemd.parse_percent(text)


def parse_limit(value, what):
    """A percentage ("60%", "55.5%", 60) -> permyriad; booleans refused."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise UnitsError("%s must be a percentage such as '60%%' (0 to 100, at most two decimals), "
                         "got %r" % (what, value))
    permyriad = limit_permyriad(str(value))
    if permyriad is None:
        raise UnitsError("%s must be a percentage such as '60%%' (0 to 100, at most two decimals), "
                         "got %r" % (what, value))
    return permyriad


def validate_entries(entries):
    """Check every entry of ``units``; return a tuple of UnitSpec. Raises UnitsError."""
    specs = []
    seen = {}
    for index, entry in enumerate(entries or []):
        where = "units[%d]" % index
        name = entry.get("name")
        try:
            unit = _systemd.normalize_unit(name, CGROUP_TYPES)
        except _systemd.UnitNameError as e:
            raise UnitsError("%s.name: %r is not a valid unit name: %s" % (where, name, e))
        where = "%s (%s)" % (where, unit)
        state = entry.get("state") or "present"
        if state not in ("present", "absent"):
            raise UnitsError("%s: state must be present or absent, got %r" % (where, state))
        settings = []
        for setting in SETTINGS:
            value = entry.get(setting.option)
            if value is None:
                continue
            what = "%s: %s" % (where, setting.option)
            if setting.option == "oom_score_adj":
                value = strict_int(value, what, -1000, 1000)
            elif setting.option == LIMIT:
                value = parse_limit(value, what)
            elif value not in setting.choices:
                raise UnitsError("%s must be one of %s, got %r" % (what, ", ".join(setting.choices), value))
            if _systemd.unit_type(unit) not in setting.types:
                raise UnitsError("%s applies to %s units only" % (
                    what, ", ".join("." + t for t in setting.types)))
            settings.append((setting.option, value))
        if state == "present" and not settings:
            raise UnitsError("%s: state=present needs at least one of %s" % (where, ", ".join(OPTIONS)))
        if state == "absent":
            settings = []
        spec = UnitSpec(index, unit, state, tuple(settings), where)
        if unit in seen:
            if seen[unit][1:4] != spec[1:4]:
                raise UnitsError("%s: the unit is also given as units[%d] with other settings"
                                 % (where, seen[unit].index))
            continue
        seen[unit] = spec
        specs.append(spec)
    if not specs:
        raise UnitsError("units: give at least one unit")
    return tuple(specs)


# ---------------------------------------------------------------------------
# Phase 2: plans (reads only)
# ---------------------------------------------------------------------------

PlanContext = collections.namedtuple(
    "PlanContext", "tree std_dir dropin force version what")
# tree: the root of the unit tree ("/" or an image root joined to the host root).

UnitPlan = collections.namedtuple("UnitPlan", [
    "spec", "unit", "path", "unit_d", "missing_dirs", "before", "before_state", "after",
    "changed", "drift", "remove_dir", "written", "unsupported", "shadowed_by", "adj_shadowed",
    "warnings", "stale"])
# written: tuple of (option, drop-in key, value text) actually written;
# unsupported: tuple of options the host's systemd lacks (not written);
# stale: temporary files of an interrupted run, removed before remove_dir.


def key_for(setting, version):
    if setting.option == LIMIT and version is not None and version < LEGACY_LIMIT_BEFORE:
        return LEGACY_LIMIT_KEY
    return setting.key


def render_value(option, value):
    if option == LIMIT:
        return _systemd.format_percent(value)
    if option == "oom_score_adj":
        return "%d" % value
    return value


def settings_for_version(spec, version):
    """((option, key, text), ...) to write and (option, why) the host lacks."""
    written, unsupported = [], []
    for option, value in spec.settings:
        setting = BY_OPTION[option]
        if version is not None and version < setting.since:
            unsupported.append((option, "needs systemd %d or newer, this host runs systemd %d"
                                % (setting.since, version)))
            continue
        key = key_for(setting, version)
        if key == LEGACY_LIMIT_KEY and value % 100:
            unsupported.append((option, "systemd %d takes whole percents only (%s), got %s"
                                % (version, LEGACY_LIMIT_KEY, _systemd.format_percent(value))))
            continue
        written.append((option, key, render_value(option, value)))
    return tuple(written), tuple(unsupported)


def _look(path, unit_d, where):
    """_managed.look() with the refusals worded for a unit's drop-in."""
    try:
        return _managed.look(path)
    except _managed.ManagedFileError as e:
        if e.kind == "parent_symlink" and e.path == unit_d:
            msg = "%s is a symlink; refusing to write through it (make it a real directory)" % unit_d
        elif e.kind == "parent_not_dir" and e.path == unit_d:
            msg = "%s is not a directory" % unit_d
        elif e.kind == "symlink":
            msg = ("%s is a symlink; refusing to write through it or remove it (move it away or choose "
                   "another dropin name)" % path)
        elif e.kind == "not_file":
            msg = "%s is a %s, not a drop-in file" % (path, "directory" if os.path.isdir(path) else "special file")
        elif e.kind is None:
            msg = "cannot read %s: %s" % (path, e)
        else:
            msg = str(e)
        raise UnitsError("%s: %s" % (where, msg))


def plan_unit(spec, ctx):
    """The immutable plan of one unit. Reads the disk, writes nothing."""
    where = spec.where
    unit_d = _host.join_root(ctx.tree, ctx.std_dir, spec.unit + ".d")
    path = os.path.join(unit_d, ctx.dropin)
    warnings = []
    f_state, managed = _look(path, unit_d, where)
    d_exists = os.path.isdir(unit_d)
    before = f_state["text"] if f_state else None
    after, changed, drift, remove_dir, stale = None, False, (), False, ()
    written, unsupported, shadow, adj_shadowed = (), (), [], False
    if spec.state == "present":
        if before is not None and not managed and not ctx.force:
            raise UnitsError(
                "%s: %s exists and is not managed by sre.oom (no '%s' header); refusing to "
                "overwrite it. Move it away, choose another dropin name, or set force=true"
                % (spec.unit, path, _managed.MARKER))
        created = _systemd.has_dir_flag(before) if managed else not d_exists
        written, lacking = settings_for_version(spec, ctx.version)
        unsupported = tuple(o for o, _why in lacking)
        for option, why in lacking:
            warnings.append("%s: %s not written: %s" % (spec.unit, option, why))
        after = _systemd.render_settings(spec.unit, [(k, v) for _o, k, v in written], created, ctx.what)
        drift = tuple(_managed.drift(f_state, FILE_MODE))
        changed = before != after or bool(drift)
        keys = [k for _o, k, _v in written]
        if keys:
            resolved = _systemd.resolve_dropins(_systemd.dropin_dirs(spec.unit, ctx.tree), assume=(path,))
            shadow = _systemd.shadowed_by(path, keys, spec.unit, resolved)
            if shadow and _systemd.KEY_ADJ in keys:
                adj_shadowed = bool(_systemd.shadowed_by(path, [_systemd.KEY_ADJ], spec.unit, resolved))
            if shadow:
                warnings.append("%s: the managed drop-in %s is overridden by %s"
                                % (spec.unit, path, ", ".join(shadow)))
    elif before is not None:
        if managed:
            changed = True
            remove_dir = _systemd.has_dir_flag(before)
            stale = tuple(_managed.stale_temps(unit_d)) if remove_dir else ()
            for tmp in stale:
                warnings.append("%s: removing %s, a temporary file left by an interrupted sre.oom run"
                                % (spec.unit, tmp))
        else:
            warnings.append("%s: %s is not managed by sre.oom (no '%s' header); left in place"
                            % (spec.unit, path, _managed.MARKER))
    return UnitPlan(spec, spec.unit, path, unit_d, _managed.missing_dirs(unit_d, ctx.tree), before, f_state,
                    after, changed, drift, remove_dir, written, unsupported, tuple(shadow),
                    adj_shadowed, tuple(warnings), stale)


def plan_units(specs, ctx):
    return tuple(plan_unit(spec, ctx) for spec in specs)


def diff_of(plans):
    """--diff: before/after text of every drop-in change, with path headers; a
    mode/owner drift shows in the headers."""
    out = []
    for p in plans:
        if not p.changed:
            continue
        before_header = p.path
        if p.drift:
            before_header = "%s (%s)" % (p.path, ", ".join(p.drift))
        out.append({"before_header": before_header, "after_header": p.path,
                    "before": p.before or "", "after": p.after or ""})
    return out


# ---------------------------------------------------------------------------
# Phase 3: one pass of writes, all or nothing
# ---------------------------------------------------------------------------

def write_files(module, plans):
    """Write every changed drop-in in one _managed.Transaction. On the first OS error,
    undo this run's writes (including directories it created) and raise UnitsError
    naming the path."""
    tx = _managed.Transaction(module)
    for plan in plans:
        if not plan.changed:
            continue
        try:
            tx.commit(_managed.Change(plan.path, plan.before_state, plan.after, FILE_MODE),
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
            raise UnitsError(msg)


# ---------------------------------------------------------------------------
# Phase 4: reload and observe
# ---------------------------------------------------------------------------

def show_props(options):
    props = list(BASE_PROPS)
    for option in options:
        setting = BY_OPTION[option]
        props.append(setting.key)
        if option == LIMIT:
            props.append(LEGACY_LIMIT_KEY)
    props.extend(TAIL_PROPS)
    return tuple(props)


def run_checked(host, argv, what):
    rc, out, err = host.run(argv)
    if rc != 0 or err.strip():
        raise UnitsError("%s failed (rc=%d): %s" % (what, rc, err.strip() or out.strip()),
                         rc=rc, stdout=out, stderr=err, cmd=argv)
    return out


def show(host, systemctl, props, units, warnings):
    argv = _systemd.show_argv(systemctl, props, units)
    rc, out, err = host.run(argv)
    if rc != 0:
        raise UnitsError("systemctl show failed (rc=%d): %s" % (rc, err.strip() or out.strip()),
                         rc=rc, stdout=out, stderr=err, cmd=argv)
    try:
        blocks = _systemd.parse_show(out, len(units))
    except ValueError as e:
        raise UnitsError("cannot read the output of systemctl show: %s" % e,
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
        key = BY_OPTION[option].key
        if block is None:
            out[option] = None
        elif option == "oom_score_adj":
            out[option] = _systemd.parse_show_int(block.get(key))
        elif option == LIMIT:
            permyriad = _systemd.limit_from_show(block.get(key))
            if permyriad is None:
                permyriad = _systemd.limit_from_show(block.get(LEGACY_LIMIT_KEY), legacy=True)
            out[option] = None if permyriad is None else _systemd.format_percent(permyriad)
        else:
            out[option] = block.get(key) or None
    return out


# ---------------------------------------------------------------------------
# Phase 5: reconcile (live values, restarts)
# ---------------------------------------------------------------------------

def cap_message(host, value, current):
    cap = _systemd.has_cap_sys_resource(host)
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
            runner.act(run_checked, host, [systemctl, verb, "--"] + restarted, "systemctl %s" % verb)
    live = {}
    if live_enabled:
        for plan in plans:
            value = dict(plan.spec.settings).get("oom_score_adj")
            if (value is None or plan.unit not in shown or plan.adj_shadowed
                    or "oom_score_adj" in plan.unsupported):
                continue
            pids = _systemd.cgroup_pids(shown[plan.unit].get("ControlGroup"), host)
            if not pids:
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

def build_result(plans, observed, reconciled, systemd_running, version, options=OPTIONS):
    """The module's result: the same keys on every path."""
    units = {}
    for plan in plans:
        desired = dict(plan.spec.settings)
        settings = {}
        for option in options:
            value = desired.get(option)
            settings[option] = render_value(option, value) if option == LIMIT and value is not None else value
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
    """Run every phase; return (result, warnings, diff). Raises UnitsError."""
    warnings = []
    split = _systemd.split_unit_dir(req.unit_dir)
    if split is None:
        raise UnitsError("unit_dir must be /etc/systemd/system or /run/systemd/system, or one of "
                         "them below another root directory (e.g. /mnt/image/etc/systemd/system), "
                         "got %r" % req.unit_dir)
    tree_root, std_dir = split
    tree = host.path(tree_root)
    live_tree = tree_root == "/" and _systemd.systemd_is_pid1(host)
    version = _systemd.systemd_version(host, warnings) if req.detect_version else None
    runner = Runner(module.check_mode)

    try:
        plans = plan_units(req.specs, PlanContext(tree, std_dir, req.dropin, req.force, version, req.what))
    except OSError as e:
        raise UnitsError("cannot read the current drop-ins below %s: %s" % (tree, e))
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
    diff = diff_of(plans)

    runner.act(write_files, module, plans)

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
        raise UnitsError("systemd runs as PID 1 but systemctl is not found in the PATH")
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
    except UnitsError as e:
        for key, val in partial.items():
            e.extra.setdefault(key, val)
        raise
    return build_result(plans, observed, reconciled, True, version, req.options), warnings, diff

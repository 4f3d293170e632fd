# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: phase 2 of ``_units``' flow, one immutable
plan per unit (reads only): the current drop-in, the wanted one, what changes,
shadowing, and the settings the host's systemd lacks. Not a public API."""

from __future__ import annotations

import collections
import os

from ansible_collections.sre.oom.plugins.module_utils import _atomic
from ansible_collections.sre.oom.plugins.module_utils import _host
from ansible_collections.sre.oom.plugins.module_utils import _managed
from ansible_collections.sre.oom.plugins.module_utils import _systemd
from ansible_collections.sre.oom.plugins.module_utils import _transaction
from ansible_collections.sre.oom.plugins.module_utils import _unit_spec
from ansible_collections.sre.oom.plugins.module_utils._managed import FILE_MODE


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
        raise _unit_spec.UnitsError("%s: %s" % (where, msg))


def _dropped_by_another_writer(before, keys, what):
    """The settings of ``before`` (a managed drop-in another sre.oom module wrote) that
    a drop-in setting only ``keys`` leaves out; () when ``what`` wrote it."""
    other = _managed.writer(before)
    if other is None or other == what:
        return ()
    present = []
    for _section, key, _value in _systemd.assignments(before):
        if key is not None and key not in keys and key not in present:
            present.append(key)
    return tuple(present)


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
            raise _unit_spec.UnitsError(
                "%s: %s exists and is not managed by sre.oom (no '%s' header); refusing to "
                "overwrite it. Move it away, choose another dropin name, or set force=true"
                % (spec.unit, path, _managed.MARKER))
        created = _systemd.has_dir_flag(before) if managed else not d_exists
        written, lacking = _unit_spec.settings_for_version(spec, ctx.version)
        unsupported = tuple(o for o, _why in lacking)
        for option, why in lacking:
            warnings.append("%s: %s not written: %s" % (spec.unit, option, why))
        after = _systemd.render_settings(spec.unit, [(k, v) for _o, k, v in written], created, ctx.what)
        drift = tuple(_managed.drift(f_state, FILE_MODE))
        # a managed drop-in that sets the same is kept, whatever version or module wrote it
        same = _managed.body(before) == _managed.body(after) if managed else before == after
        changed = not same or bool(drift)
        keys = [k for _o, k, _v in written]
        if managed and not same:
            dropped = _dropped_by_another_writer(before, keys, ctx.what)
            if dropped:
                warnings.append("%s: %s was written by %s and sets %s, which this run drops; two tasks "
                                "writing one drop-in undo each other on every run: give each its own dropin"
                                % (spec.unit, path, _managed.writer(before), ", ".join(dropped)))
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
            stale = tuple(_atomic.stale_temps(unit_d)) if remove_dir else ()
            for tmp in stale:
                warnings.append("%s: removing %s, a temporary file left by an interrupted sre.oom run"
                                % (spec.unit, tmp))
        else:
            warnings.append("%s: %s is not managed by sre.oom (no '%s' header); left in place"
                            % (spec.unit, path, _managed.MARKER))
    return UnitPlan(spec, spec.unit, path, unit_d, _transaction.missing_dirs(unit_d, ctx.tree), before, f_state,
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

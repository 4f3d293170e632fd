# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: sre.oom.oom_policy's flow. Not a public API.

In phases, as module_utils/_units is for the units modules:

1. ``plan`` - every input checked, the host read, everything decided; touches
   nothing (the sysctl file and live values in ``plan_sysctl``, the systemd-oomd
   drop-in in ``plan_oomd``, each managed file through ``plan_file`` on
   _managed's one plan);
2. ``result_of`` / ``diff_of`` - the module's result and diff from the plan;
3. ``apply`` - one _transaction.Transaction: every file staged, live values written,
   files renamed into place; a failure rolls back what was done and raises
   PolicyError carrying the failed result;
4. ``restart_oomd`` / ``read_back`` - systemd-oomd restarted when its file changed,
   and the values it uses read back.
"""

from __future__ import annotations

import os

from ansible_collections.sre.oom.plugins.module_utils import _managed, _oomd, _services, _sysctl, _systemctl, _transaction

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


def plan_file(option, path, state, render, parse, desired, what, equal=None, unreadable=None):
    """Plan one managed file: read it (never through a symlink) and decide.

    ``render(values)`` gives the file text for a dict of values (None: no file),
    ``parse(text)`` the values of a file sre.oom wrote, ``equal(key, a, b)`` compares
    two values of a key, ``unreadable(text)`` says that a file sre.oom wrote must be
    written again whatever its values (its reader no longer reads it as written).
    Raises PolicyError when the path holds something that is not sre.oom's regular
    file. With nothing ``desired`` the file is left as it is.
    """
    try:
        # what the write would refuse, refused now (also in check mode)
        st, managed = _managed.look(path, parent=bool(desired))
    except _managed.ManagedFileError as e:
        hint = ". Remove the link (or the file it points to, if it is yours) or choose another %s" % option
        raise PolicyError("%s: %s%s. Nothing was changed." % (option, e, hint if e.kind == "symlink" else ""),
                          option=option, path=path)
    current_text = st["text"] if st else None
    if current_text is not None and desired and not managed:
        raise PolicyError(
            "%s exists and was not written by sre.oom (its first line is not the '# %s ...' header); "
            "refusing to %s it. Move it away, or choose another %s." % (
                path, _managed.MARKER, "overwrite" if state == "present" else "edit", option),
            option=option, path=path)
    current = parse(current_text) if managed else {}
    new_values = _sysctl.merge(current, desired, state)
    equal = equal or (lambda _key, a, b: _sysctl.values_equal(a, b))
    same = (set(new_values) == set(current)
            and all(equal(k, new_values[k], current[k]) for k in current))
    if not desired or (same and managed and not (unreadable and unreadable(current_text))):
        new_text = current_text
    else:
        new_text = render(new_values) if new_values else None
    drift = []
    if desired and managed and new_text is not None:
        drift = _managed.drift(st, FILE_MODE)
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


def valid_path(path, **kw):
    """_sysctl.validate_path's rules, and not a directory (the managed path is a path
    of the machine the module runs on, like every file _managed writes)."""
    path = _sysctl.validate_path(path, **kw)
    if os.path.isdir(path):
        _sysctl.refuse_directory(path, kw.get("option", "path"))
    return path


def plan(params, host):
    """Read the host (through ``host``, the host seam) and decide everything; touch nothing.

    Raises SysctlError, OomdError or PolicyError on bad input. The systemd version
    is asked only when systemd-oomd settings are managed.
    """
    oomd_desired = _oomd.desired_from_params(params)
    p = plan_sysctl(params, host)
    p["oomd"] = plan_oomd(params, oomd_desired, host)
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


def plan_oomd(params, desired, host):
    """Plan the systemd-oomd drop-in; an empty plan when no oomd option is given."""
    path = valid_path(params["oomd_path"], option="oomd_path", reader="systemd-oomd")
    if desired and os.path.realpath(path) == os.path.realpath(params["path"]):
        raise _sysctl.SysctlError("oomd_path %s and path %s are the same file; they must name two different files"
                                  % (path, params["path"]), option="oomd_path")
    o = {"managed": bool(desired), "path": path, "supported": None, "reasons": [], "warnings": [],
         "shadowed_by": {}, "persisted": {}, "effective": {}, "file": None, "version": None}
    if not desired:
        return o
    state = params["state"]
    version = _systemctl.systemd_version(host, o["warnings"])
    o["version"] = version
    if version is not None and version < _oomd.RENAMED_IN and state == "present":
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
    seen = _as_seen_from(host.root, path)
    f = plan_file("oomd_path", path, state, lambda values: _oomd.render(values, version), _oomd.parse_conf,
                  desired, "oomd", _oomd.values_equal, lambda text: _oomd.unreadable(text, version))
    o["file"] = f
    # what the file says (a value equal to the one asked for stays as it is written)
    o["persisted"] = _oomd.parse_conf(f["new_text"]) if f["values"] and f["new_text"] else {}
    reasons = _oomd.support(host)
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
    if state == "present" and "SwapUsedLimit" in desired and _oomd.swap_total_kb(host) == 0:
        o["warnings"].append("this host has no swap: SwapUsedLimit= has no effect until swap is added")
    if not _oomd.loaded(seen):
        o["warnings"].append("%s is not in a directory systemd-oomd reads (%s): the settings have no effect"
                             % (path, ", ".join(_oomd.DROPIN_DIRS)))
    if state == "present":
        o["shadowed_by"] = _oomd.shadowing(sorted(desired), seen, f["new_text"] or "", host)
    eff = _oomd.effective_from_files(host, seen, f["new_text"])
    o["effective"] = {k: v for k, (v, _src) in eff.items()}
    return o


def plan_sysctl(params, host):
    """The sysctl part of the plan: the managed sysctl file and the live values."""
    desired = _sysctl.desired_from_params(params)
    path = valid_path(params["path"])
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

    live_before = {k: _sysctl.read_live(k, host) for k in desired}
    p["shadowed_by"] = _sysctl.shadowing(sorted(desired), path, new_text or "", host)
    live_ints = {k: _as_int(v) for k, v in live_before.items()}
    p["warnings"].extend(_sysctl.cross_key_warnings(
        desired, dict(live_ints, **{"kernel.panic": _as_int(_sysctl.read_live("kernel.panic", host))}),
        _sysctl.kubelet_running(host) if ("vm.panic_on_oom" in desired or "vm.overcommit_memory" in desired) else False))

    if apply_mode == "never":
        p["live_skipped_reason"] = "apply=never: values are persisted only"
    elif desired:
        blocker = _sysctl.live_write_blocker(sorted(desired), host)
        if blocker and apply_mode == "always":
            raise _sysctl.SysctlError(
                "apply=always, but live values cannot be written: %s. Nothing was changed." % blocker)
        if blocker:
            p["live_skipped_reason"] = blocker
            p["warnings"].append("live values not applied, persisted only: %s" % blocker)
        else:
            p["live_applied"] = True
    else:
        p["live_skipped_reason"] = "no sysctl option given"
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


def diff_of(p):
    """--diff: the sysctl file, the live values, then the oomd drop-in."""
    diffs = _file_diffs(p["files"][0])
    diffs.append(
        {"before_header": "live /proc/sys", "after_header": "live /proc/sys",
         "before": _live_text({k: v["before"] for k, v in p["live"].items()}),
         "after": _live_text({k: v["after"] for k, v in p["live"].items()})})
    for f in p["files"][1:]:
        diffs.extend(_file_diffs(f))
    return diffs


def result_of(p):
    """The module's result for a plan: the same keys on every path."""
    o = p["oomd"]
    return {
        "changed": any(f["changed"] for f in p["files"]) or bool(p["to_write"]),
        "path": p["path"],
        "loaded_at_boot": p["loaded_at_boot"],
        "live": p["live"],
        "persisted": p["persisted"],
        "live_applied": p["live_applied"],
        "live_skipped_reason": p["live_skipped_reason"],
        "shadowed_by": p["shadowed_by"],
        "file_attrs_drift": p["files"][0]["drift"],
        "oomd_path": o["path"],
        "oomd_persisted": o["persisted"],
        "oomd_supported": o["supported"],
        "oomd_unsupported_reasons": o["reasons"],
        "oomd_effective": o["effective"],
        "oomd_effective_source": "files" if o["managed"] else None,
        "oomd_restarted": False,
        "oomd_file_attrs_drift": o["file"]["drift"] if o["managed"] else [],
    }


def oomd_active(host):
    """True when systemd is PID 1 and systemd-oomd.service is active."""
    systemctl = host.which("systemctl")
    if not systemctl or not _services.systemd_is_pid1(host):
        return False
    rc, _out, _err = host.run([systemctl, "is-active", "--quiet", OOMD_UNIT])
    return rc == 0


def restart_oomd(host):
    """``systemctl try-restart`` systemd-oomd when it runs. Returns (restarted, error or None)."""
    if not oomd_active(host):
        return False, None
    systemctl = host.which("systemctl")
    rc, out, err = host.run([systemctl, "try-restart", OOMD_UNIT])
    if rc != 0 or err.strip():
        return False, {"cmd": [systemctl, "try-restart", OOMD_UNIT], "rc": rc, "stdout": out, "stderr": err}
    return True, None


def read_back(module, host, o, result):
    """The values systemd-oomd uses: ``oomctl dump`` when it runs, else what the files say."""
    oomctl = host.which("oomctl")
    if not oomctl or not oomd_active(host):
        return
    rc, out, _err = host.run([oomctl, "dump"])
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


def _failure(msg, result, **extra):
    """PolicyError carrying the failed result: only what could not be put back is
    still changed."""
    out = dict(result)
    out.update(extra)
    out["changed"] = bool(extra.get("rollback_failed"))
    return PolicyError(msg, **out)


def apply(module, host, p, result):
    """Stage every file, write live values, then rename the files into place.

    Everything that can fail before a live value changes (directories, names,
    temporary files) fails first; a failure after live values were written rolls
    them back and restores any file already renamed (one _transaction.Transaction), and
    the PolicyError raised says so. Sets ``oomd_restarted`` in ``result``.
    """
    files = [f for f in p["files"] if f["changed"]]
    tx = _transaction.Transaction(module)
    changes = [(f, _transaction.Change(f["path"], f["state"], f["new_text"], FILE_MODE)) for f in files]
    for f, change in changes:
        try:
            tx.stage(change)
        except OSError as e:
            tx.abort()
            raise _failure("%s: %s. Nothing was changed." % (f["option"], e), result,
                           option=f["option"], path=f["path"], rolled_back=[])

    # Live first: a value the kernel rejects is never persisted.
    written = []
    for key in p["to_write"]:
        try:
            _sysctl.write_live(key, p["desired"][key], host)
        except _sysctl.SysctlError as e:
            tx.abort()
            rolled_back, failed = _roll_back(written, p["live"], host)
            raise _failure("%s. Nothing was persisted%s%s." % (
                e, "; restored %s" % ", ".join(rolled_back) if rolled_back else "",
                "; could NOT restore %s" % ", ".join(failed) if failed else ""),
                result, key=key, rolled_back=[r.split("=", 1)[0] for r in rolled_back], rollback_failed=failed)
        written.append(key)

    for f, change in changes:
        try:
            tx.commit(change)
        except OSError as e:
            tx.abort()
            raise _undone(tx, written, p, result, host, "%s: %s." % (f["option"], e), " Nothing was changed.",
                          option=f["option"], path=f["path"])

    if any(f["what"] == "oomd" for f in files):
        restarted, error = restart_oomd(host)
        if error:
            failure = _undone(tx, written, p, result, host, "systemctl try-restart %s failed (rc %d): %s." % (
                OOMD_UNIT, error["rc"], (error["stderr"] or error["stdout"]).strip() or "no output"), "",
                option="oomd_path", path=p["oomd"]["path"], **error)
            restart_oomd(host)  # back to the previous settings, if it comes up at all
            raise failure
        result["oomd_restarted"] = restarted


def _undone(tx, written, p, result, host, msg, nothing, **extra):
    """Roll back live values and files after a failure; the PolicyError saying so."""
    rolled_back, failed = _roll_back(written, p["live"], host)
    files_back, files_failed = tx.undo()
    what = rolled_back + ["%s (previous content)" % path for path in files_back]
    not_back = failed + [path for path, _e in files_failed]
    return _failure("%s%s%s" % (
        msg, " Rolled back: %s." % ", ".join(what) if what else nothing,
        " Could NOT roll back: %s." % ", ".join(not_back) if not_back else ""),
        result, rolled_back=[r.split("=", 1)[0] for r in rolled_back] + files_back,
        rollback_failed=not_back, **extra)


def _roll_back(written, live, host):
    restored, failed = [], []
    for key in reversed(written):
        before = live[key]["before"]
        if before is None:
            failed.append(key)
            continue
        try:
            _sysctl.write_live(key, before, host)
            restored.append("%s=%s" % (key, before))
        except _sysctl.SysctlError:
            failed.append(key)
    return restored, failed

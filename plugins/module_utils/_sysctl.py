# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: sysctl files and /proc/sys. Not a public API.

Pure functions of their arguments, except those taking ``host`` (the host seam,
module_utils/_host.Host), which read and write the host through it alone:
``boot_order``, ``shadowing``, ``read_live``, ``write_live``, ``live_write_blocker``
and ``kubelet_running``. Paths given to them are the host's own.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat

from ansible_collections.sre.oom.plugins.module_utils import _managed, _values
from ansible_collections.sre.oom.plugins.module_utils._oom.formats import is_digits

# The directories systemd-sysctl and `sysctl --system` read, highest priority
# first: for files of the same basename, the one in the earlier directory wins.
SYSCTL_DIRS = (
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
)
# `sysctl --system` applies this file after every sysctl.d file.
SYSCTL_CONF = "/etc/sysctl.conf"
DEFAULT_PATH = "/etc/sysctl.d/60-sre-oom.conf"

# Module option -> (sysctl key, kind, allowed). ``kind`` is "int" or "bool";
# ``allowed`` is a tuple of accepted ints, a (min, max) range as a dict, or None.
OPTIONS = (
    ("panic_on_oom", "vm.panic_on_oom", "int", {"choices": (0, 1, 2)}),
    ("panic", "kernel.panic", "int", {"min": -2147483648, "max": 2147483647}),
    ("oom_kill_allocating_task", "vm.oom_kill_allocating_task", "bool", {}),
    ("oom_dump_tasks", "vm.oom_dump_tasks", "bool", {}),
    ("overcommit_memory", "vm.overcommit_memory", "int", {"choices": (0, 1, 2)}),
    ("overcommit_ratio", "vm.overcommit_ratio", "int", {"min": 0, "max": 2147483647}),
)
OPTION_TO_KEY = {o[0]: o[1] for o in OPTIONS}
KEY_ORDER = tuple(o[1] for o in OPTIONS)

# Full matches only (\Z, never $, which also matches before a trailing newline).
# What a path may not contain: control characters (a newline in a file name, NUL).
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_TRUE = ("yes", "on", "1", "true", "y", "t")
_FALSE = ("no", "off", "0", "false", "n", "f")


class SysctlError(Exception):
    """A problem a person can act on; the message says what and what was expected.
    ``extra``: result keys to return with it (``option`` for a refused path)."""

    def __init__(self, msg, **extra):
        super().__init__(msg)
        self.extra = extra


def normalize_key(key):
    """Return a sysctl key in dotted form (``vm/panic_on_oom`` -> ``vm.panic_on_oom``).

    sysctl.d(5): if the first separator is a slash, slashes and dots are swapped.
    """
    key = key.strip()
    first = re.search(r"[./]", key)
    if first and first.group(0) == "/":
        key = key.translate(str.maketrans("./", "/."))
    return key


def key_to_proc_path(key):
    """``vm.panic_on_oom`` -> ``/proc/sys/vm/panic_on_oom``."""
    return os.path.join("/proc/sys", *key.split("."))


def coerce_int(option, value, rule):
    """Validate one integer option; return the int or raise SysctlError.

    Accepts an int, or a string holding only an integer (surrounding blanks
    allowed). Booleans are refused even though Python counts them as ints:
    ``panic_on_oom: true`` is almost certainly a mistake, not a request for 1.
    Floats (``10.0``, ``1e3``), ``inf``/``nan`` and anything else are refused too.
    """
    num = _values.integer(value)
    ok = num is not None
    if ok:
        value = num
    if ok and "choices" in rule and value not in rule["choices"]:
        ok = False
    if ok and "min" in rule and not rule["min"] <= value <= rule["max"]:
        ok = False
    if not ok:
        if "choices" in rule:
            expected = "one of %s" % ", ".join(str(c) for c in rule["choices"])
        elif rule.get("min") == 0:
            expected = "an integer >= 0"
        else:
            expected = "an integer"
        raise SysctlError("%s must be %s, got %s (%s)" % (
            option, expected, _values.show(value), type(value).__name__))
    return value


def coerce_bool(option, value):
    """Validate one boolean option; return 0 or 1 (the sysctl's value)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return 1 if value.strip().lower() in _TRUE else 0
    if isinstance(value, int) and value in (0, 1):
        return value
    raise SysctlError("%s must be a boolean (true/false), got %s" % (option, _values.show(value)))


def desired_from_params(params):
    """Map module options to ``{sysctl key: int}`` for the options that were given."""
    desired = {}
    for option, key, kind, rule in OPTIONS:
        value = params.get(option)
        if value is None:
            continue
        if kind == "bool":
            desired[key] = coerce_bool(option, value)
        else:
            desired[key] = coerce_int(option, value, rule)
    return desired


def validate_path(path, option="path", reader="systemd-sysctl and sysctl --system"):
    """Refuse a managed-file path that cannot work; return it normalised.

    Absolute, ending in ``.conf``, no ``..`` or ``.`` component, no control
    character (a newline in a file name), each name at most 255 bytes. Pure: the
    caller refuses a directory there (refuse_directory).
    """
    if not isinstance(path, str) or not path or not path.startswith("/"):
        raise SysctlError("%s must be an absolute path ending in .conf, got %s" % (option, _values.show(path)),
                          option=option)
    if _CONTROL_RE.search(path):
        raise SysctlError("%s must not contain control characters (newline, tab, NUL), got %s" % (
            option, _values.show(path)), option=option)
    parts = path.split("/")
    if ".." in parts or "." in parts:
        raise SysctlError("%s must not contain '.' or '..' components, got %s" % (option, _values.show(path)),
                          option=option)
    if not path.endswith(".conf") or os.path.basename(path) == ".conf":
        raise SysctlError("%s must end in .conf (%s read only *.conf), got %s" % (option, reader, _values.show(path)),
                          option=option)
    try:
        _managed.check_path(path)
    except _managed.ManagedFileError as e:
        raise SysctlError("%s: %s" % (option, e), option=option)
    return os.path.normpath(path)


def refuse_directory(path, option="path"):
    """Refuse a managed-file path that is a directory (the caller looked)."""
    raise SysctlError("%s %s is a directory; it must name a file ending in .conf" % (option, path), option=option)


def loaded_at_boot(path):
    """True when ``path`` sits in one of the directories read at boot."""
    path = os.path.normpath(path)
    # systemd-sysctl skips hidden files ("." first) like its other conf_files lists
    return os.path.dirname(path) in SYSCTL_DIRS and not os.path.basename(path).startswith(".")


# --- file content -------------------------------------------------------------

def parse_assignments(text):
    """Parse sysctl.d text into a list of ``(key, value, is_glob)``.

    Comments (``#``, ``;``), blank lines, the ignore-failure ``-`` prefix and the
    ``/`` separator are handled as systemd-sysctl does. Lines without ``=`` (glob
    exclusions such as ``-net.ipv4.conf.lo.rp_filter``) set nothing and are skipped.
    """
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        key = key.strip()
        if key.startswith("-"):
            key = key[1:].strip()
        if not key:
            continue
        key = normalize_key(key)
        out.append((key, value.strip(), any(c in key for c in "*?[")))
    return out


def parse_managed(text):
    """Return ``{key: value}`` of a file sre.oom wrote (later lines win)."""
    values = {}
    for key, value, is_glob in parse_assignments(text or ""):
        if not is_glob:
            values[key] = value
    return values


def values_equal(a, b):
    """Numeric, whitespace-insensitive comparison of two sysctl values."""
    if a is None or b is None:
        return a is b
    sa, sb = str(a).split(), str(b).split()
    if len(sa) != len(sb):
        return False
    for x, y in zip(sa, sb):
        if _values.INT_RE.match(x) and _values.INT_RE.match(y):
            if int(x) != int(y):
                return False
        elif x != y:
            return False
    return True


def render_managed(values):
    """Render the managed file: the marker header, then ``key = value`` lines."""
    lines = [_managed.header("sre.oom.oom_policy")]
    for key in sorted(values, key=_key_sort):
        lines.append("%s = %s\n" % (key, values[key]))
    return "".join(lines)


def _key_sort(key):
    return (KEY_ORDER.index(key) if key in KEY_ORDER else len(KEY_ORDER), key)


def merge(current, desired, state):
    """The managed file's values after applying ``desired`` in ``state``."""
    result = dict(current)
    for key, value in desired.items():
        if state == "present":
            result[key] = str(value)
        else:
            result.pop(key, None)
    return result


# --- shadowing ------------------------------------------------------------------

def boot_order(host):
    """Return the sysctl files applied at boot, in the order they are applied.

    Files are sorted by basename across SYSCTL_DIRS; of two files with the same
    basename only the one in the higher-priority directory is read (a link to
    /dev/null masks), and hidden files are ignored (_managed.conf_files). SYSCTL_CONF comes last. Paths are returned without ``root``.
    """
    chosen = _managed.conf_files(host, SYSCTL_DIRS)
    order = [chosen[name] for name in sorted(chosen)]
    try:
        # stat, not a read: shadowing() reads the file when it has to (a FIFO
        # there is no configuration, and is never opened).
        if stat.S_ISREG(host.stat(SYSCTL_CONF).st_mode):
            order.append(SYSCTL_CONF)
    except OSError:
        pass
    return order


def shadowing(keys, managed_path, managed_text, host):
    """For each of ``keys``, the file that would set it at boot if not ours.

    ``managed_text`` is the managed file's content after the change (so a file
    about to be written counts). Explicit assignments beat glob ones whatever the
    order (systemd-sysctl), and a later file beats an earlier one. Returns
    ``{key: path}`` for the keys another file wins; keys nobody else sets, or that
    our file wins, are left out.
    """
    order = boot_order(host)
    managed_path = os.path.normpath(managed_path)
    masked = []
    if managed_path not in order and loaded_at_boot(managed_path):
        # The file does not exist yet (or is masked): place it where it would go.
        base = os.path.basename(managed_path)
        rank = SYSCTL_DIRS.index(os.path.dirname(managed_path))
        same = [p for p in order if os.path.basename(p) == base and p != SYSCTL_CONF]
        masked = [p for p in same if SYSCTL_DIRS.index(os.path.dirname(p)) < rank]
        if not masked:
            # Ours hides a same-named file in a lower-priority directory.
            order = [p for p in order if p not in same] + [managed_path]
            order.sort(key=lambda p: (p == SYSCTL_CONF, os.path.basename(p)))
    winners = {}
    for path in order:
        if path == managed_path:
            text = managed_text
        else:
            text = host.read_regular_text(path)
        for key, _value, is_glob in parse_assignments(text or ""):
            for wanted in keys:
                if is_glob:
                    if not fnmatch.fnmatchcase(wanted, key):
                        continue
                    if winners.get(wanted, (None, False))[1]:
                        continue  # an explicit key beats any glob
                    winners[wanted] = (path, False)
                elif key == wanted:
                    winners[wanted] = (path, True)
    result = {k: p for k, (p, _explicit) in winners.items() if p != managed_path}
    if masked:
        # A file of the same name in a higher-priority directory hides ours whole.
        for key in keys:
            result.setdefault(key, masked[0])
    return result


# --- cross-key checks -------------------------------------------------------------

# The risk rules' ids (the fleet report's flags use them).
RULE_NO_REBOOT = "panic_on_oom_no_reboot"
RULE_ALWAYS = "panic_on_oom_always"
RULE_KUBELET = "kubelet_resets_sysctls"


def cross_key_warnings(desired, live, kubelet_running):
    """The messages of cross_key_rules(), in the same order."""
    return [message for _rule, message in cross_key_rules(desired, live, kubelet_running)]


def cross_key_rules(desired, live, kubelet_running):
    """Combinations that surprise operators: a list of (rule id, message).

    ``desired`` holds the keys being set, ``live`` the current live values (ints or
    None). The effective value of a key is the desired one when given, else live.
    """
    def effective(key):
        return desired[key] if key in desired else live.get(key)

    warnings = []
    pan = effective("vm.panic_on_oom")
    panic = effective("kernel.panic")
    if "vm.panic_on_oom" in desired or "kernel.panic" in desired:
        if pan not in (None, 0) and panic == 0:
            warnings.append((RULE_NO_REBOOT, (
                "vm.panic_on_oom=%s with kernel.panic=0: after an OOM panic the host stays down "
                "until someone power-cycles it; set panic (seconds before reboot) to reboot instead" % pan)))
    if desired.get("vm.panic_on_oom") == 2:
        warnings.append((RULE_ALWAYS, (
            "vm.panic_on_oom=2 panics on every OOM, including memory-cgroup and cpuset OOMs: "
            "any container or service hitting its own memory limit brings the whole host down")))
    touched = [k for k in ("vm.panic_on_oom", "vm.overcommit_memory") if k in desired]
    if kubelet_running and touched:
        warnings.append((RULE_KUBELET, (
            "a kubelet runs on this host: it resets %s to its own values when it starts "
            "(see its --protect-kernel-defaults)" % " and ".join(touched))))
    return warnings


# --- live values ------------------------------------------------------------------

def read_live(key, host):
    """Return the live value of ``key`` as a string, or None when unreadable."""
    text = host.read_text(key_to_proc_path(key))
    return None if text is None else text.strip()


def live_write_blocker(keys, host):
    """Why live values cannot be written, or None when they can.

    Checks without writing: the key must exist, and /proc/sys must not be mounted
    read-only (an unprivileged container) nor the file unwritable.
    """
    for key in keys:
        path = key_to_proc_path(key)
        if not host.exists(path):
            return "%s does not exist on this kernel (%s)" % (key, path)
        why = host.writable(path)
        if why:
            return why
    return None


def write_live(key, value, host):
    """Write one value to /proc/sys and read it back. Raise SysctlError on failure."""
    try:
        host.write_text(key_to_proc_path(key), "%s\n" % value)
    except (OSError, IOError) as e:
        reason = errno.errorcode.get(e.errno, str(e.errno)) if e.errno else "error"
        raise SysctlError("the kernel rejected %s = %s: %s (%s)" % (key, value, e.strerror or e, reason)) from e
    after = read_live(key, host)
    if not values_equal(after, value):
        raise SysctlError("wrote %s = %s but the kernel reads back %r" % (key, value, after))
    return after


def kubelet_running(host):
    """True when a process named kubelet runs (it resets some vm.* sysctls)."""
    for pid in host.listdir("/proc"):
        if is_digits(pid) and (host.read_text("/proc/%s/comm" % pid) or "").strip() == "kubelet":
            return True
    return False

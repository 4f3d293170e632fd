# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: system-wide systemd-oomd settings. Not a public API.

oomd.conf(5): the main file is the first of ``/etc/systemd/oomd.conf``,
``/run/systemd/oomd.conf``, ``/usr/local/lib/systemd/oomd.conf``,
``/usr/lib/systemd/oomd.conf`` that exists (systemd < 254 reads only the one in
/etc); then the ``*.conf`` drop-ins of the ``oomd.conf.d`` directories, sorted by
file name across the directories (for the same name the first directory wins, a
link to /dev/null or an empty file masks). A later file overrides an earlier one
key by key, so the main file never overrides a drop-in.

Pure functions of their arguments, except those taking ``host`` (the host seam,
module_utils/_host.Host), which read the host through it alone.
"""

from __future__ import annotations

import os
import re
import stat

from ansible_collections.sre.oom.plugins.module_utils import _managed, _systemctl, _systemd, _values

DEFAULT_PATH = "/etc/systemd/oomd.conf.d/60-sre-oom.conf"
MAIN_CONFS = (
    "/etc/systemd/oomd.conf",
    "/run/systemd/oomd.conf",
    "/usr/local/lib/systemd/oomd.conf",
    "/usr/lib/systemd/oomd.conf",
)
DROPIN_DIRS = (
    "/etc/systemd/oomd.conf.d",
    "/run/systemd/oomd.conf.d",
    "/usr/local/lib/systemd/oomd.conf.d",
    "/usr/lib/systemd/oomd.conf.d",
    "/lib/systemd/oomd.conf.d",  # split-/usr systems (Debian bullseye)
)
OOMD_BINARIES = ("/usr/lib/systemd/systemd-oomd", "/lib/systemd/systemd-oomd")
SECTION = "OOM"

# Module option -> (oomd.conf key, kind, key in systemd 247, systemd's default).
OPTIONS = (
    ("oomd_swap_used_limit", "SwapUsedLimit", "percent", "SwapUsedLimitPercent", "90%"),
    ("oomd_default_memory_pressure_limit", "DefaultMemoryPressureLimit", "percent",
     "DefaultMemoryPressureLimitPercent", "60%"),
    ("oomd_default_memory_pressure_duration_sec", "DefaultMemoryPressureDurationSec", "duration", None, "30s"),
)
KEYS = tuple(o[1] for o in OPTIONS)
OLD_NAMES = {o[3]: o[1] for o in OPTIONS if o[3]}
DEFAULTS = {o[1]: o[4] for o in OPTIONS}
KIND = {o[1]: o[2] for o in OPTIONS}
# systemd 248 renamed the *Percent keys and added DefaultMemoryPressureDurationSec.
RENAMED_IN = 248

_USEC = {
    "usec": 1, "us": 1, u"\u00b5s": 1, u"\u03bcs": 1,
    "msec": 1000, "ms": 1000,
    "seconds": 10 ** 6, "second": 10 ** 6, "sec": 10 ** 6, "s": 10 ** 6, "": 10 ** 6,
    "minutes": 60 * 10 ** 6, "minute": 60 * 10 ** 6, "min": 60 * 10 ** 6, "m": 60 * 10 ** 6,
    "hours": 3600 * 10 ** 6, "hour": 3600 * 10 ** 6, "hr": 3600 * 10 ** 6, "h": 3600 * 10 ** 6,
    "days": 86400 * 10 ** 6, "day": 86400 * 10 ** 6, "d": 86400 * 10 ** 6,
    "weeks": 604800 * 10 ** 6, "week": 604800 * 10 ** 6, "w": 604800 * 10 ** 6,
    "months": 2629800 * 10 ** 6, "month": 2629800 * 10 ** 6, "M": 2629800 * 10 ** 6,
    "years": 31557600 * 10 ** 6, "year": 31557600 * 10 ** 6, "y": 31557600 * 10 ** 6,
}
# One "<number><unit>" term of a systemd time span; blanks allowed between terms
# and between a number and its unit. Anchored and without nested repetition.
# A fraction has as many digits as it is written with (systemd reads them all):
# "0.0000015s" is 1us, "1.5000000min" 90s.
_SPAN_TERM_RE = re.compile(r"[ \t]*([0-9]{1,12})(?:\.([0-9]{1,64}))?[ \t]*([a-zA-Z\u00b5\u03bc]{0,7})")
_MAX_DURATION_USEC = 10 * 365 * 86400 * 10 ** 6  # ten years: anything longer is a mistake


class OomdError(Exception):
    """A problem a person can act on; the message says what and what was expected."""


# --- values ---------------------------------------------------------------------------

def percent(value):
    """A percentage option or file value (blanks around it ignored, as systemd's
    parser strips them) -> permyriad, or None."""
    return _systemctl.parse_percent(value.strip()) if isinstance(value, str) else None


def parse_duration(value):
    """A systemd time span (``"30s"``, ``"1min 30s"``, ``"20"`` = seconds) -> microseconds, or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value * 10 ** 6 if 0 <= value <= _MAX_DURATION_USEC // 10 ** 6 else None
    if not isinstance(value, str):
        return None
    text = value.strip(" \t")
    if not text or len(text) > 64:
        return None
    pos, total, terms = 0, 0, 0
    while pos < len(text):
        m = _SPAN_TERM_RE.match(text, pos)
        if not m or m.end() == pos:
            return None
        unit = m.group(3)
        if unit not in _USEC:
            return None
        size = _USEC[unit]
        total += int(m.group(1)) * size
        if m.group(2):
            total += int(m.group(2)) * size // 10 ** len(m.group(2))
        terms += 1
        pos = m.end()
    if terms == 0 or total > _MAX_DURATION_USEC:
        return None
    return total


def format_duration(usec):
    """Microseconds -> a compact systemd time span (``90000000`` -> ``"1min 30s"``)."""
    if usec == 0:
        return "0"
    parts = []
    for unit, size in (("y", 31557600 * 10 ** 6), ("month", 2629800 * 10 ** 6), ("w", 604800 * 10 ** 6),
                       ("d", 86400 * 10 ** 6), ("h", 3600 * 10 ** 6), ("min", 60 * 10 ** 6), ("s", 10 ** 6),
                       ("ms", 1000), ("us", 1)):
        if usec >= size:
            parts.append("%d%s" % (usec // size, unit))
            usec %= size
    return " ".join(parts)


def coerce(option, key, value):
    """Validate one option's value; return the text to write. Raise OomdError."""
    kind = KIND[key]
    if kind == "percent":
        n = percent(value)
        if n is None:
            raise OomdError(
                "%s must be a percentage from 0%% to 100%% such as \"60%%\" (or permille \"600\u2030\", "
                "permyriad \"6000\u2031\"), got %s (%s)" % (option, _values.show(value), type(value).__name__))
        return value.strip()
    usec = parse_duration(value)
    if usec is None:
        raise OomdError(
            "%s must be a systemd time span such as \"30s\", \"1min 30s\" or a number of seconds, "
            "got %s (%s)" % (option, _values.show(value), type(value).__name__))
    if 0 < usec < 10 ** 6:
        raise OomdError("%s must be 0 (systemd's default, 30s) or at least 1s, got %s" % (option, _values.show(value)))
    return format_duration(usec) if isinstance(value, int) else value.strip(" \t")


def desired_from_params(params):
    """Map the oomd module options that were given to ``{oomd.conf key: text}``."""
    desired = {}
    for option, key, _kind, _old, _default in OPTIONS:
        value = params.get(option)
        if value is None:
            continue
        desired[key] = coerce(option, key, value)
    return desired


def canonical(key, value):
    """A comparable form of a value (permyriad or microseconds); text when unparseable."""
    if value is None:
        return None
    if value == "":
        value = DEFAULTS[key]  # an empty assignment resets to the default
    if KIND.get(key) == "percent":
        n = percent(value)
    else:
        n = parse_duration(value)
        if n == 0:
            n = parse_duration(DEFAULTS[key])  # 0 means "the default" for the duration
    return n if n is not None else value


def values_equal(key, a, b):
    return canonical(key, a) == canonical(key, b)


# --- files ------------------------------------------------------------------------------

def parse_conf(text):
    """``{key: value}`` assigned in the ``[OOM]`` section of one file (later lines win),
    read with systemd's unit-file syntax (_systemd.assignments).

    systemd 247's ``*Percent`` names are mapped to the current ones.
    """
    values = {}
    for section, key, value in _systemd.assignments(text):
        if section == SECTION and key is not None:
            values[OLD_NAMES.get(key, key)] = value
    return values


_NEW_TO_OLD = {v: k for k, v in OLD_NAMES.items()}


def _before_rename(systemd_version):
    return systemd_version is not None and systemd_version < RENAMED_IN


def _written(key, value, old):
    """One value as this systemd reads it: systemd 247's ``*Percent=`` keys take only
    a whole ``<n>%`` (not ``60.00%``, ``600‰``)."""
    if old and KIND.get(key) == "percent":
        n = percent(value)
        if n is not None and n % 100 == 0:
            return "%d%%" % (n // 100)
    return value


def render(values, systemd_version=None):
    """The managed drop-in: the marker header, ``[OOM]``, one ``Key=value`` per line.

    For systemd 247 the limits are written under their old ``*Percent`` names, as
    whole percentages.
    """
    old = _before_rename(systemd_version)
    lines = [_managed.header("sre.oom.oom_policy"), "[%s]\n" % SECTION]
    for key in KEYS:
        if key in values:
            name = _NEW_TO_OLD.get(key, key) if old else key
            lines.append("%s=%s\n" % (name, _written(key, values[key], old)))
    return "".join(lines)


def unreadable(text, systemd_version):
    """True when a file sre.oom wrote names a key, or writes a value, in a way this
    systemd does not read: a ``*Percent=`` key (systemd 247's) after an upgrade to
    248 or later, the new names on 247, or a limit 247 cannot parse. Such a file is
    written again even when its values are the ones asked for."""
    if systemd_version is None:
        return False
    old = _before_rename(systemd_version)
    for section, key, value in _systemd.assignments(text):
        if section != SECTION or key is None:
            continue
        if (key in OLD_NAMES) != old and (key in OLD_NAMES or key in _NEW_TO_OLD):
            return True
        name = OLD_NAMES.get(key, key)
        if old and _written(name, value, old) != value:
            return True
    return False


def _stat(host, path, follow=True):
    try:
        return host.stat(path) if follow else host.lstat(path)
    except OSError:
        return None


def main_conf(host):
    """The main oomd.conf systemd reads (the first that exists), or None."""
    for path in MAIN_CONFS:
        st = _stat(host, path)
        if st is not None and stat.S_ISREG(st.st_mode):
            return path
    return None


def _masks(host, path):
    """True for a drop-in that masks others of its name: a link to /dev/null or empty."""
    st = _stat(host, path, follow=False)
    if st is not None and stat.S_ISLNK(st.st_mode) and host.realpath(path) == "/dev/null":
        return True
    st = _stat(host, path)
    return st is not None and stat.S_ISREG(st.st_mode) and st.st_size == 0


def read_order(host, managed_path=None):
    """The files systemd-oomd reads, in order: the main file, then the drop-ins.

    ``managed_path`` (the host's path) is placed where it would go even when it does
    not exist yet. Returns a list of the host's paths.
    """
    chosen = _managed.conf_files(host, DROPIN_DIRS)
    if managed_path and os.path.dirname(managed_path) in DROPIN_DIRS:
        name = os.path.basename(managed_path)
        other = chosen.get(name)
        if other is None or DROPIN_DIRS.index(os.path.dirname(other)) > DROPIN_DIRS.index(
                os.path.dirname(managed_path)):
            chosen[name] = managed_path
    order = []
    main = main_conf(host)
    if main:
        order.append(main)
    for name in sorted(chosen):
        path = chosen[name]
        if path != managed_path and _masks(host, path):
            continue
        order.append(path)
    return order


def effective_from_files(host, managed_path=None, managed_text=None):
    """``{key: (value, source path or None)}`` for every key, as oomd would read the files.

    A key nobody sets has systemd's default and source None.
    """
    out = {key: (DEFAULTS[key], None) for key in KEYS}
    for path in read_order(host, managed_path):
        if path == managed_path:
            text = managed_text
        else:
            text = host.read_regular_text(path)
        for key, value in parse_conf(text).items():
            if key in out:
                out[key] = (value if value != "" else DEFAULTS[key], path)
    return out


def shadowing(keys, managed_path, managed_text, host):
    """``{key: path}`` for each of ``keys`` that a file read after ours sets.

    ``managed_path`` is the host's path. A same-named drop-in in a directory that
    wins over ours masks our file whole: it is reported for every key.
    """
    result = {}
    name = os.path.basename(managed_path)
    d = os.path.dirname(managed_path)
    if d in DROPIN_DIRS:
        for other in DROPIN_DIRS[:DROPIN_DIRS.index(d)]:
            if (_stat(host, os.path.join(other, name), follow=False) is not None
                    and host.realpath(other) != host.realpath(d)):
                return {key: os.path.join(other, name) for key in keys}
    eff = effective_from_files(host, managed_path, managed_text)
    for key in keys:
        source = eff[key][1]
        if source is not None and source != managed_path:
            result[key] = source
    return result


def loaded(path):
    """True when ``path`` is in an oomd.conf.d directory and named so that oomd reads it."""
    name = os.path.basename(path)
    return os.path.dirname(path) in DROPIN_DIRS and name.endswith(".conf") and not name.startswith(".")


# --- the host ---------------------------------------------------------------------------

def support(host):
    """Why systemd-oomd cannot act on this host: a list of reasons ([] = it can).

    Checks what oomd itself checks at start (the unified cgroup v2 hierarchy,
    PSI) plus the memory controller (memory accounting) and the binary.
    """
    reasons = []
    cg = "/sys/fs/cgroup"
    controllers = host.read_text(cg + "/cgroup.controllers")
    if controllers is None:
        st = _stat(host, cg + "/unified")
        if st is not None and stat.S_ISDIR(st.st_mode):
            reasons.append("cgroup v2 is not the only hierarchy (hybrid layout: /sys/fs/cgroup/unified); "
                           "systemd-oomd needs the unified hierarchy (systemd.unified_cgroup_hierarchy=1)")
        else:
            reasons.append("/sys/fs/cgroup is not the unified cgroup v2 hierarchy (cgroup v1); "
                           "systemd-oomd needs it (systemd.unified_cgroup_hierarchy=1)")
    elif "memory" not in controllers.split():
        reasons.append("the cgroup v2 memory controller is not available (cgroup_disable=memory?): "
                       "no memory accounting for systemd-oomd to act on")
    else:
        subtree = host.read_text(cg + "/cgroup.subtree_control")
        if subtree is not None and "memory" not in subtree.split():
            reasons.append("memory accounting is off (memory is not in /sys/fs/cgroup/cgroup.subtree_control; "
                           "DefaultMemoryAccounting=no?)")
    psi = "/proc/pressure/memory"
    if not host.exists(psi):
        reasons.append("no Pressure Stall Information: /proc/pressure/memory is missing (a kernel without "
                       "CONFIG_PSI, or older than 4.20)")
    elif host.read_text(psi) is None:
        reasons.append("Pressure Stall Information is disabled: /proc/pressure/memory cannot be read (psi=0 "
                       "on the kernel command line?)")
    if not any(host.exists(b) for b in OOMD_BINARIES):
        reasons.append("systemd-oomd is not installed (%s missing)" % " and ".join(OOMD_BINARIES))
    return reasons


def swap_total_kb(host):
    text = host.read_text("/proc/meminfo") or ""
    for line in text.splitlines():
        if line.startswith("SwapTotal:"):
            try:
                return int(line.split()[1])
            except (IndexError, ValueError):
                return None
    return None


_DUMP_KEYS = {
    "Swap Used Limit": "SwapUsedLimit",
    "Default Memory Pressure Limit": "DefaultMemoryPressureLimit",
    "Default Memory Pressure Duration": "DefaultMemoryPressureDurationSec",
}


def parse_dump(text):
    """The system-wide settings in ``oomctl dump`` output: ``{key: value as printed}``.

    Only the unindented lines before ``System Context:`` are read.
    """
    out = {}
    for line in (text or "").splitlines():
        if line.startswith(("System Context", "Swap Monitored")):
            break
        label, sep, value = line.partition(":")
        if sep and label in _DUMP_KEYS:
            out[_DUMP_KEYS[label]] = value.strip()
    return out

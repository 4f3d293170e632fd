# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: what systemd reports of its units, as
data: `systemctl show` argument lists and blocks, integer properties, systemd's
version, and the systemd-oomd limits (systemd's percent, permille and permyriad,
and the fraction of 2^32 `systemctl show` prints). Not a public API."""

from __future__ import annotations

import re

from ansible_collections.sre.oom.plugins.module_utils._oom.formats import is_digits


# ---------------------------------------------------------------------------
# systemctl show
# ---------------------------------------------------------------------------

def show_argv(systemctl, props, units):
    argv = [systemctl, "show"]
    for p in props:
        argv.extend(["-p", p])
    argv.append("--")
    argv.extend(units)
    return argv


def parse_show(text, count=None):
    """Split `systemctl show` output into property dicts, one per unit.

    systemctl prints one block per unit, in the order given, separated by a blank
    line. With ``count``, raises ValueError when the number of blocks differs.
    """
    blocks = []
    current = None
    for line in (text or "").splitlines():
        if line.strip() == "":
            current = None
            continue
        if current is None:
            current = {}
            blocks.append(current)
        if "=" in line:
            key, val = line.split("=", 1)
            current[key] = val
    if count is not None and len(blocks) != count:
        raise ValueError("expected %d blocks of properties, got %d" % (count, len(blocks)))
    return blocks


def parse_show_int(val):
    try:
        return int(val)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------
# systemd versions and the systemd-oomd limit
# ---------------------------------------------------------------------------

_VERSION_RE = re.compile(r"systemd ([0-9]{1,5})\b")
# ManagedOOMMemoryPressureLimit= is a uint32 fraction of this on D-Bus and in
# `systemctl show` (systemd 248+): 60% -> 2576980377.
UINT32_MAX = 4294967295
# systemd's parse_permyriad(): a percentage with up to two decimals, permille with
# one, or permyriad. Full match: callers strip blanks where systemd's parser does.
_PERCENT_RE = re.compile(r"([0-9]{1,3})(?:\.([0-9]{1,2}))?%\Z")
_PERMILLE_RE = re.compile(u"([0-9]{1,4})(?:\\.([0-9]))?\u2030\\Z")
_PERMYRIAD_RE = re.compile(u"([0-9]{1,5})\u2031\\Z")


def parse_version(text):
    """The major version from `systemctl --version` output, or None."""
    first = (text or "").strip().split("\n", 1)[0]
    m = _VERSION_RE.match(first)
    return int(m.group(1)) if m else None


def parse_percent(text):
    """A percentage as systemd parses it (parse_permyriad) -> permyriad, or None.

    ``"60%"``/``"55.55%"`` (at most two decimals), permille ``"605\u2030"``/``"60.5\u2030"``,
    permyriad ``"6050\u2031"``; from 0 to 100%. Full match only (no blanks).
    """
    if not isinstance(text, str):
        return None
    m = _PERCENT_RE.match(text)
    if m:
        n = int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))
    else:
        m = _PERMILLE_RE.match(text)
        if m:
            n = int(m.group(1)) * 10 + int(m.group(2) or "0")
        else:
            m = _PERMYRIAD_RE.match(text)
            if not m:
                return None
            n = int(m.group(1))
    return n if n <= 10000 else None


def systemd_version(host, warnings):
    """The host's systemd major version from one `systemctl --version`, or None.

    ``host`` is the host seam (module_utils/_host.Host); why the version is unknown
    goes to ``warnings``.
    """
    systemctl = host.which("systemctl")
    if not systemctl:
        warnings.append("systemctl not found: cannot tell the systemd version; writing the "
                        "setting names of systemd 248 and newer")
        return None
    rc, out, err = host.run([systemctl, "--version"])
    version = parse_version(out) if rc == 0 else None
    if version is None:
        warnings.append("cannot tell the systemd version from `systemctl --version` (rc=%d: %s); "
                        "writing the setting names of systemd 248 and newer"
                        % (rc, (err or out).strip()[:200]))
    return version


def format_percent(permyriad):
    """6000 -> "60%", 5550 -> "55.5%", 5555 -> "55.55%"."""
    whole, frac = divmod(permyriad, 100)
    if frac == 0:
        return "%d%%" % whole
    return ("%d.%02d" % (whole, frac)).rstrip("0") + "%"


def limit_from_show(val, legacy=False):
    """The limit as `systemctl show` reports it, as a permyriad, or None.

    systemd 248+ prints ManagedOOMMemoryPressureLimit as a fraction of 2^32 - 1;
    systemd 247 prints ManagedOOMMemoryPressureLimitPercent as "61%".
    """
    if val is None or val == "":
        return None
    if legacy or val.endswith("%"):
        return parse_percent(val)
    if not is_digits(val):
        return None
    return (int(val) * 10000 + UINT32_MAX // 2) // UINT32_MAX

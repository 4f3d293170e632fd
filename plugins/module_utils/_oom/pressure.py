# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: memory pressure (PSI) and systemd-oomd's view.

systemd-oomd acts on a unit or slice with ``ManagedOOMMemoryPressure=kill`` when
the ``full avg10`` memory pressure of its cgroup stays above its
``ManagedOOMMemoryPressureLimit=`` (for ``DefaultMemoryPressureDurationSec=``),
and on one with ``ManagedOOMSwap=kill`` when the machine's swap use passes
``SwapUsedLimit=``. It then kills one cgroup below it: among the leaf cgroups
and those with ``memory.oom.group`` 1 (a candidate whole, not looked into; systemd
sets it for ``OOMPolicy=kill``), those marked ``user.oomd_omit`` left out (the mark
of the candidate's own cgroup: an ancestor's is not inherited; read only on a cgroup
owned by root or by the managed cgroup's owner), ``user.oomd_avoid`` ones last, for
pressure the one with the highest page-scan rate then memory use, for swap the one
using the most swap; cgroups that neither scanned nor use memory are skipped. One reading cannot give a rate: the cumulative ``pgscan`` of
memory.stat stands in for it here.

Pure parsing and ordering, and ``gather`` which reads through the host seam
(``read``, ``walk``, ``getxattr``).
"""

from __future__ import annotations

import math

DEFAULT_LIMIT = 60.0


def parse_psi(text):
    """/proc/pressure/memory or a cgroup's memory.pressure -> {'some': {...}, 'full': {...}}
    with avg10/avg60/avg300 (percent, float) and total (microseconds); None when unreadable.
    A value that is no finite number (nan, inf) is None: the facts stay JSON."""
    out = {}
    for line in (text or "").splitlines():
        parts = line.split()
        if not parts or parts[0] not in ("some", "full"):
            continue
        values = {}
        for item in parts[1:]:
            key, sep, value = item.partition("=")
            if not sep:
                continue
            values[key] = _int(value) if key == "total" else _finite(value)
        out[parts[0]] = {k: values.get(k) for k in ("avg10", "avg60", "avg300", "total")}
    if not out:
        return None
    out.setdefault("full", None)
    out.setdefault("some", None)
    return out


def _finite(text):
    """A finite float of ``text``; None otherwise (nan, inf, garbage)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def percent_of(limit):
    """'60%' or '55.5%' -> 60.0 / 55.5; None otherwise."""
    if not limit:
        return None
    return _finite(str(limit).rstrip("%"))


def _stat_value(text, key):
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            try:
                return int(parts[1])
            except ValueError:
                return None
    return None


def _int(text):
    try:
        return int((text or "").strip())
    except ValueError:
        return None


_TRUE = ("1", "yes", "y", "true", "t", "on")       # systemd's parse_boolean()


def _flag(host, path, name):
    """A boolean xattr as systemd reads it: true only for what parse_boolean() takes as true."""
    getxattr = getattr(host, "getxattr", None)
    if getxattr is None:
        return False
    value = getxattr(path, name)
    return bool(value) and value.strip(b"\0 \n").decode("ascii", "replace").lower() in _TRUE


def oomd_order(leaves, swap):
    """systemd-oomd's kill order of leaf cgroup records (cgroup, memory_current_kb,
    swap_current_kb, pgscan, preference): avoid last, then most swap (swap) or most
    scanning then most memory (pressure); those with nothing to free left out."""
    if swap:
        keep = [c for c in leaves if (c["swap_current_kb"] or 0) > 0]

        def key(c):
            return (c["preference"] == "avoid", -(c["swap_current_kb"] or 0), c["cgroup"])
    else:
        keep = [c for c in leaves if (c["pgscan"] or 0) > 0 or (c["memory_current_kb"] or 0) > 0]

        def key(c):
            return (c["preference"] == "avoid", -(c["pgscan"] or 0), -(c["memory_current_kb"] or 0), c["cgroup"])
    return sorted(keep, key=key)


def _owner(host, path):
    """The uid owning a cgroup directory; 0 when the host cannot say, None when it is gone."""
    stat = getattr(host, "stat", None)
    if stat is None:
        return 0
    try:
        return stat(path).st_uid
    except OSError:
        return None


def leaves_below(host, v2_root, cgroup, unit_of, swap=False):
    """The cgroups below ``cgroup`` that systemd-oomd would consider
    (recursively_get_cgroup_context()): the leaves, and a cgroup with memory.oom.group
    1 as one candidate (what is below it is not), each unless its own cgroup is
    marked user.oomd_omit.

    systemd-oomd reads the marks of a cgroup owned by root, or by the owner of the
    cgroup it acts for (oomd_fetch_cgroup_oom_preference(): for pressure the managed
    cgroup, for swap the root); other cgroups' marks are not read."""
    top = v2_root.rstrip("/") + cgroup.rstrip("/")
    trusted = {0} if swap else {0, _owner(host, top)}
    out = []
    walked = list(host.walk(top))          # top-down: a parent before its children
    parents = {d.rsplit("/", 1)[0] for d, _s, _f in walked}
    grouped = set()         # cgroups with memory.oom.group 1 below top, and all below them

    for dirpath, _sub, files in walked:
        parent = dirpath.rsplit("/", 1)[0]
        if parent in grouped:
            grouped.add(dirpath)
            continue          # inside a candidate taken whole
        whole = dirpath != top and (host.read_text(dirpath + "/memory.oom.group") or "").strip() == "1"
        if whole:
            grouped.add(dirpath)
        elif dirpath in parents:
            continue          # not a leaf
        if "memory.current" not in files:
            continue
        marks = _owner(host, dirpath) in trusted
        if marks and _flag(host, dirpath, "user.oomd_omit"):
            continue
        rel = dirpath[len(v2_root.rstrip("/")):] or "/"
        current = _int(host.read_text(dirpath + "/memory.current"))
        swap = _int(host.read_text(dirpath + "/memory.swap.current")) if "memory.swap.current" in files \
            else None
        out.append({
            "cgroup": rel, "unit": unit_of(rel),
            "memory_current_kb": None if current is None else current // 1024,
            "swap_current_kb": None if swap is None else swap // 1024,
            "pgscan": _stat_value(host.read_text(dirpath + "/memory.stat"), "pgscan"),
            "preference": "avoid" if marks and _flag(host, dirpath, "user.oomd_avoid") else None,
        })
    return out


def gather(host, managed, v2_root, unit_of, top):
    """pressure facts: the machine's memory PSI and, per unit or slice with
    ManagedOOMMemoryPressure=kill or ManagedOOMSwap=kill (``managed``: list of
    {unit, cgroup, memory_pressure, limit, swap}), its cgroup's pressure beside its
    limit and systemd-oomd's first ``top`` candidates below it."""
    units = []
    for m in managed:
        cg = m.get("cgroup")
        psi = None
        if v2_root and cg:
            psi = parse_psi(host.read_text(v2_root.rstrip("/") + cg.rstrip("/") + "/memory.pressure"))
        # 0 or unset: systemd-oomd's DefaultMemoryPressureLimit= (60% unless oomd.conf says otherwise)
        limit = percent_of(m.get("limit")) or DEFAULT_LIMIT
        full10 = (psi.get("full") or {}).get("avg10") if psi else None
        over = None
        if m.get("memory_pressure") == "kill" and limit is not None and full10 is not None:
            over = full10 > limit
        candidates = []
        if v2_root and cg:
            swap = m.get("memory_pressure") != "kill" and m.get("swap") == "kill"
            order = oomd_order(leaves_below(host, v2_root, cg, unit_of, swap), swap=swap)
            candidates = order[:top]
        units.append({"unit": m["unit"], "cgroup": cg, "managed_oom_memory_pressure": m.get("memory_pressure"),
                      "managed_oom_swap": m.get("swap"), "managed_oom_memory_pressure_limit": m.get("limit"),
                      "effective_limit": "%g%%" % limit, "memory_pressure": psi, "over_limit": over, "oomd_candidates": candidates})
    return {"memory": parse_psi(host.read_text("/proc/pressure/memory")), "units": units}

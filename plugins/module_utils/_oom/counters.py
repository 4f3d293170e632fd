# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: OOM counters that cannot lose a kill.

Three witnesses of a kill, each with its blind spot:
- /proc/vmstat ``oom_kill``: every kernel kill since boot, no cgroup;
- the memory cgroup's counters: cgroup v2 ``memory.events`` counts the kills of a
  cgroup and its descendants (since 5.2, unless mounted with
  ``memory_localevents``; so a slice keeps the count of a unit whose cgroup is
  gone), ``memory.events.local`` the cgroup's own; cgroup v1
  ``memory.oom_control`` counts the cgroup's own kills only (``oom_kill``, and
  ``under_oom`` while it is in OOM); systemd-oomd's xattrs ``user.oomd_ooms`` and
  ``user.oomd_kill`` on the cgroup it acted on. They vanish with the cgroup;
- the log: it names the cgroup, but a ring buffer wraps and a journal rotates.

``read_cgroups`` reads the second through the host seam (``walk``, ``read``,
``getxattr``); ``KillTally`` counts the log's kills per cgroup as the events are
parsed; ``subtrees`` puts both side by side per unit, slice, container and pod,
with ``unattributed`` the kills a counter saw and the log did not name there.
"""

from __future__ import annotations

import collections

OOMD_XATTRS = (("oomd_ooms", "user.oomd_ooms"), ("oomd_kill", "user.oomd_kill"))
_EVENT_KEYS = ("oom", "oom_kill", "oom_group_kill")


def parse_flat_keyed(text):
    """'key value' lines (memory.events, memory.oom_control) -> {key: int}."""
    out = {}
    for line in (text or "").splitlines():
        kv = line.split()
        if len(kv) == 2:
            try:
                out[kv[0]] = int(kv[1])
            except ValueError:
                pass
    return out


def _xattr_int(value):
    if value is None:
        return None
    try:
        return int(value.decode("ascii", "replace").strip("\0 \n") if isinstance(value, bytes) else value)
    except ValueError:
        return None


def local_events_mounts(mounts_text):
    """The cgroup v2 mount points mounted with ``memory_localevents`` (their
    memory.events count the cgroup's own events only, as before 5.2)."""
    out = set()
    for line in (mounts_text or "").splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] == "cgroup2" and "memory_localevents" in parts[3].split(","):
            out.add(parts[1])
    return out


def cgroup_entry(rel, version, events, local, oom_control, xattrs, unit_of, has_local=False, hierarchical=True):
    """One counters.cgroups element, or None when every count is zero.
    ``hierarchical`` (v2): memory.events counts the descendants' events too - false
    before 5.2 (no memory.events.local) and under ``memory_localevents``, where
    memory.events is the cgroup's own."""
    if version == 2:
        oom, kills, group = (events.get(k) for k in _EVENT_KEYS)
        if local is not None:
            local_counts = {k: local.get(k) for k in _EVENT_KEYS}
        elif has_local:
            local_counts = dict.fromkeys(_EVENT_KEYS, 0)
        elif not hierarchical:
            local_counts = {k: events.get(k) for k in _EVENT_KEYS}
        else:
            local_counts = None
        under = None
    else:
        oom, group = None, None
        kills = oom_control.get("oom_kill")
        local_counts = {"oom": None, "oom_kill": kills, "oom_group_kill": None}
        under = oom_control.get("under_oom")
        under = None if under is None else bool(under)
    entry = {"path": rel, "version": version, "oom": oom, "oom_kill": kills, "oom_group_kill": group,
             "hierarchical": version == 2 and hierarchical,
             "unit": unit_of(rel), "local": local_counts, "under_oom": under,
             "oomd_ooms": xattrs.get("oomd_ooms"), "oomd_kill": xattrs.get("oomd_kill")}
    if not (oom or kills or group or under or entry["oomd_ooms"] or entry["oomd_kill"]
            or (local_counts and any(local_counts.values()))):
        return None
    return entry


def read_cgroups(host, mounts, unit_of, local_mounts=()):
    """Every memory cgroup with a non-zero count (kernel or systemd-oomd), by walking
    each mount once: [(entry, ...)], unsorted. ``local_mounts``: the v2 mount points
    whose memory.events are the cgroups' own (``local_events_mounts``)."""
    out = []
    getxattr = getattr(host, "getxattr", None)
    for mount, version in mounts:
        fname = "memory.events" if version == 2 else "memory.oom_control"
        for dirpath, _dirs, files in host.walk(mount):
            if fname not in files:
                continue
            rel = dirpath[len(mount):] or "/"
            has_local = "memory.events.local" in files
            if version == 2:
                events = parse_flat_keyed(host.read_text(dirpath + "/memory.events"))
                local = None
                # the local counts are a part of the hierarchical ones: zero when those are
                if "memory.events.local" in files and any(events.get(k) for k in _EVENT_KEYS):
                    local = parse_flat_keyed(host.read_text(dirpath + "/memory.events.local"))
                control = {}
                xattrs = {}
                if getxattr is not None:
                    for key, name in OOMD_XATTRS:
                        xattrs[key] = _xattr_int(getxattr(dirpath, name))
            else:
                events, local, xattrs = {}, None, {}
                control = parse_flat_keyed(host.read_text(dirpath + "/memory.oom_control"))
            entry = cgroup_entry(rel, version, events, local, control, xattrs, unit_of, has_local=has_local,
                                 hierarchical=has_local and mount not in local_mounts)
            if entry is not None:
                out.append(entry)
    return out


def top_cgroups(entries, top):
    """The ``top`` entries with the most kills (kernel, then systemd-oomd), sorted by path."""
    ranked = sorted(entries, key=lambda e: (-(e["oom_kill"] or 0), -(e["oomd_kill"] or 0), -(e["oom"] or 0),
                                            e["path"], e["version"]))
    return sorted(ranked[:top], key=lambda e: (e["path"], e["version"]))


# ---------------------------------------------------------------------------
# The log's side

def of_this_boot(epoch, boot_time):
    """True when a kill at ``epoch`` (seconds, None when the log gave no time) is of
    the boot that started at ``boot_time``: a kill without a time is not known to be
    (a saved dmesg of an earlier boot has uptimes only). One rule for the log's kills
    of this boot, in the counters' tally and in the collector's count alike."""
    return boot_time is not None and epoch is not None and epoch >= boot_time - 1


def event_path(ev):
    """The cgroup a kill happened in: the victim's memcg, else the OOM's, else
    systemd-oomd's cgroup."""
    return ev.get("memcg") or ev.get("oom_memcg") or ev.get("cgroup")


class KillTally(object):
    """Counts the kills of the current boot per cgroup path as the events are parsed
    (an EventCollector ``keep`` hook: it sees every kill once, not only the ones
    returned). ``then`` is the scope's own keep function, if any."""

    def __init__(self, boot_time, then=None, limit=100000):
        self.boot_time = boot_time
        self.then = then
        self.limit = limit
        self.kernel = collections.Counter()
        self.userspace = collections.Counter()
        self.kernel_total = 0
        self.kernel_without_path = 0

    def __call__(self, ev):
        if of_this_boot(ev.get("_epoch"), self.boot_time):
            path = event_path(ev)
            kernel = (ev.get("killer") or "kernel") == "kernel"
            if kernel:
                self.kernel_total += 1
            if not path:
                if kernel:
                    self.kernel_without_path += 1
            else:
                counter = self.kernel if kernel else self.userspace
                if path in counter or len(counter) < self.limit:
                    counter[path] += 1
        return True if self.then is None else self.then(ev)


MAX_SUBJECTS = 16          # subjects of one path: real ones have a few slices, a unit, a container, a pod


def subjects(path, unit_of, container_of, pod_of):
    """[(kind, name, subtree path)] a kill in ``path`` counts for: its unit, every
    slice above it, its container and its pod - at most MAX_SUBJECTS, the outermost
    first, so that a path of thousands of components costs its length, not its
    length squared (each subtree path is built only when it is kept)."""
    out = []
    parts = [p for p in path.split("/") if p]
    unit = unit_of(path)
    cid = container_of(path)
    pod = pod_of(path)
    pod_forms = ("pod" + pod, "pod" + pod.replace("-", "_"), "pod" + pod.replace("-", "")) if pod else ()
    have_container = have_pod = False
    for i, part in enumerate(parts):
        if len(out) >= MAX_SUBJECTS:
            break
        kinds = []
        if part.endswith(".slice"):
            kinds.append(("slice", part))
        elif unit and part == unit:
            kinds.append(("unit", part))
        if cid and not have_container and cid in part:
            have_container = True
            kinds.append(("container", cid))
        if pod_forms and not have_pod and any(f in part for f in pod_forms):
            have_pod = True
            kinds.append(("pod", pod))
        if kinds:
            sub = "/" + "/".join(parts[:i + 1])
            out.extend((kind, name, sub) for kind, name in kinds)
    return out[:MAX_SUBJECTS]


def subtrees(tally, cgroup_entries, unit_of, container_of, pod_of, top):
    """Per unit, slice, container and pod: the log's kills in that subtree this boot,
    the counter of the subtree's cgroup where it exists, and their difference.

    ``counter_kills`` is cgroup v2 memory.events oom_kill (descendants included);
    where the counts are per cgroup (cgroup v1, and v2 before 5.2 or under
    ``memory_localevents``), the sum over the existing cgroups of the subtree
    (``counter_complete`` false: removed cgroups took theirs along).
    ``unattributed`` = counter - log when the counter is the larger, else 0; null
    without a counter."""
    rows = {}

    def row(kind, name, sub):
        key = (kind, sub)
        if key not in rows:
            rows[key] = {"kind": kind, "name": name, "cgroup": sub, "log_kills": 0, "userspace_kills": 0,
                         "counter_kills": None, "counter_complete": None, "unattributed": None}
        return rows[key]

    for counter, field in ((tally.kernel, "log_kills"), (tally.userspace, "userspace_kills")):
        for path, n in counter.items():
            for kind, name, sub in subjects(path, unit_of, container_of, pod_of):
                row(kind, name, sub)[field] += n
    by_path = {}
    own_sums = {}         # path -> the sum of the per-cgroup oom_kill at or below it
    for e in cgroup_entries:
        by_path.setdefault(e["path"], []).append(e)
        if not e.get("hierarchical"):
            # one walk up per entry: the work is the entries times their depth
            path = e["path"]
            while True:
                own_sums[path] = own_sums.get(path, 0) + (e["oom_kill"] or 0)
                if path in ("/", ""):
                    break
                path = path.rsplit("/", 1)[0] or "/"
    for e in cgroup_entries:
        for kind, name, sub in subjects(e["path"], unit_of, container_of, pod_of):
            if sub == e["path"] or not e.get("hierarchical"):
                row(kind, name, sub)
    for r in rows.values():
        sub = r["cgroup"]
        whole = [e for e in by_path.get(sub, ()) if e.get("hierarchical")]
        if whole:
            r["counter_kills"] = whole[0]["oom_kill"] or 0
            r["counter_complete"] = True
        elif sub in own_sums:
            r["counter_kills"] = own_sums[sub]
            r["counter_complete"] = False
        if r["counter_kills"] is not None:
            r["unattributed"] = max(r["counter_kills"] - r["log_kills"], 0)
    ranked = sorted(rows.values(), key=lambda r: (-max(r["log_kills"], r["counter_kills"] or 0),
                                                  -r["userspace_kills"], r["kind"], r["cgroup"]))
    return ranked[:top], len(rows)


def attributed(tally, unit_of, container_of, pod_of):
    """How many of the log's kernel kills of this boot name a unit, slice, container or pod."""
    n = 0
    for path, count in tally.kernel.items():
        if subjects(path, unit_of, container_of, pod_of):
            n += count
    return n

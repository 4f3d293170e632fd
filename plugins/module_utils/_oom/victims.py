# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: who the kernel's OOM killer would kill next,
per OOM domain (the whole machine, and every memory cgroup with a limit).

The domains are found here: the memory cgroups with a limit (v1 and v2), their
size with the swap they may use, their processes and memory.oom.group; ``gather``
reads what it needs through the host object it is given (``read``, ``listdir``,
``walk``) and nothing else. The ranking itself, the way mm/oom_kill.c's
oom_badness() and select_bad_process() do it per kernel era, is ``badness``.
"""

from __future__ import annotations

from ansible_collections.sre.oom.plugins.module_utils._oom.badness import (
    OOM_SCORE_ADJ_MIN, describe_change, global_shortlist, kernel_era, parse_meminfo, parse_status, rank,
    ranking_change, status_fields, status_name, tie_order)
from ansible_collections.sre.oom.plugins.module_utils._oom.counters import parse_flat_keyed
from ansible_collections.sre.oom.plugins.module_utils._oom.formats import is_digits

LONG_MAX_64 = (1 << 63) - 1
LONG_MAX_32 = (1 << 31) - 1


# ---------------------------------------------------------------------------
# Pure: the domains

def parse_proc_cgroup(text):
    """{'v2': path, 'memory': v1 memory path, 'systemd': name=systemd path} from /proc/PID/cgroup."""
    paths = {}
    for line in (text or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        controllers = parts[1].split(",")
        if parts[0] == "0" and parts[1] == "":
            paths["v2"] = parts[2]
        elif "name=systemd" in controllers:
            paths["systemd"] = parts[2]
        elif "memory" in controllers:
            paths["memory"] = parts[2]
    return paths


def v1_limit_pages(text, page_kb):
    """memory.limit_in_bytes (or memsw) in pages; None when unlimited or unreadable.

    Unlimited reads as PAGE_COUNTER_MAX pages in bytes, which depends on the page
    size: LONG_MAX // PAGE_SIZE pages on a 64-bit kernel (9223372036854771712 with
    4 KiB pages, 9223372036854710272 with 64 KiB ones), LONG_MAX pages on a 32-bit
    one (include/linux/page_counter.h)."""
    try:
        value = int((text or "").strip())
    except ValueError:
        return None
    page_bytes = page_kb * 1024
    if value < 0 or value >= LONG_MAX_64 // page_bytes * page_bytes or value == LONG_MAX_32 * page_bytes:
        return None
    return value // page_bytes


def v2_limit_pages(text, page_kb):
    """memory.max (or memory.swap.max) in pages; None for 'max' or unreadable."""
    value = (text or "").strip()
    if not is_digits(value) or len(value) > 20:      # more digits than any 64-bit value: not a limit
        return None
    return int(value) // (page_kb * 1024)


def memcg_totalpages(version, limit_pages, swap_limit_pages, total_swap_pages, swappiness):
    """mem_cgroup_get_max(): the limit, plus the swap the cgroup may use when its
    swappiness is not 0 (v1: memsw limit minus the memory limit; v2: memory.swap.max),
    at most the machine's swap; never 0 (the kernel uses 1)."""
    total = limit_pages
    if swappiness and total_swap_pages:
        if version == 1:
            if swap_limit_pages is None:          # memsw unlimited
                extra = total_swap_pages
            else:
                extra = max(swap_limit_pages - limit_pages, 0)
        else:
            extra = total_swap_pages if swap_limit_pages is None else swap_limit_pages
        total += min(extra, total_swap_pages)
    return total or 1


def oom_group_of(cgroup, domain, group_flags):
    """The cgroup killed whole with a victim in ``cgroup`` (cgroup v2 memory.oom.group):
    the highest ancestor from ``cgroup`` up to ``domain`` (both included; '/' for the
    whole machine) whose flag is set in ``group_flags`` (path -> bool), or None."""
    if not cgroup:
        return None
    chosen = None
    path = cgroup
    stop = domain if domain != "global" else "/"
    while True:
        if group_flags.get(path):
            chosen = path
        if path == stop or path in ("/", ""):
            break
        parent = path.rsplit("/", 1)[0] or "/"
        if parent == path:
            break
        path = parent
    return chosen


def domain_members(cgroup_pids, domain_paths, records):
    """domain path -> the records (``records``: pid -> record) of the pids in
    ``cgroup_pids`` (cgroup path -> pids) at or below it. One pass: each cgroup goes
    up its own ancestors, so the work is the cgroups times their depth, not the
    cgroups times the domains."""
    tops = set(domain_paths)
    out = {}
    for cg, pids in cgroup_pids.items():
        path = cg
        while True:
            if path in tops:
                out.setdefault(path, []).extend(records[pid] for pid in pids if pid in records)
            if path in ("/", ""):
                break
            path = path.rsplit("/", 1)[0] or "/"
    return out


def domain_entry(name, version, limit_pages, totalpages, members, page_kb, top, era, group_flags, group_pids,
                 kill_disabled=False):
    """One element of next_victims: the domain and its first ``top`` candidates.
    ``group_pids(cgroup)`` lists the pids a memory.oom.group kill of that cgroup takes.
    ``totalpages`` None: the domain's size is unknown, ``members`` are in their order
    already and have no points. ``kill_disabled`` (cgroup v1 ``oom_kill_disable``):
    the kernel kills no one in that cgroup, its tasks wait for memory, so there is
    no candidate."""
    if totalpages is None:
        ranked = [dict(p, points=None) for p in members]
    else:
        ranked = rank(members, totalpages, page_kb, era)
    candidates = []
    for q in ([] if kill_disabled else ranked[:top]):
        group = None
        if version in (2, None):
            gpath = oom_group_of(q.get("cgroup"), name, group_flags)
            if gpath:
                pids = sorted(group_pids(gpath))
                group = {"cgroup": gpath, "pids": pids[:100], "count": len(pids)}
        candidates.append({
            "pid": q["pid"], "comm": q["comm"], "points": q["points"], "oom_score_adj": q["oom_score_adj"],
            "rss_kb": q["rss_kb"], "swap_kb": q["swap_kb"], "pgtables_kb": q["pgtables_kb"],
            "exiting": bool(q.get("exiting")), "unit": q.get("unit"), "cgroup": q.get("cgroup"),
            "group": group,
        })
    return {
        "domain": name,
        "version": version,
        "limit_kb": None if limit_pages is None else limit_pages * page_kb,
        "total_kb": None if totalpages is None else totalpages * page_kb,
        "eligible": len(ranked),
        "oom_kill_disable": bool(kill_disabled),
        "candidates": candidates,
    }


# ---------------------------------------------------------------------------
# I/O through the host seam

def _int(text):
    try:
        return int((text or "").strip().split()[0])
    except (ValueError, IndexError):
        return None


def memory_mounts(mounts_text):
    """[(mount point, version)] of the cgroup v2 mounts and the v1 memory mounts,
    each mount point once: a mount point listed again (a cgroup mounted over
    another, as in many containers) is the hierarchy seen there, the last one
    listed, in the place of the first."""
    seen = {}
    for line in (mounts_text or "").splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        if parts[2] == "cgroup2":
            seen[parts[1]] = 2
        elif parts[2] == "cgroup" and "memory" in parts[3].split(","):
            seen[parts[1]] = 1
        elif parts[1] in seen:
            del seen[parts[1]]      # something else mounted over it hides it
    return list(seen.items())


def read_process(host, pid):
    """A process record (pid, comm, oom_score_adj, rss_kb, swap_kb, pgtables_kb,
    exiting, cap_sys_admin), or None for a kernel thread, a zombie or a gone pid.

    A process whose main thread has exited while others run shows no memory in its
    own status; oom_badness() takes the first of its threads that still has one
    (find_lock_task_mm()), and so does this, keeping the process's pid and name."""
    text = host.read_text("/proc/%d/status" % pid)
    rec = parse_status(text)
    if rec is None and leader_exited(text):
        rec = live_thread_status(host, pid)
        if rec is not None:
            rec["comm"] = status_name(text) or rec["comm"]
    if rec is None:
        return None
    adj = _int(host.read_text("/proc/%d/oom_score_adj" % pid))
    if adj is None:
        return None
    rec["pid"] = pid
    rec["oom_score_adj"] = adj
    return rec


def leader_exited(text):
    """True when a status is a thread-group leader that has exited (a zombie) with
    other threads still running."""
    fields = status_fields(text, ("State", "Threads"))
    return fields.get("State", "").startswith("Z") and (_int(fields.get("Threads")) or 0) > 1


def live_thread_status(host, pid):
    """parse_status of the first thread of ``pid`` that still has memory, or None."""
    for tid in sorted(int(t) for t in host.listdir("/proc/%d/task" % pid) if is_digits(t)):
        if tid == pid:
            continue
        rec = parse_status(host.read_text("/proc/%d/task/%d/status" % (pid, tid)))
        if rec is not None:
            return rec
    return None


INIT_PID_NS_INO = 0xEFFFFFFC           # PROC_PID_INIT_INO: the initial pid namespace's inode


def init_is_global(host):
    """True when pid 1 of this /proc is the machine's init, which the kernel never
    kills (is_global_init()): the module runs in the initial pid namespace. In a
    container with its own pid namespace, pid 1 is the container's init, and the
    kernel kills it like any other task. True when it cannot be told."""
    stat = getattr(host, "stat", None)
    if stat is None:
        return True
    try:
        return stat("/proc/self/ns/pid").st_ino == INIT_PID_NS_INO
    except OSError:
        return True


def read_processes(host, page_kb, pids=None, skip_init=True):
    """Every process with memory of its own (or those of ``pids``), except the
    machine's init (``skip_init``: pid 1 is it)."""
    if pids is None:
        pids = [int(n) for n in host.listdir("/proc") if is_digits(n)]
    procs = []
    for pid in pids:
        if pid == 1 and skip_init:
            continue
        rec = read_process(host, pid)
        if rec is not None:
            procs.append(rec)
    return procs


class OomGroupFlags(object):
    """path -> memory.oom.group of the cgroup v2 hierarchy, read on first use."""

    def __init__(self, host, v2_mounts):
        self.host = host
        self.mount = v2_mounts[0].rstrip("/") if v2_mounts else None
        self.cache = {}

    def get(self, path):
        if self.mount is None or not path:
            return False
        if path not in self.cache:
            text = self.host.read_text(self.mount + (path if path != "/" else "") + "/memory.oom.group")
            self.cache[path] = (text or "").strip() == "1"
        return self.cache[path]


def read_limited_cgroups(host, mounts, page_kb, total_swap_pages, swappiness):
    """The memory cgroups with a limit, and the pids below them.

    Returns (domains, cgroup_pids, group_flags): domains is a list of
    (path, version, limit_pages, totalpages, kill_disabled); cgroup_pids maps each cgroup path at
    or below a limited one to its pids; group_flags maps v2 paths to memory.oom.group,
    read when first asked for (only the candidates' cgroups are).
    """
    domains = []
    cgroup_pids = {}
    group_flags = OomGroupFlags(host, [m for m, v in mounts if v == 2])
    for mount, version in mounts:
        limit_file = "memory.limit_in_bytes" if version == 1 else "memory.max"
        limited = set()
        for dirpath, _dirs, files in host.walk(mount):
            if limit_file not in files:
                continue
            rel = dirpath[len(mount):] or "/"
            limit = None
            if rel != "/":
                text = host.read_text(dirpath + "/" + limit_file)
                if version == 1:
                    limit = v1_limit_pages(text, page_kb)
                else:
                    limit = v2_limit_pages(text, page_kb)
            if limit is not None:
                kill_disabled = False
                if version == 1:
                    kill_disabled = parse_flat_keyed(
                        host.read_text(dirpath + "/memory.oom_control")).get("oom_kill_disable") == 1
                    swap_limit = None
                    if "memory.memsw.limit_in_bytes" in files:
                        swap_limit = v1_limit_pages(host.read_text(dirpath + "/memory.memsw.limit_in_bytes"),
                                                    page_kb)
                    own = _int(host.read_text(dirpath + "/memory.swappiness"))
                    cg_swappiness = own if own is not None else swappiness
                else:
                    # no memory.swap.max (swap accounting off, before 6.1): the
                    # cgroup's swap limit stays unlimited, and the kernel counts
                    # the machine's swap in the domain
                    swap_limit = v2_limit_pages(host.read_text(dirpath + "/memory.swap.max"), page_kb) \
                        if "memory.swap.max" in files else None
                    cg_swappiness = swappiness
                domains.append((rel, version, limit,
                                memcg_totalpages(version, limit, swap_limit, total_swap_pages, cg_swappiness),
                                kill_disabled))
                limited.add(rel)
            if "cgroup.procs" in files and _under_any(rel, limited):
                pids = [int(t) for t in (host.read_text(dirpath + "/cgroup.procs") or "").split()
                        if is_digits(t)]
                if pids:
                    cgroup_pids[rel] = pids
    return domains, cgroup_pids, group_flags


def _under_any(path, tops):
    """True when ``path`` or one of its ancestors is in ``tops``."""
    if not tops:
        return False
    while True:
        if path in tops:
            return True
        if path in ("/", ""):
            return False
        path = path.rsplit("/", 1)[0] or "/"


def subtree_pids(host, root):
    """Every pid in the cgroup directory ``root`` and below (cgroup.procs)."""
    pids = []
    for dirpath, _dirs, files in host.walk(root):
        if "cgroup.procs" in files:
            pids.extend(int(t) for t in (host.read_text(dirpath + "/cgroup.procs") or "").split()
                        if is_digits(t))
    return pids


def proc_unit_and_cgroup(host, pid, unit_of):
    """(unit, memory cgroup path) of a pid from /proc/PID/cgroup."""
    paths = parse_proc_cgroup(host.read_text("/proc/%d/cgroup" % pid))
    unit = None
    for key in ("systemd", "v2", "memory"):
        unit = unit_of(paths.get(key))
        if unit:
            break
    return unit, paths.get("memory") or paths.get("v2")


def gather(host, top, unit_of, page_kb=4, warnings=None):
    """next_victims: [global domain] + one per limited memory cgroup, each with its
    first ``top`` candidates. ``unit_of`` maps a cgroup path to its systemd unit.
    What the caller should warn about is appended to ``warnings`` (a list)."""
    era = kernel_era(host.read_text("/proc/sys/kernel/osrelease"))
    meminfo = parse_meminfo(host.read_text("/proc/meminfo"))
    total_swap = meminfo.get("SwapTotal", 0) // page_kb
    swappiness = _int(host.read_text("/proc/sys/vm/swappiness"))
    swappiness = 60 if swappiness is None else swappiness
    mounts = memory_mounts(host.read_text("/proc/self/mounts"))
    domains, cgroup_pids, group_flags = read_limited_cgroups(host, mounts, page_kb, total_swap, swappiness)
    cg_of = {}
    for path, pids in cgroup_pids.items():
        for pid in pids:
            cg_of[pid] = path
    # every process's oom_score (small); the exact figures only of those that can
    # lead the whole machine's order and of those in a limited cgroup
    skip_init = init_is_global(host)
    scores = {}
    for name in host.listdir("/proc"):
        if is_digits(name) and not (name == "1" and skip_init):
            scores[int(name)] = _int(host.read_text("/proc/%s/oom_score" % name))
    wanted = set(global_shortlist(scores, top))
    wanted.update(pid for pid in cg_of if pid in scores)
    procs = read_processes(host, page_kb, sorted(wanted), skip_init)
    by_pid = {p["pid"]: p for p in procs}
    unread_eligible = sum(1 for pid, v in scores.items() if pid not in wanted and v)

    v2_only = bool(mounts) and all(v == 2 for _m, v in mounts)

    def annotate(records):
        for p in records:
            if "unit" not in p:
                if v2_only and p["pid"] in cg_of:
                    # one hierarchy: the memory cgroup is the unit's cgroup
                    p["cgroup"] = cg_of[p["pid"]]
                    p["unit"] = unit_of(p["cgroup"])
                else:
                    p["unit"], cg = proc_unit_and_cgroup(host, p["pid"], unit_of)
                    p["cgroup"] = cg_of.get(p["pid"], cg)
        return records

    v2_mount = [m for m, v in mounts if v == 2]

    def adj_of(pid):
        if pid in by_pid:
            return by_pid[pid]["oom_score_adj"]
        return _int(host.read_text("/proc/%d/oom_score_adj" % pid))

    def group_pids(gpath):
        if not v2_mount:
            return []
        return [pid for pid in subtree_pids(host, v2_mount[0].rstrip("/") + (gpath if gpath != "/" else ""))
                if not (pid == 1 and skip_init) and (adj_of(pid) or 0) > OOM_SCORE_ADJ_MIN]

    out = []
    if meminfo.get("MemTotal", 0) > 0:
        global_total = meminfo["MemTotal"] // page_kb + total_swap
        ranked = rank(procs, global_total, page_kb, era)
    else:
        # the machine's size is unknown, so is the weight of oom_score_adj: the
        # kernel's own oom_score orders the machine, the points are left out
        global_total = None
        ranked = rank(procs, 1, page_kb, era)          # who is eligible, who exits
        ranked.sort(key=tie_order(lambda q: -(scores.get(q["pid"]) or 0), era))
        if warnings is not None:
            warnings.append("oom_facts: /proc/meminfo has no MemTotal: next_victims' whole-machine domain"
                            " has no total_kb and no points; its candidates are in the order of oom_score")
    head = annotate([by_pid[q["pid"]] for q in ranked[:top]])
    entry = domain_entry("global", None, None, global_total, head, page_kb, top, era,
                         group_flags if v2_mount else {}, group_pids)
    entry["eligible"] = len(ranked) + unread_eligible
    out.append(entry)
    members_of = domain_members(cgroup_pids, [d[0] for d in domains], by_pid)
    for path, version, limit, totalpages, kill_disabled in sorted(domains, key=lambda d: d[0]):
        ranked = rank(members_of.get(path, []), totalpages, page_kb, era)
        head = annotate([by_pid[q["pid"]] for q in ranked[:top]])
        entry = domain_entry(path, version, limit, totalpages, head, page_kb, top, era,
                             group_flags if version == 2 else {}, group_pids, kill_disabled)
        entry["eligible"] = len(ranked)
        out.append(entry)
    return out


def preview_snapshot(host, units, unit_of, page_kb=4):
    """What a kill-order preview needs, read before a run changes anything: the
    processes, the machine's size, the kernel era and the pids of ``units`` (their
    cgroup names one of them). None when the machine's size is unknown (next_victims
    says so too). Reads /proc through ``host`` (read, listdir)."""
    era = kernel_era(host.read_text("/proc/sys/kernel/osrelease"))
    meminfo = parse_meminfo(host.read_text("/proc/meminfo"))
    if not meminfo.get("MemTotal"):
        return None
    procs = read_processes(host, page_kb, skip_init=init_is_global(host))
    unit_of_pid = {}
    for p in procs:
        paths = parse_proc_cgroup(host.read_text("/proc/%d/cgroup" % p["pid"]))
        for key in ("systemd", "v2", "memory"):
            unit = unit_of(paths.get(key))
            if unit:
                break
        if unit in units:
            unit_of_pid[p["pid"]] = unit
    return {"era": era, "page_kb": page_kb, "procs": procs, "unit_of_pid": unit_of_pid,
            "total": (meminfo["MemTotal"] + meminfo.get("SwapTotal", 0)) // page_kb or 1}


def preview_ranking(snapshot, proposed, top=100):
    """How the machine-wide kill order of ``snapshot`` changes when the pids in
    ``proposed`` (pid -> oom_score_adj) get their values: entries of ranking_change
    with ``unit`` and ``text`` ('sshd (412, ssh.service): 3rd -> never'), at most ``top``."""
    if snapshot is None:
        return []
    out = []
    for entry in ranking_change(snapshot["procs"], snapshot["total"], snapshot["page_kb"], proposed,
                                snapshot["era"]):
        unit = snapshot["unit_of_pid"].get(entry["pid"])
        entry["unit"] = unit
        entry["text"] = describe_change(entry, unit)
        out.append(entry)
    return out[:top]

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: who the kernel's OOM killer would kill next,
per OOM domain (the whole machine, and every memory cgroup with a limit).

The pure part ranks parsed process records the way mm/oom_kill.c's oom_badness()
and select_bad_process() do; ``gather`` reads what it needs through the host
object it is given (``read``, ``listdir``, ``walk``) and nothing else.

How the kernel ranks (6.x; older eras below):
- the baseline is the pages a task holds: resident pages (anon + file + shmem),
  swap entries and page-table pages;
- ``oom_score_adj`` is added as ``adj * (totalpages // 1000)`` pages, where
  totalpages is the domain's size: RAM + swap for the whole machine, the memory
  cgroup's limit (+ the swap it may use) for a cgroup OOM. So the same adj weighs
  256 MB-limit/1000 = 262 KB per step inside a 256 MB cgroup but 24 MB per step on
  a 24 GB machine: the machine-wide ``oom_score`` order is not the cgroup's order;
- ``oom_score_adj`` -1000, kernel threads and init are never chosen;
- a task already exiting (a fatal signal pending) is chosen first: the kernel
  lets it exit instead of killing another one;
- among equal points the task scanned last wins (``>=``); the scan goes in task
  creation order, so the higher pid is taken here;
- on cgroup v2 the victim's highest ancestor, up to the domain, with
  ``memory.oom.group`` 1 is killed whole.
Eras: before 3.8 the points were scaled to 0-1000 (``pages * 1000 / totalpages``
+ adj, root -30); 3.8 to 4.16 count pages and give CAP_SYS_ADMIN tasks 3% off
and every eligible task at least 1 point; 4.17 to 5.8 the same without the 3%.
"""

from __future__ import annotations

import re

PAGE_COUNTER_MAX_V1 = 9223372036854771712      # memory.limit_in_bytes when unlimited
OOM_SCORE_ADJ_MIN = -1000
CAP_SYS_ADMIN = 21
SIGKILL_BIT = 1 << 8                           # signal 9 in a SigPnd/ShdPnd mask
_STATUS_KEYS = {"Name", "State", "Kthread", "RssAnon", "RssFile", "RssShmem", "VmRSS", "VmSwap", "VmPTE",
                "VmPMD", "SigPnd", "ShdPnd", "CapEff"}


# ---------------------------------------------------------------------------
# Pure: parsing

def kernel_era(osrelease):
    """(major, minor) of a kernel release string such as '6.18.44-fc', (0, 0) when unknown."""
    parts = (osrelease or "").strip().split(".")
    try:
        major = int(parts[0])
        minor = int("".join(c for c in parts[1].split("-")[0] if c.isdigit()) or "0") if len(parts) > 1 else 0
    except (ValueError, IndexError):
        return (0, 0)
    return (major, minor)


def _kb(value):
    if not value:
        return 0
    if value.endswith(" kB"):
        value = value[:-3]
    try:
        return int(value)
    except ValueError:
        return 0


def _unescape(name):
    # /proc/PID/status escapes the comm's control characters and backslashes
    if "\\" not in name:
        return name
    return name.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


_STATUS_RE = re.compile(r"^(%s):[ \t]*([^\n]*)" % "|".join(sorted(_STATUS_KEYS)), re.M)


def parse_status(text):
    """What oom_badness() reads of a task, from /proc/PID/status; None when the task
    has no memory of its own (a kernel thread, a zombie) or the text is not a status.
    One scan of the text (a regular expression over the few keys needed)."""
    if not text:
        return None
    fields = dict(_STATUS_RE.findall(text))
    if "Name" not in fields or "VmRSS" not in fields:
        return None        # no mm: kernel thread, zombie, or exited
    if fields.get("Kthread") == "1":
        return None
    pending = 0
    for key in ("SigPnd", "ShdPnd"):
        try:
            pending |= int(fields.get(key) or "0", 16)
        except ValueError:
            pass
    try:
        cap_eff = int(fields.get("CapEff") or "0", 16)
    except ValueError:
        cap_eff = 0
    if "RssAnon" in fields:
        rss_kb = _kb(fields["RssAnon"]) + _kb(fields.get("RssFile")) + _kb(fields.get("RssShmem"))
    else:                              # before 4.5: VmRSS is the same sum
        rss_kb = _kb(fields["VmRSS"])
    return {
        "comm": _unescape(fields["Name"]),
        "rss_kb": rss_kb,
        "swap_kb": _kb(fields.get("VmSwap")),
        "pgtables_kb": _kb(fields.get("VmPTE")) + _kb(fields.get("VmPMD")),
        "exiting": bool(pending & SIGKILL_BIT) or fields.get("State", "").startswith(("X", "x")),
        "cap_sys_admin": bool(cap_eff & (1 << CAP_SYS_ADMIN)),
    }


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


def parse_meminfo(text):
    """{'MemTotal': kB, 'SwapTotal': kB, ...} of /proc/meminfo (the kB fields)."""
    out = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = _kb(value)
    return out


def v1_limit_pages(text, page_kb):
    """memory.limit_in_bytes (or memsw) in pages; None when unlimited or unreadable."""
    try:
        value = int((text or "").strip())
    except ValueError:
        return None
    if value >= PAGE_COUNTER_MAX_V1 or value < 0:
        return None
    return value // (page_kb * 1024)


def v2_limit_pages(text, page_kb):
    """memory.max (or memory.swap.max) in pages; None for 'max' or unreadable."""
    value = (text or "").strip()
    if not value.isdigit():
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


# ---------------------------------------------------------------------------
# Pure: ranking

def badness(proc, totalpages, page_kb, era=(6, 0)):
    """oom_badness() of a process record for a domain of ``totalpages``; None when
    the task is never chosen (oom_score_adj -1000)."""
    adj = proc["oom_score_adj"]
    if adj is None or adj <= OOM_SCORE_ADJ_MIN:
        return None
    pages = (proc["rss_kb"] + proc["swap_kb"] + proc["pgtables_kb"]) // page_kb
    if era < (3, 8):
        points = pages * 1000 // max(totalpages, 1)
        if proc.get("cap_sys_admin"):
            points -= 30
        points += adj
        return min(max(points, 1), 1000)
    if era < (4, 17) and proc.get("cap_sys_admin"):
        pages -= pages * 3 // 100
    points = pages + adj * (totalpages // 1000)
    if era < (5, 9):
        return max(points, 1)
    return points


def rank(procs, totalpages, page_kb, era=(6, 0)):
    """The eligible records of ``procs`` with ``points`` set, in the order the kernel
    would choose them: exiting tasks first, then by points, ties to the later pid."""
    out = []
    for p in procs:
        points = badness(p, totalpages, page_kb, era)
        if points is None:
            continue
        q = dict(p)
        q["points"] = points
        out.append(q)
    out.sort(key=lambda q: (not q.get("exiting"), -q["points"], -q["pid"]))
    return out


def ordinal(n):
    if n is None:
        return "never"
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return "%d%s" % (n, suffix)


def ranking_change(procs, totalpages, page_kb, proposed, era=(6, 0), top=None):
    """How the machine-wide ranking moves when the pids in ``proposed`` (pid -> new
    oom_score_adj) get their new values: a list of {pid, comm, before, after} for the
    proposed pids (rank numbers from 1, None = never), ordered by the new rank.
    ``top`` only bounds how many entries are returned."""
    before = {p["pid"]: i + 1 for i, p in enumerate(rank(procs, totalpages, page_kb, era))}
    changed = []
    for p in procs:
        if p["pid"] in proposed:
            q = dict(p)
            q["oom_score_adj"] = proposed[p["pid"]]
            changed.append(q)
        else:
            changed.append(p)
    after = {p["pid"]: i + 1 for i, p in enumerate(rank(changed, totalpages, page_kb, era))}
    out = []
    for p in procs:
        if p["pid"] not in proposed:
            continue
        out.append({"pid": p["pid"], "comm": p["comm"], "before": before.get(p["pid"]),
                    "after": after.get(p["pid"]), "oom_score_adj_before": p["oom_score_adj"],
                    "oom_score_adj_after": proposed[p["pid"]]})
    out.sort(key=lambda e: (e["after"] is None, e["after"] or 0, e["pid"]))
    return out[:top] if top is not None else out


def describe_change(entry, unit=None):
    """'sshd (412, ssh.service): 3rd -> never'."""
    who = "%s (%d%s)" % (entry["comm"], entry["pid"], ", " + unit if unit else "")
    return "%s: %s -> %s" % (who, ordinal(entry["before"]), ordinal(entry["after"]))


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


def in_subtree(path, top):
    if top == "/":
        return True
    return path == top or path.startswith(top.rstrip("/") + "/")


def domain_entry(name, version, limit_pages, totalpages, members, page_kb, top, era, group_flags, group_pids):
    """One element of next_victims: the domain and its first ``top`` candidates.
    ``group_pids(cgroup)`` lists the pids a memory.oom.group kill of that cgroup takes."""
    ranked = rank(members, totalpages, page_kb, era)
    candidates = []
    for q in ranked[:top]:
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
        "total_kb": totalpages * page_kb,
        "eligible": len(ranked),
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
    """[(mount point, version)] of the cgroup v2 mounts and the v1 memory mounts."""
    out = []
    for line in (mounts_text or "").splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        if parts[2] == "cgroup2":
            out.append((parts[1], 2))
        elif parts[2] == "cgroup" and "memory" in parts[3].split(","):
            out.append((parts[1], 1))
    return out


def read_process(host, pid):
    """A process record (pid, comm, oom_score_adj, rss_kb, swap_kb, pgtables_kb,
    exiting, cap_sys_admin), or None for a kernel thread, a zombie or a gone pid."""
    rec = parse_status(host.read_text("/proc/%d/status" % pid))
    if rec is None:
        return None
    adj = _int(host.read_text("/proc/%d/oom_score_adj" % pid))
    if adj is None:
        return None
    rec["pid"] = pid
    rec["oom_score_adj"] = adj
    return rec


def read_processes(host, page_kb, pids=None):
    """Every process with memory of its own (or those of ``pids``), except init."""
    if pids is None:
        pids = [int(n) for n in host.listdir("/proc") if n.isdigit()]
    procs = []
    for pid in pids:
        if pid == 1:
            continue
        rec = read_process(host, pid)
        if rec is not None:
            procs.append(rec)
    return procs


def global_shortlist(scores, top):
    """The pids that can be among the first ``top`` of a whole-machine OOM, from the
    kernel's /proc/PID/oom_score (``scores``: pid -> score or None).

    oom_score is the kernel's own badness for the whole machine, rounded, and never
    decreases as the badness grows: a process ranked within the first ``top`` has a
    score at least the ``top``-th highest one. Only those (and pids whose score
    could not be read) need their exact figures."""
    known = sorted((v for v in scores.values() if v is not None), reverse=True)
    if top <= 0:
        return [pid for pid, v in scores.items() if v is None]
    threshold = known[min(top, len(known)) - 1] if known else None
    return [pid for pid, v in scores.items() if v is None or (threshold is not None and v >= threshold)]


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
    (path, version, limit_pages, totalpages); cgroup_pids maps each cgroup path at
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
                if version == 1:
                    swap_limit = None
                    if "memory.memsw.limit_in_bytes" in files:
                        swap_limit = v1_limit_pages(host.read_text(dirpath + "/memory.memsw.limit_in_bytes"),
                                                    page_kb)
                    own = _int(host.read_text(dirpath + "/memory.swappiness"))
                    cg_swappiness = own if own is not None else swappiness
                else:
                    swap_limit = v2_limit_pages(host.read_text(dirpath + "/memory.swap.max"), page_kb) \
                        if "memory.swap.max" in files else 0
                    cg_swappiness = swappiness
                domains.append((rel, version, limit,
                                memcg_totalpages(version, limit, swap_limit, total_swap_pages, cg_swappiness)))
                limited.add(rel)
            if "cgroup.procs" in files and _under_any(rel, limited):
                pids = [int(t) for t in (host.read_text(dirpath + "/cgroup.procs") or "").split()
                        if t.isdigit()]
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
                        if t.isdigit())
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


def gather(host, top, unit_of, page_kb=4):
    """next_victims: [global domain] + one per limited memory cgroup, each with its
    first ``top`` candidates. ``unit_of`` maps a cgroup path to its systemd unit."""
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
    scores = {}
    for name in host.listdir("/proc"):
        if name.isdigit() and name != "1":
            scores[int(name)] = _int(host.read_text("/proc/%s/oom_score" % name))
    wanted = set(global_shortlist(scores, top))
    wanted.update(pid for pid in cg_of if pid in scores)
    procs = read_processes(host, page_kb, sorted(wanted))
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
                if pid != 1 and (adj_of(pid) or 0) > OOM_SCORE_ADJ_MIN]

    global_total = meminfo.get("MemTotal", 0) // page_kb + total_swap
    out = []
    ranked = rank(procs, global_total, page_kb, era)
    head = annotate([by_pid[q["pid"]] for q in ranked[:top]])
    entry = domain_entry("global", None, None, global_total, head, page_kb, top, era,
                         group_flags if v2_mount else {}, group_pids)
    entry["eligible"] = len(ranked) + unread_eligible
    out.append(entry)
    for path, version, limit, totalpages in sorted(domains, key=lambda d: d[0]):
        members = [by_pid[pid] for cg, pids in cgroup_pids.items() if in_subtree(cg, path)
                   for pid in pids if pid in by_pid]
        ranked = rank(members, totalpages, page_kb, era)
        head = annotate([by_pid[q["pid"]] for q in ranked[:top]])
        entry = domain_entry(path, version, limit, totalpages, head, page_kb, top, era,
                             group_flags if version == 2 else {}, group_pids)
        entry["eligible"] = len(ranked)
        out.append(entry)
    return out


def preview(host, proposed_by_unit, unit_of, page_kb=4, top=100):
    """How the machine-wide kill order changes when every process of each unit in
    ``proposed_by_unit`` (unit -> oom_score_adj) gets that value: entries of
    ranking_change with ``unit`` and ``text`` ('sshd (412, ssh.service): 3rd ->
    never'), at most ``top``. Reads /proc through ``host`` (read, listdir)."""
    if not proposed_by_unit:
        return []
    era = kernel_era(host.read_text("/proc/sys/kernel/osrelease"))
    meminfo = parse_meminfo(host.read_text("/proc/meminfo"))
    total = (meminfo.get("MemTotal", 0) + meminfo.get("SwapTotal", 0)) // page_kb or 1
    procs = read_processes(host, page_kb)
    unit_of_pid = {}
    proposed = {}
    for p in procs:
        paths = parse_proc_cgroup(host.read_text("/proc/%d/cgroup" % p["pid"]))
        for key in ("systemd", "v2", "memory"):
            unit = unit_of(paths.get(key))
            if unit:
                break
        if unit in proposed_by_unit:
            unit_of_pid[p["pid"]] = unit
            proposed[p["pid"]] = proposed_by_unit[unit]
    out = []
    for entry in ranking_change(procs, total, page_kb, proposed, era):
        unit = unit_of_pid[entry["pid"]]
        entry["unit"] = unit
        entry["text"] = describe_change(entry, unit)
        out.append(entry)
    return out[:top]

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the kernel's OOM kill order, pure: what
oom_badness() reads of a task (/proc/PID/status, /proc/meminfo), its points per
kernel era, and the order select_bad_process() chooses in (``victims`` finds the
domains and reads the processes).

How the kernel ranks (6.x; older eras below):
- the baseline is the pages a task holds: resident pages (anon + file + shmem),
  swap entries and page-table pages;
- ``oom_score_adj`` is added as ``adj * (totalpages // 1000)`` pages, where
  totalpages is the domain's size: RAM + swap for the whole machine, the memory
  cgroup's limit (+ the swap it may use) for a cgroup OOM. So the same adj weighs
  256 MB-limit/1000 = 262 KB per step inside a 256 MB cgroup but 24 MB per step on
  a 24 GB machine: the machine-wide ``oom_score`` order is not the cgroup's order;
- ``oom_score_adj`` -1000, kernel threads and init are never chosen;
- a task with SIGKILL pending keeps its place by points (``exiting`` is only
  shown): select_bad_process() has no preference for it since 4.7, and one that
  is already an OOM victim makes the kernel wait and kill no one (which /proc
  cannot tell from another pending kill);
- among equal points the task scanned last wins (``>=``) from 5.3, the first one
  before (the thread-group-leader check that 5.3 removed kept the chosen one);
  the scan goes in task creation order, so the higher pid is taken from 5.3 and
  the lower one before;
- on cgroup v2 the victim's highest ancestor, up to the domain, with
  ``memory.oom.group`` 1 is killed whole.
Eras: before 3.8 the points were scaled to 0-1000 (``pages * 1000 / totalpages``
+ adj, root -30); 3.8 to 4.16 count pages and give CAP_SYS_ADMIN tasks 3% off
and every eligible task at least 1 point; 4.17 to 5.8 the same without the 3%.
"""

from __future__ import annotations

import re

OOM_SCORE_ADJ_MIN = -1000
CAP_SYS_ADMIN = 21
SIGKILL_BIT = 1 << 8                           # signal 9 in a SigPnd/ShdPnd mask
_STATUS_KEYS = {"Name", "State", "Threads", "Kthread", "RssAnon", "RssFile", "RssShmem", "VmRSS", "VmSwap", "VmPTE",
                "VmPMD", "SigPnd", "ShdPnd", "CapEff"}


# ---------------------------------------------------------------------------
# Pure: parsing

def kernel_era(osrelease):
    """(major, minor) of a kernel release string such as '6.18.44-fc', (0, 0) when unknown."""
    parts = (osrelease or "").strip().split(".")
    try:
        major = int(parts[0])
        minor = int("".join(c for c in parts[1].split("-")[0] if "0" <= c <= "9") or "0") if len(parts) > 1 else 0
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


# /proc/PID/status prints the comm with only a newline and a backslash escaped
# (fs/proc/array.c, proc_task_name: ESCAPE_SPACE | ESCAPE_SPECIAL, only "\n\\"):
# one left-to-right pass undoes exactly those two; any other backslash stays.
_ESCAPED_RE = re.compile(r"\\[n\\]")
_UNESCAPED = {"\\n": "\n", "\\\\": "\\"}


def _unescape(name):
    if "\\" not in name:
        return name
    return _ESCAPED_RE.sub(lambda m: _UNESCAPED[m.group(0)], name)


_STATUS_RE = re.compile(r"^(%s):[ \t]*([^\n]*)" % "|".join(sorted(_STATUS_KEYS)), re.M)


def status_fields(text, keys):
    """{key: value} of the lines of a /proc/PID/status whose key is in ``keys``."""
    return {k: v for k, v in _STATUS_RE.findall(text or "") if k in keys}


def status_name(text):
    """The task's name (``Name:``, unescaped) of a /proc/PID/status, or None."""
    name = status_fields(text, ("Name",)).get("Name")
    return None if name is None else _unescape(name)


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


def parse_meminfo(text):
    """{'MemTotal': kB, 'SwapTotal': kB, ...} of /proc/meminfo (the kB fields)."""
    out = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = _kb(value)
    return out


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
    would choose them: by points, ties to the later pid (the earlier one before 5.3)."""
    out = []
    for p in procs:
        points = badness(p, totalpages, page_kb, era)
        if points is None:
            continue
        q = dict(p)
        q["points"] = points
        out.append(q)
    out.sort(key=tie_order(lambda q: -q["points"], era))
    return out


def tie_order(primary, era):
    """A sort key: ``primary`` (smaller first), then the pid the kernel of ``era``
    keeps among equals - the one scanned last from 5.3, the first one before."""
    if era < (5, 3):
        return lambda q: (primary(q), q["pid"])
    return lambda q: (primary(q), -q["pid"])


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

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the kernel OOM-kill message state machine."""

from __future__ import annotations

import collections
import heapq
import re

KINDS = ("memcg", "global", "cpuset", "mempolicy", "unknown", "userspace")
_CONSTRAINT_KIND = {
    "CONSTRAINT_NONE": "global",
    "CONSTRAINT_MEMCG": "memcg",
    "CONSTRAINT_CPUSET": "cpuset",
    "CONSTRAINT_MEMORY_POLICY": "mempolicy",
}

# ---------------------------------------------------------------------------
# Message patterns, applied to the kernel message after its prefix is removed.
# A task name (comm) is matched by the literal that follows it, never by [^)]+,
# because comm may hold spaces, parentheses and slashes.
#
# Linear time: every pattern is tried at ONE position (found with str.find),
# never with re.search over the line, and no pattern has two unbounded repeats
# that can match the same text. The greedy comm groups backtrack at most once
# over the line (to each ")"), and what follows each ")" is a bounded literal.

_KILLED_RE = re.compile(
    r"Killed process (?P<pid>\d{1,10})"
    r"(?:, UID (?P<uid_el6>\d{1,10}),)?"
    r" \((?P<comm>.*)\)"
    r"(?:, UID (?P<uid_el7>\d{1,10}),)?"
    r" (?:total-vm|vsz):(?P<total_vm>\d{1,20})kB, anon-rss:(?P<anon>\d{1,20})kB, file-rss:(?P<file>\d{1,20})kB"
    r"(?:, shmem-rss:(?P<shmem>\d{1,20})kB)?"
    r"(?:,? UID:(?P<uid>\d{1,10}) pgtables:(?P<pgtables>\d{1,20})kB oom_score_adj:(?P<adj>-?\d{1,5}))?"
)
# Oldest kernels print only "Killed process N (comm)".
_KILLED_BARE_RE = re.compile(
    r"Killed process (?P<pid>\d{1,10})(?:, UID (?P<uid_el6>\d{1,10}),)? \((?P<comm>.*)\)"
    r"(?:, UID (?P<uid_el7>\d{1,10}))?\.? {0,8}$"
)
_HEADER_LIT = " invoked oom-killer: gfp_mask="
_GFP_RE = re.compile(r"0x[0-9a-fA-F]{1,16}(?:\([^)]{0,400}\))?")
_ORDER_RE = re.compile(r"\border=(-?\d{1,5})")
_HDR_ADJ_RE = re.compile(r"\boom_score_adj=(-?\d{1,5})")
_HDR_OLD_ADJ_RE = re.compile(r"\boom_adj=(-?\d{1,5})")
_SUMMARY_LIT = "oom-kill:constraint="
_SUMMARY_TAIL_RE = re.compile(r",pid=(?P<pid>\d{1,10}),uid=(?P<uid>\d{1,10}) {0,8}$")
_TASK_IN_LIT = "Task in "
# the longest comm before " invoked oom-killer": 15 bytes (TASK_COMM_LEN - 1),
# each written as \xNN at worst (dmesg's escape of a byte that is no character)
_COMM_MAX = 60
_REAPER_PREFIX = "oom_reaper: "
_TASK_IN_MID = " killed as a result of limit of "
_KILL_PROCESS_HEAD_RE = re.compile(r"ill process (?P<pid>\d{1,10}) \(")
_KILL_PROCESS_TAIL_RE = re.compile(r"\) score (?P<score>\d{1,20}) or (?:sacrifice|a) child")
_REAPER_RE = re.compile(r"reaped process (?P<pid>\d{1,10}) \(")
_CPU_RE = re.compile(r"PID: (?P<pid>\d{1,10}) Comm: ")
_CPU26_RE = re.compile(r"Pid: (?P<pid>\d{1,10}), comm: ")
# memory.oom.group (4.19+, mm/memcontrol.c mem_cgroup_print_oom_group): after the
# victim's kill, "Tasks in <cgroup> are going to be killed due to memory.oom.group
# set", then one "<message>: Killed process" line per task of that cgroup
# (oom_kill_memcg_member; the victim's again when it still has its memory).
_GROUP_LIT = "Tasks in "
_GROUP_TAIL = " are going to be killed due to memory.oom.group set"
# The pids a sweep remembers (to count each once); ``count`` goes on past them.
GROUP_MAX_PIDS = 65536
# The pids an event's ``group`` lists (the lowest, sorted): every event of a sweep
# carries its group, so a list of all of them would make a sweep of n kills cost
# n * n (and an event stream n * n copies); ``count`` says how many there are.
GROUP_PIDS_SHOWN = 100
# Seconds between two lines of one sweep (the kernel prints them in one go).
_GROUP_MAX_GAP = 2.0


# Every documented key of an event, all unknown: copied for each new event (the
# copies of three flat dicts cost a third of building them).
_EVENT = {
    "time": None,
    "uptime": None,
    "kind": "unknown",
    "killer": "kernel",
    "constraint": None,
    "victim": None,
    "memcg": None,
    "oom_memcg": None,
    "unit": None,
    "container_id": None,
    "pod_uid": None,
    "invoker": None,
    "reaped": False,
    "reason": None,
    "signal": "SIGKILL",
    "cgroup": None,
    "unit_result": None,
    "unit_oom_logged": False,
    "group": None,
    "source": None,
}
_VICTIM = {"pid": None, "comm": None, "uid": None, "total_vm_kb": None, "anon_rss_kb": None, "file_rss_kb": None,
           "shmem_rss_kb": None, "pgtables_kb": None, "oom_score_adj": None, "rss_kb": None}
_INVOKER = {"comm": None, "pid": None, "gfp_mask": None, "order": None, "oom_score_adj": None, "oom_adj": None}


def new_event():
    """An event with every documented key, all unknown."""
    ev = _EVENT.copy()
    ev["victim"] = _VICTIM.copy()
    ev["invoker"] = _INVOKER.copy()
    return ev


_VICTIM_FIELDS = (("total_vm_kb", "total_vm"), ("anon_rss_kb", "anon"), ("file_rss_kb", "file"),
                  ("shmem_rss_kb", "shmem"), ("pgtables_kb", "pgtables"), ("oom_score_adj", "adj"))


def _fill_victim(v, gd, pid):
    """The victim's fields from a `Killed process` match's groups (pid: already
    parsed, or None to take it from the match)."""
    get = gd.get
    v["pid"] = int(gd["pid"]) if pid is None else pid
    v["comm"] = gd["comm"]
    for key, group in _VICTIM_FIELDS:
        text = get(group)
        if text is not None:
            v[key] = int(text)
    uid = get("uid") or get("uid_el6") or get("uid_el7")
    if uid is not None:
        v["uid"] = int(uid)


class Sweep(object):
    """The kills of one memory.oom.group sweep: its cgroup, pids and count, and
    systemd's unit lines about it (one sweep, one unit result: they complete every
    event of it). Shared by its events as ``ev["_sweep"]``; ``public()`` renders it."""

    __slots__ = ("cgroup", "pids", "seen", "count", "head", "prefix", "last", "unit_result",
                 "unit_oom_logged", "_cache")

    def __init__(self, cgroup, head, prefix, info):
        self.cgroup = cgroup
        self.head = head
        self.prefix = prefix          # the "<message>" of the head's kill line
        self.last = info              # the Line of the sweep's last line
        self.pids = []
        self.seen = set()
        self.count = 0
        self.unit_result = None
        self.unit_oom_logged = False
        self._cache = None
        self.add(head["victim"]["pid"])

    def add(self, pid):
        """Count a killed pid; False when the sweep has it already."""
        if pid in self.seen:
            return False
        self.count += 1
        if len(self.pids) < GROUP_MAX_PIDS:
            self.pids.append(pid)
            self.seen.add(pid)
        self._cache = None
        return True

    def remove(self, pid):
        """Forget the last pid added (it was not one of the sweep's)."""
        if pid in self.seen:
            self.seen.discard(pid)
            self.pids.remove(pid)
            self.count -= 1
            self._cache = None

    def public(self):
        """The ``group`` of its events (one dict while the sweep does not change)."""
        if self._cache is None:
            self._cache = {"cgroup": self.cgroup, "pids": heapq.nsmallest(GROUP_PIDS_SHOWN, self.pids),
                           "count": self.count}
        return self._cache


def _killed_prefix(before):
    """The "Out of memory..." / "Memory cgroup out of memory" prefix that ``before`` (the
    message up to a kill) is, with its ": ", or None: the kernel prints it at the start
    of the message, and a kill line after other text is a user's text quoted."""
    if before == "Memory cgroup out of memory: ":
        return "Memory cgroup out of memory"
    if before.startswith("Out of memory") and before.endswith(": ") and (
            before == "Out of memory: " or before[13:15] == " ("):
        return before[:-2]
    return None


def _prefix_kind(prefix):
    if not prefix:
        return None
    if prefix.startswith("Memory cgroup"):
        return "memcg"
    return "global"


def parse_summary(msg, at):
    """The fields of an ``oom-kill:`` summary starting at ``at``, or None."""
    body = msg[at + len(_SUMMARY_LIT):]
    tail = _SUMMARY_TAIL_RE.search(body)
    if tail is None:
        return None
    comma = body.find(",")
    if comma < 0 or comma > tail.start():
        return None
    t = body.rfind(",task=", comma + 1, tail.start())
    if t < 0:
        return None
    mid = body[comma + 1:t]
    out = {"constraint": body[:comma], "task": body[t + 6:tail.start()],
           "pid": int(tail.group("pid")), "uid": int(tail.group("uid")), "memcg": None, "oom_memcg": None}
    # "...,oom_memcg=/a,task_memcg=/a/b" or "...,global_oom,task_memcg=/a/b"
    k = mid.find("task_memcg=")
    while k > 0 and mid[k - 1] != ",":
        k = mid.find("task_memcg=", k + 1)
    if k >= 0:
        out["memcg"] = mid[k + 11:]
    o = mid.find("oom_memcg=")
    while o > 0 and mid[o - 1] != ",":
        o = mid.find("oom_memcg=", o + 1)
    if o >= 0:
        end = mid.find(",task_memcg=", o)
        if end >= 0:
            out["oom_memcg"] = mid[o + 10:end]
    return out


def parse_task_in(msg, at):
    """(memcg, limit memcg) of a ``Task in X killed as a result of limit of Y`` line, or None."""
    k = msg.rfind(_TASK_IN_MID)
    if k < at + len(_TASK_IN_LIT):
        return None
    return msg[at + len(_TASK_IN_LIT):k], msg[k + len(_TASK_IN_MID):].rstrip()


def parse_kill_process(msg, at):
    """(prefix, pid, comm) of a ``Kill process N (comm) score S or sacrifice child`` line, or None."""
    m = _KILL_PROCESS_HEAD_RE.match(msg, at)
    if m is None:
        return None
    j = msg.rfind(") score ", m.end() - 1)
    if j < m.end() - 1 or _KILL_PROCESS_TAIL_RE.match(msg, j) is None:
        return None
    return _killed_prefix(msg[:at - 1]), int(m.group("pid")), msg[m.end():j]


def _gap(a, b):
    """Seconds from Line ``a`` to Line ``b`` (0 when their times cannot be compared)."""
    if a.uptime is not None and b.uptime is not None:
        return abs(b.uptime - a.uptime)
    then, now = a.epoch, b.epoch
    if then is not None and now is not None:
        return abs(now - then)
    return 0.0


# A header more than this many seconds before a kill was not that kill's header.
_HEADER_MAX_AGE = 120.0


def _stale(at, info):
    """True when the header line ``at`` is too long before the kill line ``info``."""
    if at.uptime is not None and info.uptime is not None:
        return not (0 <= info.uptime - at.uptime <= _HEADER_MAX_AGE)
    if at.stamp is not None and info.stamp is not None:
        then, now = at.epoch, info.epoch
        if then is not None and now is not None:
            return not (-1 <= now - then <= _HEADER_MAX_AGE)
    return False


class KernelMessages(object):
    """State machine over kernel messages: one event per ``Killed process`` line.

    ``emit(ev, info)`` is called with each new event and the Line of its kill.
    ``recent`` holds the last events, which an ``oom_reaper`` line (and systemd's
    per-unit OOM lines) may still complete.
    """

    def __init__(self, emit):
        self.emit = emit
        self.recent = collections.deque(maxlen=256)
        self._pending = {}
        self._await_pid = 0
        self._last = None          # (event, Line, prefix) of the last kill, for a "Tasks in" line
        self._sweep = None         # the memory.oom.group sweep under way

    # Each of the kernel's lines is recognised where the kernel prints it: at the
    # start of the message, or after the kernel's own prefix ("Out of memory: ",
    # the invoker's comm of at most 15 bytes). A kernel line that quotes a
    # user's text (a mount option, a file name) holds the same words further on,
    # and must not make or change a kill.
    def handle(self, info):
        msg = info.msg
        at = msg.find("Killed process ")
        if at >= 0:
            m = _KILLED_RE.match(msg, at) or _KILLED_BARE_RE.match(msg, at)
            prefix = _killed_prefix(msg[:at]) if m else None
            if m and (at == 0 or prefix is not None):
                if self._sweep is not None and self._member(m, info, prefix):
                    return
                self._killed(m, info, prefix)
                return
        if "memory.oom.group set" in msg:
            text = msg.rstrip()
            at = text.find(_GROUP_LIT)
            if at == 0 and text.endswith(_GROUP_TAIL):
                self._group(text[at + len(_GROUP_LIT):len(text) - len(_GROUP_TAIL)], info)
                return
        at = msg.find(_HEADER_LIT)
        if 0 <= at <= _COMM_MAX:
            m = _GFP_RE.match(msg, at + len(_HEADER_LIT))
            if m:
                self._header(msg[:at], m.group(0), msg[m.end():], info)
                return
        at = msg.find(_SUMMARY_LIT)
        if at == 0:
            summary = parse_summary(msg, at)
            if summary is not None:
                self._pending["summary"] = summary
                self._sweep = self._last = None
                return
        at = msg.find("reaped process ")
        if at == len(_REAPER_PREFIX) and msg.startswith(_REAPER_PREFIX):
            m = _REAPER_RE.match(msg, at)
            if m:
                pid = int(m.group("pid"))
                for ev in reversed(self.recent):
                    if ev["victim"]["pid"] == pid and ev["killer"] == "kernel":
                        ev["reaped"] = True
                        break
                return
        if "sacrifice child" in msg or " or a child" in msg:
            at = msg.find("ill process ")
            if at > 0 and msg[at - 1] in "Kk":
                kill = parse_kill_process(msg, at)
                if kill is not None and (at == 1 or kill[0] is not None):
                    self._pending["kill"] = kill
                    self._sweep = self._last = None
                    return
        at = msg.find(_TASK_IN_LIT)
        if at == 0:
            task_in = parse_task_in(msg, at)
            if task_in is not None:
                self._pending["task_in"] = task_in
                self._sweep = self._last = None
                return
        if self._await_pid:
            self._await_pid -= 1
            m = None
            at = msg.find("PID: ")
            if at >= 0:
                m = _CPU_RE.match(msg, at)
            elif msg.startswith("Pid: "):
                m = _CPU26_RE.match(msg)
            if m:
                inv = self._pending.get("invoker")
                if inv is not None and inv.get("pid") is None:
                    comm = inv.get("comm") or ""
                    if msg[m.end():].startswith(comm):
                        inv["pid"] = int(m.group("pid"))
                self._await_pid = 0

    def _header(self, comm, gfp, rest, info):
        order = _ORDER_RE.search(rest)
        adj = _HDR_ADJ_RE.search(rest)
        old_adj = _HDR_OLD_ADJ_RE.search(rest)
        pid = None
        if info.caller and info.caller.startswith("T"):
            try:
                pid = int(info.caller[1:])
            except ValueError:
                pid = None
        # A header opens a new OOM: whatever context was pending is dropped.
        self._sweep = self._last = None
        self._pending = {"at": info, "invoker": {
            "comm": comm.strip() or None,
            "pid": pid,
            "gfp_mask": gfp,
            "order": int(order.group(1)) if order else None,
            "oom_score_adj": int(adj.group(1)) if adj else None,
            "oom_adj": int(old_adj.group(1)) if old_adj else None,
        }}
        self._await_pid = 6

    def _killed(self, m, info, prefix):
        ev = new_event()
        pending, self._pending = self._pending, {}
        if "at" in pending and _stale(pending["at"], info):
            # a header long before this kill was an OOM that killed nothing
            pending = {k: v for k, v in pending.items() if k not in ("invoker", "task_in")}
        self._await_pid = 0
        v = ev["victim"]
        _fill_victim(v, m.groupdict(), None)
        kind = _prefix_kind(prefix)

        kill = pending.get("kill")
        if kill is not None:
            kind = kind or _prefix_kind(kill[0])
        task_in = pending.get("task_in")
        if task_in is not None:
            ev["memcg"], ev["oom_memcg"] = task_in
            kind = "memcg"
        summary = pending.get("summary")
        if summary is not None and summary["pid"] == v["pid"]:
            constraint = summary["constraint"]
            ev["constraint"] = constraint or None
            if summary["oom_memcg"] is not None or kind == "memcg":
                # the limit of a memory cgroup was hit, whatever the constraint
                # says: 5.0 prints CONSTRAINT_NONE for a memcg OOM (and for the
                # memory.oom.group sweep that follows it)
                kind = "memcg"
            else:
                kind = _CONSTRAINT_KIND.get(constraint, kind)
            if summary["memcg"] is not None:
                ev["memcg"] = summary["memcg"]
            ev["oom_memcg"] = summary["oom_memcg"]
            if v["uid"] is None:
                v["uid"] = summary["uid"]
        ev["kind"] = kind or "unknown"
        inv = pending.get("invoker")
        if inv is not None:
            ev["invoker"].update(inv)
        ev["uptime"] = info.uptime
        self._sweep = None
        self._last = (ev, info, prefix)
        self.recent.append(ev)
        self.emit(ev, info)

    def _group(self, cgroup, info):
        """A "Tasks in <cgroup> are going to be killed" line: the last kill, right
        before it, heads a sweep of that cgroup. Without that kill it is ignored."""
        last, self._last = self._last, None
        self._sweep = None
        if last is None or not cgroup.startswith("/"):
            return
        head, at, prefix = last
        if _gap(at, info) > _GROUP_MAX_GAP:
            return
        old = head.pop("_sweep", None)
        if old is not None:
            # taken for a task of the sweep before, this kill heads one of its own
            # (a new OOM whose report was rate-limited): it is not the old one's
            old.remove(head["victim"]["pid"])
            head["kind"] = _prefix_kind(prefix) or "unknown"
            head["constraint"] = head["memcg"] = head["oom_memcg"] = None
            head["invoker"] = new_event()["invoker"]
        sweep = Sweep(cgroup[:4096], head, prefix, info)
        # systemd's unit lines logged before the kill completed the head already
        sweep.unit_result = head["unit_result"]
        sweep.unit_oom_logged = bool(head["unit_oom_logged"])
        head["_sweep"] = sweep
        self._sweep = sweep

    def _member(self, m, info, prefix):
        """A kill line during a sweep: True when it is one of the sweep's (a new
        event carrying the head's context, or the victim's line again)."""
        sweep = self._sweep
        if prefix != sweep.prefix or self._pending or _gap(sweep.last, info) > _GROUP_MAX_GAP:
            self._sweep = None
            return False
        sweep.last = info
        pid = int(m.group("pid"))
        if not sweep.add(pid):
            return True               # the victim's (or a task's) line again: no new event
        head = sweep.head
        ev = new_event()
        v = ev["victim"]
        _fill_victim(v, m.groupdict(), pid)
        for key in ("kind", "constraint", "oom_memcg"):
            ev[key] = head[key]
        # the member's own cgroup is the head's when the head was in the group's
        # cgroup itself, else only known to be at or below the group's cgroup
        ev["memcg"] = head["memcg"] if head["memcg"] == sweep.cgroup else sweep.cgroup
        ev["invoker"] = dict(head["invoker"])
        ev["uptime"] = info.uptime
        ev["_sweep"] = sweep
        self._sweep = sweep
        self._last = (ev, info, prefix)
        self.recent.append(ev)
        self.emit(ev, info)
        return True

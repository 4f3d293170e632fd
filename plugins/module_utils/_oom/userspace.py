# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: kills by systemd-oomd and earlyoom, and systemd's unit OOM lines.

Message formats, from the daemons' sources:
- systemd-oomd (src/oom/oomd-manager.c): v248-v252 ``Killed %s due to memory
  pressure for %s being %lu.%02lu%% > %lu.%02lu%% for > %s with reclaim
  activity`` and ``Killed %s due to swap used (%lu) / total (%lu) being more
  than %.2f%%``; v253+ the same with ``Marked %s for killing due to ...``, and
  ``... due to memory used (%lu) / total (%lu) and swap used (%lu) / total
  (%lu) being more than ...``. ``Considered %zu cgroups for killing, top
  candidates were:`` (src/oom/oomd-util.c) lists candidates; it is not a kill.
- earlyoom (kill.c): v1.2 ``sending %s to process %d "%s": badness %d, VmRSS %lu
  MiB``; v1.3+ ``sending %s to process %d uid %d "%s": badness %d, VmRSS %lld
  MiB``; v1.8 ``... uid %d "%s": oom_score %d, oom_score_adj %d, VmRSS %lld
  MiB, cmdline "%s"``; v1.1 ``Killing process: %s, pid: %d, badness: %d,
  VmRSS: %lu MiB``; v0.x ``Killing process %d %s`` (name as in
  /proc/PID/stat, in parentheses). Context before a kill: ``low memory! at or
  below SIGTERM limits: mem %2.2f%%, swap %2.2f%%`` (older: ``Low Memory! At or
  below SIGTERM limits (mem: %d %%, swap: %d %%)``).
- systemd (src/core/unit.c) for a kernel kill in a unit: ``A process of this
  unit has been killed by the OOM killer.`` (older: ``The kernel OOM killer
  killed some processes in this unit.``) and ``Failed with result
  'oom-kill'.`` for the unit and its parent slices. These complete the kill's
  event; they are never events of their own.
"""

from __future__ import annotations

import collections
import re

from ansible_collections.sre.oom.plugins.module_utils._oom.kernel import new_event

# All patterns are matched at the start of the message (re.match), with bounded
# repeats or one unbounded group followed by a literal that group cannot contain.
_OOMD_RE = re.compile(
    r"(?:Killed (?P<cg1>/\S{0,4096}) |Marked (?P<cg2>/\S{0,4096}) for killing )due to "
    r"(?P<what>memory pressure|swap used|memory used)")
_OOMD_PRESSURE_RE = re.compile(r" for (?P<mon>/\S{0,4096}) being ")
_EARLYOOM_SEND_RE = re.compile(
    r"sending (?P<sig>SIG[A-Z0-9]{1,10}|\?) to process (?P<pid>\d{1,10})(?: uid (?P<uid>\d{1,10}))? "
    r"\"(?P<comm>[^\n]{0,64}?)\": ")
_EARLYOOM_V11_RE = re.compile(r"Killing process: (?P<comm>[^\n]{0,64}?), pid: (?P<pid>\d{1,10}), badness: ")
_EARLYOOM_V0_RE = re.compile(r"Killing process (?P<pid>\d{1,10}) (?P<comm>[^\n]{0,4096})$")
_EARLYOOM_LOW_RE = re.compile(r"[Ll]ow [Mm]emory! [Aa]t or below (?P<sig>SIG[A-Z]{1,10}) limits")
_VMRSS_RE = re.compile(r"VmRSS:? (?P<mib>\d{1,12}) MiB")
_UNIT_RE = re.compile(r"(?P<unit>[^\s:]{1,256}): (?P<what>A process of this unit has been killed by the OOM killer"
                      r"|The kernel OOM killer killed some processes in this unit"
                      r"|systemd-oomd killed \d{1,10} process\(es\) in this unit"
                      r"|Failed with result 'oom-kill')\.")

# How far apart a kill and systemd's unit lines about it may be logged (seconds):
# journald may stamp the kernel's lines later than systemd's on a thrashing host.
_UNIT_LINE_MAX_GAP = 120.0


def _in_unit(ev, unit):
    """True when ``unit`` (a unit or slice name) is a component of the event's cgroup path."""
    path = ev.get("memcg") or ev.get("oom_memcg") or ev.get("cgroup")
    return bool(path) and ("/" + unit + "/") in (path + "/")


def _near(ev, when):
    then = ev.get("_epoch")
    return when is None or then is None or abs(when - then) <= _UNIT_LINE_MAX_GAP


def _note(ev, what):
    if what.startswith("Failed"):
        ev["unit_result"] = "oom-kill"
    else:
        ev["unit_oom_logged"] = True


def _userspace_event(killer, reason, signal):
    ev = new_event()
    ev["kind"] = "userspace"
    ev["killer"] = killer
    ev["reason"] = reason
    ev["signal"] = signal
    return ev


def parse_oomd(msg):
    """An event for a systemd-oomd kill message, or None."""
    m = _OOMD_RE.match(msg)
    if m is None:
        return None
    cgroup = m.group("cg1") or m.group("cg2")
    reason = "memory_pressure" if m.group("what") == "memory pressure" else "swap"
    ev = _userspace_event("systemd-oomd", reason, "SIGKILL")
    ev["cgroup"] = cgroup
    ev["memcg"] = cgroup
    if reason == "memory_pressure":
        p = _OOMD_PRESSURE_RE.match(msg, m.end())
        if p:
            ev["oom_memcg"] = p.group("mon")
    return ev


def parse_earlyoom(msg, context_signal=None):
    """An event for an earlyoom kill message, or None. ``context_signal`` comes from
    the "low memory! at or below SIGX limits" line before it, if any."""
    m = _EARLYOOM_SEND_RE.match(msg)
    if m is not None:
        sig = m.group("sig")
        ev = _userspace_event("earlyoom", "low_memory", sig if sig != "?" else context_signal)
        ev["victim"]["pid"] = int(m.group("pid"))
        ev["victim"]["comm"] = m.group("comm")
        if m.group("uid") is not None:
            ev["victim"]["uid"] = int(m.group("uid"))
    else:
        m = _EARLYOOM_V11_RE.match(msg) or _EARLYOOM_V0_RE.match(msg)
        if m is None:
            return None
        comm = m.group("comm")
        cut = comm.find(" with badness ")
        if cut >= 0:
            comm = comm[:cut]
        if len(comm) > 2 and comm[0] == "(" and comm[-1] == ")":
            comm = comm[1:-1]
        ev = _userspace_event("earlyoom", "low_memory", context_signal)
        ev["victim"]["pid"] = int(m.group("pid"))
        ev["victim"]["comm"] = comm
    rss = _VMRSS_RE.search(msg, m.end())
    if rss:
        ev["victim"]["rss_kb"] = int(rss.group("mib")) * 1024
    return ev


class UserspaceMessages(object):
    """Lines of systemd-oomd, earlyoom and systemd (the manager).

    ``emit(ev, info)`` receives each userspace kill; ``recent`` is a sequence of
    recent events (the kernel's and these) that systemd's unit lines complete.
    """

    def __init__(self, emit, recent):
        self.emit = emit
        self.recent = recent
        self._low_signal = None
        self._notes = collections.deque(maxlen=64)   # unit lines seen before their kill

    def handle(self, info, time_of):
        ident, msg = info.ident, info.msg
        if ident == "systemd-oomd":
            ev = parse_oomd(msg)
            if ev is not None:
                self._emit(ev, info)
        elif ident == "earlyoom":
            low = _EARLYOOM_LOW_RE.match(msg)
            if low:
                self._low_signal = low.group("sig")
                return
            ev = parse_earlyoom(msg, self._low_signal)
            if ev is not None:
                self._low_signal = None
                self._emit(ev, info)
        elif ident == "systemd":
            m = _UNIT_RE.match(msg)
            if m is not None:
                self._unit_line(m.group("unit"), m.group("what"), time_of(info))

    def _emit(self, ev, info):
        ev["uptime"] = info.uptime
        self.recent.append(ev)
        self.emit(ev, info)

    def _unit_line(self, unit, what, when):
        """Complete the latest kill in ``unit`` (never a new event); kept for a kill
        logged after it otherwise."""
        for ev in reversed(self.recent):
            if _in_unit(ev, unit) and _near(ev, when):
                _note(ev, what)
                return
        self._notes.append((unit, what, when))

    def completed(self, ev):
        """Apply the unit lines seen before this new event."""
        if not self._notes:
            return
        keep = []
        for unit, what, when in self._notes:
            if _in_unit(ev, unit) and _near(ev, when):
                _note(ev, what)
            else:
                keep.append((unit, what, when))
        self._notes.clear()
        self._notes.extend(keep)

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
  below SIGTERM limits (mem: %d %%, swap: %d %%)``); v1.2 ``Killing process
  '%s' with signal %d, pid: %d, badness: %d, VmRSS: %lu MiB``; v1.3-rc1
  ``killing process %d "%s" with signal %d: badness %d, VmRSS %lu MiB``. Its
  output is read with or without a syslog tag (stderr, ``docker logs``).
- nohang (hakavlad/nohang, Python, one message over several lines): v0.1
  ``  Victim is %s, pid: %d, badness: %d, VmRSS: %d MiB, VmSwap: %d MiB`` then
  ``  Sending SIGTERM to the victim; OK...``; 2019 ``Found a process with highest
  badness:`` then ``  Name:``/``  PID:``/``  EUID:``/``  VmRSS:`` lines and
  ``  Send SIGTERM to the victim; OK...``; v0.2+ ``Process with highest badness
  (found in %dms):`` / ``  PID: %d, Name: %s, badness: %d``, ``Victim status
  ...`` / ``  PID:       %d, name: %s, state: ..., EUID: %d, ...``, ``  Vm, MiB:
  Size: %s, RSS: %s, ...``, ``  cgroup_v2: %s``, then ``  Sending SIGTERM to the
  victim``. A soft action (``Executing the command: ...``) is not a kill.
- systemd (src/core/unit.c) for a kernel kill in a unit: ``A process of this
  unit has been killed by the OOM killer.`` (older: ``The kernel OOM killer
  killed some processes in this unit.``) and ``Failed with result
  'oom-kill'.`` for the unit and its parent slices; for a systemd-oomd kill
  ``systemd-oomd killed %d process(es) in this unit.``. These complete the
  kill's event (every event of a memory.oom.group sweep). Only the last one stands for a kill when no systemd-oomd line
  about it is there (a journal excerpt of the unit): a systemd-oomd kill of that
  unit, its pids unknown.
"""

from __future__ import annotations

import collections
import re

from ansible_collections.sre.oom.plugins.module_utils._oom.formats import is_digits
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
_EARLYOOM_V12_RE = re.compile(r"Killing process '(?P<comm>[^\n]{0,64}?)' with signal (?P<signo>\d{1,2}), "
                              r"pid: (?P<pid>\d{1,10}), badness: ")
_EARLYOOM_V13RC_RE = re.compile(r"killing process (?P<pid>\d{1,10}) \"(?P<comm>[^\n]{0,64}?)\" with signal "
                                r"(?P<signo>\d{1,2}): badness ")
_EARLYOOM_V0_RE = re.compile(r"Killing process (?P<pid>\d{1,10}) (?P<comm>[^\n]{0,4096})$")
_EARLYOOM_LOW_RE = re.compile(r"[Ll]ow [Mm]emory! [Aa]t or below (?P<sig>SIG[A-Z]{1,10}) limits")
_SIGNALS = {"9": "SIGKILL", "15": "SIGTERM", "2": "SIGINT", "1": "SIGHUP", "3": "SIGQUIT"}
_NOHANG_KILL_RE = re.compile(r"Send(?:ing)? (?P<sig>SIG[A-Z0-9]{1,10}) to the victim(?P<rest>[^\n]{0,64})")
_NOHANG_V01_RE = re.compile(r"Victim is (?P<comm>[^\n]{0,256}?), pid: (?P<pid>\d{1,10}), badness: -?\d{1,10}, "
                            r"VmRSS: (?P<rss>\d{1,12}(?:\.\d{1,3})?) MiB")
_NOHANG_TOP_RE = re.compile(r"PID: (?P<pid>\d{1,10}), Name: (?P<comm>[^\n]{0,256}), badness: -?\d{1,10} {0,8}$")
_NOHANG_STATUS_RE = re.compile(r"PID: {1,16}(?P<pid>\d{1,10}), name: (?P<comm>[^\n]{0,256}?), state: [^\n]{0,64}?, "
                               r"EUID: (?P<uid>\d{1,10})")
_NOHANG_VM_RE = re.compile(r"Vm, MiB: {1,16}Size: [\d.]{1,20}, RSS: (?P<rss>\d{1,12}(?:\.\d{1,3})?)")
_NOHANG_FIELD_RE = re.compile(r"(?P<key>Name|PID|EUID|VmRSS): {1,16}(?P<value>[^\n]{1,256}?)(?: MiB[^\n]{0,64})? {0,8}$")
_VMRSS_RE = re.compile(r"VmRSS:? (?P<mib>\d{1,12}) MiB")
_UNIT_RE = re.compile(r"(?P<unit>[^\s:]{1,256}): (?P<what>A process of this unit has been killed by the OOM killer"
                      r"|The kernel OOM killer killed some processes in this unit"
                      r"|systemd-oomd killed \d{1,10} process\(es\) in this unit"
                      r"|Failed with result 'oom-kill')\.")

# How far apart a kill and systemd's unit lines about it may be logged (seconds):
# journald may stamp the kernel's lines later than systemd's on a thrashing host.
_UNIT_LINE_MAX_GAP = 120.0


def _in_unit(ev, unit):
    """True when ``unit`` (a unit or slice name) is a component of the event's cgroup
    path (or is the unit of an event known by its unit only)."""
    path = ev.get("memcg") or ev.get("oom_memcg") or ev.get("cgroup")
    if not path:
        return ev.get("unit") == unit
    return ("/" + unit + "/") in (path + "/")


def _near(ev, when):
    then = ev.get("_epoch")
    return when is None or then is None or abs(when - then) <= _UNIT_LINE_MAX_GAP


def _note(ev, what):
    """Apply one of systemd's unit lines to a kill: to every kill of its
    memory.oom.group sweep when it is one (one unit, one result)."""
    sweep = ev.get("_sweep")
    if what.startswith("Failed"):
        ev["unit_result"] = "oom-kill"
        if sweep is not None:
            sweep.unit_result = "oom-kill"
    else:
        ev["unit_oom_logged"] = True
        if sweep is not None:
            sweep.unit_oom_logged = True


def _noted(ev, failed):
    """True when this kind of unit line completed the kill (or its sweep) already."""
    sweep = ev.get("_sweep")
    if failed:
        return bool(ev["unit_result"] or (sweep is not None and sweep.unit_result))
    return bool(ev["unit_oom_logged"] or (sweep is not None and sweep.unit_oom_logged))


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


def parse_earlyoom(msg, context_signal=None, untagged=False):
    """An event for an earlyoom kill message, or None. ``context_signal`` comes from
    the "low memory! at or below SIGX limits" line before it, if any. ``untagged``:
    a line without earlyoom's tag, where v0.x's bare "Killing process N name" is
    too plain to be told from another program's line."""
    m = _EARLYOOM_SEND_RE.match(msg)
    if m is not None:
        sig = m.group("sig")
        ev = _userspace_event("earlyoom", "low_memory", sig if sig != "?" else context_signal)
        ev["victim"]["pid"] = int(m.group("pid"))
        ev["victim"]["comm"] = m.group("comm")
        if m.group("uid") is not None:
            ev["victim"]["uid"] = int(m.group("uid"))
    else:
        m = _EARLYOOM_V12_RE.match(msg) or _EARLYOOM_V13RC_RE.match(msg)
        if m is not None:
            ev = _userspace_event("earlyoom", "low_memory", _SIGNALS.get(m.group("signo"), context_signal))
            ev["victim"]["pid"] = int(m.group("pid"))
            ev["victim"]["comm"] = m.group("comm")
            rss = _VMRSS_RE.search(msg, m.end())
            if rss:
                ev["victim"]["rss_kb"] = int(rss.group("mib")) * 1024
            return ev
        m = _EARLYOOM_V11_RE.match(msg)
        if m is None and not (untagged and context_signal is None):
            m = _EARLYOOM_V0_RE.match(msg)
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


def _mib_kb(text):
    try:
        return int(float(text) * 1024)
    except (ValueError, OverflowError):     # not a number; inf or 1e999
        return None


# Untagged lines are read as earlyoom's or nohang's only when they start so.
_UNTAGGED_EARLYOOM = ("sending SIG", "Killing process", "killing process", "low memory!", "Low Memory!")
_UNTAGGED_NOHANG = ("Send", "Victim", "PID:", "Process with highest", "Found a process with highest", "Vm, MiB:",
                    "cgroup_v2:", "Name:", "EUID:", "VmRSS:", "Executing the command")
# A victim named by nohang is the one it acts on within this many seconds.
_NOHANG_MAX_GAP = 60.0


class UserspaceMessages(object):
    """Lines of systemd-oomd, earlyoom, nohang and systemd (the manager).

    ``emit(ev, info)`` receives each userspace kill; ``recent`` is a sequence of
    recent events (the kernel's and these) that systemd's unit lines complete.
    """

    def __init__(self, emit, recent):
        self.emit = emit
        self.recent = recent
        self._low_signal = None
        self._notes = collections.deque(maxlen=64)   # unit lines seen before their kill
        self._victim = None                           # nohang: the victim it named last
        self._victim_at = None
        self._unit_only = collections.deque(maxlen=64)   # oomd kills known from systemd's line only

    def handle(self, info, time_of):
        ident, msg = info.ident, info.msg
        if ident == "systemd-oomd":
            ev = parse_oomd(msg)
            if ev is not None:
                self._oomd(ev, info, time_of(info))
        elif ident == "earlyoom":
            self._earlyoom(info, msg, False)
        elif ident == "nohang":
            self._nohang(info, msg.strip(), time_of)
        elif ident == "systemd":
            m = _UNIT_RE.match(msg)
            if m is not None:
                self._unit_line(m.group("unit"), m.group("what"), time_of(info), info)
        elif ident is None:
            self.untagged(info, time_of)

    def untagged(self, info, time_of):
        """A line without a syslog tag (a program's own output): earlyoom's or
        nohang's when it reads as theirs."""
        for msg in info.msg.split("\n"):
            text = msg.strip()
            if msg.startswith(_UNTAGGED_EARLYOOM):
                self._earlyoom(info, msg, True)
            elif text.startswith(_UNTAGGED_NOHANG):
                self._nohang(info, text, time_of)

    def _earlyoom(self, info, msg, untagged):
        low = _EARLYOOM_LOW_RE.match(msg)
        if low:
            self._low_signal = low.group("sig")
            return
        ev = parse_earlyoom(msg, self._low_signal, untagged)
        if ev is not None:
            self._low_signal = None
            self._emit(ev, info)

    def _nohang(self, info, text, time_of):
        m = _NOHANG_KILL_RE.match(text)
        if m is not None:
            victim, self._victim = self._victim, None
            rest = m.group("rest")
            if "no such process" in rest:
                return
            when = time_of(info)
            if victim is not None and when is not None and self._victim_at is not None and \
                    abs(when - self._victim_at) > _NOHANG_MAX_GAP:
                victim = None
            ev = _userspace_event("nohang", "low_memory", m.group("sig"))
            if victim:
                cgroup = victim.pop("cgroup", None)
                ev["victim"].update(victim)
                if cgroup:
                    ev["cgroup"] = ev["memcg"] = cgroup
            self._emit(ev, info)
            return
        if text.startswith("Executing the command"):
            self._victim = None          # a soft action instead of a signal
            return
        m = (_NOHANG_TOP_RE.match(text) or _NOHANG_STATUS_RE.match(text) or _NOHANG_V01_RE.match(text))
        if m is not None:
            gd = m.groupdict()
            pid = int(gd["pid"])
            if self._victim is None or self._victim.get("pid") != pid:
                self._victim = {"pid": pid}
                self._victim_at = time_of(info)
            self._victim["comm"] = gd["comm"]
            if gd.get("uid"):
                self._victim["uid"] = int(gd["uid"])
            if gd.get("rss"):
                self._victim["rss_kb"] = _mib_kb(gd["rss"])
            return
        if text.startswith(("Found a process with highest", "Process with highest", "Victim status")):
            return
        if self._victim is None and not text.startswith("Name:"):
            return
        m = _NOHANG_VM_RE.match(text)
        if m is not None:
            self._victim["rss_kb"] = _mib_kb(m.group("rss"))
            return
        if text.startswith("cgroup_v2:"):
            path = text[10:].strip()
            if path.startswith("/"):
                self._victim["cgroup"] = path[:4096]
            return
        m = _NOHANG_FIELD_RE.match(text)
        if m is not None:
            key, value = m.group("key"), m.group("value").strip()
            if key == "Name":
                # 2019: the name comes first, then the pid
                self._victim = {"comm": value}
                self._victim_at = time_of(info)
            elif key == "PID" and is_digits(value):
                self._victim["pid"] = int(value)
            elif key == "EUID" and is_digits(value):
                self._victim["uid"] = int(value)
            elif key == "VmRSS":
                self._victim["rss_kb"] = _mib_kb(value)

    def _oomd(self, ev, info, when):
        # systemd's line about this kill may have come first (same second): it
        # made an event of its own, which this line now completes
        for old in reversed(self._unit_only):
            if old.get("_unit_only") and _in_unit(ev, old["unit"]) and _near(old, when):
                del old["_unit_only"]
                for key in ("cgroup", "memcg", "oom_memcg", "reason"):
                    old[key] = ev[key]
                old["unit"] = None
                return
        self._emit(ev, info)

    def _emit(self, ev, info):
        ev["uptime"] = info.uptime
        self.recent.append(ev)
        self.emit(ev, info)

    def _unit_line(self, unit, what, when, info):
        """Complete the latest kill in ``unit`` that this kind of line has not
        completed yet (a slice's line: the latest kill in it); kept for a kill
        logged after it otherwise. systemd's line about a systemd-oomd kill that
        no systemd-oomd line names is that kill."""
        failed = what.startswith("Failed")
        oomd = what.startswith("systemd-oomd")
        leaf = not unit.endswith(".slice")
        for ev in reversed(self.recent):
            if not (_in_unit(ev, unit) and _near(ev, when)):
                continue
            if oomd and ev["killer"] != "systemd-oomd":
                continue
            if leaf and _noted(ev, failed):
                continue
            _note(ev, what)
            return
        if oomd:
            ev = _userspace_event("systemd-oomd", None, "SIGKILL")
            ev["unit"] = unit
            ev["_unit_only"] = True
            ev["unit_oom_logged"] = True
            self._unit_only.append(ev)
            self._emit(ev, info)
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

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the event collector, events of one or more
sources in, the newest kept, all counted, the same kill read twice dropped.

Pure: event dicts in (from ``scanner.OomLogParser``), public event dicts out.
"""

from __future__ import annotations

import collections
import heapq

from ansible_collections.sre.oom.plugins.module_utils._oom.counters import of_this_boot
from ansible_collections.sre.oom.plugins.module_utils._oom.scanner import public

# This many recent kills are remembered to drop the same kill read from a second
# source: a key and three times each (about 200 bytes), whatever the number of kills.
DEDUPE_WINDOW = 32768
# At most this many remembered kills share one (key, time bucket): the same pid,
# comm and sizes at the same uptime in many boots of a long log are told apart
# by their times, and each new one is compared with the last few only (linear).
_SAME_BUCKET = 16

# How far apart (seconds) the times of one kill read from two sources may be.
# Kernel kills: journald or a syslog daemon may stamp a line late (a container's
# journald replays the ring buffer when it starts); the victim's pid, name and
# sizes make two different kills with the same key within this window unlikely.
# Userspace kills (no pid): the daemons' own stamps, to the second in syslog.
_WINDOW_EPOCH = {"kernel": 600.0}
_WINDOW_EPOCH_USER = 1.0
_WINDOW_UPTIME = {"kernel": 2.0}
_WINDOW_UPTIME_USER = 0.5


class _Mark(object):
    """What is remembered of a kill for de-duplication (about 300 bytes with its
    index entries): its times, boot, index entries, and the event while kept."""

    __slots__ = ("uptime", "epoch", "boot", "ev", "h1", "h2")

    def __init__(self, uptime, epoch, boot):
        self.uptime = uptime
        self.epoch = epoch
        self.boot = boot
        self.ev = None
        self.h1 = self.h2 = None


def _dedupe_key(ev):
    v = ev["victim"]
    return hash((ev.get("killer"), v["pid"], v["comm"], v["total_vm_kb"], v["anon_rss_kb"],
                 ev.get("cgroup") or ev.get("unit")))


def _close(a, b, kernel):
    """True when two marks with the same key are one kill seen
    twice: times compared when both are known (wall clock first, it tells boots
    apart), else uptimes, within the same boot."""
    ua, ta, ba = a.uptime, a.epoch, a.boot
    ub, tb, bb = b.uptime, b.epoch, b.boot
    if ba is not None and bb is not None and ba != bb:
        return False
    if ta is not None and tb is not None:
        return abs(ta - tb) <= (_WINDOW_EPOCH["kernel"] if kernel else _WINDOW_EPOCH_USER)
    if ua is not None and ub is not None:
        return abs(ua - ub) <= (_WINDOW_UPTIME["kernel"] if kernel else _WINDOW_UPTIME_USER)
    return True


def _merge(into, other):
    if into.get("_sweep") is None:
        if other.get("_sweep") is not None:
            into["_sweep"] = other["_sweep"]     # the other source logged the group's line
        else:
            into["_twin"] = other   # its group line may come after its kill line: see public()
    for key, value in other.items():
        if key.startswith("_"):
            continue
        if isinstance(value, dict):
            sub = into.setdefault(key, {})
            for k, v in value.items():
                if sub.get(k) is None and v is not None:
                    sub[k] = v
        elif key in ("reaped", "unit_oom_logged"):
            into[key] = bool(into.get(key)) or bool(value)
        elif key == "kind":
            if into.get(key) in (None, "unknown") and value not in (None, "unknown"):
                into[key] = value
        elif key == "source":
            if value and into.get(key) and value not in into[key].split(","):
                into[key] = into[key] + "," + value
        elif into.get(key) is None and value is not None:
            into[key] = value


class EventCollector(object):
    """Keeps the ``max_events`` newest events of all sources, counts all, drops
    duplicates.

    ``since`` (epoch or None) drops events older than it; events without a known
    time are kept. ``keep(ev)``, when given, decides whether an event counts at
    all (the container scope); ``kernel_since_boot`` counts the kernel kills
    after ``boot_time`` before that decision (what /proc/vmstat counts).

    Duplicates (the same kill read from two sources) are found through an index
    of the last DEDUPE_WINDOW kills by key and time bucket: a constant number of
    comparisons per event whatever the number of kills with one key (a
    crash-looping unit), so the whole collection is linear in the kills and
    bounded in memory. Kills of different boots (boot ids, or wall-clock times
    when known) are never one kill.

    The kept events are the newest: ordered by time (events without a time
    before those with one), then by the order they were read, and ``events()``
    returns them oldest first, so that its last one is the newest kill.
    """

    def __init__(self, max_events=100, since=None, boot_time=None, keep=None):
        self.max_events = max_events
        self.since = since
        self.boot_time = boot_time
        self.keep = keep
        self.count = 0
        self.duplicates = 0
        self.killer_counts = {"kernel": 0, "systemd-oomd": 0, "earlyoom": 0, "nohang": 0}
        self.kernel_since_boot = 0
        self._seq = 0
        self._heap = []                      # (order, seq, event): the kept events, oldest on top
        # hash of (key, 'e'|'u'|'n', time bucket) -> the marks of remembered kills
        self._index = {}
        self._order = collections.deque()    # the marks of the remembered kills, oldest first

    def __call__(self, ev):
        self.add(ev)

    def remembered(self):
        """How many kills are remembered for de-duplication."""
        return len(self._order)

    @staticmethod
    def _entries(key, ev, kernel):
        """The index entries (hashes of key, kind and time bucket) of an event."""
        out = []
        epoch, uptime = ev.get("_epoch"), ev.get("uptime")
        if epoch is not None:
            out.append(("e", int(epoch // (_WINDOW_EPOCH["kernel"] if kernel else _WINDOW_EPOCH_USER))))
        if uptime is not None:
            out.append(("u", int(uptime // (_WINDOW_UPTIME["kernel"] if kernel else _WINDOW_UPTIME_USER))))
        if not out:
            out.append(("n", 0))
        return key, out

    def _marks(self, h):
        found = self._index.get(h)
        if found is None:
            return ()
        return found if type(found) is list else (found,)  # pylint: disable=unidiomatic-typecheck

    def _find(self, entries, mark, kernel):
        """The remembered mark of the same kill, or None."""
        key, kinds = entries
        for kind, bucket in kinds:
            for b in (bucket, bucket - 1, bucket + 1):
                for old in self._marks(hash((key, kind, b))):
                    if _close(old, mark, kernel):
                        return old
        if kinds[0][0] != "n":
            # a remembered kill without any time matches any time
            for old in self._marks(hash((key, "n", 0))):
                return old
        return None

    def _index_add(self, h, mark):
        index = self._index
        found = index.get(h)
        if found is None:
            index[h] = mark
        elif type(found) is list:  # pylint: disable=unidiomatic-typecheck
            if len(found) >= _SAME_BUCKET:
                del found[0]
            found.append(mark)
        else:
            index[h] = [found, mark]

    def _index_remove(self, h, mark):
        index = self._index
        found = index.get(h)
        if found is mark:
            del index[h]
        elif type(found) is list:  # pylint: disable=unidiomatic-typecheck
            for i, m in enumerate(found):
                if m is mark:
                    del found[i]
                    break
            if len(found) == 1:
                index[h] = found[0]

    def _remember(self, entries, mark):
        key, kinds = entries
        mark.h1 = hash((key,) + kinds[0])
        self._index_add(mark.h1, mark)
        if len(kinds) > 1:
            mark.h2 = hash((key,) + kinds[1])
            self._index_add(mark.h2, mark)
        self._order.append(mark)
        if len(self._order) > DEDUPE_WINDOW:
            old = self._order.popleft()
            self._index_remove(old.h1, old)
            if old.h2 is not None:
                self._index_remove(old.h2, old)

    def add(self, ev):
        epoch = ev.get("_epoch")
        if self.since is not None and epoch is not None and epoch < self.since:
            return
        killer = ev.get("killer") or "kernel"
        kernel = killer == "kernel"
        key = _dedupe_key(ev)
        entries = self._entries(key, ev, kernel)
        mark = _Mark(ev.get("uptime"), epoch, ev.get("_boot"))
        old = self._find(entries, mark, kernel)
        if old is not None:
            self.duplicates += 1
            if old.ev is not None:
                _merge(old.ev, ev)
            return
        self._remember(entries, mark)
        if kernel and of_this_boot(epoch, self.boot_time):
            self.kernel_since_boot += 1
        if self.keep is not None and not self.keep(ev):
            return
        self.count += 1
        self.killer_counts[killer] = self.killer_counts.get(killer, 0) + 1
        if self.max_events <= 0:
            return
        self._seq += 1
        item = ((0, 0.0) if epoch is None else (1, epoch), self._seq, ev)
        mark.ev = ev
        ev["_mark"] = mark
        if len(self._heap) < self.max_events:
            heapq.heappush(self._heap, item)
            return
        if item[:2] <= self._heap[0][:2]:
            mark.ev = None                   # older than every kept event
            del ev["_mark"]
            return
        dropped = heapq.heapreplace(self._heap, item)[2]
        dropped.pop("_mark").ev = None       # a later duplicate no longer merges into it

    def events(self):
        """Kept events, oldest first (the last is the newest), without internal keys."""
        return [public(item[2]) for item in sorted(self._heap, key=lambda item: item[:2])]

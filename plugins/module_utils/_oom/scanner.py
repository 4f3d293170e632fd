# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the scanner (lines or files in, events out) and the collector.

This file is pure: text or bytes in, event dicts out. No host access happens here
apart from reading a file object handed in by the caller.

Streaming entry point (also used by the EDA event source): ``OomLogParser(sink,
source=..., boot_time=..., reference_time=..., utc_offset=...)``, its
``feed(line)`` (str or bytes, one log line) and ``flush()``, and ``public(ev)``.
"""

from __future__ import annotations

import collections
import heapq
import time

from ansible_collections.sre.oom.plugins.module_utils._oom.cgroup import (
    cgroup_container_id, cgroup_pod_uid, cgroup_unit)
from ansible_collections.sre.oom.plugins.module_utils._oom.formats import (
    JOURNALISH, MAX_LINE, UNTAGGED_FORMATS, USERSPACE_IDENTS, is_continuation, iso_utc, split_prefix)
from ansible_collections.sre.oom.plugins.module_utils._oom.kernel import KernelMessages
from ansible_collections.sre.oom.plugins.module_utils._oom.userspace import UserspaceMessages

# A line longer than this (bytes) is cut before it is decoded.
_MAX_LINE_BYTES = MAX_LINE * 4
# How far (bytes) a block of indented continuation lines is followed.
_MAX_BLOCK = 65536
# The fast path chooses lines in parts of this many bytes of a chunk.
_PART = 1 << 20


class OomLogParser(object):
    """Streaming parser: feed lines (or a binary file), receive events.

    ``sink`` is called with each event dict as soon as its kill line is seen; an
    ``oom_reaper`` line or systemd's unit lines seen later complete that same dict.
    ``boot_time`` (epoch) turns uptimes into times; give it only for sources that
    hold the current boot (kmsg, dmesg). ``reference_time`` anchors the year of RFC
    3164 stamps. ``utc_offset`` (seconds) replaces the host's zone for wall-clock
    stamps without an offset (tests). ``boot_id``, for a source of one boot,
    keeps its kills apart from another boot's with the same uptimes.

    Lines are joined and decoded in one place, ``feed``: the file fast path
    (``feed_file``) only chooses which lines to feed.
    """

    def __init__(self, sink, source=None, boot_time=None, reference_time=None, utc_offset=None, boot_id=None):
        self.sink = sink
        self.source = source
        self.boot_time = boot_time
        self.boot_id = boot_id
        self.reference_time = reference_time if reference_time is not None else time.time()
        self.utc_offset = utc_offset
        self.lines = 0             # lines fed
        self.bytes = 0             # bytes read by feed_file
        self.errors = 0            # lines dropped because of a parser bug (tests assert 0)
        self.kernel = KernelMessages(self._emit)
        self.userspace = UserspaceMessages(self._emit, self.kernel.recent)
        self._held = None          # Line waiting for its continuation lines
        self._held_kind = None     # 'kmsg', 'journal' or None
        self._mixed = None         # feed_file: does the file hold other programs' lines?
        self._untagged = False     # feed_file: ... and lines without a tag?
        self._reap_carry = 0       # feed_file: bytes of the next part where a reaper's line may be

    # -- line mode: the one path where lines are decoded and joined ----------

    def feed(self, raw):
        """Feed one line (str or bytes, with or without its newline)."""
        try:
            self._feed(raw)
        except Exception:  # pylint: disable=broad-except
            # A parser bug must never fail a fact gathering: drop the line.
            self.errors += 1
            self._held = None

    def _feed(self, raw):
        if not isinstance(raw, str):
            raw = bytes(raw[:_MAX_LINE_BYTES]).decode("utf-8", "replace")
        line = raw[:MAX_LINE].rstrip("\r\n")
        self.lines += 1
        if "\x00" in line:
            line = line.replace("\x00", "")
        if line[:1] in (" ", "\t") and self._held_kind is not None and is_continuation(line):
            held = self._held
            if held is not None and len(held.msg) < MAX_LINE:
                if self._held_kind == "journal":
                    # journalctl indents the continuation of a multi-line message
                    held.msg = (held.msg + " " + line.strip())[:MAX_LINE]
                elif self._held_kind == "pylog":
                    # a multi-line message in a Python program's log file
                    held.msg = (held.msg + "\n" + line.strip())[:MAX_LINE]
            return   # kmsg: " KEY=value" dictionary lines carry no message text
        self.flush()
        info = split_prefix(line, self.reference_time, self.utc_offset)
        if info.fmt == "kmsg":
            self._held_kind = "kmsg"
        elif info.fmt in JOURNALISH:
            self._held_kind = "journal"
        elif info.fmt == "pylog":
            self._held_kind = "pylog"
        else:
            self._held_kind = None
        self._held = info if (info.kernel or info.ident in USERSPACE_IDENTS
                              or (info.ident is None and info.fmt in UNTAGGED_FORMATS)) else None

    def flush(self):
        """Process the held line (call at the end of input)."""
        held, self._held = self._held, None
        if held is not None:
            try:
                self._message(held)
            except Exception:  # pylint: disable=broad-except
                self.errors += 1

    close = flush

    def _break(self):
        """The next line does not follow the last one fed (the fast path skipped lines)."""
        self.flush()
        self._held_kind = None

    # -- messages -----------------------------------------------------------

    def _time_of(self, info):
        epoch = info.epoch
        if epoch is not None:
            return epoch
        if info.uptime is not None and self.boot_time is not None:
            return self.boot_time + info.uptime
        return None

    def _message(self, info):
        if info.kernel:
            self.kernel.handle(info)
            if info.ident is None and info.fmt in UNTAGGED_FORMATS:
                # a program's own output without a tag (earlyoom's, nohang's)
                self.userspace.untagged(info, self._time_of)
        else:
            self.userspace.handle(info, self._time_of)

    def _emit(self, ev, info):
        # time, unit, container_id and pod_uid are derived in public(), for the
        # events that are kept only
        ev["_epoch"] = self._time_of(info)
        ev["_boot"] = self.boot_id
        ev["source"] = self.source
        self.userspace.completed(ev)
        self.sink(ev)

    # -- fast path for files ------------------------------------------------

    def feed_file(self, fileobj, chunk_size=8 << 20):
        """Parse a binary file object without decoding every line.

        The file is read in large chunks into one reused buffer; the lines that can
        matter are located with fast literal searches and only those are decoded
        and fed to the state machine, in file order. Memory stays bounded by
        ``chunk_size`` whatever the size of the file (a longer line is cut).
        """
        buf = bytearray(chunk_size)
        view = memoryview(buf)
        readinto = getattr(fileobj, "readinto", None)
        have = 0
        try:
            while True:
                if have == len(buf):
                    # one line longer than the buffer: scan what we have of it
                    self._scan_parts(buf, 0, have)
                    have = 0
                if readinto is not None:
                    n = readinto(view[have:])
                else:
                    data = fileobj.read(len(buf) - have)
                    n = len(data)
                    buf[have:have + n] = data
                if not n:
                    break
                self.bytes += n
                total = have + n
                cut = buf.rfind(b"\n", have, total)
                if cut < 0:
                    have = total
                    continue
                self._scan_parts(buf, 0, cut + 1)
                rest = total - cut - 1
                if rest:
                    buf[0:rest] = buf[cut + 1:total]
                have = rest
            if have:
                self._scan_parts(buf, 0, have)
        finally:
            view.release()
        self.flush()

    # A "Killed process" line anchors each event. The oom_reaper's "reaped
    # process" line that may complete it comes right after it: it is looked for
    # in the _REAP_AFTER bytes after each kill, not in the whole file.
    _ANCHOR = b"Killed process"
    _REAP = b"reaped process"
    _REAP_AFTER = 8192
    _LOOKBACK = 4 << 20        # how far before a kill its OOM header may sit
    _NEAR = 4096               # how far before a kill its summary / "Kill process" line may sit
    # the kernel's whole literal: a long needle is found at twice the speed of a short one
    _GROUP = b" are going to be killed due to memory.oom.group set"
    _ENDS_SWEEP = (b"invoked oom-killer", b"oom-kill:", b" child", b"killed as a result of limit")

    def _context(self, buf, lo, hi, out, tail=False, first=False):
        """Add the starts of the lines in buf[lo:hi] that describe the next kill.

        Right before a kill that came with an OOM report sits the end of that
        report: the summary (5.0+), the "Kill process ... child" line (older) or
        the header itself in a filtered log. Only then is the header looked for
        further back; a rate-limited kill costs a few small searches. ``tail``
        (the end of a chunk, whose kill is in the next chunk) always looks back;
        ``first`` (the first kill of a chunk) may complete a header seen in the
        previous chunk.
        """
        find, rfind = buf.find, buf.rfind
        near = max(lo, hi - self._NEAR)
        found = []
        t = rfind(b"oom-kill:", near, hi)
        if t >= 0:
            found.append(t)
        t = rfind(b" child", near, hi)   # "... or sacrifice child" / "... or a child"
        if t >= 0:
            found.append(t)
        h = rfind(b"invoked oom-killer", near, hi)
        if h < 0 and (found or tail):
            h = rfind(b"invoked oom-killer", max(lo, hi - self._LOOKBACK), near + 32)
        task_from = None
        if h >= 0:
            hs = max(rfind(b"\n", lo, h) + 1, lo)
            out.append(hs)
            # the stack dump's "CPU: .. PID: .. Comm:" line follows the header
            nl = find(b"\n", h, hi)
            if nl >= 0:
                self._pid_line(buf, nl + 1, hi, out)
            task_from = hs
            found = [t for t in found if t > hs]
        elif first and "invoker" in self.kernel._pending:
            task_from = lo
        if task_from is not None:
            t = find(b"killed as a result of limit", task_from, hi)
            if t >= 0:
                out.append(max(rfind(b"\n", lo, t) + 1, lo))
        for t in found:
            out.append(max(rfind(b"\n", lo, t) + 1, lo))
        # memory.oom.group: "Tasks in <cgroup> are going to be killed ..." between
        # the victim's kill and the next one (the first of the sweep's tasks)
        t = find(self._GROUP, lo, hi)
        if t >= 0:
            # a new OOM's report line before it means it follows no kill: those
            # lines are fed too, so that the state machine decides as in line mode
            for lit in self._ENDS_SWEEP:
                q = find(lit, lo, t)
                while q >= 0:
                    ls = max(rfind(b"\n", lo, q) + 1, lo)
                    out.append(ls)
                    if lit == b"invoked oom-killer":
                        nl = find(b"\n", q, hi)
                        if nl >= 0:
                            self._pid_line(buf, nl + 1, hi, out)
                    q = find(lit, q + len(lit), t)
        while t >= 0:
            out.append(max(rfind(b"\n", lo, t) + 1, lo))
            t = find(self._GROUP, t + len(self._GROUP), hi)

    def _reaped(self, buf, start, lo, hi, out):
        """Add the starts of the oom_reaper's lines in buf[lo:hi] (a part from start)."""
        find = buf.find
        q = find(self._REAP, lo, hi)
        while q >= 0:
            out.append(self._line_start(buf, start, q))
            q = find(self._REAP, q + 14, hi)

    def _pid_line(self, buf, p, hi, out):
        """Add the first "PID: .. Comm:" line among the 6 lines from p."""
        find = buf.find
        for _dummy in range(6):
            if p >= hi:
                return
            q = find(b"\n", p, hi)
            q = hi if q < 0 else q
            if find(b"PID: ", p, q) >= 0 or find(b"Pid: ", p, q) >= 0:
                out.append(p)
                return
            p = q + 1

    # Userspace killers' lines. In a file of other programs' lines (syslog, journal
    # output) they carry their program's tag; systemd's unit lines after a kernel
    # kill name "the OOM killer", after a systemd-oomd kill "systemd-oomd", and are
    # followed by "Failed with result 'oom-kill'". A file of a program's own
    # output (no tag) is also searched for earlyoom's and nohang's messages.
    _TAGGED_ANCHORS = (b"oomd", b"earlyoom", b"nohang", b"OOM killer")
    _UNTAGGED_ANCHORS = (b" to process ", b"illing process", b"to the victim", b"ow memory! ", b"ow Memory! ")
    # nohang names its victim in the lines before its "Sending SIGTERM to the victim"
    _NOHANG_BACK = 4096
    # systemd's "Failed with result 'oom-kill'" follows its line about the kill
    _FAILED_AFTER = 4096

    def _line_start(self, buf, start, pos):
        return max(buf.rfind(b"\n", start, pos) + 1, start)

    _HEAD = 256 << 10

    def _classify(self, buf, start, end):
        """Decide, from the first 256 KiB of the file, whether it can hold userspace
        killers' lines at all, and whether it holds untagged lines.

        A file of kernel lines only (kern.log, dmesg in any of its formats,
        /dev/kmsg records, ``journalctl -k`` output) is never searched for them:
        every line there carries the "kernel:" tag, or a dmesg stamp with no
        tag after it (or is a continuation line), and none names a userspace
        killer in its tag. Counted with C-speed ``count``s, once per file.
        """
        hi = min(end, start + self._HEAD)
        count = buf.count
        lines = count(b"\n", start, hi) + (0 if buf[hi - 1] == 10 else 1)
        tagged = count(b" kernel: ", start, hi) + buf.startswith(b"kernel: ", start)
        stamped = (count(b"\n[", start, hi) + count(b"\n<", start, hi) + (buf[start] in (60, 91))
                   + count(b",-;", start, hi) + count(b",c;", start, hi) + count(b",+;", start, hi))
        cont = count(b"\n ", start, hi) + count(b"\n\t", start, hi) + (buf[start] in (9, 32))
        if 2 * cont > lines:
            cont = 0        # not continuation lines: an indented copy of a log
        # journal output of the kernel ("[uptime] host kernel: ...") counts its
        # lines by their tag; dmesg's by their stamp
        kernel = (tagged if tagged else stamped) + cont
        user_tag = any(buf.find(t, start, hi) >= 0 for t in (b"systemd-oomd[", b"earlyoom[", b"nohang["))
        self._mixed = user_tag or kernel < lines
        self._untagged = False
        if self._mixed:
            # untagged lines: a program's own output (its stderr, docker logs)
            p, n = start, 0
            while p < hi and n < 400:
                q = buf.find(b"\n", p, hi)
                q = hi if q < 0 else q
                line = bytes(buf[p:min(q, p + 512)]).decode("utf-8", "replace")
                if line.strip():
                    info = split_prefix(line, self.reference_time, self.utc_offset)
                    if info.ident is None and info.fmt in UNTAGGED_FORMATS:
                        self._untagged = True
                        break
                    n += 1
                p = q + 1

    def _userspace_lines(self, buf, start, end, out):
        find, rfind = buf.find, buf.rfind
        anchors = self._TAGGED_ANCHORS + (self._UNTAGGED_ANCHORS if self._untagged else ())
        for lit in anchors:
            pos = find(lit, start, end)
            while pos >= 0:
                ls = self._line_start(buf, start, pos)
                le = find(b"\n", pos, end)
                le = end if le < 0 else le
                out.append(ls)
                if lit == b"to the victim":
                    # nohang's victim lines before its kill
                    b = rfind(b"highest badness", max(start, ls - self._NOHANG_BACK), ls)
                    b2 = rfind(b"Victim is ", max(start, ls - self._NOHANG_BACK), ls)
                    b = max(b, b2)
                    if b >= 0:
                        p = self._line_start(buf, start, b)
                        while p < ls:
                            out.append(p)
                            q = find(b"\n", p, ls)
                            p = ls if q < 0 else q + 1
                elif lit in (b"oomd", b"OOM killer") and (
                        find(b"illed", ls, le) >= 0 or find(b"for killing", ls, le) >= 0):
                    # a kill or systemd's line about one (not "Starting
                    # systemd-oomd.service"): the unit's result follows it
                    hi = min(end, le + self._FAILED_AFTER)
                    q = find(b"'oom-kill'", le, hi)
                    while q >= 0:
                        out.append(self._line_start(buf, start, q))
                        q = find(b"'oom-kill'", q + 10, hi)
                if le >= end:
                    break
                pos = find(lit, le, end)

    def _continues(self, buf, ls, end):
        """True when the line at ``ls`` continues the line before it (indented,
        and no stamp or line number after the blanks)."""
        if buf[ls] not in (32, 9):
            return False
        q = buf.find(b"\n", ls, min(end, ls + 160))
        head = bytes(buf[ls:q if q >= 0 else min(end, ls + 160)]).decode("utf-8", "replace")
        return is_continuation(head)

    def _scan_parts(self, buf, start, end):
        """Scan buf[start:end] in parts of about _PART bytes cut at line ends, so that
        the list of lines to feed stays small whatever the lines hold."""
        while start < end:
            stop = end
            if end - start > _PART:
                nl = buf.find(b"\n", start + _PART, end)
                stop = end if nl < 0 else nl + 1
            self._scan(buf, start, stop)
            start = stop

    def _scan(self, buf, start, end):
        """Find the interesting lines of buf[start:end] (whole lines) and feed them."""
        find, rfind = buf.find, buf.rfind
        anchor = self._ANCHOR
        starts = []
        prev = start
        if self.kernel._await_pid:
            # a header at the very end of the previous chunk
            self._pid_line(buf, start, end, starts)
        first = True
        reap_after = self._REAP_AFTER
        reap_from = start
        if self._reap_carry:
            # the reaper's line of a kill at the end of the previous part
            reap_from = min(end, start + self._reap_carry)
            self._reaped(buf, start, start, reap_from, starts)
            self._reap_carry = 0
        pos = find(anchor, start, end)
        while pos >= 0:
            ls = self._line_start(buf, start, pos)
            le = find(b"\n", pos, end)
            le = end if le < 0 else le
            self._context(buf, prev, ls, starts, first=first)
            first = False
            starts.append(ls)
            prev = le + 1
            hi = le + reap_after
            if hi > end:
                self._reap_carry = hi - end
                hi = end
            if hi > reap_from:
                self._reaped(buf, start, max(le, reap_from), hi, starts)
                reap_from = hi
            pos = find(anchor, le, end)
        # Context after the last kill belongs to a kill in the next chunk.
        if prev < end:
            self._context(buf, prev, end, starts, tail=True, first=first)
        if self._mixed is None:
            self._classify(buf, start, end)
        if self._mixed:
            self._userspace_lines(buf, start, end, starts)
        done = start        # lines before this offset were fed already
        fed_to = -1         # end of the last block fed
        for ls in sorted(set(starts)):
            if ls < done:
                continue
            if ls > start and self._continues(buf, ls, end):
                # an indented line: feed its block from the line it continues
                ps = ls
                while ps > start and ls - ps < _MAX_BLOCK:
                    ps = max(rfind(b"\n", start, ps - 1) + 1, start)
                    if not self._continues(buf, ps, end):
                        break
                ls = max(ps, done)
            le = find(b"\n", ls, end)
            le = end if le < 0 else le
            # and the indented lines that follow it
            nxt = le + 1
            while nxt < end and nxt - ls < _MAX_BLOCK and self._continues(buf, nxt, end):
                q = find(b"\n", nxt, end)
                le = end if q < 0 else q
                nxt = le + 1
            if ls != fed_to:
                self._break()
            p = ls
            while p <= le and p < end:
                q = find(b"\n", p, le)
                q = le if q < 0 else q
                self.feed(buf[p:min(q, p + _MAX_LINE_BYTES)])
                p = q + 1
            fed_to = le + 1
            done = le + 1
        # the state machine sees the last line now: a header at the end of this
        # chunk asks for the stack dump's PID line in the next one
        self._break()


# ---------------------------------------------------------------------------
# Collecting events from one or more sources

# This many recent kills are remembered to drop the same kill read from a second
# source: a key and three times each (about 200 bytes), whatever the number of kills.
DEDUPE_WINDOW = 32768

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
        if kernel and self.boot_time is not None and epoch is not None and epoch >= self.boot_time - 1:
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


def public(ev):
    """A copy of an event without the parser's private keys, its derived fields filled."""
    out = {k: v for k, v in ev.items() if not k.startswith("_")}
    sweep = ev.get("_sweep")
    if sweep is None and "_twin" in ev:
        sweep = ev["_twin"].get("_sweep")
    if sweep is not None:
        # a memory.oom.group sweep: its group, and systemd's lines about it on every kill
        out["group"] = sweep.public()
        if sweep.unit_result and not out.get("unit_result"):
            out["unit_result"] = sweep.unit_result
        if sweep.unit_oom_logged:
            out["unit_oom_logged"] = True
    if out.get("time") is None:
        out["time"] = iso_utc(ev.get("_epoch"))
    path = out.get("memcg") or out.get("oom_memcg")
    if path:
        out["unit"] = cgroup_unit(path)
        out["container_id"] = cgroup_container_id(path)
        out["pod_uid"] = cgroup_pod_uid(path)
    return out

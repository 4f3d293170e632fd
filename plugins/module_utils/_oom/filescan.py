# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the file fast path of the scanner.

A binary file is read in large chunks; the lines that can matter to the parser
(kills, their reports, the oom_reaper's and the userspace killers' lines) are
found with fast literal searches and only those are handed to the parser's one
line path, in file order. Pure: no host access beyond the file object given.
"""

from __future__ import annotations

import re

from ansible_collections.sre.oom.plugins.module_utils._oom.formats import (
    MAX_LINE_BYTES, UNTAGGED_FORMATS, is_continuation, split_prefix)

_NOT_NUL = re.compile(b"[^\x00]")
# How far (bytes) a block of indented continuation lines is followed.
_MAX_BLOCK = 65536
# A file is read in chunks of this many bytes, into one reused buffer: small
# enough to be still in the CPU's cache when it is searched after the read, and
# to cost little to allocate (bytearray zeroes it), large enough that the reads
# themselves cost nothing (an 8 MiB chunk parsed the bench log 6 % slower).
_CHUNK = 2 << 20
# The fast path chooses lines in parts of this many bytes of a chunk.
_PART = 1 << 20


class FileScan(object):
    """The file fast path, a base of ``scanner.OomLogParser``.

    It chooses lines and hands them to the parser's ``feed`` (the one place where
    lines are decoded and joined) and ``_break``; it reads the parser's ``kernel``
    state machine and ``reference_time``, and keeps its own state in ``bytes``,
    ``_mixed``, ``_untagged``, ``_reap_carry``, ``_group_carry`` and
    ``_failed_carry`` (set by the parser).
    """

    def feed_file(self, fileobj):
        """Parse a binary file object without decoding every line.

        The file is read in large chunks into one reused buffer; the lines that can
        matter are located with fast literal searches and only those are decoded
        and fed to the state machine, in file order. Memory stays bounded by
        the chunk (``_CHUNK``) whatever the size of the file (a longer line is cut).
        """
        buf = bytearray(_CHUNK)
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
    # The anchor is found through its first byte: find() of one byte is memchr,
    # several times faster over text than find() of the literal, whose common
    # letters and blank leave its skip table little to skip, and a kernel log
    # holds few capital Ks. In a part with more than one false "K" per KiB (past
    # the first _K_MISSES) the literal is searched for instead.
    _K_MISSES = 256
    _REAP = b"reaped process"
    _REAP_AFTER = 8192
    _LOOKBACK = 4 << 20        # how far before a kill its OOM header may sit
    _NEAR = 4096               # how far before a kill its summary / "Kill process" line may sit
    # the kernel's whole literal: a long needle is found at twice the speed of a short one
    _GROUP = b" are going to be killed due to memory.oom.group set"
    _ENDS_SWEEP = (b"invoked oom-killer", b"oom-kill:", b" child", b"killed as a result of limit")
    # The group line is looked for in the _GROUP_AFTER bytes after each kill, as
    # the reaper's line is, not in the whole gap to the next kill. The kernel
    # prints it right after the kill line, from the same task (mm/oom_kill.c:
    # oom_kill_process calls __oom_kill_process, then mem_cgroup_print_oom_group;
    # neither sleeps) and under oom_lock, so no other OOM's lines come between:
    # only other CPUs' messages (about 80 lines of them fill 8 KiB), the
    # oom_reaper's line and at most one "has mm pinned by" line. A group line
    # further from its kill is not read by this path (the line path, which
    # reads every line, takes it within _GROUP_MAX_GAP seconds).
    _GROUP_AFTER = 8192

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

    def _grouped(self, buf, lo, hi, out):
        """Add the memory.oom.group lines in buf[lo:hi], the window after a kill
        (``lo``: right after it, or the start of a part) where its sweep's "Tasks
        in <cgroup> are going to be killed ..." line may be (the first of the
        sweep's kills ends it)."""
        find, rfind = buf.find, buf.rfind
        t = find(self._GROUP, lo, hi)
        if t >= 0:
            self._sweep_ends(buf, lo, t, hi, out)
        while t >= 0:
            out.append(max(rfind(b"\n", lo, t) + 1, lo))
            t = find(self._GROUP, t + len(self._GROUP), hi)

    def _sweep_ends(self, buf, lo, hi, end, out):
        """Add the lines in buf[lo:hi] that may be a new OOM's report lines (and a
        header's PID line, before ``end``): after a kill, they mean that a group
        line that follows is not its own. They are fed, so that the state machine
        decides as in line mode."""
        find, rfind = buf.find, buf.rfind
        for lit in self._ENDS_SWEEP:
            q = find(lit, lo, hi)
            while q >= 0:
                out.append(max(rfind(b"\n", lo, q) + 1, lo))
                if lit == b"invoked oom-killer":
                    nl = find(b"\n", q, end)
                    if nl >= 0:
                        self._pid_line(buf, nl + 1, end, out)
                q = find(lit, q + len(lit), hi)

    def _kills(self, buf, start, end):
        """The positions of the anchor in buf[start:end], in order."""
        find, startswith, anchor = buf.find, buf.startswith, self._ANCHOR
        tail, tail_byte = len(anchor) - 1, anchor[-1]
        last = end - len(anchor) + 1      # an anchor starts before this
        found = []
        misses = 0
        limit = self._K_MISSES      # raised as the search goes on, by one a KiB
        p = find(b"K", start, last)
        while p >= 0:
            # its last byte first: cheaper than a call, and most Ks fail there
            if buf[p + tail] == tail_byte and startswith(anchor, p):
                found.append(p)
                p += len(anchor)
            else:
                misses += 1
                if misses > limit:
                    limit = self._K_MISSES + ((p - start) >> 10)
                    if misses > limit:
                        return found + self._literals(buf, p, end)
                p += 1
            p = find(b"K", p, last)
        return found

    def _literals(self, buf, p, end):
        """The positions of the anchor in buf[p:end], found by find() alone."""
        find, anchor = buf.find, self._ANCHOR
        found = []
        p = find(anchor, p, end)
        while p >= 0:
            found.append(p)
            p = find(anchor, p + len(anchor), end)
        return found

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
    # A part of a file found kernel-only so far is checked again on its last
    # _TAIL bytes (some 20 lines): other programs' lines after a flood of kernel
    # lines (a firewall's, or a big machine's boot) make the file mixed from that
    # part on. About 3 % more time on a 200 MB dmesg log.
    _TAIL = 2 << 10

    def _classify_part(self, buf, start, end):
        """Classify the file on its first part's head, and a file still kernel-only
        on the tail of each part."""
        if self._mixed is None:
            self._classify(buf, start, min(end, start + self._HEAD))
        if not self._mixed and end - start > self._TAIL:
            nl = buf.find(b"\n", end - self._TAIL, end)
            if 0 <= nl < end - 1:
                self._classify(buf, nl + 1, end)

    def _classify(self, buf, start, hi):
        """Decide, from buf[start:hi] (whole lines: the first 256 KiB of the file,
        or the tail of a part), whether the file can hold userspace killers'
        lines at all, and whether it holds untagged lines.

        A file of kernel lines only (kern.log, dmesg in any of its formats,
        /dev/kmsg records, ``journalctl -k`` output) is never searched for them:
        every line there carries the "kernel:" tag, or a dmesg stamp with no
        tag after it (or is a continuation line), and none names a userspace
        killer in its tag. Counted with C-speed ``count``s on a few KiB a part.
        """
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
                    info = split_prefix(line, self.reference_time)
                    if info.ident is None and info.fmt in UNTAGGED_FORMATS:
                        self._untagged = True
                        break
                    n += 1
                p = q + 1

    def _userspace_lines(self, buf, start, end, out):
        find, rfind = buf.find, buf.rfind
        anchors = self._TAGGED_ANCHORS + (self._UNTAGGED_ANCHORS if self._untagged else ())
        if self._failed_carry:
            # the unit's result after a kill line at the end of the previous part
            self._results(buf, start, start, min(end, start + self._failed_carry), out)
            self._failed_carry = 0
        for lit in anchors:
            # windows of consecutive kill lines overlap: each is searched from where
            # the last one ended (less a needle, for a line across the edge)
            results_to = back_to = start
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
                        p = max(self._line_start(buf, start, b), back_to)
                        back_to = ls
                        while p < ls:
                            out.append(p)
                            q = find(b"\n", p, ls)
                            p = ls if q < 0 else q + 1
                elif lit in (b"oomd", b"OOM killer") and (
                        find(b"illed", ls, le) >= 0 or find(b"for killing", ls, le) >= 0):
                    # a kill or systemd's line about one (not "Starting
                    # systemd-oomd.service"): the unit's result follows it
                    hi = le + self._FAILED_AFTER
                    if hi > end:
                        self._failed_carry = max(self._failed_carry, hi - end)
                    lo = max(le, results_to - len(self._RESULT) + 1)
                    results_to = min(end, hi)
                    if results_to > lo:
                        self._results(buf, start, lo, results_to, out)
                if le >= end:
                    break
                pos = find(lit, le, end)

    _RESULT = b"'oom-kill'"

    def _results(self, buf, start, lo, hi, out):
        """Add the starts of systemd's "Failed with result 'oom-kill'" lines in buf[lo:hi]."""
        find, result = buf.find, self._RESULT
        q = find(result, lo, hi)
        while q >= 0:
            out.append(self._line_start(buf, start, q))
            q = find(result, q + len(result), hi)

    def _continues(self, buf, ls, end):
        """True when the line at ``ls`` continues the line before it (indented,
        and no stamp or line number after the blanks)."""
        if buf[ls] not in (32, 9):
            return False
        q = buf.find(b"\n", ls, min(end, ls + 160))
        head = bytes(buf[ls:q if q >= 0 else min(end, ls + 160)]).decode("utf-8", "replace")
        return is_continuation(head)

    def _feed_lines(self, buf, start, end, starts):
        """Feed the lines of buf[start:end] that begin at ``starts``, in file order,
        each once, with the indented lines that continue them (and, for an
        indented line, the line it continues)."""
        find, rfind, feed, continues = buf.find, buf.rfind, self.feed, self._continues
        done = start        # lines before this offset were fed already
        fed_to = -1         # end of the last block fed
        for ls in sorted(set(starts)):
            if ls < done:
                continue
            if ls > start and continues(buf, ls, end):
                # an indented line: feed its block from the line it continues
                ps = ls
                while ps > start and ls - ps < _MAX_BLOCK:
                    ps = max(rfind(b"\n", start, ps - 1) + 1, start)
                    if not continues(buf, ps, end):
                        break
                ls = max(ps, done)
            if ls != fed_to:
                self._break()
            # the line, and the indented lines that follow it
            block = ls
            while True:
                le = find(b"\n", ls, end)
                le = end if le < 0 else le
                text = ls
                if buf[ls] == 0:
                    # NULs before a line (a file recovered after a crash): the line follows them
                    m = _NOT_NUL.search(buf, ls, le)
                    text = m.start() if m else le
                feed(buf[text:min(le, text + MAX_LINE_BYTES)])
                ls = le + 1
                if ls >= end or ls - block >= _MAX_BLOCK or not continues(buf, ls, end):
                    break
            fed_to = done = ls

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
        find = buf.find
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
        # the window of the last kill's group line: at first the rest of the
        # window of a kill at the end of the previous part
        group_to = start + self._group_carry
        self._group_carry = 0
        group_after = self._GROUP_AFTER
        for pos in self._kills(buf, start, end):
            if pos < prev:
                continue        # a second anchor in the same kill line
            ls = self._line_start(buf, start, pos)
            le = find(b"\n", pos, end)
            le = end if le < 0 else le
            if group_to > prev:
                self._grouped(buf, prev, min(ls, group_to), starts)
            self._context(buf, prev, ls, starts, first=first)
            first = False
            starts.append(ls)
            prev = le + 1
            group_to = prev + group_after
            hi = le + reap_after
            if hi > end:
                self._reap_carry = hi - end
                hi = end
            if hi > reap_from:
                # from where the last kill's window ended, less a needle: a line
                # across that edge is in neither window otherwise
                self._reaped(buf, start, max(le, reap_from - len(self._REAP) + 1), hi, starts)
                reap_from = hi
        if group_to > prev:
            self._grouped(buf, prev, min(end, group_to), starts)
            if group_to > end:
                # the window goes on in the next part: the lines here that would
                # end the sweep before its group line there are fed now
                self._group_carry = group_to - end
                self._sweep_ends(buf, prev, end, end, starts)
        # Context after the last kill belongs to a kill in the next chunk.
        if prev < end:
            self._context(buf, prev, end, starts, tail=True, first=first)
        if not self._mixed:
            self._classify_part(buf, start, end)
        if self._mixed:
            self._userspace_lines(buf, start, end, starts)
        self._feed_lines(buf, start, end, starts)
        # the state machine sees the last line now: a header at the end of this
        # chunk asks for the stack dump's PID line in the next one
        self._break()

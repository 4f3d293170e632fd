# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the scanner, lines or files in, events out.

This file is pure: text or bytes in, event dicts out. No host access happens here
apart from reading a file object handed in by the caller.

Streaming entry point (also used by the EDA event source): ``OomLogParser(sink,
source=..., boot_time=..., reference_time=...)``, its
``feed(line)`` (str or bytes, one log line) and ``flush()``, and ``public(ev)``.
The file fast path (``feed_file``) is ``filescan.FileScan``; the collector of
events from several sources is ``collector.EventCollector``.
"""

from __future__ import annotations

import time

from ansible_collections.sre.oom.plugins.module_utils._oom.cgroup import (
    cgroup_container_id, cgroup_pod_uid, cgroup_unit)
from ansible_collections.sre.oom.plugins.module_utils._oom.filescan import FileScan
from ansible_collections.sre.oom.plugins.module_utils._oom.formats import (
    JOURNALISH, MAX_LINE, MAX_LINE_BYTES, UNTAGGED_FORMATS, USERSPACE_IDENTS, is_continuation, iso_utc,
    split_prefix)
from ansible_collections.sre.oom.plugins.module_utils._oom.kernel import KernelMessages
from ansible_collections.sre.oom.plugins.module_utils._oom.userspace import UserspaceMessages


# What the indented lines after a line of each format are: a kmsg record's
# dictionary, the rest of a journal message, of a Python program's log record.
_HELD_KIND = dict([("kmsg", "kmsg"), ("pylog", "pylog")] + [(fmt, "journal") for fmt in JOURNALISH])


class OomLogParser(FileScan):
    """Streaming parser: feed lines (or a binary file), receive events.

    ``sink`` is called with each event dict as soon as its kill line is seen; an
    ``oom_reaper`` line or systemd's unit lines seen later complete that same dict.
    ``boot_time`` (epoch) turns uptimes into times; give it only for sources that
    hold the current boot (kmsg, dmesg). ``reference_time`` anchors the year of RFC
    3164 stamps; wall-clock stamps without an offset are in the host's zone.
    ``boot_id``, for a source of one boot,
    keeps its kills apart from another boot's with the same uptimes.

    Lines are joined and decoded in one place, ``feed``: the file fast path
    (``feed_file``) only chooses which lines to feed.
    """

    def __init__(self, sink, source=None, boot_time=None, reference_time=None, boot_id=None):
        self.sink = sink
        self.source = source
        self.boot_time = boot_time
        self.boot_id = boot_id
        self.reference_time = reference_time if reference_time is not None else time.time()
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
        self._failed_carry = 0     # feed_file: ... where a unit's "Failed with result" line may be
        self._group_carry = 0      # feed_file: ... where a memory.oom.group line may be

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
        if raw[:1] in (b"\x00", "\x00"):
            # a file recovered after a crash: the lost end is NULs, and the next
            # boot's first line follows them; the line is what comes after
            raw = raw.lstrip(b"\x00" if isinstance(raw, (bytes, bytearray)) else "\x00")
        if not isinstance(raw, str):
            raw = str(raw[:MAX_LINE_BYTES], "utf-8", "replace")
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
        info = split_prefix(line, self.reference_time)
        self._held_kind = _HELD_KIND.get(info.fmt)
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

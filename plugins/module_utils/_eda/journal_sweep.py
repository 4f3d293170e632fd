# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the per-file sweep of a journal directory. Not a public API.

What the journal follower of a directory cannot show (an entry that reached the
collector after a newer entry of another host), read from each host's file.
"""

from __future__ import annotations

import json
import logging
import os

from ansible_collections.sre.oom.plugins.module_utils._eda import system
from ansible_collections.sre.oom.plugins.module_utils._eda.errors import OomKillsError
from ansible_collections.sre.oom.plugins.module_utils._eda.journal_state import cursor_key


LOG = logging.getLogger("sre.oom.oom_kills")


class Sweeper(object):
    """Reads each host's journal file of a directory after its own cursor.

    `journalctl -f --merge` over a directory shows entries in time order and goes
    on after the last one shown: an entry that reaches the collector later than a
    newer entry of another host (a slow or returning uploader, a host's clock
    behind) is never shown. The sweep reads every file that changed since the last
    sweep with `journalctl --file FILE --after-cursor` (the file's own order), and
    hands on what the follower did not (`state.seen`). A file replaced under its
    name (rotated) is read to its end under its new name first.
    """

    def __init__(self, journalctl, directory, matches, state, boot_id, api, started):
        self.journalctl = journalctl
        self.directory = directory
        self.matches = matches
        self.state = state
        self.boot_id = boot_id
        self.api = api
        self.started = started
        self.last = {}          # path -> (ino, size, mtime) at the last sweep

    async def _read(self, path, cursor, since, groups):
        argv = [self.journalctl, "-q", "--no-pager", "--file", path, "-o", "json"]
        if cursor:
            argv += ["--after-cursor", cursor]
        elif since is not None:
            argv += ["--since", "@%.6f" % since]
        rc, out, err = await system.run(argv + self.matches, timeout=120)
        if rc != 0 and not out:
            LOG.warning("sre.oom.oom_kills: journalctl --file %s failed (rc %s): %s", path, rc, err.strip()[:300])
            return cursor, 0
        n = 0
        for text in out.split("\n"):           # not splitlines(): U+2028 and the like are raw in a record
            try:
                rec = json.loads(text)
            except ValueError:
                continue
            cur = rec.get("__CURSOR") if isinstance(rec, dict) else None
            if not isinstance(cur, str):
                continue
            cursor = cur
            self.state.note_swept(cur)
            key = cursor_key(cur)
            if key in self.state.seen:
                del self.state.seen[key]          # the follower handled it
                continue
            machine = rec.get("_HOSTNAME") if isinstance(rec.get("_HOSTNAME"), str) and rec.get("_HOSTNAME") else None
            lines = list(self.api.journal_lines(text, self.boot_id))
            if lines:
                n += 1
                groups.setdefault(machine, []).extend(lines)
        return cursor, n

    async def _tail(self, path):
        """(ok, the cursor of the last entry of a file): None for a file without entries."""
        rc, out, _err = await system.run([self.journalctl, "-q", "--no-pager", "--file", path, "-n", "0",
                                          "--show-cursor"], timeout=120)
        tail = [line[len("-- cursor: "):].strip() for line in out.splitlines() if line.startswith("-- cursor: ")]
        return rc == 0, (tail[-1] if tail else None)

    async def sweep(self, start_now=False):
        """({machine: lines}, records handed on) of every changed file; state.files updated.

        `start_now` (the first sweep of start: now without a saved state): each file
        present is taken from its end as it is now (its last entry's cursor), so only
        what reaches it after the source started is handed on, whatever the hosts'
        clocks say. A file that appears later is read from its start: all of it
        reached the collector after the source started.
        """
        groups = {}
        found = 0
        try:
            entries = [e for e in os.scandir(self.directory) if e.name.endswith(".journal") and e.is_file()]
        except OSError as exc:
            raise OomKillsError("sre.oom.oom_kills: journal_directory %s cannot be read: %s"
                                % (self.directory, exc.strerror or exc))
        stats = {}
        for entry in entries:
            try:
                stats[entry.path] = entry.stat()
            except OSError:
                continue              # gone meanwhile
        files = self.state.files
        # A file archived under another name (journald and journal-remote rename
        # NAME.journal to NAME@....journal and start a new NAME.journal) keeps its
        # inode: its record goes with it, so it is read on after its cursor under
        # its new name, not again from its start; the new file under the old name
        # is a new file.
        by_ino = {rec["ino"]: path for path, rec in files.items()}
        moved = {}
        for path, st in stats.items():
            rec = files.get(path)
            if rec is not None and rec["ino"] == st.st_ino:
                continue
            old = by_ino.get(st.st_ino)
            if old is not None and old != path and getattr(stats.get(old), "st_ino", None) != st.st_ino:
                moved[path] = old
        kept = {}
        gone = set(moved.values())
        for path, rec in files.items():
            st = stats.get(path)
            if path in gone or st is None or rec["ino"] != st.st_ino:
                # moved away, deleted (vacuumed: kept, the state would grow with every
                # rotation), or a new file under a known name (the old one archived or gone)
                continue
            kept[path] = rec
        for path, old in moved.items():
            kept[path] = files[old]
        if kept != files:
            for path in set(files) - set(kept) | set(moved):
                self.last.pop(path, None)
            files.clear()
            files.update(kept)
            self.state.dirty = True
        for path in [p for p in self.last if p not in stats]:
            del self.last[path]
        # the files read on first (the rest of an archived one before its successor), then the new ones
        for path in sorted(stats, key=lambda p: (p not in files, os.path.basename(p))):
            st = stats[path]
            sig = (st.st_ino, st.st_size, st.st_mtime_ns)
            if self.last.get(path) == sig:
                continue
            rec = files.get(path)
            if rec is None:
                # a host not seen before: all of it, or (start: now, at start) after its end now
                rec = {"ino": st.st_ino, "cursor": None, "since": None}
                if start_now:
                    ok, tail = await self._tail(path)
                    if tail:
                        rec["cursor"] = tail
                        self.state.note_swept(tail)
                    elif not ok:
                        rec["since"] = self.started      # unreadable end: by time instead
            cursor, n = await self._read(path, rec["cursor"], rec["since"], groups)
            found += n
            if cursor != rec["cursor"] or path not in files:
                rec = {"ino": st.st_ino, "cursor": cursor, "since": rec["since"] if cursor is None else None}
                files[path] = rec
                self.state.dirty = True
            self.last[path] = sig
        return groups, found

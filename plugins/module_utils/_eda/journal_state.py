# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: where the EDA source is in the journal. Not a public API.

The journal cursor of the last record handled, per-file cursors of a journal
directory, and the state file that keeps them across restarts (written atomically).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time

from ansible_collections.sre.oom.plugins.module_utils._eda import readers, system
from ansible_collections.sre.oom.plugins.module_utils._eda.errors import OomKillsError

LOG = logging.getLogger("sre.oom.oom_kills")


MAX_SEEN = 100000           # records the follower handled ahead of the per-file sweep (bounded)
MAX_STATE = 64 << 20


def _cursor_parts(cursor):
    """(sequence-number id, sequence number) of a journal cursor: an entry's identity."""
    parts = dict(p.split("=", 1) for p in cursor.split(";") if "=" in p)
    seq = parts.get("i", "")
    return parts.get("s", ""), int(seq, 16) if seq and all(c in "0123456789abcdef" for c in seq) else -1


def cursor_key(cursor):
    """An entry's identity as text, the key of `JournalState.seen`."""
    return "%s;%x" % _cursor_parts(cursor)


class JournalState(object):
    """Where the source is in the journal, and the file that keeps it across restarts.

    `cursor`: the follower's last record (the local journal). For a journal
    directory also `files` ({path: {"ino", "cursor", "since"}}: how far each host's
    file was swept) and `seen` (the records the follower already handled beyond
    those file cursors, so that a sweep does not deliver them twice).
    """

    def __init__(self, path):
        # a symlink is followed: the state is kept where it points (a persistent volume),
        # and the atomic rename replaces the file there, not the link
        self.path = os.path.realpath(path) if path else path
        self.save_failed = None     # why the last save failed (the source goes on)
        self.cursor = None
        self.files = {}
        self.seen = {}
        self.swept = {}         # sequence-number id -> the highest number a sweep handled
        self.dirty = False

    def note_swept(self, cursor):
        sid, seq = _cursor_parts(cursor)
        if seq > self.swept.get(sid, -1):
            self.swept[sid] = seq

    def was_swept(self, cursor):
        sid, seq = _cursor_parts(cursor)
        return seq <= self.swept.get(sid, -1)

    def load(self):
        """Read the state file (nothing when there is none); a clear error when unusable."""
        if not self.path:
            return None
        try:
            # without blocking: a FIFO under that name would hang the event loop
            f, _st = readers.open_regular(self.path)
            with f:
                raw = f.read(MAX_STATE)
        except FileNotFoundError:
            self.check_writable()
            return None
        except OSError as exc:
            raise OomKillsError("sre.oom.oom_kills: cannot read state_file %s: %s" % (self.path, exc.strerror or exc))
        try:
            text = raw.decode("utf-8")
            data = json.loads(text)
            cursor = data.get("cursor")
            files = data.get("files") or {}
            seen = data.get("seen") or []
            if cursor is not None and (not isinstance(cursor, str) or not cursor.startswith("s=") or "\n" in cursor):
                raise ValueError(cursor)
            if cursor is None and not files:
                raise ValueError("no cursor")
            if not isinstance(files, dict) or not isinstance(seen, list):
                raise ValueError("files, seen")
            for path, rec in files.items():
                if not isinstance(rec, dict) or not isinstance(rec.get("ino"), int) \
                        or not isinstance(rec.get("cursor"), (str, type(None))) \
                        or not isinstance(rec.get("since"), (int, float, type(None))):
                    raise ValueError(path)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise OomKillsError("sre.oom.oom_kills: state_file %s does not hold a journal cursor written by this "
                                "source (JSON with a key cursor); move it away to start from start=%s"
                                % (self.path, "now"))
        self.check_writable()
        self.cursor = cursor
        self.files = files
        self.seen = dict.fromkeys(str(k) for k in seen)
        for rec in files.values():
            if rec["cursor"]:
                self.note_swept(rec["cursor"])
        return cursor

    def check_writable(self):
        directory = os.path.dirname(self.path) or "."
        if not os.path.isdir(directory) or not os.access(directory, os.W_OK | os.X_OK):
            raise OomKillsError("sre.oom.oom_kills: state_file %s: its directory %s does not exist or is not "
                                "writable" % (self.path, directory))
        # os.access can say yes where a write fails (/sys, /proc, a read-only mount, an LSM):
        # try the temporary file that save() writes
        try:
            fd, tmp = tempfile.mkstemp(prefix=".oom_kills-state.", dir=directory)
            os.close(fd)
            os.unlink(tmp)
        except OSError as exc:
            raise OomKillsError("sre.oom.oom_kills: state_file %s: cannot write in its directory %s: %s"
                                % (self.path, directory, exc.strerror or exc))

    def note_seen(self, cursor):
        self.seen[cursor_key(cursor)] = None
        while len(self.seen) > MAX_SEEN:
            del self.seen[next(iter(self.seen))]
        self.dirty = True

    def save(self):
        """Write the state (atomically: a temporary file in the same directory, renamed).

        A save that fails while the source runs (a full disk, a directory gone) is said
        once, not raised: the events go on, the state stays in memory and is written with
        the next records; a restart before then starts from the state saved last."""
        if not self.path or not self.dirty:
            return
        try:
            self._write()
        except OSError as exc:
            why = exc.strerror or str(exc)
            if why != self.save_failed:
                LOG.warning("sre.oom.oom_kills: cannot save state_file %s: %s; the source goes on and saves it "
                            "with the next records (a restart before then starts from the state saved last)",
                            self.path, why)
            self.save_failed = why
            return
        if self.save_failed is not None:
            LOG.warning("sre.oom.oom_kills: state_file %s saved again", self.path)
            self.save_failed = None

    def _write(self):
        directory = os.path.dirname(self.path) or "."
        fd, tmp = tempfile.mkstemp(prefix=".oom_kills-state.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"cursor": self.cursor, "files": self.files, "seen": list(self.seen),
                           "saved_at": system.iso(time.time())}, f)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        self.dirty = False

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: one run's changes to managed files, and
their undo. Not a public API.

One plan, one transaction (used by oom_policy's files and oom_unit's drop-ins)
    ``_managed.look()`` is the plan-time view of a managed path: what is there,
    whether it carries the marker, and the refusals (a symlink, something that is
    not a regular file, a directory walk atomic_write() would refuse), each with a
    ``kind`` so that a module can word it for its options. A ``Change`` says what a run wants
    there; a ``Transaction`` stages, commits and removes Changes and, on a failure,
    undoes the committed ones in reverse order: previous content, mode and owner put
    back, files it created removed with the directories created for them.
"""

from __future__ import annotations

import collections
import errno
import os

from ansible_collections.sre.oom.plugins.module_utils import _atomic
from ansible_collections.sre.oom.plugins.module_utils._managed import _error


def missing_dirs(path, stop=None):
    """The ancestors of ``path`` (itself included) that do not exist, innermost first."""
    out = []
    probe = path
    while probe and probe != stop and not os.path.lexists(probe):
        out.append(probe)
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    return tuple(out)


def _rmdir_quiet(dirs):
    """Remove each of ``dirs`` (innermost first) that is empty; stop at the first that is not."""
    for d in dirs:
        try:
            os.rmdir(d)
        except FileNotFoundError:
            continue
        except OSError:
            break


Change = collections.namedtuple("Change", "path before_state after mode")
# before_state: file_state() at plan time (None: nothing there); after: the new text,
# None to remove the file; mode: the file's mode once written.


class Transaction(object):
    """One run's changes to managed files, committed one by one and undone together.

    ``stage()`` writes a Change's temporary file ahead (so that everything that can
    fail before the first rename fails first); ``commit()`` renames it into place (or
    writes it atomically when not staged, or removes the file); ``abort()`` drops what
    is staged; ``undo()`` puts back every committed Change, last first, and returns
    ``(restored paths, [(path, error)] that could not be restored)``.
    """

    def __init__(self, module):
        self.module = module
        self._staged = {}
        self._done = []
        self.leftovers = []        # [(path, OSError)]: what a removal's clean-up could not remove

    def stage(self, change):
        if change.after is not None:
            self._staged[change.path] = _atomic.stage(self.module, change.path, change.after, change.mode)

    def abort(self):
        # last staged first: an earlier one may have created a directory a later
        # one's temporary file is in
        for staged in reversed(list(self._staged.values())):
            staged.abort()
        self._staged = {}

    def commit(self, change, rmdir=None, stale=()):
        """Make ``change``; with ``rmdir`` (a removal), then remove ``stale`` (this
        collection's temporary files) and the directory ``rmdir`` when it is empty.

        Once the file is removed the change is made and recorded (so that ``undo``
        puts it back); the clean-up after it is best effort, and what it could not
        remove is in ``leftovers``."""
        pending = missing_dirs(os.path.dirname(change.path))
        if change.after is None:
            _atomic.remove(change.path)
            removed_dir = False
            if rmdir:
                try:
                    for tmp in stale:
                        _atomic.remove(tmp)
                    removed_dir = _rmdir_empty(rmdir)
                except OSError as exc:
                    self.leftovers.append((getattr(exc, "filename", None) or rmdir, exc))
            self._done.append((change, (), removed_dir))
            return
        try:
            if change.path in self._staged:
                created = self._staged.pop(change.path).commit()
            else:
                created = _atomic.atomic_write(self.module, change.path, change.after, change.mode)
        except OSError:
            _rmdir_quiet(pending)
            raise
        self._done.append((change, tuple(reversed(created or ())), False))

    def undo(self):
        restored, failed = [], []
        for change, created, _removed_dir in reversed(self._done):
            st = change.before_state
            try:
                if st is None:
                    _atomic.remove(change.path)
                    _rmdir_quiet(created)
                else:
                    _atomic.atomic_write(self.module, change.path, st["text"], st["mode"])
                    now = os.lstat(change.path)
                    if (now.st_uid, now.st_gid) != (st["uid"], st["gid"]):
                        os.chown(change.path, st["uid"], st["gid"])
                restored.append(change.path)
            except OSError as exc:
                failed.append((change.path, exc))
        self._done = []
        return restored, failed


def _rmdir_empty(directory):
    """rmdir ``directory``: True when removed, False when it is not empty or gone."""
    try:
        os.rmdir(directory)
        return True
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
            return False
        raise _error("remove directory", directory, exc)

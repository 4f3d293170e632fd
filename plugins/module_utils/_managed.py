# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: files that sre.oom manages. Not a public API."""

from __future__ import annotations

import os
import stat
import tempfile

# Every file sre.oom writes starts with a comment line holding this marker; a file
# without it is a user's file and is never overwritten or removed unasked.
MARKER = "Managed by sre.oom"


def header(what, comment="#"):
    """Return the marker header (two comment lines) for a managed file."""
    return "%s %s (%s). Local edits are overwritten.\n%s Edit the Ansible variables instead.\n" % (
        comment, MARKER, what, comment)


def has_marker(text):
    """True when ``text`` (a file's content) carries the sre.oom marker in its first lines."""
    for line in text.splitlines()[:5]:
        if MARKER in line:
            return True
    return False


class ManagedFileError(OSError):
    """A managed path cannot be read or written safely; str() names the path and why.

    A subclass of OSError so that callers which already report OS errors report
    these the same way.
    """


def file_state(path):
    """What is at ``path`` now, without following a symlink there.

    Returns None when nothing is there, else a dict: ``text`` (None unless a regular
    file), ``mode`` (permission bits), ``uid``, ``gid``, ``kind`` (``file``,
    ``symlink``, ``dir`` or ``other``).
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ManagedFileError("cannot inspect %s: %s" % (path, exc.strerror or exc))
    if stat.S_ISLNK(st.st_mode):
        kind = "symlink"
    elif stat.S_ISREG(st.st_mode):
        kind = "file"
    elif stat.S_ISDIR(st.st_mode):
        kind = "dir"
    else:
        kind = "other"
    text = read_text(path) if kind == "file" else None
    return {"text": text, "mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid, "kind": kind}


def attrs_drift(state, mode=0o644, uid=0, gid=0):
    """Human-readable differences between a file_state() and the managed owner/mode.

    An empty list means nothing to fix (or nothing there).
    """
    if not state or state["kind"] != "file":
        return []
    out = []
    if state["mode"] != mode:
        out.append("mode %04o -> %04o" % (state["mode"], mode))
    if (state["uid"], state["gid"]) != (uid, gid):
        out.append("owner %d:%d -> %d:%d" % (state["uid"], state["gid"], uid, gid))
    return out


def read_text(path):
    """Return the file's text, or None when it does not exist."""
    try:
        with open(path, "r", encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except FileNotFoundError:
        return None


def atomic_write(module, path, content, mode=0o644, dir_mode=0o755):
    """Write ``content`` to ``path`` atomically with ``mode``.

    The text goes to a temporary file in the target directory, is flushed to disk,
    then ``module.atomic_move`` replaces the target, so a reader sees the old file or
    the new one, never half of one. Missing parent directories are created with
    ``dir_mode``; the list of directories created is returned (outermost first).
    """
    directory = os.path.dirname(path) or "."
    created = []
    probe = directory
    while probe and not os.path.isdir(probe):
        created.insert(0, probe)
        probe = os.path.dirname(probe)
    for d in created:
        os.mkdir(d, dir_mode)
        os.chmod(d, dir_mode)
    fd, tmp = tempfile.mkstemp(prefix=".sre-oom-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        module.atomic_move(tmp, path, unsafe_writes=False)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    # atomic_move keeps the mode of a file it replaces; the managed mode is ours.
    os.chmod(path, mode)
    return created

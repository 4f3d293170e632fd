# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: files that sre.oom manages. Not a public API."""

from __future__ import annotations

import os
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

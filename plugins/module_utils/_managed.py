# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: files that sre.oom manages. Not a public API.

Ownership marker
    Every file sre.oom writes starts with the line returned by ``header()``::

        # Managed by sre.oom 0.1.0 (sre.oom.oom_policy). Local edits are overwritten.

    ``has_marker()`` accepts a file as sre.oom's only when its FIRST line is exactly
    such a line (any collection version, or none for files written by sre.oom 0.1.0,
    whose header had no version). A file that merely mentions the marker elsewhere,
    or in another form (``# NOT Managed by sre.oom``), is a user's file.

Inspecting
    ``look()`` is the plan-time view of a managed path: what is there, whether it
    carries the marker, and the refusals (a symlink, something that is not a regular
    file, a directory walk a write would refuse), each with a ``kind`` so that a
    module can word it for its options. Writing is ``_atomic``; one run's changes
    and their undo, ``_transaction``.
"""

from __future__ import annotations

import errno
import os
import re
import stat

# The collection's version, written into every header. tests/unit checks that it
# equals galaxy.yml's `version:`; bump both together.
VERSION = "0.3.0"

# Every file sre.oom writes starts with a comment line holding this marker; a file
# without it as its exact first line is a user's file and is never overwritten or
# removed unasked.
MARKER = "Managed by sre.oom"

# Comment leaders a header may use (systemd unit files and sysctl.d accept both).
_WHAT_RE = re.compile(r"[A-Za-z0-9_.-]+\Z")
_HEADER_RE = re.compile(
    r"[#;] Managed by sre\.oom"
    r"(?: [0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.+-]+)?)?"  # absent in 0.1.0's files
    r" \([A-Za-z0-9_.-]+\)\. Local edits are overwritten\.\Z")

# Linux limits: NAME_MAX for one path component, PATH_MAX for the whole path.
NAME_MAX = 255
PATH_MAX = 4095

FILE_MODE = 0o644
DIR_MODE = 0o755


def header(what):
    """Return the marker header (two ``#`` comment lines) for a managed file.

    ``what`` names the writer (``sre.oom.oom_policy``). ``has_marker`` also accepts
    the header written with ``;`` (both are comments in every file sre.oom writes).
    """
    if not _WHAT_RE.match(what or ""):
        raise ValueError("what must be a dotted name such as sre.oom.oom_policy, got %r" % (what,))
    return "# %s %s (%s). Local edits are overwritten.\n# Edit the Ansible variables instead.\n" % (
        MARKER, VERSION, what)


def writer(text):
    """The writer a managed file's header names (``sre.oom.oom_unit``), or None."""
    if not has_marker(text):
        return None
    first = text.partition("\n")[0]
    start, end = first.rfind("("), first.rfind(")")
    name = first[start + 1:end] if 0 <= start < end else ""
    return name if _WHAT_RE.match(name) else None


def body(text):
    """``text`` without its sre.oom header: what two managed files set is compared
    on this, so that a header of another version or writer is no reason to write a
    file again (and reload systemd, restart services)."""
    if not has_marker(text):
        return text
    rest = text.partition("\n")[2]
    second, _nl, after = rest.partition("\n")
    if second[:1] in ("#", ";") and second[1:].strip() == "Edit the Ansible variables instead.":
        return after
    return rest


def has_marker(text):
    """True only when ``text``'s first line is exactly an sre.oom header line.

    Headers of every sre.oom version count, including 0.1.0's (no version in it).
    """
    if not text:
        return False
    first = text.split("\n", 1)[0]
    return _HEADER_RE.match(first) is not None


class ManagedFileError(OSError):
    """A managed path cannot be read or written safely; str() names the path and why.

    A subclass of OSError so that callers which already report OS errors report
    these the same way.
    """

    def __init__(self, message, path=None, err=None, kind=None):
        super().__init__(err if err is not None else errno.EIO, message)
        self.message = message
        self.path = path
        # Why a path is refused, for callers that word refusals their own way:
        # symlink, not_file (at the path); parent_symlink, parent_link_owner,
        # parent_not_dir (on the way to it); None for an OS failure.
        self.kind = kind

    def __str__(self):
        return self.message


def _error(action, path, exc):
    """ManagedFileError for an OSError ``exc`` raised while doing ``action`` on ``path``."""
    if isinstance(exc, ManagedFileError):
        return exc
    reason = exc.strerror or str(exc)
    code = errno.errorcode.get(exc.errno or 0)
    if code:
        reason = "%s (%s)" % (reason, code)
    return ManagedFileError("cannot %s %s: %s" % (action, path, reason), path, exc.errno)


def check_path(path):
    """Refuse a path no file can have: relative, NUL, a component over NAME_MAX bytes.

    Raises ManagedFileError before anything is touched.
    """
    if not isinstance(path, str) or not path.startswith("/"):
        raise ManagedFileError("%r is not an absolute path" % (path,), path, errno.EINVAL)
    if "\0" in path:
        raise ManagedFileError("%r contains a NUL character" % (path,), path, errno.EINVAL)
    raw = path.encode("utf-8", "surrogateescape")
    if len(raw) > PATH_MAX:
        raise ManagedFileError("%s...: the path is %d bytes long, the limit is %d" % (
            path[:60], len(raw), PATH_MAX), path, errno.ENAMETOOLONG)
    for part in path.split("/"):
        size = len(part.encode("utf-8", "surrogateescape"))
        if size > NAME_MAX:
            raise ManagedFileError("cannot use the path %s%s...: a name in it is %d bytes long, the limit is %d" % (
                path[:path.find(part)], part[:40], size, NAME_MAX), path, errno.ENAMETOOLONG)


def check_parent(path):
    """Refuse, without changing anything, a path atomic_write() would refuse.

    Checks the names (check_path), that no existing ancestor is a regular file,
    that the directory holding ``path`` is not a symlink and that symlinks above it
    are root's or this user's. Missing directories are fine (they would be created).
    Raises ManagedFileError; returns None.
    """
    check_path(path)
    walked = ""
    parts = [p for p in os.path.dirname(path).split("/") if p]
    for i, name in enumerate(parts):
        walked += "/" + name
        try:
            st = os.lstat(walked)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise _error("inspect", walked, exc)
        if stat.S_ISLNK(st.st_mode):
            _check_link(walked, st, i == len(parts) - 1, walked, None)
            if not os.path.isdir(walked):
                raise ManagedFileError("cannot use %s as a directory: it is a symlink to something that is not "
                                       "a directory" % walked, walked, errno.ENOTDIR, "parent_not_dir")
        elif not stat.S_ISDIR(st.st_mode):
            raise ManagedFileError("cannot use %s as a directory: it exists and is not a directory" % walked,
                                   walked, errno.ENOTDIR, "parent_not_dir")


def _lstat(path):
    """os.lstat of ``path``, None when nothing is there, ManagedFileError on another failure."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _error("inspect", path, exc)


def file_state(path):
    """What is at ``path`` now, without following a symlink there.

    Returns None when nothing is there, else a dict: ``text`` (None unless a regular
    file), ``mode`` (permission bits), ``uid``, ``gid``, ``kind`` (``file``,
    ``symlink``, ``dir`` or ``other``).
    """
    st = _lstat(path)
    if st is None:
        return None
    if stat.S_ISLNK(st.st_mode):
        kind = "symlink"
    elif stat.S_ISREG(st.st_mode):
        kind = "file"
    elif stat.S_ISDIR(st.st_mode):
        kind = "dir"
    else:
        kind = "other"
    text = None
    if kind == "file":
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise _error("read", path, exc)
        with os.fdopen(fd, "r", encoding="utf-8", errors="surrogateescape", newline="") as f:
            try:
                text = f.read()
            except OSError as exc:
                raise _error("read", path, exc)
    return {"text": text, "mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid, "kind": kind}


def wanted_owner(state=None):
    """The owner a managed file must have: root:root when running as root.

    A module not running as root cannot give files away; there the file's current
    owner (from ``state``) is accepted.
    """
    if os.geteuid() == 0:
        return 0, 0
    if state:
        return state["uid"], state["gid"]
    return os.geteuid(), os.getegid()


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
    """Return the file's text, or None when it does not exist.

    Other failures raise the OSError as it is (callers report it with their own
    context); use file_state() for a managed path.
    """
    try:
        with open(path, "r", encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except FileNotFoundError:
        return None


# --- the symlink rule (check_parent here, the write's own walk in _atomic) ---------

def _check_link(walked, st, last, name, dir_fd):
    """The symlink rule of both directory walks: the directory holding a managed file
    is never a symlink; a symlink above it is followed only when root or this user
    owns it. ``name``/``dir_fd`` locate the link for reading where it points."""
    if last:
        raise ManagedFileError(
            "refusing to write into %s: it is a symlink (to %s), not a directory; "
            "sre.oom never writes through a symlink" % (walked, _readlink(name, dir_fd)), walked, errno.ELOOP,
            "parent_symlink")
    if not _trusted_link(st):
        raise ManagedFileError(
            "refusing to follow %s: a symlink owned by uid %d (only root's or this user's "
            "symlinks are followed above a managed file)" % (walked, st.st_uid), walked, errno.ELOOP,
            "parent_link_owner")


def _trusted_link(st):
    return st.st_uid in (0, os.geteuid())


def _readlink(name, fd):
    try:
        if fd is None:
            return os.readlink(name)
        return os.readlink(name, dir_fd=fd)
    except OSError:
        return "?"


def conf_files(host, dirs):
    """systemd's precedence of configuration drop-ins (its conf_files_list).

    ``{name: path}`` of the ``*.conf`` files in ``dirs`` (highest priority
    first; the host's paths, listed through ``host``, the host seam): of two files
    with the same name only the one in the earlier directory counts; hidden files are
    ignored, as systemd ignores them; a directory reached twice (through a symlink)
    is read once.
    """
    chosen = {}
    seen = set()
    for d in dirs:
        real = host.realpath(d)
        if real in seen:
            continue
        try:
            if not stat.S_ISDIR(host.stat(d).st_mode):
                continue
        except OSError:
            continue
        seen.add(real)
        for name in host.listdir(d):
            if name.endswith(".conf") and not name.startswith(".") and name not in chosen:
                chosen[name] = os.path.join(d, name)
    return chosen


# --- the plan-time view -------------------------------------------------------------

def look(path, parent=True):
    """The plan-time view of managed ``path`` (reads only): ``(state, managed)``.

    ``state`` is file_state() (None: nothing there); ``managed`` is True when a regular
    file there carries the marker. Raises ManagedFileError with ``kind`` ``symlink`` or
    ``not_file`` for what sits at ``path`` and, with ``parent``, the refusals of
    check_parent() (what a write would refuse, refused before anything changes).
    """
    if parent:
        check_parent(path)
    st = file_state(path)
    if st is not None and st["kind"] == "symlink":
        raise ManagedFileError("%s is a symlink; sre.oom never writes through a symlink" % path, path,
                               errno.ELOOP, "symlink")
    if st is not None and st["kind"] != "file":
        raise ManagedFileError("%s exists and is not a regular file (a %s)" % (
            path, "directory" if st["kind"] == "dir" else "device, socket or fifo"), path, errno.EEXIST, "not_file")
    return st, st is not None and has_marker(st["text"])


def drift(state, mode=FILE_MODE):
    """How a managed file's mode or owner differs from what sre.oom gives it (a list)."""
    uid, gid = wanted_owner(state)
    return attrs_drift(state, mode, uid, gid)

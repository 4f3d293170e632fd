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

Writing
    ``atomic_write()`` never writes through a symlink: a symlink at the target path,
    or as the directory that holds it, is refused with ManagedFileError. Symlinks
    further up (``/lib -> usr/lib``, ``/var/run -> /run``) are followed only when
    owned by root or by the user running the module, as the system's own layout is.
    The file is created next to the target (``O_EXCL|O_NOFOLLOW``, relative to an
    open directory descriptor), given its mode (and owner root:root when running as
    root) before it is renamed over the target, so no reader ever sees a half
    written file or the wrong mode; a temporary file is never left behind.
    Missing directories are created one by one, tolerating another process creating
    the same directory at the same moment. Every OS failure is raised as
    ManagedFileError naming the path and the reason.

One plan, one transaction (used by oom_policy's files and oom_unit's drop-ins)
    ``look()`` is the plan-time view of a managed path: what is there, whether it
    carries the marker, and the refusals (a symlink, something that is not a regular
    file, a directory walk atomic_write() would refuse), each with a ``kind`` so
    that a module can word it for its options. A ``Change`` says what a run wants
    there; a ``Transaction`` stages, commits and removes Changes and, on a failure,
    undoes the committed ones in reverse order: previous content, mode and owner put
    back, files it created removed with the directories created for them.
"""

from __future__ import annotations

import collections
import errno
import os
import re
import stat

# The collection's version, written into every header. tests/unit checks that it
# equals galaxy.yml's `version:`; bump both together.
VERSION = "0.2.0"

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

# stage() names its temporary files so; a run killed between creating one and
# renaming it leaves it behind (hidden, so systemd and sysctl ignore it).
_TEMP_RE = re.compile(r"\.sre-oom-[0-9a-f]{12}\.tmp\Z")


def header(what):
    """Return the marker header (two ``#`` comment lines) for a managed file.

    ``what`` names the writer (``sre.oom.oom_policy``). ``has_marker`` also accepts
    the header written with ``;`` (both are comments in every file sre.oom writes).
    """
    if not _WHAT_RE.match(what or ""):
        raise ValueError("what must be a dotted name such as sre.oom.oom_policy, got %r" % (what,))
    return "# %s %s (%s). Local edits are overwritten.\n# Edit the Ansible variables instead.\n" % (
        MARKER, VERSION, what)


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


# --- writing ------------------------------------------------------------------------

_O_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


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


def _open_parent(directory, created):
    """Open ``directory`` component by component and return its descriptor.

    Missing components are created (and appended to ``created``); a component
    another process creates at the same moment is simply used. The last component
    must be a real directory, not a symlink; symlinks above it are followed only
    when owned by root or by the current user.
    """
    parts = [p for p in directory.split("/") if p]
    fd = os.open("/", _O_DIR)
    walked = ""
    try:
        for i, name in enumerate(parts):
            walked += "/" + name
            last = i == len(parts) - 1
            for _attempt in range(3):
                try:
                    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    try:
                        os.mkdir(name, DIR_MODE, dir_fd=fd)
                    except FileExistsError:
                        continue  # someone else created it just now: look again
                    except OSError as exc:
                        raise _error("create directory", walked, exc)
                    created.append(walked)
                    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                break
            else:  # pragma: no cover - appears and disappears three times in a row
                raise ManagedFileError("cannot create directory %s: it keeps changing" % walked, walked)
            if stat.S_ISLNK(st.st_mode):
                _check_link(walked, st, last, name, fd)
                flags = _O_DIR
            elif stat.S_ISDIR(st.st_mode):
                flags = _O_DIR | _O_NOFOLLOW
            else:
                raise ManagedFileError("cannot use %s as a directory: it exists and is not a directory" % walked,
                                       walked, errno.ENOTDIR)
            try:
                new = os.open(name, flags, dir_fd=fd)
            except OSError as exc:
                raise _error("open directory", walked, exc)
            os.close(fd)
            fd = new
            if walked in created:
                try:
                    os.fchmod(fd, DIR_MODE)  # mkdir's mode went through the umask
                    if os.geteuid() == 0:
                        os.fchown(fd, 0, 0)
                except OSError as exc:
                    raise _error("set the mode of directory", walked, exc)
        return fd
    except BaseException:
        os.close(fd)
        raise


def _readlink(name, fd):
    try:
        if fd is None:
            return os.readlink(name)
        return os.readlink(name, dir_fd=fd)
    except OSError:
        return "?"


def _remove_created(created):
    """Remove the directories this call created (innermost first), if still empty."""
    for d in reversed(created):
        try:
            os.rmdir(d)
        except OSError:
            break


class Staged(object):
    """A file written next to its target, waiting to be renamed over it.

    ``commit()`` renames it into place; ``abort()`` removes it (and the directories
    created for it). Exactly one of the two should be called; both are idempotent.
    """

    def __init__(self, module, path, dir_fd, tmp_name, created):
        self.module = module
        self.path = path
        self.created = created
        self._fd = dir_fd
        self._tmp = tmp_name
        self._base = os.path.basename(path)

    def commit(self):
        if self._fd is None:
            raise ManagedFileError("cannot write %s: already committed or aborted" % self.path, self.path)
        try:
            try:
                st = os.stat(self._base, dir_fd=self._fd, follow_symlinks=False)
            except FileNotFoundError:
                st = None
            if st is not None and not stat.S_ISREG(st.st_mode):
                raise ManagedFileError(
                    "refusing to replace %s: it is a %s now, not a regular file" % (
                        self.path, "symlink" if stat.S_ISLNK(st.st_mode) else "directory or special file"),
                    self.path, errno.EEXIST)
            os.rename(self._tmp, self._base, src_dir_fd=self._fd, dst_dir_fd=self._fd)
            self._tmp = None
            try:
                os.fsync(self._fd)
            except OSError:
                pass  # some filesystems refuse fsync on a directory: the rename is done
        except OSError as exc:
            self.abort()
            raise _error("write", self.path, exc)
        self._close()
        self._selinux()
        return self.created

    def abort(self):
        if self._fd is None:
            return
        if self._tmp is not None:
            try:
                os.unlink(self._tmp, dir_fd=self._fd)
            except OSError:
                pass
            self._tmp = None
        self._close()
        _remove_created(self.created)

    def _close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _selinux(self):
        module = self.module
        try:
            if module is not None and module.selinux_enabled():
                module.set_context_if_different(self.path, module.selinux_default_context(self.path), False)
        except Exception as exc:  # the file is written; a context problem is reported, not raised raw
            raise ManagedFileError("wrote %s but could not set its SELinux context: %s" % (self.path, exc), self.path)


def _temp_name():
    return ".sre-oom-%s.tmp" % os.urandom(6).hex()


def stale_temps(directory):
    """This collection's temporary files left in ``directory`` by an interrupted run.

    Only regular files named exactly as stage() names them and owned by root or
    this user count; anything else, however similar its name, is someone else's.
    Returns their paths, sorted; [] when the directory cannot be listed.
    """
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    out = []
    for name in sorted(names):
        if not _TEMP_RE.match(name):
            continue
        path = os.path.join(directory, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_uid in (0, os.geteuid()):
            out.append(path)
    return out


def stage(module, path, content, mode=FILE_MODE):
    """Write ``content`` to a temporary file beside ``path``; return a Staged.

    Everything that can be checked before the rename is checked here: the path's
    names, the directories (created when missing), that nothing but a regular file
    sits at ``path``. On failure nothing is left behind and ManagedFileError is
    raised.
    """
    check_path(path)
    directory, base = os.path.split(path)
    if not base or base in (".", ".."):
        raise ManagedFileError("%s does not name a file" % path, path, errno.EISDIR)
    created = []
    dir_fd = None
    tmp = None
    try:
        dir_fd = _open_parent(directory or "/", created)
        try:
            st = os.stat(base, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise _error("inspect", path, exc)
        if st is not None and stat.S_ISLNK(st.st_mode):
            raise ManagedFileError(
                "refusing to write %s: it is a symlink (to %s); sre.oom never writes through a symlink. "
                "Remove the link or choose another path." % (path, _readlink(base, dir_fd)), path, errno.ELOOP)
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise ManagedFileError("refusing to write %s: it exists and is not a regular file" % path,
                                   path, errno.EEXIST)
        data = content.encode("utf-8", "surrogateescape")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        fd = None
        for _attempt in range(100):
            name = _temp_name()
            try:
                fd = os.open(name, flags, 0o600, dir_fd=dir_fd)
            except FileExistsError:
                continue
            except OSError as exc:
                raise _error("create a temporary file in", directory or "/", exc)
            tmp = name
            break
        if fd is None:  # pragma: no cover - 100 random name collisions
            raise ManagedFileError("cannot create a temporary file in %s" % directory, path)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            if os.geteuid() == 0:
                os.fchown(fd, 0, 0)
            os.fchmod(fd, mode)
            os.fsync(fd)
        except OSError as exc:
            raise _error("write", path, exc)
        finally:
            os.close(fd)
        return Staged(module, path, dir_fd, tmp, created)
    except BaseException:
        if dir_fd is not None:
            if tmp is not None:
                try:
                    os.unlink(tmp, dir_fd=dir_fd)
                except OSError:
                    pass
            os.close(dir_fd)
        _remove_created(created)
        raise


def atomic_write(module, path, content, mode=FILE_MODE):
    """Write ``content`` to ``path`` atomically with ``mode`` (owner root:root as root).

    The text goes to a temporary file in the target directory, is flushed to disk,
    given its mode and owner, then renamed over the target, so a reader sees the old
    file or the new one, never half of one. Missing parent directories are created
    with DIR_MODE (0755); the list of directories created is returned (outermost first).
    Raises ManagedFileError (an OSError) on any failure, leaving nothing behind.
    """
    return stage(module, path, content, mode).commit()


def remove(path):
    """Remove the managed regular file at ``path`` (never a symlink or a directory).

    Returns True when a file was removed, False when nothing was there.
    """
    check_path(path)
    st = _lstat(path)
    if st is None:
        return False
    if not stat.S_ISREG(st.st_mode):
        raise ManagedFileError("refusing to remove %s: it is not a regular file" % path, path, errno.EEXIST)
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _error("remove", path, exc)
    return True


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


# --- one plan, one transaction --------------------------------------------------------

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

    def stage(self, change):
        if change.after is not None:
            self._staged[change.path] = stage(self.module, change.path, change.after, change.mode)

    def abort(self):
        for staged in self._staged.values():
            staged.abort()
        self._staged = {}

    def commit(self, change, rmdir=None, stale=()):
        """Make ``change``; with ``rmdir`` (a removal), then remove ``stale`` (this
        collection's temporary files) and the directory ``rmdir`` when it is empty."""
        pending = missing_dirs(os.path.dirname(change.path))
        removed_dir = False
        try:
            if change.after is None:
                remove(change.path)
                created = []
                if rmdir:
                    for tmp in stale:
                        remove(tmp)
                    removed_dir = _rmdir_empty(rmdir)
            elif change.path in self._staged:
                created = self._staged.pop(change.path).commit()
            else:
                created = atomic_write(self.module, change.path, change.after, change.mode)
        except OSError:
            _rmdir_quiet(pending)
            raise
        self._done.append((change, tuple(reversed(created or ())), removed_dir))

    def undo(self):
        restored, failed = [], []
        for change, created, _removed_dir in reversed(self._done):
            st = change.before_state
            try:
                if st is None:
                    remove(change.path)
                    _rmdir_quiet(created)
                else:
                    atomic_write(self.module, change.path, st["text"], st["mode"])
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

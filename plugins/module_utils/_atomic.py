# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: writing and removing the files sre.oom
manages (``_managed`` says what is sre.oom's and what is there). Not a public API.

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

Interrupted runs
    ``stale_temps()`` finds the temporary files a killed run left beside a target.
"""

from __future__ import annotations

import errno
import os
import re
import stat

from ansible_collections.sre.oom.plugins.module_utils._managed import (
    DIR_MODE, FILE_MODE, ManagedFileError, _check_link, _error, _lstat, _readlink, check_path)

# stage() names its temporary files so; a run killed between creating one and
# renaming it leaves it behind (hidden, so systemd and sysctl ignore it).
_TEMP_RE = re.compile(r"\.sre-oom-[0-9a-f]{12}\.tmp\Z")


_O_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


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
            # the target's SELinux context on the new file before it takes the name (the
            # rename keeps it): a context that cannot be set leaves the target as it was
            self._selinux()
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
        """Give the temporary file the context the target's path has by default."""
        module = self.module
        try:
            if module is not None and module.selinux_enabled():
                tmp = os.path.join(os.path.dirname(self.path), self._tmp)
                module.set_context_if_different(tmp, module.selinux_default_context(self.path), False)
        except Exception as exc:  # reported as the write's failure, never raised raw
            raise ManagedFileError("cannot set the SELinux context of %s: %s" % (self.path, exc), self.path)


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

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the host seam.

Every access of a module to the machine it runs on (files, /proc, /sys, /dev/kmsg,
commands, the clock, the environment) goes through one ``Host`` object, and unit
tests replace that object (a subclass overriding the methods they fake) and
nothing else. The code that uses it takes the host as an argument and stays pure
otherwise, so that rooms such as ``_oom`` need no ansible import.

This file imports nothing from ansible: ``run`` and ``which`` call the methods of
the AnsibleModule given to the constructor (``run_command``, ``get_bin_path``), and
a Host built without a module can do everything else (the EDA event source and the
benchmarks use it that way).

``root`` (default ``/``) prefixes every absolute path the host reads, so a module
can be pointed at a directory tree that stands for another machine's root. Paths
passed in and returned (``glob``) are always the host's own, without the prefix.

API, kept small on purpose:

- ``now()``: the time, seconds since the epoch.
- ``read_text(path)``, ``read_bytes(path)``: a whole (small) file, None when it
  cannot be read; text is UTF-8 with undecodable bytes replaced.
- ``listdir(path)`` ([] when unreadable), ``walk(top)`` (errors skipped),
  ``exists(path)``, ``stat(path)``, ``lstat(path)`` (raise OSError), ``mtime(path)``
  (or None), ``realpath(path)``, ``glob(pattern)``.
- ``write_text(path, text)``: write to a kernel file (/proc/sys, /proc/<pid>); raises
  OSError. Files sre.oom manages are written by module_utils/_managed (atomic,
  never through a symlink) at ``path(...)``, not here.
- ``writable(path)``: why ``path`` cannot be written (read-only filesystem, no
  permission), or None.
- ``open_regular(path)``: a binary file object of a regular file, opened without
  blocking (a FIFO or a device is refused, never read).
- ``kmsg_records()``: the records of /dev/kmsg, without blocking.
- ``environ(name)``: a variable of this process's environment, or None.
- ``which(name)``: the path of a command, or None.
- ``run(argv)``: (rc, stdout, stderr) of a command list, in the C locale, never
  through a shell.
"""

from __future__ import annotations

import errno
import glob
import os
import stat
import time

C_LOCALE = {"LC_ALL": "C"}
KMSG = "/dev/kmsg"
KMSG_READ = 16384


def join_root(root, *parts):
    """Join absolute ``parts`` below ``root`` ("/" leaves them as they are)."""
    path = os.path.join(*parts)
    if root in (None, "", "/"):
        return path
    return os.path.join(root, path.lstrip("/"))


class Host(object):
    """The machine as the modules see it: the one seam unit tests replace."""

    def __init__(self, module=None, root="/"):
        self.module = module
        self.root = root or "/"

    # -- paths and time ------------------------------------------------------

    def path(self, path):
        """The real path of the host's ``path`` (below ``root``)."""
        return join_root(self.root, path)

    def now(self):
        return time.time()

    # -- files ---------------------------------------------------------------

    def read_text(self, path):
        """Text of a small file, or None when it cannot be read."""
        try:
            with open(self.path(path), "r", encoding="utf-8", errors="replace") as f:
                return f.read()
        except (IOError, OSError):
            return None

    def read_bytes(self, path):
        """Bytes of a small file, or None when it cannot be read."""
        try:
            with open(self.path(path), "rb") as f:
                return f.read()
        except (IOError, OSError):
            return None

    def listdir(self, path):
        try:
            return os.listdir(self.path(path))
        except OSError:
            return []

    def walk(self, top):
        """os.walk of ``top`` with errors skipped; directories named as the host's."""
        real = self.path(top)
        cut = len(real) - len(top) if self.root != "/" else 0
        for dirpath, dirnames, filenames in os.walk(real, onerror=lambda e: None):
            yield dirpath[cut:] or "/", dirnames, filenames

    def exists(self, path):
        return os.path.exists(self.path(path))

    def getxattr(self, path, name):
        """An extended attribute's value (bytes), or None when absent or unreadable."""
        try:
            return os.getxattr(self.path(path), name)
        except (OSError, AttributeError):
            return None

    def stat(self, path):
        """os.stat of a path (follows symlinks); raises OSError."""
        return os.stat(self.path(path))

    def lstat(self, path):
        """os.lstat of a path (a symlink itself, not its target); raises OSError."""
        return os.lstat(self.path(path))

    def realpath(self, path):
        """The real path of ``path`` with every symlink resolved (below ``root``): two
        names of one directory give the same answer."""
        return os.path.realpath(self.path(path))

    def write_text(self, path, text):
        """Write ``text`` to a kernel file such as /proc/sys/vm/panic_on_oom; raises OSError."""
        with open(self.path(path), "w") as f:
            f.write(text)

    def writable(self, path):
        """Why ``path`` cannot be written, without writing it, or None when it can."""
        real = self.path(path)
        try:
            if os.statvfs(real).f_flag & os.ST_RDONLY:
                return "%s is on a read-only filesystem (an unprivileged container?)" % os.path.dirname(path)
        except OSError as e:
            return "cannot stat %s: %s" % (path, e.strerror)
        if not os.access(real, os.W_OK):
            return "%s is not writable by this user" % path
        return None

    def mtime(self, path):
        try:
            return os.stat(self.path(path)).st_mtime
        except OSError:
            return None

    def glob(self, pattern):
        found = glob.glob(self.path(pattern))
        if self.root == "/":
            return found
        cut = len(self.root.rstrip("/"))
        return [p[cut:] for p in found]

    def open_regular(self, path):
        """A binary file object of a regular file; raises OSError.

        Opened without blocking and checked once open: a FIFO or a device (also one
        swapped in after the caller's stat) is refused with EINVAL, never read.
        """
        fd = os.open(self.path(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, "not a regular file")
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise

    def kmsg_records(self):
        """Yield the records of /dev/kmsg without blocking; raises OSError."""
        fd = os.open(self.path(KMSG), os.O_RDONLY | os.O_NONBLOCK)
        try:
            while True:
                try:
                    rec = os.read(fd, KMSG_READ)
                except OSError as e:
                    if e.errno == errno.EAGAIN:
                        return
                    if e.errno == errno.EPIPE:   # overwritten while reading: go on
                        continue
                    if e.errno == errno.EINVAL:  # a record longer than the buffer
                        continue
                    raise
                if not rec:
                    return
                yield rec
        finally:
            os.close(fd)

    # -- process environment and commands ------------------------------------

    def environ(self, name):
        return os.environ.get(name)

    def which(self, name):
        """The path of command ``name``, or None (AnsibleModule.get_bin_path)."""
        return self.module.get_bin_path(name)

    def run(self, argv):
        """(rc, stdout, stderr) of the command list ``argv`` in the C locale, no shell."""
        return self.module.run_command(argv, environ_update=C_LOCALE)

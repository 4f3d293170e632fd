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
  OSError. Files sre.oom manages are written by module_utils/_atomic (atomic,
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
- ``stream(argv, timeout)``: the output of a command list line by line as it
  arrives, with a time-out and bounded memory (a ``Stream``; see there why this is
  not ``run_command``).
"""

from __future__ import annotations

import errno
import fcntl
import glob
import os
import selectors
import stat
import subprocess
import time

C_LOCALE = {"LC_ALL": "C"}
KMSG = "/dev/kmsg"
KMSG_READ = 16384
# Stream: the most read from a pipe at a time, and the pipe's size asked for; a
# read smaller than STREAM_BATCH is followed by a pause of STREAM_PAUSE seconds
# (a writer that prints a few KiB at a time is read in batches, not in thousands
# of small reads); the longest line kept (longer ones are cut there and the rest
# of the line dropped); how much error output is kept; how long to wait for a
# killed process to be reaped.
STREAM_READ = 1 << 20
STREAM_BATCH = 1 << 16
STREAM_PAUSE = 0.02
STREAM_MAX_LINE = 1 << 20
STREAM_MAX_ERR = 1 << 16
STREAM_REAP = 5.0
# fcntl F_SETPIPE_SZ (Linux 2.6.35+; named in fcntl from Python 3.10)
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def join_root(root, *parts):
    """Join absolute ``parts`` below ``root`` ("/" leaves them as they are)."""
    path = os.path.join(*parts)
    if root in (None, "", "/"):
        return path
    return os.path.join(root, path.lstrip("/"))


class CommandTimeout(Exception):
    """A streamed command did not finish within its time-out; it has been killed."""

    def __init__(self, timeout):
        Exception.__init__(self, "timed out after %g s" % timeout)
        self.timeout = timeout


class Stream(object):
    """A command's standard output, line by line as it arrives; bounded in time and memory.

    Why not AnsibleModule.run_command: it returns only when the command has ended,
    with its whole output in memory (and it grows that output by concatenation, so
    time grows faster than the output), and it has no time-out: 100 MB of journal
    output took 268 MB and 134 s, and a command that never exits hangs the module.
    This reader keeps one read (STREAM_READ) plus one unfinished line at a time.

    The command is an argument list started without a shell (``shell=False``), in
    the C locale, with standard input from /dev/null, every other file descriptor
    closed (``close_fds``) and the default SIGPIPE restored (a reader that stops
    early ends a writer that goes on). Iterating yields the lines of standard output
    as text (UTF-8, undecodable bytes replaced) without their newline; a line longer
    than ``max_line`` bytes is cut there (the rest of it is dropped, ``cut`` counts
    such lines). Standard error is read alongside (so the command never blocks on
    it) and its first ``max_err`` bytes are kept in ``err``.

    ``timeout`` (seconds) bounds the whole run, from start until the command has
    exited and its output is read, including the time the caller spends on each
    line. When it passes, the process is killed by its pid (SIGKILL), and iteration
    raises CommandTimeout. When the caller stops early (``close()``, leaving the
    ``with`` block, an exception, a generator closed) a command still running is
    killed the same way. Only that pid is killed: a command that forks children
    holding the pipes open would leave them; the time-out still ends the read.

    After the lines end, ``rc`` is the exit status (negative: killed by that signal).
    Starting the command raises OSError (for example ENOENT).
    """

    def __init__(self, argv, timeout, max_line=STREAM_MAX_LINE, max_err=STREAM_MAX_ERR):
        self.argv = [str(a) for a in argv]
        self.timeout = timeout
        self.max_line = max_line
        self.max_err = max_err
        self.rc = None
        self.err = ""
        self.cut = 0
        self.pid = None
        self._proc = None
        self._started = False

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self):
        if self._started:
            return
        self._started = True
        env = dict(os.environ)
        env.update(C_LOCALE)
        self._deadline = time.monotonic() + self.timeout
        # shell=False and an argument list: nothing is ever parsed by a shell.
        self._proc = subprocess.Popen(self.argv, shell=False, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, close_fds=True, env=env, restore_signals=True)
        self.pid = self._proc.pid
        try:   # a larger pipe: fewer, larger reads, and a writer that waits less
            fcntl.fcntl(self._proc.stdout.fileno(), F_SETPIPE_SZ, STREAM_READ)
        except (OSError, ValueError):
            pass

    def __iter__(self):
        return self.lines()

    def lines(self):
        self.start()
        proc = self._proc
        errs = []
        err_len = 0
        pending = bytearray()  # the unfinished last line (at most max_line bytes)
        skipping = False       # inside an over-long line, dropping it up to its newline
        max_line = self.max_line
        try:
            with selectors.DefaultSelector() as sel:
                sel.register(proc.stdout, selectors.EVENT_READ)
                sel.register(proc.stderr, selectors.EVENT_READ)
                while sel.get_map():
                    left = self._deadline - time.monotonic()
                    if left <= 0:
                        self._timed_out()
                    for key, _mask in sel.select(left):
                        chunk = os.read(key.fd, STREAM_READ)
                        if not chunk:
                            sel.unregister(key.fileobj)
                        elif key.fileobj is proc.stderr:
                            if err_len < self.max_err:
                                errs.append(chunk[:self.max_err - err_len])
                                err_len += len(errs[-1])
                        else:
                            if len(chunk) < STREAM_BATCH:   # let the writer fill the pipe a while
                                time.sleep(max(min(STREAM_PAUSE, self._deadline - time.monotonic()), 0))
                            end = chunk.rfind(b"\n")
                            if end < 0:
                                if not skipping:
                                    pending += chunk
                            elif skipping:     # the over-long line ends at the first newline
                                skipping = False
                                start = chunk.find(b"\n") + 1
                                if start <= end:
                                    yield from self._split(memoryview(chunk)[start:end])
                                pending = bytearray(chunk[end + 1:])
                            else:
                                if pending:
                                    pending += memoryview(chunk)[:end]
                                    yield from self._split(pending)
                                else:
                                    yield from self._split(memoryview(chunk)[:end])
                                pending = bytearray(chunk[end + 1:])
                            if len(pending) > max_line:
                                self.cut += 1
                                skipping = True
                                line, pending = bytes(pending[:max_line]), bytearray()
                                yield line.decode("utf-8", "replace")
            if pending:
                yield bytes(pending).decode("utf-8", "replace")
            left = self._deadline - time.monotonic()
            try:
                self.rc = proc.wait(max(left, 0))
            except subprocess.TimeoutExpired:
                self._timed_out()
        finally:
            self.err = b"".join(errs).decode("utf-8", "replace")
            self.close()

    def _split(self, data):
        """The lines of ``data`` (bytes-like: complete lines without the last
        newline): one decode for the whole read, a line cut only when too long."""
        max_line = self.max_line
        for line in str(data, "utf-8", "replace").split("\n"):
            if len(line) > max_line:
                self.cut += 1
                line = line[:max_line]
            yield line

    def _timed_out(self):
        self.close()
        raise CommandTimeout(self.timeout)

    def close(self):
        """Kill the command by its pid if it still runs, reap it, close the pipes."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.kill()            # os.kill(pid, SIGKILL): this pid only
            except OSError:
                pass
            try:
                proc.wait(STREAM_REAP)
            except subprocess.TimeoutExpired:
                pass                   # unkillable (D state): not waited for any longer
        for f in (proc.stdout, proc.stderr):
            try:
                f.close()
            except OSError:
                pass
        if self.rc is None:
            self.rc = proc.returncode


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

    def read_regular_text(self, path):
        """Text of a regular file (a configuration file), or None when it cannot be
        read or is not a regular file: a FIFO or a device there is never read, so it
        cannot block the module."""
        try:
            with self.open_regular(path) as f:
                return f.read().decode("utf-8", "replace")
        except (IOError, OSError):
            return None

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

    def stream(self, argv, timeout):
        """A Stream of the command list ``argv``: its output line by line, ended after
        ``timeout`` seconds; for output too large to hold (``run`` holds it all)."""
        return Stream(argv, timeout)

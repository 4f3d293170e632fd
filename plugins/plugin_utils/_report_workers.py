# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: a fleet's hosts read in several processes. Not a public API.

Most of a big report's time is the standard library's JSON work on each host's
cached facts (decode, check, encode its entry of report.json), host after host,
with nothing shared between hosts: work that splits cleanly. So the host list is
cut in contiguous parts, one per CPU the controller gives this process (at most
MAX_PARTS, and never less than MIN_HOSTS hosts a part). The caller's process
forks one child per part but the first, builds the first part itself, then takes
each child's result in order. Each part's result goes back through a pipe as a
pickle (only from our own child, on a pipe made for it).

A child that fails in any way (an exception, a signal, a result that does not
unpickle) costs only time: the caller builds that part itself, so the outcome is
the same as with one process. Every child is waited for, by its pid, whatever
happens; one still running when the caller gives up is sent SIGKILL first.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time

MAX_PARTS = 4       # processes at most (the caller's and three children)
MIN_HOSTS = 1000    # hosts a part at least: below that a fork costs more than it saves
GRACE = 3           # how much longer than the caller's part a child may take ...
MIN_WAIT = 60       # ... and at least this (seconds), before its part is built again


def cpus():
    """How many CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def split(count, parts):
    """`count` items in at most `parts` contiguous (start, stop) ranges of MIN_HOSTS or more."""
    parts = max(1, min(parts, MAX_PARTS, count // MIN_HOSTS))
    if not hasattr(os, 'fork'):
        parts = 1
    size, extra = divmod(count, parts)
    ranges, start = [], 0
    for i in range(parts):
        stop = start + size + (1 if i < extra else 0)
        ranges.append((start, stop))
        start = stop
    return ranges


def run(ranges, build):
    """[build(i, start, stop, in_child) for each range], the parts after the first built in children.

    `build` returns a picklable result. In a child it runs with in_child=True;
    when a child fails, the caller runs it again for that part with in_child=False.
    A child still not done GRACE times as long after the caller's own part as
    that part took (and at least MIN_WAIT seconds) counts as failed.
    """
    children = []       # (pid, read end of its pipe) per part after the first
    try:
        for i in range(1, len(ranges)):
            children.append(_start(i, ranges[i], build))
        began = time.monotonic()
        results = [build(0, ranges[0][0], ranges[0][1], False)]
        deadline = time.monotonic() + max(MIN_WAIT, GRACE * (time.monotonic() - began))
        for i, (pid, fd) in enumerate(children, 1):
            result = _collect(pid, fd, deadline)
            children[i - 1] = (None, None)
            if result is _FAILED:
                result = build(i, ranges[i][0], ranges[i][1], False)
            results.append(result)
        return results
    finally:
        for pid, fd in children:
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
            if pid is not None:
                _end(pid, kill=True)


_FAILED = object()


def _start(i, rng, build):
    """Fork a child for part i: (pid, read end of its pipe), or (None, None) when fork fails."""
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return None, None
    if pid == 0:        # the child: never returns
        code = 1
        try:
            os.close(r)
            result = build(i, rng[0], rng[1], True)
            with os.fdopen(w, 'wb') as f:
                pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        except BaseException:  # pylint: disable=broad-except
            code = 1
        finally:
            os._exit(code)      # no cleanup of the parent's objects: they are the parent's
    os.close(w)
    return pid, r


def _collect(pid, fd, deadline):
    """The result of the child `pid` read from `fd` (closed here) by `deadline`, or _FAILED."""
    if pid is None:
        return _FAILED
    chunks, done = [], False
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                break
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                done = True
                break
            chunks.append(chunk)
    except OSError:
        done = False
    finally:
        os.close(fd)
    # end of file: the child has written all and is exiting; else it is ended
    status = _end(pid, kill=not done)
    if not done or status != 0:
        return _FAILED
    try:
        return pickle.loads(b''.join(chunks))
    except Exception:  # pylint: disable=broad-except
        return _FAILED


def _end(pid, kill):
    """Wait for the child `pid`, sent SIGKILL first when `kill`; its exit status, or None."""
    try:
        if kill:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _pid, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status)

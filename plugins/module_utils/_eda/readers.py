# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the /dev/kmsg and file readers of the EDA source. Not a public API.

Async generators of batches of raw lines (bytes). A batch ends when nothing more
can be read right now; the source emits the events of a batch then. The bounds
on a batch and on a line hold for the journal reader too.
"""

from __future__ import annotations

import asyncio
import errno
import os
import stat

from ansible_collections.sre.oom.plugins.module_utils._eda.errors import OomKillsError


KMSG = "/dev/kmsg"
READ_CHUNK = 1 << 16
MAX_LINE = 1 << 20          # a longer line (no newline) in a followed file is cut
MAX_BATCH = 4096            # records read before the parser's events are emitted
MAX_BATCH_BYTES = 4 << 20   # bytes read before the parser's events are emitted


async def kmsg_batches(counters, start, path=KMSG, after_usec=None):
    """Records of /dev/kmsg (non-blocking, woken by the event loop).

    `after_usec`: skip the records stamped at or before this many microseconds
    since boot (the journal already gave them: the fallback of source auto).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise OomKillsError("sre.oom.oom_kills: cannot read %s: %s%s" % (
            path, exc.strerror or exc,
            " (kernel.dmesg_restrict=1: needs root or CAP_SYSLOG)" if exc.errno in (errno.EPERM, errno.EACCES) else ""))
    loop = asyncio.get_running_loop()
    readable = asyncio.Event()
    try:
        if start == "now":
            os.lseek(fd, 0, os.SEEK_END)
        loop.add_reader(fd, readable.set)
        last_seq = None
        while True:
            batch = []
            while len(batch) < MAX_BATCH:
                try:
                    rec = os.read(fd, 16384)
                except BlockingIOError:
                    break
                except OSError as exc:
                    if exc.errno == errno.EPIPE:
                        # the ring buffer overwrote records we had not read yet
                        counters.overruns += 1
                        counters.p_overruns += 1
                        continue
                    if exc.errno == errno.EINVAL:     # a record longer than the buffer
                        continue
                    raise
                if not rec:
                    break
                comma = rec.find(b",")
                if comma > 0:
                    end = rec.find(b",", comma + 1)
                    seq = rec[comma + 1:end]
                    if seq.isdigit():
                        seq = int(seq)
                        if last_seq is not None and seq > last_seq + 1:
                            counters.lost += seq - last_seq - 1
                            counters.p_lost += seq - last_seq - 1
                        last_seq = seq
                    if after_usec is not None:
                        end2 = rec.find(b",", end + 1)
                        usec = rec[end + 1:end2 if end2 > 0 else rec.find(b";")]
                        if usec.isdigit() and int(usec) <= after_usec:
                            continue
                batch.extend(line for line in rec.split(b"\n") if line)
            if batch:
                yield batch
                await asyncio.sleep(0)    # the event loop's turn between batches, however fast the log runs
                continue
            readable.clear()
            await readable.wait()
    finally:
        try:
            loop.remove_reader(fd)
        finally:
            os.close(fd)


def open_regular(path):
    """(file, stat) of a regular file, opened without blocking (a FIFO or a device
    under that name would hang the event loop or never end): OSError otherwise."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return os.fdopen(fd, "rb"), st
    except BaseException:
        os.close(fd)
        raise


async def file_batches(path, start, poll_interval):
    """Lines appended to a file, followed like `tail -F`.

    A file replaced under the same name (rotated by rename) is read to its end, then
    the new one from its start; a truncated file is read again from its start.
    """
    f = None
    ino = None
    pending = b""
    first = True
    replaced = False
    try:
        while True:
            if f is None:
                try:
                    f, st = open_regular(path)
                except OSError as exc:
                    if first:
                        raise OomKillsError("sre.oom.oom_kills: cannot read path %s: %s%s" % (
                            path, exc.strerror or exc,
                            " (path follows a log file; for /dev/kmsg use source: kmsg)" if exc.errno == errno.EINVAL else ""))
                    await asyncio.sleep(poll_interval)
                    continue
                ino = (st.st_dev, st.st_ino)
                if first and start == "now":
                    f.seek(0, os.SEEK_END)
                first = False
                replaced = False
                pending = b""
            batch = []
            size = 0
            while len(batch) < MAX_BATCH and size < MAX_BATCH_BYTES:
                data = f.read(READ_CHUNK)
                if not data:
                    break
                size += len(data)
                parts = (pending + data).split(b"\n")
                pending = parts.pop()
                if len(pending) > MAX_LINE:
                    parts.append(pending[:MAX_LINE])
                    pending = b""
                batch.extend(p for p in parts if p)
            if batch:
                yield batch
                await asyncio.sleep(0)    # the event loop's turn between batches, however fast the file grows
                continue
            if replaced:
                # the old file is read to its end: go on with the new one
                if pending:
                    yield [pending]
                f.close()
                f = None
                continue
            await asyncio.sleep(poll_interval)
            try:
                st = os.stat(path)
            except OSError:
                continue          # being replaced: keep the old one until a new one appears
            if (st.st_dev, st.st_ino) != ino:
                replaced = True
            elif st.st_size < f.tell():
                f.seek(0)         # truncated in place (copytruncate)
                pending = b""
    finally:
        if f is not None:
            f.close()

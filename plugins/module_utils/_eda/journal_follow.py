# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the journal follower of the EDA source. Not a public API.

`journalctl -f -o json` on the local journal or a journal directory, started
again after the last record handled, with a back-off, when it ends.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import time

from ansible_collections.sre.oom.plugins.module_utils._eda import system
from ansible_collections.sre.oom.plugins.module_utils._eda.errors import JournaldGone, OomKillsError
from ansible_collections.sre.oom.plugins.module_utils._eda.journal_sweep import Sweeper
from ansible_collections.sre.oom.plugins.module_utils._eda.readers import MAX_BATCH, MAX_LINE


JOURNAL_QUIET = 0.05        # a journal batch ends after this long without a record
JOURNALD_CHECK = 5.0        # how often an idle local journal source checks that journald runs
BACKOFF_MIN = 0.5           # first wait before journalctl is started again
BACKOFF_MAX = 30.0
HEALTHY_RUN = 10.0          # a journalctl that ran this long resets the back-off

LOG = logging.getLogger("sre.oom.oom_kills")


async def journal_batches(api, cfg, state, tracker):
    """Batches of parser lines from `journalctl -f -o json` (kernel and userspace killers).

    Yields ({machine: [line, ...]}, cursor): machine None for the local journal, the
    record's _HOSTNAME in a journal directory; cursor, the last record's. A journalctl
    that ends is started again after the last record yielded, with a back-off.
    """
    journalctl = shutil.which("journalctl")
    if not journalctl:
        raise OomKillsError("sre.oom.oom_kills: source=journal but journalctl is not installed")
    directory = cfg["journal_directory"]
    base = [journalctl, "-q", "--no-pager"]
    if directory:
        if not os.path.isdir(directory):
            raise OomKillsError("sre.oom.oom_kills: journal_directory %s is not a directory (systemd-journal-remote "
                                "creates it: see docs/eda.md)" % directory)
        # --merge: in follow mode journalctl otherwise keeps to one boot, so to the
        # one host whose entry is the newest (systemd 252), and the others are lost
        base += ["--directory", directory, "--merge"]
    elif not system.journald_running():
        raise JournaldGone("sre.oom.oom_kills: source=journal but journald is not running on this machine (no %s); "
                           "use source: kmsg or auto" % system.JOURNALD_SOCKET)
    boot_id = system.read_text("/proc/sys/kernel/random/boot_id").strip().replace("-", "")
    matches = list(api.journal_matches())     # oom_facts' own: the kernel, the userspace killers, PID 1
    cursor = state.cursor
    first = []
    sweeper = None
    next_sweep = None
    if directory:
        # Each host's file after its own cursor first (what came while the source
        # was down, or all of it with start: boot); then the follower from the end,
        # with a sweep every sweep_interval for what reaches the collector late.
        sweeper = Sweeper(journalctl, directory, matches, state, boot_id, api,
                          time.time() if cfg["start"] == "now" else None)
        # start: now without a saved state: each file from its end as it is now
        groups, _n = await sweeper.sweep(start_now=cfg["start"] == "now" and state.cursor is None and not state.files)
        if groups or state.dirty:
            yield groups, None
        next_sweep = time.monotonic() + cfg["sweep_interval"]
        cursor = None
    if cursor is None:
        if cfg["start"] == "boot" and not directory:
            first = ["-b", "--lines=all"]
        else:
            # the journal's end now (all records, not only matches): follow after it
            rc, out, err = await system.run(base + ["-n", "0", "--show-cursor"])
            tail = [line[len("-- cursor: "):].strip() for line in out.splitlines() if line.startswith("-- cursor: ")]
            if rc != 0 and directory and not tail and not _has_journal_files(directory):
                rc = 0                      # a fresh collector: no file yet (journalctl -f waits for them)
            if rc != 0:
                raise OomKillsError("sre.oom.oom_kills: journalctl failed (rc %s): %s" % (rc, (err or out).strip()[:300]))
            if tail:
                cursor = state.cursor = tail[-1]
                state.dirty = True
                state.save()
            else:
                first = ["--lines=all"]     # an empty journal: everything written from now on
    backoff = BACKOFF_MIN
    quick = 0
    while True:
        argv = base + ["-f", "-o", "json"] + (["--after-cursor", cursor] if cursor else first) + matches
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, limit=MAX_LINE, env=dict(os.environ, LC_ALL="C"))
        tracker.journalctl_pid = proc.pid
        started = time.monotonic()
        records = 0
        reading = None
        try:
            while True:
                if sweeper is not None and time.monotonic() >= next_sweep:
                    groups, _n = await sweeper.sweep()
                    next_sweep = time.monotonic() + cfg["sweep_interval"]
                    if groups or state.dirty:
                        yield groups, None
                groups = {}
                last = None
                timeout = max(0.0, next_sweep - time.monotonic()) if directory else JOURNALD_CHECK
                n = 0
                eof = False
                while n < MAX_BATCH:
                    # not asyncio.wait_for: before Python 3.12 it loses a cancellation that comes
                    # as the line arrives (the source would then never stop); a read that times
                    # out is kept and awaited again, so no line is lost either
                    if reading is None:
                        reading = asyncio.ensure_future(proc.stdout.readline())
                    done, _pending = await asyncio.wait({reading}, timeout=timeout)
                    try:
                        if not done:
                            raise asyncio.TimeoutError
                        read, reading = reading, None
                        raw = read.result()
                    except asyncio.TimeoutError:
                        if n == 0 and not directory and not system.journald_running():
                            raise JournaldGone("sre.oom.oom_kills: journald stopped (%s is gone) while the journal "
                                               "was followed" % system.JOURNALD_SOCKET)
                        if n == 0 and not directory:
                            continue
                        break
                    except ValueError:
                        continue          # a record longer than MAX_LINE
                    if not raw:
                        eof = True
                        break
                    timeout = JOURNAL_QUIET
                    n += 1
                    text = raw.decode("utf-8", "replace")
                    try:
                        rec = json.loads(text)
                    except (ValueError, RecursionError):
                        continue
                    if not isinstance(rec, dict):
                        continue
                    cur = rec.get("__CURSOR")
                    if isinstance(cur, str) and cur:
                        last = cur
                        if sweeper is not None:
                            if state.was_swept(cur):
                                continue              # a sweep handed it on already
                            state.note_seen(cur)      # the sweep must not hand it on again
                    machine = rec.get("_HOSTNAME") if directory else None
                    if not isinstance(machine, str) or not machine:
                        machine = None
                    tracker.note(rec, boot_id, directory)
                    lines = list(api.journal_lines(text, boot_id))
                    if lines:
                        groups.setdefault(machine, []).extend(lines)
                records += n
                if last is not None or groups:
                    if last is not None:
                        cursor = last
                    yield groups, last
                if eof:
                    break
            err = (await proc.stderr.read()).decode("utf-8", "replace").strip()
            rc = await proc.wait()
        finally:
            if reading is not None:
                reading.cancel()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        tracker.restarts += 1
        why = "journalctl stopped (rc %s): %s" % (rc, err[:300] or "no message")
        if directory and not os.path.isdir(directory):
            raise OomKillsError("sre.oom.oom_kills: %s; journal_directory %s is gone" % (why, directory))
        if not directory and not system.journald_running():
            raise JournaldGone("sre.oom.oom_kills: %s; journald is not running (no %s)" % (why, system.JOURNALD_SOCKET))
        ran = time.monotonic() - started
        if ran >= HEALTHY_RUN or records:
            quick = 0
            backoff = BACKOFF_MIN
        quick += 1
        if quick > cfg["restart_limit"] or (tracker.restarts == 1 and records == 0 and rc and ran < HEALTHY_RUN):
            raise OomKillsError("sre.oom.oom_kills: %s%s" % (
                why, "" if tracker.restarts == 1 else " (%d times in a row within %d s of its start)" % (quick, HEALTHY_RUN)))
        LOG.warning("sre.oom.oom_kills: %s; starting it again in %.1f s after the last record handled", why, backoff)
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, BACKOFF_MAX)


def _has_journal_files(directory):
    """True when the directory holds a journal file (journalctl fails on one without)."""
    try:
        return any(e.name.endswith(".journal") for e in os.scandir(directory))
    except OSError:
        return True                         # let journalctl's own error say why


class JournalTracker(object):
    """What the journal reader saw: restarts, journalctl's pid, the last local kernel record."""

    def __init__(self):
        self.restarts = 0
        self.journalctl_pid = None
        self.kernel_usec = None

    def note(self, rec, boot_id, directory):
        if directory or rec.get("_TRANSPORT") != "kernel" or rec.get("_BOOT_ID") != boot_id:
            return
        mono = str(rec.get("_SOURCE_MONOTONIC_TIMESTAMP") or "")
        if mono.isdigit():
            self.kernel_usec = max(self.kernel_usec or 0, int(mono))

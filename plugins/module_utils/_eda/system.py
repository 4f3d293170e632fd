# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: what the EDA source asks of the system. Not a public API.

Files under /proc, the clock, whether journald runs, and commands run without
a shell, with a time-out (asyncio). Standard library only.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time

from ansible_collections.sre.oom.plugins.module_utils._eda.errors import OomKillsError


JOURNALD_SOCKET = "/run/systemd/journal/socket"


def read_text(path):
    """The text of a file, or "" when it cannot be read."""
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def boot_time():
    """Epoch of the current boot (now - /proc/uptime), or None."""
    try:
        return time.time() - float(read_text("/proc/uptime").split()[0])
    except (ValueError, IndexError):
        return None


def iso(epoch):
    """ISO 8601 UTC text of an epoch, to the second ('2026-01-07T17:53:49Z')."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def journald_running():
    """True when journald's socket exists (journald runs, or is socket-activated)."""
    return os.path.exists(JOURNALD_SOCKET)


def journal_has_kernel_messages():
    """True when `journalctl -k -b` holds a kernel message of this boot (auto source)."""
    import subprocess
    journalctl = shutil.which("journalctl")
    if not journalctl:
        return False
    try:
        out = subprocess.run([journalctl, "-k", "-b", "-n", "1", "-q", "-o", "short", "--no-pager"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             timeout=10, check=False, env=dict(os.environ, LC_ALL="C"))
    except (OSError, subprocess.SubprocessError):
        return False
    text = out.stdout.decode("utf-8", "replace")
    return out.returncode == 0 and any(line.strip() and not line.startswith("-- ") for line in text.splitlines())


async def run(argv, timeout=30, locale="C"):
    """(rc, stdout, stderr) of a command (argument list, no shell); OomKillsError after `timeout` s."""
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=dict(os.environ, LC_ALL=locale))
    talk = asyncio.ensure_future(proc.communicate())
    try:
        done, _pending = await asyncio.wait({talk}, timeout=timeout)   # not wait_for: see journal_follow.journal_batches
    except asyncio.CancelledError:
        talk.cancel()
        if proc.returncode is None:
            proc.kill()
        raise
    if not done:
        talk.cancel()
        proc.kill()
        await proc.wait()
        raise OomKillsError("sre.oom.oom_kills: %s did not answer within %s s" % (" ".join(argv[:4]), timeout))
    out, err = talk.result()
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

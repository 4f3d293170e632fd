# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Journals of other machines, written the way a collector gets them.

`RemoteJournals(directory).write(machine, messages)` hands journal entries in
journald's export format to the real `systemd-journal-remote` (reading from
standard input), which appends them to `<directory>/remote-<machine>.journal`,
the file it writes for that host when hosts upload to it. The real
`journalctl --directory` then reads them, as the source does on a collector.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time

import pytest

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
JOURNAL_UPLOAD = "/lib/systemd/systemd-journal-upload"
KILL = ("Memory cgroup out of memory: Killed process %d (%s) total-vm:300000kB, anon-rss:32512kB, "
        "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:200kB oom_score_adj:0")


def require_journal_remote():
    """Skip (or fail under SRE_OOM_REQUIRE_LIVE=1) without systemd-journal-remote and journalctl."""
    missing = [p for p in (JOURNAL_REMOTE, JOURNAL_UPLOAD) if not os.access(p, os.X_OK)]
    if not shutil.which("journalctl"):
        missing.append("journalctl")
    if missing:
        why = "%s missing (Debian: apt-get install systemd-journal-remote; tests/eda/ensure-deps.sh)" % ", ".join(missing)
        if os.environ.get("SRE_OOM_REQUIRE_LIVE") == "1":
            pytest.fail(why)
        pytest.skip(why)


class RemoteJournals(object):
    """Each machine has a boot id and a machine id of its own (as real hosts have),
    and its own monotonic clock."""

    def __init__(self, directory):
        self.directory = str(directory)
        os.makedirs(self.directory, exist_ok=True)
        self.mono = {}

    @staticmethod
    def _id(machine, salt):
        return hashlib.md5((salt + machine).encode()).hexdigest()  # noqa: S324 - an id, not a secret

    def export(self, machine, messages, transport="kernel", ident="kernel", ago=0.0):
        """`ago`: the entries were logged that many seconds ago (they arrive late)."""
        out = []
        now = int((time.time() - ago) * 1e6)
        for msg in messages:
            mono = self.mono[machine] = self.mono.get(machine, 1000000 + len(self.mono) * 7777777) + 1
            out.append("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n_MACHINE_ID=%s\n"
                       "_HOSTNAME=%s\n_TRANSPORT=%s\nSYSLOG_IDENTIFIER=%s\nPRIORITY=3\nMESSAGE=%s\n\n"
                       % (now, mono, self._id(machine, "boot"), self._id(machine, "machine"), machine,
                          transport, ident, msg))
            now += 1
        return "".join(out).encode()

    def write(self, machine, messages, **kw):
        path = os.path.join(self.directory, "remote-%s.journal" % machine)
        res = subprocess.run([JOURNAL_REMOTE, "-o", path, "-"], input=self.export(machine, messages, **kw),  # noqa: S603
                             capture_output=True, timeout=30, check=False)
        assert res.returncode == 0, res.stderr.decode("utf-8", "replace")
        return path

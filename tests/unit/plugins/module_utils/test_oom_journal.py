# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_oom/journal.py: the decoding of `journalctl -o json` records and the command lines."""

from __future__ import annotations

import json
import os

from ansible_collections.sre.oom.plugins.module_utils._oom import journal

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "oom")
BOOT = "0123456789abcdef0123456789abcdef"


def _fixture():
    with open(os.path.join(FIX, "real-6.18-container-journal-json.txt"), encoding="utf-8") as f:
        return f.read()


def test_whole_text_and_streamed_lines_decode_alike():
    text = _fixture()
    whole = list(journal.journal_lines(text, BOOT))
    assert len(whole) > 3
    assert list(journal.journal_lines(iter(text.splitlines(True)), BOOT)) == whole


def test_records_become_parser_lines():
    recs = [
        # a kernel record of this boot: /dev/kmsg style, the kernel's own uptime, backslash escaped
        {"MESSAGE": "Killed process 7 (a\\b)", "_TRANSPORT": "kernel", "_BOOT_ID": BOOT,
         "_SOURCE_MONOTONIC_TIMESTAMP": "5000000", "__REALTIME_TIMESTAMP": "1764356400000000"},
        # a kernel record of another boot keeps journald's time
        {"MESSAGE": "Killed process 8 (b)", "_TRANSPORT": "kernel", "_BOOT_ID": "f" * 32,
         "_SOURCE_MONOTONIC_TIMESTAMP": "5000000", "__REALTIME_TIMESTAMP": "1764356400000000", "_HOSTNAME": "vm"},
        # a userspace record whose message is not UTF-8 (journald's list of bytes), on two lines
        {"MESSAGE": list(b"low memory! \xff\nsecond"), "SYSLOG_IDENTIFIER": "earlyoom", "_PID": "812",
         "__REALTIME_TIMESTAMP": "1764356400000001"},
    ]
    text = "-- Boot x --\n" + "\n".join(json.dumps(r) for r in recs) + "\nnot json\n[1]\n"
    assert list(journal.journal_lines(text, BOOT)) == [
        "6,0,5000000,-;Killed process 7 (a\\x5cb)",
        "2025-11-28T19:00:00.000000+00:00 vm kernel: Killed process 8 (b)",
        "2025-11-28T19:00:00.000001+00:00 localhost earlyoom[812]: low memory! \ufffd",
        "    second",
    ]


def test_journal_text_drops_marker_lines():
    assert journal.journal_text("-- No entries --\n") == ""
    assert journal.journal_text("a\n-- Boot 1 --\nb\n") == "a\nb"
    assert journal.journal_text("plain\n") == "plain\n"


def test_command_lines():
    assert journal.check_argv("/bin/journalctl") == [
        "/bin/journalctl", "-k", "-q", "--no-pager", "-b", "-n", "1", "-o", "short"]
    grep = ["--output-fields", journal.JOURNAL_FIELDS, "--grep", journal.JOURNAL_GREP]
    base = ["/bin/journalctl", "-q", "--no-pager", "-o", "json"]
    matches = list(journal.JOURNAL_MATCHES)
    assert journal.query_argv("/bin/journalctl", "boot", 1.0) == base + ["-b"] + grep + matches
    assert journal.query_argv("/bin/journalctl", "time", 1764356400.7) == \
        base + ["--since", "@1764356400"] + grep + matches
    assert journal.query_argv("/bin/journalctl", "all", None, grep=False) == base + matches

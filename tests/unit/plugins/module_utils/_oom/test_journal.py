# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_oom/journal.py: the decoding of `journalctl -o json` records and the command lines."""

from __future__ import annotations

import json
import os
import time
import tracemalloc

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _host
from ansible_collections.sre.oom.plugins.module_utils._oom import collector as _collector
from ansible_collections.sre.oom.plugins.module_utils._oom import journal, scanner
from ansible_collections.sre.oom.plugins.module_utils._oom.sources import SourceError
from ansible_collections.sre.oom.tests.unit.plugins.module_utils._oom.oomlog import L

FIX = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "oom")
BOOT = "0123456789abcdef0123456789abcdef"


def _fixture():
    with open(os.path.join(FIX, "real-6.18-container-journal-json.txt"), encoding="utf-8") as f:
        return f.read()


def test_whole_text_and_streamed_lines_decode_alike():
    text = _fixture()
    whole = list(journal.journal_lines(text, BOOT))
    assert len(whole) > 3
    assert list(journal.journal_lines(iter(text.splitlines(True)), BOOT)) == whole


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85"])
def test_a_record_is_split_at_newlines_only(sep):
    """journalctl -o json writes U+2028 and the like raw inside a string: a process
    named with one must not cut its record in two (its kill would be lost), whether
    the records come as one text (the EDA source) or as lines (oom_facts' Stream)."""
    rec = {"MESSAGE": "Killed process 41 (a%sb) total-vm:1kB" % sep, "_TRANSPORT": "kernel",
           "_BOOT_ID": "f" * 32, "__REALTIME_TIMESTAMP": "1764356276000000"}
    text = json.dumps(rec, ensure_ascii=False) + "\n" + json.dumps(dict(rec, MESSAGE="other")) + "\n"
    whole = list(journal.journal_lines(text, BOOT))
    assert len(whole) == 2 and whole[0].endswith("Killed process 41 (a%sb) total-vm:1kB" % sep)
    assert list(journal.journal_lines(iter(text.split("\n")), BOOT)) == whole


def test_only_the_kernels_own_records_are_kernel_lines():
    """journald sets _TRANSPORT and SYSLOG_FACILITY itself: `logger -t kernel` (any
    user) sets only SYSLOG_IDENTIFIER, and a write to /dev/kmsg from user space has a
    facility other than the kernel's 0. Neither is read as the kernel's."""
    kill = "Memory cgroup out of memory: Killed process 77 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB"
    base = {"MESSAGE": kill, "_BOOT_ID": BOOT, "_SOURCE_MONOTONIC_TIMESTAMP": "5000000",
            "__REALTIME_TIMESTAMP": "1764356400000000", "_HOSTNAME": "web1", "_PID": "4242"}
    recs = [
        dict(base, _TRANSPORT="syslog", SYSLOG_IDENTIFIER="kernel", SYSLOG_FACILITY="1"),
        dict(base, _TRANSPORT="kernel", SYSLOG_IDENTIFIER="kernel", SYSLOG_FACILITY="1"),
        dict(base, _TRANSPORT="kernel", SYSLOG_IDENTIFIER="kernel", SYSLOG_FACILITY="0"),
    ]
    lines = list(journal.journal_lines("\n".join(json.dumps(r) for r in recs), BOOT))
    assert lines == ["6,0,5000000,-;" + kill]
    events = []
    parser = scanner.OomLogParser(events.append, reference_time=0)
    for line in lines:
        parser.feed(line)
    parser.flush()
    assert [e["victim"]["pid"] for e in events] == [77]


def test_records_become_parser_lines():
    recs = [
        # a kernel record of this boot: /dev/kmsg style, the kernel's own uptime, backslash escaped
        {"MESSAGE": "Killed process 7 (a\\b)", "_TRANSPORT": "kernel", "_BOOT_ID": BOOT,
         "_SOURCE_MONOTONIC_TIMESTAMP": "5000000", "__REALTIME_TIMESTAMP": "1764356400000000"},
        # a kernel record of another boot (or machine) keeps journald's time, with the kernel's uptime
        {"MESSAGE": "Killed process 8 (b)", "_TRANSPORT": "kernel", "_BOOT_ID": "f" * 32,
         "_SOURCE_MONOTONIC_TIMESTAMP": "5000000", "__REALTIME_TIMESTAMP": "1764356400000000", "_HOSTNAME": "vm"},
        # a userspace record whose message is not UTF-8 (journald's list of bytes), on two lines
        {"MESSAGE": list(b"low memory! \xff\nsecond"), "SYSLOG_IDENTIFIER": "earlyoom", "_PID": "812",
         "__REALTIME_TIMESTAMP": "1764356400000001"},
    ]
    text = "-- Boot x --\n" + "\n".join(json.dumps(r) for r in recs) + "\nnot json\n[1]\n"
    assert list(journal.journal_lines(text, BOOT)) == [
        "6,0,5000000,-;Killed process 7 (a\\x5cb)",
        "2025-11-28T19:00:00.000000+00:00 vm kernel: [    5.000000] Killed process 8 (b)",
        "2025-11-28T19:00:00.000001+00:00 localhost earlyoom[812]: low memory! \ufffd",
        "    second",
    ]


def test_a_kill_from_another_machines_journal_has_the_uptime_its_host_sees():
    """Fleet mode: the collector's copy of vm2's kernel record and vm2's own
    journal give the kill the same uptime (how the EDA playbook finds the kill in
    the host's oom_facts), and the collector's copy keeps journald's time."""
    body = ("Out of memory: Killed process 4321 (python3) total-vm:600000kB, anon-rss:500000kB, "
            "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1100kB oom_score_adj:0")
    rec = {"MESSAGE": body, "_TRANSPORT": "kernel", "_BOOT_ID": "e" * 32, "_HOSTNAME": "vm2",
           "_SOURCE_MONOTONIC_TIMESTAMP": "123456789", "__REALTIME_TIMESTAMP": "1764356400250000"}
    here = L.parse_lines(journal.journal_lines(json.dumps(rec), "e" * 32), boot_time=1764356276.0)
    remote = L.parse_lines(journal.journal_lines(json.dumps(rec), BOOT))
    assert [e["victim"]["pid"] for e in here] == [e["victim"]["pid"] for e in remote] == [4321]
    assert here[0]["uptime"] == remote[0]["uptime"] == 123.456789
    assert remote[0]["time"].startswith("2025-11-28T19:00:00.25")


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


# ---------------------------------------------------------------------------
# read_journal through the real streaming reader: a journalctl script stands for
# the command (Host.which is the only method replaced).

class ScriptHost(_host.Host):
    def __init__(self, journalctl):
        _host.Host.__init__(self)
        self.journalctl = journalctl

    def which(self, name):
        return self.journalctl if name == "journalctl" else None

    def read_text(self, path):
        return BOOT + "\n" if path == "/proc/sys/kernel/random/boot_id" else None


def _script(tmp_path, body):
    path = tmp_path / "journalctl"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


def _kill(pid, mono):
    return json.dumps({"MESSAGE": "Out of memory: Killed process %d (hog) total-vm:1000kB, anon-rss:900kB, "
                                  "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0" % pid,
                       "_TRANSPORT": "kernel", "_BOOT_ID": BOOT, "_SOURCE_MONOTONIC_TIMESTAMP": str(mono)})


def _read(host, timeout=30, check_boot=False):
    collector = _collector.EventCollector(max_events=100)
    journal.read_journal(host, collector, "all", None, check_boot=check_boot, boot_time=1764356400.0,
                         timeout=timeout)
    return collector


def test_a_journalctl_that_hangs_is_killed_and_its_kills_are_kept(tmp_path):
    cmd = _script(tmp_path, "echo '%s'\necho '%s'\nexec sleep 100000" % (_kill(11, 5000000), _kill(12, 6000000)))
    collector = _collector.EventCollector(max_events=100)
    with pytest.raises(SourceError) as exc:
        journal.read_journal(ScriptHost(cmd), collector, "all", None, check_boot=False, boot_time=1764356400.0,
                             timeout=1)
    assert exc.value.reason == "timed out after 1 s"
    assert [e["victim"]["pid"] for e in collector.events()] == [11, 12]


def test_the_time_out_bounds_the_probe_and_the_query_together(tmp_path):
    # the probe (-k ... -n 1) answers after 0.7 s, the query would too: with 1 s for
    # the whole source, the query is cut
    cmd = _script(tmp_path, 'sleep 0.7\ncase " $* " in *" -k "*) echo "kernel: Linux" ;; *) echo "%s" ;; esac'
                  % _kill(13, 7000000).replace('"', '\\"'))
    start = time.monotonic()
    with pytest.raises(SourceError) as exc:
        _read(ScriptHost(cmd), timeout=1, check_boot=True)
    assert exc.value.reason == "timed out after 1 s"
    assert time.monotonic() - start < 10
    assert [e["victim"]["pid"] for e in _read(ScriptHost(cmd), timeout=10, check_boot=True).events()] == [13]


def test_a_journalctl_without_grep_is_asked_again_without_it(tmp_path):
    cmd = _script(tmp_path, 'case " $* " in *" --grep "*) echo "journalctl: unrecognized option --grep" >&2; exit 1 ;;'
                  ' esac\necho \'%s\'' % _kill(14, 8000000))
    assert [e["victim"]["pid"] for e in _read(ScriptHost(cmd)).events()] == [14]


def test_journal_errors_from_a_real_command(tmp_path):
    cmd = _script(tmp_path, 'echo "Failed to open journal: Input/output error" >&2\nexit 1')
    with pytest.raises(SourceError) as exc:
        _read(ScriptHost(cmd))
    assert exc.value.reason == "error: Failed to open journal: Input/output error"
    # --grep that matched nothing: status 1, no output at all
    assert _read(ScriptHost(_script(tmp_path, "exit 1"))).count == 0
    # a probe that finds no journal
    cmd = _script(tmp_path, 'echo "No journal files were found." >&2')
    with pytest.raises(SourceError) as exc:
        _read(ScriptHost(cmd), check_boot=True)
    assert exc.value.reason == "missing"


def test_a_flood_of_records_is_parsed_as_it_arrives_in_bounded_memory(tmp_path):
    # 20 MB of journal records (the same kill over and over, and records that are
    # not kills) through journalctl, the reader, the decoding and the parser
    other = json.dumps({"MESSAGE": "usb 1-1: new high-speed USB device number 2 using xhci_hcd " + "x" * 300,
                        "_TRANSPORT": "kernel", "_BOOT_ID": BOOT, "_SOURCE_MONOTONIC_TIMESTAMP": "100"})
    cmd = _script(tmp_path, "yes '%s\n%s' | head -c 20000000" % (other, _kill(15, 9000000)))
    tracemalloc.start()
    try:
        collector = _read(ScriptHost(cmd), timeout=120)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert collector.count >= 1 and [e["victim"]["pid"] for e in collector.events()] == [15]
    assert peak < 8 * 1024 * 1024, peak


@pytest.mark.parametrize("field, value", [
    ("__REALTIME_TIMESTAMP", "9" * 30), ("__REALTIME_TIMESTAMP", "9" * 5000), ("__REALTIME_TIMESTAMP", "18446744073709551615"),
    ("__REALTIME_TIMESTAMP", "\u00b2"), ("_SOURCE_MONOTONIC_TIMESTAMP", "\u00b2"), ("_SOURCE_MONOTONIC_TIMESTAMP", "9" * 5000),
], ids=["30-digits", "5000-digits", "2^64-1", "superscript-real", "superscript-mono", "5000-digits-mono"])
def test_timestamps_that_are_no_times_leave_the_message(field, value):
    """A record's time that is not one (not ASCII digits, or past 9999) is left out; its message is kept."""
    rec = {"MESSAGE": "Out of memory: Killed process 1 (a) total-vm:1kB, anon-rss:1kB, file-rss:0kB",
           "_TRANSPORT": "kernel", "_BOOT_ID": "b", field: value}
    lines = list(journal.journal_lines(json.dumps(rec), "b"))
    assert len(lines) == 1 and lines[0].endswith(rec["MESSAGE"]) and "\u00b2" not in lines[0]


@pytest.mark.hostile
def test_a_record_nested_past_the_recursion_limit_is_skipped():
    # journalctl never writes one; a broken or fake one must not end the module
    # in a RecursionError
    deep = '{"MESSAGE":' + "[" * 100000 + "]" * 100000 + "}\n"
    good = '{"MESSAGE":"x","_BOOT_ID":"%s","__REALTIME_TIMESTAMP":"1"}\n' % BOOT
    assert len(list(journal.journal_lines(deep + good, BOOT))) == len(list(journal.journal_lines(good, BOOT)))

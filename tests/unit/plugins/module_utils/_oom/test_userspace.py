# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kills by userspace killers (systemd-oomd, earlyoom) and systemd's per-unit OOM
lines, read through the whole parser from real and constructed log lines."""

from __future__ import annotations

import io

import pytest

from ansible_collections.sre.oom.tests.unit.plugins.module_utils._oom.oomlog import (
    MODES, REF, L, _collect, fixture, parse)


# ---------------------------------------------------------------------------
# Userspace killers (fixtures: real lines and lines built from the daemons'
#     format strings, sources in each fixture's header)

OOMD_APP = "/user.slice/user-1000.slice/user@1000.service/app.slice/"


@pytest.mark.parametrize("mode", MODES)
def test_systemd_oomd_kills_of_every_format(mode):
    events = parse("userspace-systemd-oomd.log", mode)
    assert [(e["killer"], e["kind"], e["reason"], e["cgroup"]) for e in events] == [
        ("systemd-oomd", "userspace", "memory_pressure", OOMD_APP + "app-zcode-7806.scope"),
        ("systemd-oomd", "userspace", "swap", "/system.slice/batch.service"),
        ("systemd-oomd", "userspace", "swap",
         OOMD_APP + "app-graphical.slice/app-Hyprland-xdg\\x2dterminal\\x2dexec-ea541d95.scope"),
        ("systemd-oomd", "userspace", "memory_pressure", OOMD_APP + "app-firefox-4411.scope"),
    ]
    first = events[0]
    assert first["signal"] == "SIGKILL" and first["memcg"] == first["cgroup"]
    assert first["oom_memcg"] == "/user.slice/user-1000.slice/user@1000.service"
    assert first["unit"] == "app-zcode-7806.scope"
    assert first["time"] == "2026-09-18T02:27:12Z"
    assert first["victim"]["pid"] is None and first["invoker"]["comm"] is None
    assert events[1]["unit"] == "batch.service" and events[1]["oom_memcg"] is None
    # systemd's "systemd-oomd killed 1463 process(es) in this unit." completes the kill
    assert events[2]["unit_oom_logged"] is True and events[0]["unit_oom_logged"] is False


@pytest.mark.parametrize("mode", MODES)
def test_earlyoom_kills_of_every_version(mode):
    events = parse("userspace-earlyoom.log", mode)
    got = [(e["killer"], e["reason"], e["signal"], e["victim"]["pid"], e["victim"]["comm"], e["victim"]["uid"],
            e["victim"]["rss_kb"]) for e in events]
    assert got == [
        ("earlyoom", "low_memory", "SIGTERM", 2232050, "bun", 1000, 4514 * 1024),
        ("earlyoom", "low_memory", "SIGTERM", 2677144, "llama-server", 996, 11791 * 1024),
        ("earlyoom", "low_memory", "SIGKILL", 3001, "my (weird) app", None, 2048 * 1024),
        ("earlyoom", "low_memory", None, 3100, "chromium", None, 1500 * 1024),
        ("earlyoom", "low_memory", "SIGKILL", 3200, "java", None, None),
    ]
    assert all(e["kind"] == "userspace" and e["cgroup"] is None for e in events)
    assert events[0]["time"] == "2026-09-11T01:54:23Z"


@pytest.mark.parametrize("mode", MODES)
def test_systemd_unit_lines_complete_the_kernel_kill_not_add_events(mode):
    events = parse("unit-lines-kernel-kill.log", mode)
    assert [(e["killer"], e["victim"]["pid"]) for e in events] == [("kernel", 6999)]
    ev = events[0]
    assert ev["unit"] == "hog-fixture.service"
    assert ev["unit_result"] == "oom-kill" and ev["unit_oom_logged"] is True
    assert ev["invoker"]["pid"] == 6999


@pytest.mark.parametrize("mode", MODES)
def test_unit_line_logged_before_the_kernel_kill_completes_it(mode):
    # 036 (real): journald stamped systemd's line a second before the kernel's
    [ev] = parse("036-codescout-journal-global.log", mode)
    assert ev["killer"] == "kernel" and ev["unit_oom_logged"] is True


def test_userspace_lines_of_other_programs_are_ignored():
    lines = [
        "Oct  2 08:00:01 h myapp[1]: sending SIGTERM to process 5 uid 0 \"x\": badness 1, VmRSS 1 MiB",
        "Oct  2 08:00:01 h systemd-oomd[2]: Considered 3 cgroups for killing, top candidates were:",
        "Oct  2 08:00:01 h kernel: Killed /a due to memory pressure for /b being 1.00% > 0.50% for > 1s with",
    ]
    assert L.parse_lines(lines, reference_time=REF) == []


def test_journal_continuation_of_a_userspace_message_is_joined():
    lines = [
        "Sep 18 02:27:12 dev systemd-oomd[944]: Killed /system.slice/a.service",
        "                                       due to swap used (1) / total (2) being more than 90.00%",
    ]
    [ev] = L.parse_lines(lines, reference_time=REF)
    assert ev["cgroup"] == "/system.slice/a.service" and ev["reason"] == "swap"


def test_same_userspace_kill_from_journal_and_file_is_reported_once():
    coll = _collect([("userspace-earlyoom.log", "file", {}), ("userspace-earlyoom.log", "journal", {})])
    assert coll.count == 5 and coll.duplicates == 5
    assert coll.killer_counts == {"kernel": 0, "systemd-oomd": 0, "earlyoom": 5, "nohang": 0}


def test_userspace_kill_deep_in_a_mixed_syslog_file_is_found_by_the_fast_path():
    # /var/log/syslog: kernel and other programs' lines; the earlyoom kill sits
    # several parts in
    filler = b"".join(b"Oct  2 07:%02d:00 gpu CRON[%d]: (root) CMD (run-parts /etc/cron.hourly)\n"
                      b"Oct  2 07:%02d:01 gpu kernel: [ 12.5] usb 1-1: new device\n" % (i % 60, i, i % 60)
                      for i in range(30000))
    data = filler + open(fixture("userspace-earlyoom.log"), "rb").read()
    events = L.parse_bytes_file(io.BytesIO(data), reference_time=REF)
    assert [e["victim"]["pid"] for e in events] == [2232050, 2677144, 3001, 3100, 3200]


def _nohang_2019_kill(*victim_lines):
    """One kill in nohang's early-2019 format with these victim lines, line by line
    through the parser: (the one event, the parser)."""
    lines = ["Oct  3 09:10:00 ws nohang[700]: " + text for text in (
        ("Found a process with highest badness:", "  Name:     java") + victim_lines
        + ("Implement a corrective action:", "  Send SIGKILL to the victim; OK; response time: 8 ms"))]
    coll = L.EventCollector()
    parser = L.OomLogParser(coll, source="file", reference_time=REF)
    for line in lines:
        parser.feed(line)
    parser.flush()
    [ev] = coll.events()
    return ev, parser


@pytest.mark.parametrize("rss", ["inf", "1e999", "nan"])
def test_a_nohang_victim_with_a_size_that_is_no_number(rss):
    """The kill is kept with its size unknown; the parser counts no error."""
    ev, parser = _nohang_2019_kill("  PID:      5100", "  VmRSS:    %s MiB" % rss)
    assert ev["killer"] == "nohang" and ev["victim"]["pid"] == 5100 and ev["victim"]["rss_kb"] is None
    assert parser.errors == 0


def test_a_nohang_victim_with_a_pid_of_unicode_digits_is_kept_without_it():
    """'\u00b2' passes str.isdigit() but is no number: the pid and uid are unknown, no error."""
    ev, parser = _nohang_2019_kill("  PID:      51\u00b200", "  EUID:     \u00b2", "  VmRSS:    5 MiB")
    assert ev["victim"]["pid"] is None and ev["victim"]["uid"] is None and ev["victim"]["comm"] == "java"
    assert parser.errors == 0

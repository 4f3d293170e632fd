# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The file fast path: a file parsed through ``feed_file`` gives the events of the
line path, wherever its part and chunk boundaries fall (the real 1 MiB parts and
2 MiB chunks, moved through a log by lines before it), with long lines or compressed."""

from __future__ import annotations

import gzip
import io

import pytest

from ansible_collections.sre.oom.tests.unit.plugins.module_utils._oom.oomlog import CHUNK, REF, L, boundary_at, fixture


def test_gzip_rotated_file_through_the_fast_path():
    raw = open(fixture("030-centos8-grep-oom.log"), "rb").read()
    with gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(raw))) as f:
        events = L.parse_bytes_file(f, reference_time=REF)
    assert [e["victim"]["pid"] for e in events] == [2092, 633552, 11948]


BOUNDARY_LOGS = ["real-6.18-kmsg.txt", "real-6.18-dmesg-T-fr.txt", "033-memeater-rfc3339-callerid.log",
                 "pub-4.x-linux-mm-memcg-child.log", "031-harvester-dmesgT-kubevirt.log", "userspace-systemd-oomd.log",
                 "userspace-earlyoom.log", "unit-lines-kernel-kill.log", "036-codescout-journal-global.log"]


def _read(name):
    with open(fixture(name), "rb") as f:
        return f.read()


@pytest.mark.parametrize("eighth", range(1, 8))
@pytest.mark.parametrize("name", BOUNDARY_LOGS)
def test_part_boundaries_do_not_change_the_result(name, eighth):
    data = _read(name)
    padded = boundary_at(data, len(data) * eighth // 8)
    want = L.parse_lines(io.BytesIO(data), reference_time=REF)
    assert want
    # the lines put before it change nothing, through either path
    assert L.parse_lines(io.BytesIO(padded), reference_time=REF) == want
    assert L.parse_bytes_file(io.BytesIO(padded), reference_time=REF) == want


@pytest.mark.parametrize("name", ["real-6.18-kmsg.txt", "036-codescout-journal-global.log"])
def test_a_chunk_boundary_does_not_change_the_result(name):
    data = _read(name)
    padded = boundary_at(data, len(data) // 2, CHUNK)
    assert len(padded) > CHUNK
    assert L.parse_bytes_file(io.BytesIO(padded), reference_time=REF) == L.parse_lines(io.BytesIO(data),
                                                                                       reference_time=REF)


def test_a_line_longer_than_the_chunk_is_cut_not_kept():
    data = b"x" * (CHUNK + 5000) + b"\n" + _read("030-centos8-grep-oom.log")
    events = L.parse_bytes_file(io.BytesIO(data), reference_time=REF)
    assert len(events) == 3


def _kill_line(i):
    return ("[%12.6f] Out of memory: Killed process %d (w) total-vm:1000kB, anon-rss:100kB, file-rss:0kB, "
            "shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0\n" % (1.0 + i, 100 + i)).encode()


NOISE = [b"[    0.500000] kvm: no capital k here\n", b"[    0.500000] KVM: one per line\n",
         b"[    0.500000] KVM: " + b"K KK " * 40 + b"end\n"]


@pytest.mark.parametrize("noise", NOISE, ids=["none", "one-per-line", "121-per-line"])
def test_kills_are_found_whatever_the_capital_ks_around_them(noise):
    # the anchor is found through its first byte "K"; a part with more than one
    # false "K" per KiB is searched for the literal instead: every kill is found
    # either way, before and after that switch, and in a "K" of its own line
    data = b"".join(noise * 30 + _kill_line(i) for i in range(40))
    data += b"[   99.000000] Memory cgroup out of memory: Killed process 9 (Killed process 8) total-vm:1kB, " \
            b"anon-rss:1kB, file-rss:0kB\n"
    want = L.parse_lines(io.BytesIO(data), reference_time=REF)
    assert [e["victim"]["pid"] for e in want] == list(range(100, 140)) + [9]
    assert L.parse_bytes_file(io.BytesIO(data), reference_time=REF) == want
    padded = boundary_at(data, len(data) // 2)
    assert L.parse_bytes_file(io.BytesIO(padded), reference_time=REF) == want


# ---------------------------------------------------------------- the fast path agrees with the line path

def _reap_line(up, pid):
    return ("[%12.6f] oom_reaper: reaped process %d (w), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n"
            % (up, pid)).encode()


@pytest.mark.parametrize("shift", range(-16, 4))
def test_a_reaper_line_across_the_edge_of_the_last_kills_window(shift):
    """Kill A, 8 KiB of other lines, kill B and B's reaper line: the window after A
    (8 KiB) ends inside "reaped process" of B's line for some of these shifts."""
    a = _kill_line(0)
    b = _kill_line(1)
    filler = b"[    1.500000] usb 1-1: new high-speed USB device number 2 using xhci_hcd\n"
    reap_at = len(a) - 1 + 8192 + shift          # where "reaped process" should start
    body = a
    while len(body) + len(filler) + len(b) + 200 < reap_at:
        body += filler
    pad = reap_at - len(body) - len(b) - len(b"[    2.000001] oom_reaper: ") - len(b"[    1.600000] x\n")
    body += b"[    1.600000] x" + b"y" * pad + b"\n"
    data = body + b + _reap_line(2.000001, 101)
    assert data.find(b"reaped process") == reap_at
    want = L.parse_lines(io.BytesIO(data), reference_time=REF)
    assert [(e["victim"]["pid"], e["reaped"]) for e in want] == [(100, False), (101, True)]
    assert L.parse_bytes_file(io.BytesIO(data), reference_time=REF) == want


def _syslog_flood(size):
    """A firewall's kernel lines (or a big machine's boot): a head of kernel lines only."""
    line = b"Nov 28 10:00:00 fw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=10.0.0.7 DST=10.0.0.1 PROTO=TCP DPT=22\n"
    return line * (size // len(line) + 1)


USERSPACE_AFTER_FLOOD = (
    b"Nov 28 10:05:00 fw earlyoom[500]: sending SIGTERM to process 4242 uid 1000 \"chrome\": badness 900, "
    b"VmRSS 3000 MiB\n"
    b"Nov 28 10:06:00 fw systemd-oomd[600]: Killed /system.slice/batch.service due to memory pressure for "
    b"/system.slice being 81.00% > 50.00% for > 20s with reclaim activity\n"
    b"Nov 28 10:06:00 fw systemd[1]: batch.service: systemd-oomd killed 3 process(es) in this unit.\n"
    b"Nov 28 10:06:00 fw systemd[1]: batch.service: Failed with result 'oom-kill'.\n")


@pytest.mark.parametrize("flood_kib", [64, 300, 1500, 2600])
def test_userspace_lines_after_a_flood_of_kernel_lines(flood_kib):
    """The file is taken for kernel-only on its first 256 KiB; the tail of each part
    says otherwise, and from that part on userspace killers' lines are read."""
    data = _syslog_flood(flood_kib << 10) + USERSPACE_AFTER_FLOOD
    want = L.parse_lines(io.BytesIO(data), reference_time=REF)
    assert [(e["killer"], e["unit_result"]) for e in want] == [("earlyoom", None), ("systemd-oomd", "oom-kill")]
    assert L.parse_bytes_file(io.BytesIO(data), reference_time=REF) == want


@pytest.mark.parametrize("unit", [
    b"x systemd-oomd illed 'oom-kill'\n",
    b"Found a process with highest badness:\n" + b"  Send SIGTERM to the victim\n" * 290,
], ids=["oomd-kill-lines", "untagged-nohang-victim-lines"])
def test_overlapping_windows_cost_linear_time_and_bounded_memory(unit):
    """Every line opens a window over the lines after (or before) it: each line is
    handed to the parser once however many windows hold it."""
    from ansible_collections.sre.oom.plugins.module_utils._oom import collector, scanner
    fed = []

    class Counting(scanner.OomLogParser):
        def _feed_lines(self, buf, start, end, starts):
            fed.append(len(starts))
            return super()._feed_lines(buf, start, end, starts)

    data = unit * ((1 << 20) // len(unit))
    Counting(collector.EventCollector(), source="file", reference_time=REF).feed_file(io.BytesIO(data))
    lines = data.count(b"\n")
    assert sum(fed) <= 3 * lines


@pytest.mark.parametrize("nuls", [1, 8192, 40000, 3 << 20])
def test_a_kill_line_after_the_nuls_of_a_crash(nuls):
    """A syslog recovered after a crash: its lost end is NULs, the next lines follow them."""
    kill = (b"Nov 28 19:06:23 vm kernel: [  383.500000] Out of memory: Killed process 6999 (hog) "
            b"total-vm:1kB, anon-rss:1kB, file-rss:0kB\n")
    data = b"Nov 28 19:00:00 vm kernel: [    1.000000] booting\n" + b"\x00" * nuls + kill
    want = L.parse_lines(io.BytesIO(data), reference_time=REF)
    assert [e["victim"]["pid"] for e in want] == [6999]
    assert L.parse_bytes_file(io.BytesIO(data), reference_time=REF) == want

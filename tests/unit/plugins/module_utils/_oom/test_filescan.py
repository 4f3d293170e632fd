# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The file fast path: a file parsed through ``feed_file`` gives the events of the
line path, whatever the chunk boundaries, long lines or compression."""

from __future__ import annotations

import gzip
import io

import pytest

from ansible_collections.sre.oom.tests.unit.plugins.module_utils._oom.oomlog import REF, L, fixture


def test_gzip_rotated_file_through_the_fast_path():
    raw = open(fixture("030-centos8-grep-oom.log"), "rb").read()
    with gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(raw))) as f:
        events = L.parse_bytes_file(f, reference_time=REF, utc_offset=0)
    assert [e["victim"]["pid"] for e in events] == [2092, 633552, 11948]


# Chunks must hold the longest line (a summary line with two long cgroup paths
# is ~600 bytes); the module uses 8 MiB.
@pytest.mark.parametrize("chunk", [2048, 4096, 16384, 65536])
@pytest.mark.parametrize("name", ["real-6.18-kmsg.txt", "real-6.18-dmesg-T-fr.txt", "033-memeater-rfc3339-callerid.log",
                                  "pub-4.x-linux-mm-memcg-child.log", "031-harvester-dmesgT-kubevirt.log",
                                  "userspace-systemd-oomd.log", "userspace-earlyoom.log", "unit-lines-kernel-kill.log",
                                  "036-codescout-journal-global.log"])
def test_chunk_boundaries_do_not_change_the_result(name, chunk):
    with open(fixture(name), "rb") as f:
        want = L.parse_lines(f, reference_time=REF, utc_offset=0)
    with open(fixture(name), "rb") as f:
        got = L.parse_bytes_file(f, chunk_size=chunk, reference_time=REF, utc_offset=0)
    assert got == want


def test_a_line_longer_than_the_buffer_is_cut_not_kept():
    data = b"x" * 5000 + b"\n" + open(fixture("030-centos8-grep-oom.log"), "rb").read()
    events = L.parse_bytes_file(io.BytesIO(data), chunk_size=1024, reference_time=REF, utc_offset=0)
    assert len(events) == 3

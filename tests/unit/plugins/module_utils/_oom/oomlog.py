# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the room tests that parse whole logs (no tests here).

Fixtures under ../fixtures/oom/: the shared public logs (030-036, sources in
shared-expected.json), public excerpts (pub-*, source in each file's header),
and real logs of OOM kills provoked on this project's test VM (real-6.18-*).
Rows in the tables of the tests that are not taken from a fixture say so: they
are built from the kernel's format strings for eras no fixture covers.
"""

from __future__ import annotations

import calendar
import os

from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup, collector, formats, kernel, scanner

FIX = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "oom")
# 2026-11-29T00:00:00Z: the "now" of the fixtures (RFC 3164 year inference)
REF = calendar.timegm((2026, 11, 29, 0, 0, 0, 0, 0, 0))


class L(object):
    """The parser's names as the tests use them (test-only entry points live here)."""

    split_prefix = staticmethod(formats.split_prefix)
    iso_utc = staticmethod(formats.iso_utc)
    cgroup_unit = staticmethod(cgroup.cgroup_unit)
    cgroup_container_id = staticmethod(cgroup.cgroup_container_id)
    cgroup_pod_uid = staticmethod(cgroup.cgroup_pod_uid)
    new_event = staticmethod(kernel.new_event)
    KINDS = kernel.KINDS
    OomLogParser = scanner.OomLogParser
    EventCollector = collector.EventCollector

    @staticmethod
    def parse_lines(lines, **kwargs):
        """All events of an iterable of lines, through the line path."""
        out = []
        parser = scanner.OomLogParser(out.append, **kwargs)
        for line in lines:
            parser.feed(line)
        parser.flush()
        assert parser.errors == 0
        return [scanner.public(e) for e in out]

    @staticmethod
    def parse_bytes_file(fileobj, **kwargs):
        """All events of a binary file object, through the file fast path."""
        out = []
        parser = scanner.OomLogParser(out.append, **kwargs)
        parser.feed_file(fileobj)
        assert parser.errors == 0
        return [scanner.public(e) for e in out]


def fixture(name):
    return os.path.join(FIX, name)


# The file fast path (filescan) reads a file in chunks of 2 MiB and chooses its
# lines in parts of 1 MiB cut at line ends. A test moves a part or chunk boundary
# through a log by putting lines that no parser reads (another program's) before it.
PART = 1 << 20
CHUNK = 2 << 20
OTHER = b"Nov  1 00:00:00 h CRON[1]: (root) CMD (true)\n"


def boundary_at(data, at, boundary=PART):
    """``data`` (bytes) behind other programs' lines, so that the fast path's first
    part boundary (``boundary=CHUNK``: its first chunk boundary) falls in the line of
    ``data`` that holds about its byte ``at`` (within one such line's length)."""
    return OTHER * ((boundary - at) // len(OTHER)) + data


def parse(name, mode, **kw):
    kw.setdefault("reference_time", REF)
    with open(fixture(name), "rb") as f:
        if mode == "lines":
            return L.parse_lines(f, **kw)
        return L.parse_bytes_file(f, **kw)


MODES = ["lines", "fast"]


def flat(ev):
    """The fields of shared-expected.json, from an event."""
    v, i = ev["victim"], ev["invoker"]
    return {
        "victim_pid": v["pid"], "victim_comm": v["comm"], "uid": v["uid"],
        "total_vm_kb": v["total_vm_kb"], "anon_rss_kb": v["anon_rss_kb"], "file_rss_kb": v["file_rss_kb"],
        "shmem_rss_kb": v["shmem_rss_kb"], "oom_score_adj": v["oom_score_adj"],
        "constraint": ev["constraint"], "memcg": ev["memcg"], "oom_memcg": ev["oom_memcg"],
        "invoker_comm": i["comm"], "invoker_pid": i["pid"], "gfp_mask": i["gfp_mask"], "order": i["order"],
        "invoker_oom_score_adj": i["oom_score_adj"], "kind": ev["kind"], "reaped": ev["reaped"],
    }


HEX_A = "3f9a1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"
HEX_B = "9e8d7c6b5a49382716059f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a"


def _collect(sources, **kw):
    coll = L.EventCollector(**kw)
    for name, src, extra in sources:
        parser = L.OomLogParser(coll, source=src, reference_time=REF, **extra)
        with open(fixture(name), "rb") as f:
            parser.feed_file(f)
    return coll

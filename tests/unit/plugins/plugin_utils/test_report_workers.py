# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's workers: how a fleet is cut in parts, and forked parts coming back in order."""

from __future__ import annotations

import os

import pytest

from ansible_collections.sre.oom.plugins.plugin_utils import _report_workers as w


@pytest.mark.parametrize('count, cpus, parts', [
    (0, 8, 1), (1999, 8, 1), (2000, 1, 1), (2000, 2, 2), (2001, 2, 2), (2999, 3, 2), (3000, 3, 3),
    (20000, 2, 2), (20000, 64, 4), (50000, 4, 4),
])
def test_split_cuts_contiguous_parts_of_at_least_min_hosts(count, cpus, parts):
    ranges = w.split(count, cpus)
    assert len(ranges) == parts
    assert ranges[0][0] == 0 and ranges[-1][1] == count
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))          # contiguous, in order
    sizes = [stop - start for start, stop in ranges]
    assert max(sizes) - min(sizes) <= 1
    assert parts == 1 or min(sizes) >= w.MIN_HOSTS


def test_run_returns_every_part_in_order_from_children():
    def build(i, start, stop, in_child):
        return i, list(range(start, stop)), in_child, os.getpid()
    results = w.run([(0, 3), (3, 5), (5, 9)], build)
    assert [r[0] for r in results] == [0, 1, 2]
    assert [x for r in results for x in r[1]] == list(range(9))
    assert [r[2] for r in results] == [False, True, True]
    assert len({r[3] for r in results}) == 3 and results[0][3] == os.getpid()


def test_a_result_that_does_not_pickle_is_built_again_here():
    def build(i, start, stop, in_child):
        return (lambda: None) if in_child else (i, in_child)     # a lambda cannot be pickled
    assert w.run([(0, 1), (1, 2)], build) == [(0, False), (1, False)]

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_oom.badness: oom_badness() per kernel era, what it reads of a task, the order
and the ranking change oom_unit shows (pure: records in, ranks out)."""

from __future__ import annotations

import pytest

from ansible_collections.sre.oom.plugins.module_utils._oom import badness
from ansible_collections.sre.oom.tests.unit.plugins.module_utils._oom.procfs import status


# ---------------------------------------------------------------------------
# the formula

@pytest.mark.parametrize("era,rec,total,expected", [
    # 6.x: pages + adj * (totalpages // 1000); 256 MB = 65536 pages -> 65 pages per adj step
    ((6, 18), {"rss_kb": 40960, "swap_kb": 0, "pgtables_kb": 120, "oom_score_adj": 900}, 65536, 10270 + 900 * 65),
    ((6, 18), {"rss_kb": 400, "swap_kb": 0, "pgtables_kb": 0, "oom_score_adj": -999}, 65536, 100 - 999 * 65),
    ((6, 18), {"rss_kb": 400, "swap_kb": 4000, "pgtables_kb": 40, "oom_score_adj": 0}, 999, 1110),
    ((6, 18), {"rss_kb": 400, "swap_kb": 0, "pgtables_kb": 0, "oom_score_adj": -1000}, 65536, None),
    # 4.17 - 5.8: never below 1
    ((5, 8), {"rss_kb": 400, "swap_kb": 0, "pgtables_kb": 0, "oom_score_adj": -999}, 65536, 1),
    # 3.8 - 4.16: CAP_SYS_ADMIN takes 3% off the pages
    ((4, 16), {"rss_kb": 40000, "swap_kb": 0, "pgtables_kb": 0, "oom_score_adj": 0, "cap_sys_admin": True},
     65536, 10000 - 300),
    # before 3.8: scaled to 0-1000
    ((3, 2), {"rss_kb": 131072, "swap_kb": 0, "pgtables_kb": 0, "oom_score_adj": 10}, 65536, 500 + 10),
], ids=["6.x", "6.x-negative", "6.x-swap-pgtables-small-domain", "never", "5.8-clamp", "4.16-root-bonus",
        "3.2-scaled"])
def test_badness_per_kernel_era(era, rec, total, expected):
    assert badness.badness(rec, total, 4, era) == expected


def test_kernel_era_parsing():
    assert badness.kernel_era("6.18.44-fc-v1300\n") == (6, 18)
    assert badness.kernel_era("4.9.0-rc3") == (4, 9)
    assert badness.kernel_era("garbage") == (0, 0)
    assert badness.kernel_era("6.1\u00b2-rc1") == (6, 1)      # a digit int() refuses is no digit


@pytest.mark.parametrize("text,expected", [
    (status("java", 1000, rss_file=24), {"comm": "java", "rss_kb": 1024, "swap_kb": 0, "pgtables_kb": 8,
                                         "exiting": False, "cap_sys_admin": False}),
    (status("dying", 10, shdpnd="0000000000000100", cap="000001fffeffffff"),
     {"comm": "dying", "rss_kb": 10, "swap_kb": 0, "pgtables_kb": 8, "exiting": True, "cap_sys_admin": True}),
    ("Name:\tkworker/0:1\nState:\tI (idle)\nKthread:\t1\n", None),
    (status("kthread-with-mm", 10, kthread="1"), None),
    ("Name:\tzombie\nState:\tZ (zombie)\n", None),
    ("", None),
], ids=["plain", "sigkill-pending", "kernel-thread", "kthread-flag", "zombie", "empty"])
def test_parse_status(text, expected):
    assert badness.parse_status(text) == expected


@pytest.mark.parametrize("comm", ["C:\\temp\\new.exe", "a\\nb", "\\\\n", "new\nline\\t\tend\\"],
                         ids=["backslash-t-n", "backslash-n", "double", "newline-tab-trailing"])
def test_parse_status_undoes_the_kernels_escapes_of_the_name_only(comm):
    # the kernel escapes a newline as \n and a backslash as \\, nothing else
    escaped = comm.replace("\\", "\\\\").replace("\n", "\\n")
    assert badness.parse_status(status(escaped, 10))["comm"] == comm


# ---------------------------------------------------------------------------
# the ranking change oom_unit shows

def test_ranking_change_says_rank_before_and_after():
    procs = [{"pid": p, "comm": c, "rss_kb": r, "swap_kb": 0, "pgtables_kb": 0, "oom_score_adj": a}
             for p, c, r, a in [(1, "a", 4000, 0), (2, "b", 3000, 0), (3, "sshd", 2000, 0), (4, "d", 1000, 0)]]
    out = badness.ranking_change(procs, 1000000, 4, {3: -1000, 4: 500})
    assert out == [
        {"pid": 4, "comm": "d", "before": 4, "after": 1, "oom_score_adj_before": 0, "oom_score_adj_after": 500},
        {"pid": 3, "comm": "sshd", "before": 3, "after": None, "oom_score_adj_before": 0,
         "oom_score_adj_after": -1000},
    ]
    assert badness.describe_change(out[1], "ssh.service") == "sshd (3, ssh.service): 3rd -> never"
    assert [badness.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 111, None)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "111th", "never"]


def test_shortlist_keeps_ties_and_unreadable_scores():
    assert sorted(badness.global_shortlist({1: 5, 2: 9, 3: 9, 4: 7, 5: None}, 2)) == [2, 3, 5]
    assert sorted(badness.global_shortlist({1: 5, 2: 9, 3: 8}, 3)) == [1, 2, 3]
    assert badness.global_shortlist({1: 5, 2: None}, 0) == [2]

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the room tests that read /proc (no tests here)."""

from __future__ import annotations

GB = 1 << 20      # in kB


def status(name, rss_anon, rss_file=0, swap=0, pte=8, shdpnd="0000000000000000", kthread="0", cap="0"):
    return ("Name:\t%s\nState:\tS (sleeping)\nKthread:\t%s\nVmRSS:\t%d kB\nRssAnon:\t%d kB\nRssFile:\t%d kB\n"
            "RssShmem:\t0 kB\nVmPTE:\t%d kB\nVmSwap:\t%d kB\nSigPnd:\t0000000000000000\nShdPnd:\t%s\n"
            "CapEff:\t%s\n" % (name, kthread, rss_anon + rss_file, rss_anon, rss_file, pte, swap, shdpnd, cap))

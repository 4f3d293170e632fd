# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the errors of the EDA source sre.oom.oom_kills. Not a public API.

ansible-rulebook shows the class name and the message of what the source raises.
"""

from __future__ import annotations


class OomKillsError(Exception):
    """A bad argument or an unusable log source; the message says which and why."""


class JournaldGone(OomKillsError):
    """journald stopped while the local journal was followed."""

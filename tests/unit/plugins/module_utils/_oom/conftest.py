# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host's time zone of the _oom room tests.

Wall-clock stamps without an offset (syslog, ``dmesg -T``, journal output) are
in the host's zone, as the parser reads them on a host. Every test here runs in
UTC, so that the fixtures' times are the same on every machine; a test about
another zone asks for ``host_zone`` and sets it (a POSIX TZ value or a zone
name). The zone and the parser's per-process cache of hour starts are restored
afterwards.
"""

from __future__ import annotations

import time

import pytest

from ansible_collections.sre.oom.plugins.module_utils._oom import formats


@pytest.fixture(autouse=True)
def host_zone(monkeypatch):
    """Set the process's time zone (the host's local time), restored afterwards."""
    def set_zone(name):
        monkeypatch.setenv("TZ", name)
        time.tzset()
        # a process has one zone: the hour starts it cached belong to the last one
        monkeypatch.setattr(formats, "_EPOCH_CACHE", {})
    set_zone("UTC0")
    yield set_zone
    monkeypatch.undo()
    time.tzset()

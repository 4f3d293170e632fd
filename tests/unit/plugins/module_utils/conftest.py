# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Markers of the module_utils tests."""

from __future__ import annotations

import contextlib
import posixpath
import signal

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "hostile: hostile input under a time bound (run alone with `-m hostile`)")


class DictHost(object):
    """The host seam over dicts: ``files`` maps a path to its text, ``xattrs``
    maps (path, name) to bytes; a directory exists when a file lies under it."""

    def __init__(self, files, xattrs=None):
        self.files = files
        self.xattrs = xattrs or {}

    def read_text(self, path):
        return self.files.get(path)

    def listdir(self, path):
        prefix = path.rstrip("/") + "/"
        return sorted({p[len(prefix):].split("/")[0] for p in self.files if p.startswith(prefix)})

    def walk(self, top):
        dirs = {}
        for p in self.files:
            if p.startswith(top.rstrip("/") + "/"):
                d, name = posixpath.split(p)
                dirs.setdefault(d, []).append(name)
        for d in sorted(dirs, key=lambda d: d.split("/")):
            yield d, [], dirs[d]

    def getxattr(self, path, name):
        return self.xattrs.get((path, name))


@pytest.fixture
def dict_host():
    """Make a faked host (read_text/listdir/walk/getxattr) from dicts: dict_host(files, xattrs=None)."""
    return DictHost


class TooSlow(Exception):
    """Raised by ``within`` when its block outlives the deadline."""


@contextlib.contextmanager
def _within(seconds):
    def _alarm(signum, frame):
        raise TooSlow("still running after %s s" % seconds)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="session")
def within():
    """``with within(seconds):`` fails the test with TooSlow when the block runs
    longer than ``seconds`` (wall time, SIGALRM): a time bound far above what the
    block needs, so that a hang or a quadratic parse fails instead of stalling."""
    return _within

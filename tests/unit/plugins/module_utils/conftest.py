# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Markers of the module_utils tests."""

from __future__ import annotations

import posixpath

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

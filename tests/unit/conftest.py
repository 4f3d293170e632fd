# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Markers shared by every unit test.

``hostile``: a test that feeds a room input meant to break it (malformed,
huge, binary, crafted to backtrack, racing files) and checks that it refuses
cleanly, changes nothing and stays linear. Mark a test with
``@pytest.mark.hostile``; every test in a file named ``test_*_hostile.py`` gets
the marker by itself. ``make hostile-tests`` runs them alone (``-m hostile``).
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config):
    config.addinivalue_line('markers', 'hostile: hostile-input test (malformed, huge or crafted input); run alone with -m hostile')


def pytest_collection_modifyitems(items):
    for item in items:
        name = os.path.basename(str(item.fspath))
        if name.startswith('test_') and name.endswith('_hostile.py'):
            item.add_marker(pytest.mark.hostile)

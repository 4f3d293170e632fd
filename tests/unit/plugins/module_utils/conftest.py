# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Markers of the module_utils tests."""

from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "hostile: hostile input under a time bound (run alone with `-m hostile`)")

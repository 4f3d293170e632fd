# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's files on disk: JSON round trip, files written as one set."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.sre.oom.plugins.plugin_utils import _render_files
from ansible_collections.sre.oom.tests.unit.plugins.plugin_utils.reportfacts import HOSTILE


@pytest.mark.hostile
def test_json_round_trips_hostile_strings(hostile):
    back = json.loads(_render_files.to_json(hostile[0]))
    assert back['hosts'][0]['events'][0]['victim']['comm'] == HOSTILE


def test_file_set_replaces_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / 'report.json'
    target.write_text('old')
    files = _render_files.FileSet()
    files.add(str(target), 'new')
    files.commit()
    assert target.read_text() == 'new'
    assert oct(os.stat(target).st_mode & 0o777) == '0o644'
    assert sorted(os.listdir(tmp_path)) == ['report.json']


def test_file_set_failure_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / 'index.html'
    target.write_text('old')
    files = _render_files.FileSet()
    files.add(str(target), 'new')

    def boom(src, dst):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(os, 'replace', boom)
    with pytest.raises(OSError):
        files.commit()
    assert target.read_text() == 'old'
    assert sorted(os.listdir(tmp_path)) == ['index.html']

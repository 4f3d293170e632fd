# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_transaction: one run's changes committed one by one and undone together."""

from __future__ import annotations

import os
import stat

from ansible_collections.sre.oom.plugins.module_utils import _atomic, _managed, _transaction


def test_transaction_undo_restores_content_mode_and_removes_what_it_created(tmp_path):
    old = tmp_path / "old.conf"
    old.write_text(_managed.header("sre.oom.test") + "a\n")
    os.chmod(str(old), 0o600)
    before = _managed.file_state(str(old))
    new = tmp_path / "new.d" / "new.conf"
    tx = _transaction.Transaction(None)
    tx.commit(_transaction.Change(str(old), before, "b\n", 0o644))
    tx.stage(_transaction.Change(str(new), None, "c\n", 0o644))
    tx.commit(_transaction.Change(str(new), None, "c\n", 0o644))
    assert old.read_text() == "b\n" and new.read_text() == "c\n"
    restored, failed = tx.undo()
    assert restored == [str(new), str(old)] and failed == []
    assert old.read_text() == before["text"] and stat.S_IMODE(old.stat().st_mode) == 0o600
    assert not new.parent.exists()
    assert sorted(os.listdir(str(tmp_path))) == ["old.conf"]


def test_transaction_removal_cleans_stale_temps_then_the_empty_dir_and_undo_puts_it_back(tmp_path):
    d = tmp_path / "u.d"
    d.mkdir()
    f = d / "50.conf"
    f.write_text(_managed.header("sre.oom.test"))
    stale = d / ".sre-oom-00112233aabb.tmp"
    stale.write_text("half")
    theirs = tmp_path / "other.d"
    theirs.mkdir()
    (theirs / ".sre-oom-0011.tmp").write_text("not ours: wrong name")
    assert _atomic.stale_temps(str(d)) == [str(stale)] and _atomic.stale_temps(str(theirs)) == []
    tx = _transaction.Transaction(None)
    tx.commit(_transaction.Change(str(f), _managed.file_state(str(f)), None, 0o644), rmdir=str(d),
              stale=_atomic.stale_temps(str(d)))
    assert not d.exists()
    assert tx.undo() == ([str(f)], [])
    assert f.read_text() == _managed.header("sre.oom.test")

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_managed: the exact ownership marker, what is at a managed path (state, drift,
the plan-time view) and the refusals a write would meet, checked ahead."""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _atomic, _managed


REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def test_version_matches_galaxy_yml():
    with open(os.path.join(REPO, "galaxy.yml")) as f:
        versions = re.findall(r"^version:\s*['\"]?([^'\"\s]+)", f.read(), re.M)
    assert versions == [_managed.VERSION]


def test_header_is_exact_and_versioned():
    assert _managed.header("sre.oom.oom_policy") == (
        "# Managed by sre.oom %s (sre.oom.oom_policy). Local edits are overwritten.\n"
        "# Edit the Ansible variables instead.\n" % _managed.VERSION)


@pytest.mark.parametrize("what", ["sre.oom.x) (y", "", "sre.oom.x\n", None],
                         ids=["paren", "empty", "newline", "none"])
def test_header_refuses_what_it_could_not_recognise(what):
    with pytest.raises(ValueError):
        _managed.header(what)


@pytest.mark.parametrize("text,managed", [
    (_managed.header("sre.oom.oom_policy") + "vm.panic_on_oom = 1\n", True),
    (_managed.header("sre.oom.oom_score_adj").replace("#", ";"), True),
    # sre.oom 0.1.0 wrote no version
    ("# Managed by sre.oom (sre.oom.oom_policy). Local edits are overwritten.\n"
     "# Edit the Ansible variables instead.\nkernel.panic = 10\n", True),
    ("# Managed by sre.oom 1.12.0-rc.1 (sre.oom.oom_unit). Local edits are overwritten.\n", True),
    ("# NOT Managed by sre.oom\nvm.swappiness = 10\n", False),
    ("# NOT Managed by sre.oom (sre.oom.oom_policy). Local edits are overwritten.\n", False),
    ("vm.swappiness = 10\n# Managed by sre.oom 0.1.0 (sre.oom.oom_policy). Local edits are overwritten.\n", False),
    ("\n# Managed by sre.oom 0.1.0 (sre.oom.oom_policy). Local edits are overwritten.\n", False),
    ("# Managed by sre.oom 0.1.0 (sre.oom.oom_policy). Local edits are overwritten. really\n", False),
    ("# Managed by sre.oom 0.1.0 (sre.oom.oom_policy). Local edits are overwritten.\r\n", False),
    (" # Managed by sre.oom 0.1.0 (sre.oom.oom_policy). Local edits are overwritten.\n", False),
    ("# Managed by sre.oom 0.1 (sre.oom.oom_policy). Local edits are overwritten.\n", False),
    ("# managed by sre.oom (sre.oom.oom_policy). Local edits are overwritten.\n", False),
    ("# Managed by sre.oom\n", False),
    ("# Managed by sre.oom (hand written). Local edits are overwritten.\n", False),
    ("", False),
    (None, False),
], ids=["current", "semicolon", "v0.1.0", "prerelease", "NOT-managed", "NOT-managed-full", "second-line",
        "after-blank", "trailing-words", "crlf", "indented", "short-version", "lower-case", "bare-marker",
        "space-in-what", "empty", "none"])
def test_has_marker_is_exact(text, managed):
    assert _managed.has_marker(text) is managed


@pytest.mark.parametrize("text, expected", [
    (_managed.header("sre.oom.oom_unit") + "[Service]\nOOMScoreAdjust=5\n", "[Service]\nOOMScoreAdjust=5\n"),
    (_managed.header("sre.oom.oom_score_adj").replace("#", ";") + "x\n", "x\n"),
    ("# Managed by sre.oom (sre.oom.oom_score_adj). Local edits are overwritten.\n[Service]\n", "[Service]\n"),
    ("[Service]\nOOMScoreAdjust=5\n", "[Service]\nOOMScoreAdjust=5\n"),
    (None, None),
], ids=["current", "semicolons", "0.1.0-one-line", "not-managed", "none"])
def test_body_is_the_text_without_any_header(text, expected):
    assert _managed.body(text) == expected


@pytest.mark.hostile
def test_has_marker_is_linear_on_a_huge_first_line():
    # a first line of 4 MB that almost matches: the check is a single anchored match
    text = "# Managed by sre.oom 0.1.0 (" + "a" * (4 << 20) + "\n"
    assert _managed.has_marker(text) is False


def test_read_text_and_file_state_errors(tmp_path):
    assert _managed.read_text(str(tmp_path / "missing")) is None
    (tmp_path / "file").write_text("x")
    with pytest.raises(_managed.ManagedFileError) as exc:
        _managed.file_state(str(tmp_path / "file" / "x.conf"))
    assert str(exc.value) == "cannot inspect %s: Not a directory (ENOTDIR)" % (tmp_path / "file" / "x.conf")


def test_file_state_and_drift(tmp_path):
    path = tmp_path / "x.conf"
    assert _managed.file_state(str(path)) is None
    path.write_text("a\n")
    os.chmod(str(path), 0o600)
    state = _managed.file_state(str(path))
    assert state["kind"] == "file" and state["text"] == "a\n" and state["mode"] == 0o600
    assert _managed.attrs_drift(state, 0o644, state["uid"], state["gid"]) == ["mode 0600 -> 0644"]
    assert _managed.attrs_drift(dict(state, uid=1000, gid=1000, mode=0o644), 0o644, 0, 0) == ["owner 1000:1000 -> 0:0"]
    (tmp_path / "l").symlink_to(path)
    assert _managed.file_state(str(tmp_path / "l"))["kind"] == "symlink"
    assert _managed.file_state(str(tmp_path / "l"))["text"] is None
    assert _managed.attrs_drift(_managed.file_state(str(tmp_path / "l"))) == []


def test_check_parent_refuses_what_atomic_write_refuses(tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "real").mkdir()
    (tmp_path / "link.d").symlink_to(tmp_path / "real")
    (tmp_path / "lib").symlink_to(tmp_path / "real")
    (tmp_path / "tofile").symlink_to(tmp_path / "file")
    cases = {
        str(tmp_path / "file" / "x.conf"): "cannot use %s as a directory" % (tmp_path / "file"),
        str(tmp_path / "link.d" / "x.conf"): "refusing to write into %s: it is a symlink" % (tmp_path / "link.d"),
        str(tmp_path / "tofile" / "d" / "x.conf"): "is a symlink to something that is not a directory",
        str(tmp_path / ("x" * 300)): "is 300 bytes long",
    }
    for path, message in cases.items():
        with pytest.raises(_managed.ManagedFileError) as exc:
            _managed.check_parent(path)
        assert message in str(exc.value)
        with pytest.raises(_managed.ManagedFileError):
            _atomic.atomic_write(None, path, "x\n")
    # fine: missing directories, a trusted symlink higher up
    assert _managed.check_parent(str(tmp_path / "new" / "deeper" / "x.conf")) is None
    assert _managed.check_parent(str(tmp_path / "lib" / "sysctl.d" / "x.conf")) is None
    assert sorted(os.listdir(str(tmp_path))) == ["file", "lib", "link.d", "real", "tofile"]


def test_look_refuses_with_a_kind(tmp_path):
    target = tmp_path / "t.conf"
    target.write_text("x\n")
    link = tmp_path / "l.conf"
    os.symlink(str(target), str(link))
    (tmp_path / "d.conf").mkdir()
    for path, kind in ((link, "symlink"), (tmp_path / "d.conf", "not_file"),
                       (target / "x.conf", "parent_not_dir")):
        with pytest.raises(_managed.ManagedFileError) as exc:
            _managed.look(str(path))
        assert exc.value.kind == kind
    assert _managed.look(str(target)) == (_managed.file_state(str(target)), False)
    assert _managed.look(str(tmp_path / "none.conf")) == (None, False)

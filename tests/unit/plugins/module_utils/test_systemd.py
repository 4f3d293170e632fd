# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_systemd: unit names, drop-in rendering/parsing/resolution."""

from __future__ import annotations

import os

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _managed, _systemd

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "systemd")


# --- unit names -------------------------------------------------------------

GOOD = [
    ("nginx", "nginx.service"),
    ("nginx.service", "nginx.service"),
    ("sshd.socket", "sshd.socket"),
    ("home.mount", "home.mount"),
    ("dev-sda2.swap", "dev-sda2.swap"),
    ("-.mount", "-.mount"),
    ("worker@3", "worker@3.service"),
    ("worker@3.service", "worker@3.service"),
    ("worker@.service", "worker@.service"),
    ("getty@tty1.service", "getty@tty1.service"),
    ("my.app", "my.app.service"),
    ("a:b_c-d\\x2d.service", "a:b_c-d\\x2d.service"),
    ("a" * 247 + ".service", "a" * 247 + ".service"),
    ("a" * 247, "a" * 247 + ".service"),
]


@pytest.mark.parametrize("name,full", GOOD, ids=[g[0][:30] for g in GOOD])
def test_normalize_unit_good(name, full):
    assert _systemd.normalize_unit(name) == full


BAD = [
    ("", "the name is empty"),
    ("../etc/passwd", "'..' is not allowed"),
    ("foo..service", "'..' is not allowed"),
    ("a/b", "'/' is not allowed"),
    ("/etc/foo.service", "'/' is not allowed"),
    ("foo\nbar", "control characters are not allowed"),
    ("foo\x00", "control characters are not allowed"),
    ("foo\x7f.service", "control characters are not allowed"),
    ("foo\tbar", "control characters are not allowed"),
    (".hidden.service", "a unit name cannot start with '.'"),
    ("@x.service", "a unit name cannot start with '@'"),
    ("foo bar", "invalid character(s) ' '; allowed are ASCII letters, digits, ':', '-', '_', '.', "
                "'\\' and one '@' before the instance"),
    ("caf\u00e9", "invalid character(s) '\u00e9'; allowed are ASCII letters, digits, ':', '-', '_', "
                  "'.', '\\' and one '@' before the instance"),
    ("a$b*", "invalid character(s) '$', '*'; allowed are ASCII letters, digits, ':', '-', '_', '.', "
             "'\\' and one '@' before the instance"),
    ("foo.timer", "unit type .timer runs no processes; accepted suffixes are .service, .socket, .mount, .swap"),
    ("multi-user.target", "unit type .target runs no processes; accepted suffixes are .service, .socket, "
                          ".mount, .swap"),
    ("user.slice", "unit type .slice runs no processes; accepted suffixes are .service, .socket, .mount, .swap"),
    ("x@a@b.service", "at most one '@' is allowed (template@instance)"),
    ("a@b@c", "at most one '@' is allowed (template@instance)"),
    ("foo.", "a unit name cannot end with '.' (give the type, e.g. 'foo.service', or none)"),
    ("foo.service.", "a unit name cannot end with '.' (give the type, e.g. 'foo.service', or none)"),
    ("a" * 248 + ".service", "it is longer than 255 characters"),
    ("a" * 248, "it is longer than 255 characters"),
]


@pytest.mark.parametrize("name,msg", BAD, ids=[repr(b[0])[:30] for b in BAD])
def test_normalize_unit_bad(name, msg):
    with pytest.raises(_systemd.UnitNameError) as e:
        _systemd.normalize_unit(name)
    assert str(e.value) == msg


@pytest.mark.parametrize("name,types,result", [
    ("user.slice", _systemd.ALL_SECTIONS, "user.slice"),
    ("a-b.slice", ("slice",), "a-b.slice"),
    ("db", _systemd.ALL_SECTIONS, "db.service"),
    ("user.slice", ("service",), "unit type .slice is not accepted here; accepted suffixes are .service"),
    ("w@1.slice", _systemd.ALL_SECTIONS, "slices cannot be templates or instances"),
], ids=["slice", "dashed-slice", "service-default", "slice-refused", "slice-instance"])
def test_normalize_unit_types(name, types, result):
    if " " not in result:
        assert _systemd.normalize_unit(name, types) == result
    else:
        with pytest.raises(_systemd.UnitNameError) as e:
            _systemd.normalize_unit(name, types)
        assert str(e.value) == result


@pytest.mark.parametrize("unit,section", [
    ("a.service", "Service"), ("a.socket", "Socket"), ("a.mount", "Mount"), ("a.swap", "Swap"),
    ("a.slice", "Slice"),
], ids=["service", "socket", "mount", "swap", "slice"])
def test_section_for(unit, section):
    assert _systemd.section_for(unit) == section


def test_template_helpers():
    assert _systemd.is_template("w@.service") and not _systemd.is_template("w@1.service")
    assert _systemd.is_instance("w@1.service") and not _systemd.is_instance("w.service")
    assert _systemd.template_of("w@1.service") == "w@.service"


# --- rendering and parsing --------------------------------------------------

def test_render_dropin_full():
    text = _systemd.render_dropin("w.service", 500, "kill", created_dir=True)
    assert text == (_managed.header("sre.oom.oom_score_adj") + _systemd.DIR_FLAG + "\n"
                    "[Service]\nOOMScoreAdjust=500\nOOMPolicy=kill\n")
    assert _managed.has_marker(text) and _systemd.has_dir_flag(text)


@pytest.mark.parametrize("unit,value,policy,body", [
    ("w.service", -900, None, "[Service]\nOOMScoreAdjust=-900\n"),
    ("w.service", None, "stop", "[Service]\nOOMPolicy=stop\n"),
    ("s.socket", 10, None, "[Socket]\nOOMScoreAdjust=10\n"),
    ("m.mount", 0, None, "[Mount]\nOOMScoreAdjust=0\n"),
    ("x.swap", 1000, None, "[Swap]\nOOMScoreAdjust=1000\n"),
], ids=["negative", "policy-only", "socket", "mount-zero", "swap"])
def test_render_dropin_sections(unit, value, policy, body):
    text = _systemd.render_dropin(unit, value, policy)
    assert text == _managed.header("sre.oom.oom_score_adj") + body
    assert not _systemd.has_dir_flag(text)
    assert _systemd.parse_dropin(text)[_systemd.section_for(unit)] == dict(
        ([("OOMScoreAdjust", str(value))] if value is not None else [])
        + ([("OOMPolicy", policy)] if policy else []))


PARSE = [
    ("[Service]\nOOMScoreAdjust=1\nOOMScoreAdjust=2\n", {"Service": {"OOMScoreAdjust": "2"}}),
    ("# c\n; c\n[Service]\n  OOMScoreAdjust = -5 \n", {"Service": {"OOMScoreAdjust": "-5"}}),
    ("[Service]\nOOMScoreAdjust=\n", {"Service": {"OOMScoreAdjust": ""}}),
    ("OOMScoreAdjust=1\n[Unit]\nOOMScoreAdjust=3\n", {"Unit": {"OOMScoreAdjust": "3"}}),
    ("[Service]\nExecStart=/bin/a \\\n  --b\nOOMPolicy=kill\n",
     {"Service": {"ExecStart": "/bin/a --b", "OOMPolicy": "kill"}}),
    ("", {}),
]


@pytest.mark.parametrize("text,parsed", PARSE,
                         ids=["last-wins", "comments-spaces", "empty-reset", "no-section", "continuation", "empty"])
def test_parse_dropin(text, parsed):
    assert _systemd.parse_dropin(text) == parsed


# --- drop-in resolution -----------------------------------------------------

def names(unit):
    return _systemd._names_for_dir(unit)


@pytest.mark.parametrize("unit,expected", [
    ("foo.service", ["foo.service"]),
    ("foo-bar-baz.service", ["foo-bar-baz.service", "foo-bar-.service", "foo-.service"]),
    ("w@3.service", ["w@3.service", "w@.service"]),
    ("a-b@3.service", ["a-b@3.service", "a-b@.service", "a-.service", "a-@3.service", "a-@.service"]),
    ("-.mount", ["-.mount"]),
    ("foo-.service", ["foo-.service"]),
], ids=["plain", "dashes", "instance", "dashed-instance", "root-mount", "trailing-dash"])
def test_names_for_dir(unit, expected):
    assert names(unit) == expected


def test_dropin_dirs_order():
    dirs = _systemd.dropin_dirs("a-b.service", "/r")
    n = len(_systemd.SEARCH_PATH)
    assert dirs[:2] == ["/r/etc/systemd/system.control/a-b.service.d", "/r/etc/systemd/system.control/a-.service.d"]
    assert dirs[8:10] == ["/r/etc/systemd/system/a-b.service.d", "/r/etc/systemd/system/a-.service.d"]
    assert dirs[-n:] == ["/r" + p + "/service.d" for p in _systemd.SEARCH_PATH]


def write(root, rel, text):
    p = root / rel.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return str(p)


OURS = "/etc/systemd/system/w.service.d/50-oom-score-adj.conf"


def shadow(root, unit="w.service", keys=("OOMScoreAdjust",), ours=OURS, assume=True):
    own = str(root / ours.lstrip("/"))
    resolved = _systemd.resolve_dropins(_systemd.dropin_dirs(unit, str(root)),
                                        assume=(own,) if assume else ())
    return [os.path.relpath(p, str(root)) for p in _systemd.shadowed_by(own, list(keys), unit, resolved)]


SHADOW_TREES = [
    ("nothing-else", {}, []),
    ("earlier-name-loses", {"/etc/systemd/system/w.service.d/10-a.conf": "[Service]\nOOMScoreAdjust=1\n"}, []),
    ("later-name-wins", {"/etc/systemd/system/w.service.d/90-a.conf": "[Service]\nOOMScoreAdjust=1\n"},
     ["etc/systemd/system/w.service.d/90-a.conf"]),
    ("later-name-other-key", {"/etc/systemd/system/w.service.d/90-a.conf": "[Service]\nNice=5\n"}, []),
    ("later-name-wrong-section", {"/etc/systemd/system/w.service.d/90-a.conf": "[Unit]\nOOMScoreAdjust=5\n"}, []),
    ("later-in-usr-lib", {"/usr/lib/systemd/system/w.service.d/99-v.conf": "[Service]\nOOMScoreAdjust=1\n"},
     ["usr/lib/systemd/system/w.service.d/99-v.conf"]),
    ("later-in-run", {"/run/systemd/system/w.service.d/60-r.conf": "[Service]\nOOMScoreAdjust=\n"},
     ["run/systemd/system/w.service.d/60-r.conf"]),
    ("top-level-service-d", {"/usr/lib/systemd/system/service.d/90-all.conf": "[Service]\nOOMScoreAdjust=9\n"},
     ["usr/lib/systemd/system/service.d/90-all.conf"]),
    ("same-name-higher-dir", {"/etc/systemd/system.control/w.service.d/50-oom-score-adj.conf": "[Service]\nNice=1\n"},
     ["etc/systemd/system.control/w.service.d/50-oom-score-adj.conf"]),
    ("same-name-lower-dir", {"/usr/lib/systemd/system/w.service.d/50-oom-score-adj.conf":
                             "[Service]\nOOMScoreAdjust=7\n"}, []),
    ("masked-later", {"/etc/systemd/system/w.service.d/90-a.conf": None}, []),
    ("hidden-and-non-conf", {"/etc/systemd/system/w.service.d/.90-a.conf": "[Service]\nOOMScoreAdjust=1\n",
                             "/etc/systemd/system/w.service.d/90-a.conf.bak": "[Service]\nOOMScoreAdjust=1\n"}, []),
    ("same-name-earlier-dir-masks-later-name", {
        "/etc/systemd/system/w.service.d/90-a.conf": "[Service]\nNice=1\n",
        "/usr/lib/systemd/system/w.service.d/90-a.conf": "[Service]\nOOMScoreAdjust=1\n"}, []),
]


@pytest.mark.parametrize("files,expected", [t[1:] for t in SHADOW_TREES], ids=[t[0] for t in SHADOW_TREES])
def test_shadowed_by_trees(tmp_path, files, expected):
    for rel, text in files.items():
        if text is None:
            p = tmp_path / rel.lstrip("/")
            p.parent.mkdir(parents=True, exist_ok=True)
            os.symlink("/dev/null", str(p))
        else:
            write(tmp_path, rel, text)
    assert shadow(tmp_path) == expected


def test_shadowed_by_template_and_dash_prefix(tmp_path):
    write(tmp_path, "/etc/systemd/system/w-@.service.d/70-t.conf", "[Service]\nOOMPolicy=stop\n")
    write(tmp_path, "/etc/systemd/system/w-x@.service.d/80-t.conf", "[Service]\nOOMScoreAdjust=3\n")
    ours = "/etc/systemd/system/w-x@1.service.d/50-oom-score-adj.conf"
    assert shadow(tmp_path, "w-x@1.service", ("OOMScoreAdjust",), ours) == [
        "etc/systemd/system/w-x@.service.d/80-t.conf"]
    assert shadow(tmp_path, "w-x@1.service", ("OOMScoreAdjust", "OOMPolicy"), ours) == [
        "etc/systemd/system/w-@.service.d/70-t.conf", "etc/systemd/system/w-x@.service.d/80-t.conf"]


def test_shadowed_by_socket_section(tmp_path):
    write(tmp_path, "/etc/systemd/system/s.socket.d/90-a.conf", "[Service]\nOOMScoreAdjust=3\n")
    write(tmp_path, "/etc/systemd/system/socket.d/91-a.conf", "[Socket]\nOOMScoreAdjust=3\n")
    assert shadow(tmp_path, "s.socket", ours="/etc/systemd/system/s.socket.d/50-oom-score-adj.conf") == [
        "etc/systemd/system/socket.d/91-a.conf"]


def test_resolve_symlinked_lib_counts_once(tmp_path):
    write(tmp_path, "/usr/lib/systemd/system/w.service.d/90-a.conf", "[Service]\nOOMScoreAdjust=1\n")
    os.symlink("usr/lib", str(tmp_path / "lib"))
    resolved = _systemd.resolve_dropins(_systemd.dropin_dirs("w.service", str(tmp_path)))
    assert [(b, os.path.relpath(p, str(tmp_path)), m) for b, p, m in resolved] == [
        ("90-a.conf", "lib/systemd/system/w.service.d/90-a.conf", False)]


def test_unit_file_exists(tmp_path):
    write(tmp_path, "/lib/systemd/system/w@.service", "[Service]\n")
    assert _systemd.unit_file_exists("w@2.service", str(tmp_path))
    assert not _systemd.unit_file_exists("x.service", str(tmp_path))


@pytest.mark.parametrize("unit_dir,split", [
    ("/etc/systemd/system", ("/", "/etc/systemd/system")),
    ("/run/systemd/system/", ("/", "/run/systemd/system")),
    ("/mnt/img/etc/systemd/system", ("/mnt/img", "/etc/systemd/system")),
    ("/tmp/x", None),
    ("etc/systemd/system", None),
    ("/a/../etc/systemd/system", None),
    ("/usr/lib/systemd/system", None),
], ids=["etc", "run-slash", "below-root", "other", "relative", "dotdot", "usr-lib"])
def test_split_unit_dir(unit_dir, split):
    assert _systemd.split_unit_dir(unit_dir) == split

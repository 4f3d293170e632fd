# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_systemd: unit names, drop-in rendering/parsing/resolution, systemctl show, cgroups."""

from __future__ import annotations

import os

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _host, _managed, _systemd, _unit_spec

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


# --- systemctl show ---------------------------------------------------------

def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def test_show_argv():
    assert _systemd.show_argv("/bin/systemctl", ["Id", "OOMScoreAdjust"], ["a.service", "b.socket"]) == [
        "/bin/systemctl", "show", "-p", "Id", "-p", "OOMScoreAdjust", "--", "a.service", "b.socket"]


def test_parse_show_three_units():
    blocks = _systemd.parse_show(fixture("show-three.txt"), 3)
    assert [b["Id"] for b in blocks] == ["sleeper.service", "ssh.service", "nothere.service"]
    assert blocks[0]["OOMScoreAdjust"] == "500" and blocks[0]["ControlGroup"] == "/system.slice/sleeper.service"
    assert blocks[0]["DropInPaths"] == ("/etc/systemd/system/sleeper.service.d/50-oom-score-adj.conf "
                                        "/etc/systemd/system/sleeper.service.d/90-other.conf")
    assert blocks[1]["ActiveState"] == "active" and blocks[1]["OOMPolicy"] == "stop"
    assert blocks[2]["LoadState"] == "not-found" and blocks[2]["ControlGroup"] == ""


@pytest.mark.parametrize("text,count", [("Id=a\n", 2), ("Id=a\n\nId=b\n\nId=c\n", 2), ("", 1)],
                         ids=["too-few", "too-many", "empty"])
def test_parse_show_count_mismatch(text, count):
    with pytest.raises(ValueError):
        _systemd.parse_show(text, count)


@pytest.mark.parametrize("val,out", [("500", 500), ("-1000", -1000), ("", None), (None, None), ("x", None)],
                         ids=["pos", "neg", "empty", "none", "junk"])
def test_parse_show_int(val, out):
    assert _systemd.parse_show_int(val) == out


# --- processes and cgroups --------------------------------------------------

def test_systemd_is_pid1(tmp_path):
    assert not _systemd.systemd_is_pid1(_host.Host(root=str(tmp_path)))
    write(tmp_path, "/proc/1/comm", "systemd\n")
    assert not _systemd.systemd_is_pid1(_host.Host(root=str(tmp_path)))  # no /run/systemd/system
    (tmp_path / "run/systemd/system").mkdir(parents=True)
    assert _systemd.systemd_is_pid1(_host.Host(root=str(tmp_path)))
    write(tmp_path, "/proc/1/comm", "tini\n")
    assert not _systemd.systemd_is_pid1(_host.Host(root=str(tmp_path)))


@pytest.mark.parametrize("layout,base", [
    ("v2", "sys/fs/cgroup"), ("hybrid", "sys/fs/cgroup/unified"), ("v1", "sys/fs/cgroup/systemd"),
], ids=["v2", "hybrid", "v1"])
def test_cgroup_pids(tmp_path, layout, base):
    if layout == "v2":
        write(tmp_path, "/sys/fs/cgroup/cgroup.controllers", "cpu memory\n")
    cg = "/system.slice/w.service"
    write(tmp_path, "/%s%s/cgroup.procs" % (base, cg), "12\n7\n")
    write(tmp_path, "/%s%s/sub/cgroup.procs" % (base, cg), "99\n")
    assert _systemd.cgroup_pids(cg, _host.Host(root=str(tmp_path))) == [7, 12, 99]
    assert _systemd.cgroup_pids("/system.slice/none.service", _host.Host(root=str(tmp_path))) is None
    assert _systemd.cgroup_pids("", _host.Host(root=str(tmp_path))) is None


@pytest.mark.parametrize("capeff,has", [("000001fffeffffff", False), ("000001ffffffffff", True), (None, None)],
                         ids=["lacking", "having", "unreadable"])
def test_has_cap_sys_resource(tmp_path, capeff, has):
    if capeff:
        write(tmp_path, "/proc/self/status", "Name:\tx\nCapEff:\t%s\n" % capeff)
    assert _systemd.has_cap_sys_resource(_host.Host(root=str(tmp_path))) is has


def test_parse_show_real_bookworm_output():
    # Captured from systemd 252 (Debian bookworm) in a container: empty values are
    # printed when asked for with -p, and an unknown unit still gets a block.
    blocks = _systemd.parse_show(fixture("show-bookworm.txt"), 3)
    assert [(b["Id"], b["LoadState"]) for b in blocks] == [
        ("ssh.service", "not-found"), ("nothere.service", "not-found"), ("systemd-journald.service", "loaded")]
    assert blocks[0]["OOMPolicy"] == "" and blocks[0]["ControlGroup"] == ""
    assert blocks[2]["OOMScoreAdjust"] == "-250"
    assert blocks[2]["ControlGroup"] == "/system.slice/systemd-journald.service"


# --- versions and the systemd-oomd limit -------------------------------------

@pytest.mark.parametrize("text,version", [
    ("systemd 247 (247.3-7+deb11u5)\n+PAM +AUDIT\n", 247),
    ("systemd 252 (252.39-1~deb12u2)\n", 252),
    ("systemd 257 (257.13-1~deb13u1)\n", 257),
    ("", None),
    ("not systemd\n", None),
    ("systemd x\n", None),
], ids=["247", "252", "257", "empty", "garbage", "no-number"])
def test_parse_version(text, version):
    assert _systemd.parse_version(text) == version


@pytest.mark.parametrize("text,permyriad", [
    ("60%", 6000), ("60", 6000), ("55.5%", 5550), ("55.55", 5555), ("0", 0), ("100%", 10000),
    ("100.01%", None), ("101", None), ("5\n", None), (" 5", None), ("5.123", None), ("-1", None),
    ("", None), ("%", None), (None, None), (60, None),
], ids=["pct", "bare", "one-decimal", "two-decimals", "zero", "hundred", "over-decimal", "over",
        "newline", "space", "three-decimals", "negative", "empty", "only-percent", "none", "int"])
def test_parse_percent_full_match(text, permyriad):
    # The limit option's form: systemd's grammar plus a bare number of percent.
    assert _unit_spec.limit_permyriad(text) == permyriad


@pytest.mark.parametrize("permyriad,text", [(6000, "60%"), (5550, "55.5%"), (5555, "55.55%"), (5, "0.05%"),
                                            (0, "0%"), (10000, "100%")],
                         ids=["60", "55.5", "55.55", "0.05", "0", "100"])
def test_format_percent(permyriad, text):
    assert _systemd.format_percent(permyriad) == text
    assert _systemd.parse_percent(text) == permyriad


# Values read from `systemctl show` on Debian bookworm (252) and trixie (257) for
# ManagedOOMMemoryPressureLimit=60% and 55.5%, and on bullseye (247) for
# ManagedOOMMemoryPressureLimitPercent=61%.
@pytest.mark.parametrize("val,legacy,permyriad", [
    ("2576980377", False, 6000), ("2383706849", False, 5550), ("0", False, 0),
    ("4294967295", False, 10000), ("61%", True, 6100), ("0%", True, 0), ("", False, None),
    (None, False, None), ("junk", False, None),
], ids=["60", "55.5", "zero", "max", "legacy-61", "legacy-0", "empty", "none", "junk"])
def test_limit_from_show(val, legacy, permyriad):
    assert _systemd.limit_from_show(val, legacy) == permyriad

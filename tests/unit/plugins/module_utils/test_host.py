# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/_host.Host, the host seam, on a real directory tree standing for the
host's root; and the rule that _host and _oom import nothing from ansible."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _host


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "proc" / "sys" / "vm").mkdir(parents=True)
    (tmp_path / "proc" / "sys" / "vm" / "panic_on_oom").write_text("1\n")
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "kern.log").write_bytes(b"caf\xc3\xa9 \xff\n")
    (tmp_path / "var" / "log" / "kern.log.1").write_bytes(b"old\n")
    return tmp_path


def test_paths_are_read_below_root_and_named_as_the_hosts(tree):
    host = _host.Host(root=str(tree))
    assert host.read_text("/proc/sys/vm/panic_on_oom") == "1\n"
    assert host.read_text("/var/log/kern.log") == "caf\u00e9 \ufffd\n"      # undecodable bytes replaced
    assert host.read_bytes("/var/log/kern.log") == b"caf\xc3\xa9 \xff\n"
    assert host.read_text("/nope") is None and host.read_bytes("/nope") is None
    assert sorted(host.listdir("/var/log")) == ["kern.log", "kern.log.1"]
    assert host.listdir("/nope") == []
    assert host.exists("/var/log/kern.log") and not host.exists("/etc")
    assert sorted(host.glob("/var/log/kern.log*")) == ["/var/log/kern.log", "/var/log/kern.log.1"]
    assert host.stat("/var/log/kern.log").st_size == 8
    assert host.mtime("/var/log/kern.log") == os.stat(str(tree / "var" / "log" / "kern.log")).st_mtime
    assert host.mtime("/nope") is None
    with pytest.raises(OSError):
        host.stat("/nope")
    assert [(d, sorted(f)) for d, _dirs, f in host.walk("/var")] == [
        ("/var", []), ("/var/log", ["kern.log", "kern.log.1"])]
    with host.open_regular("/var/log/kern.log.1") as f:
        assert f.read() == b"old\n"


def test_default_root_leaves_paths_alone(tree):
    host = _host.Host()
    path = str(tree / "var" / "log" / "kern.log.1")
    assert host.path(path) == path and host.read_text(path) == "old\n"
    assert host.glob(str(tree / "var" / "log" / "*.1")) == [path]


def test_open_regular_refuses_what_is_not_a_regular_file(tree):
    os.mkfifo(str(tree / "fifo"))
    host = _host.Host(root=str(tree))
    with pytest.raises(OSError) as exc:
        host.open_regular("/fifo")           # opened without blocking, then refused
    assert exc.value.errno == errno.EINVAL
    with pytest.raises(OSError) as exc:
        host.open_regular("/var")
    assert exc.value.errno in (errno.EINVAL, errno.EISDIR)


def test_run_and_which_go_through_the_module():
    seen = []

    class Module(object):
        def run_command(self, argv, environ_update=None):
            seen.append((argv, environ_update))
            return 0, "out", ""

        def get_bin_path(self, name):
            return "/usr/bin/" + name

    host = _host.Host(Module())
    assert host.run(["/usr/bin/true", "a b"]) == (0, "out", "")
    assert seen == [(["/usr/bin/true", "a b"], {"LC_ALL": "C"})]
    assert host.which("journalctl") == "/usr/bin/journalctl"


_BLOCKED = r"""
import importlib, json, sys
sys.modules["ansible"] = None          # any import of ansible-core fails
names = sys.argv[1:]
for name in names:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("ansible.")
                        or m.startswith("ansible_collections.sre.oom.plugins.modules"))))
"""


def test_host_and_oom_import_nothing_from_ansible():
    base = "ansible_collections.sre.oom.plugins.module_utils."
    names = [base + "_host"] + [base + "_oom." + n for n in
                                ("cgroup", "formats", "journal", "kernel", "scanner", "since", "sources",
                                 "userspace")]
    out = subprocess.run([sys.executable, "-c", _BLOCKED] + names, check=False, capture_output=True, text=True,
                         timeout=60, env=dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p)))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []

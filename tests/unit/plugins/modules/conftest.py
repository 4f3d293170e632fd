# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared harness for module unit tests: run a module's main() with arguments and
get its result dict back, on ansible-core 2.17 through 2.19."""

from __future__ import annotations

import contextlib
import errno
import json
from unittest import mock

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.sre.oom.plugins.module_utils import _host, _systemctl


class ModuleExit(Exception):
    """Raised instead of exiting, carrying the result the module returned."""

    def __init__(self, result):
        super().__init__(result)
        self.result = result


@contextlib.contextmanager
def module_args(args):
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
    except ImportError:
        patch_module_args = None
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    with mock.patch.object(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))):
        yield


def _exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    kwargs["failed"] = False
    kwargs["warnings"] = list(getattr(self, "_sre_warnings", []))
    raise ModuleExit(kwargs)


def _fail_json(self, msg, **kwargs):
    kwargs.update(msg=msg, failed=True)
    kwargs["warnings"] = list(getattr(self, "_sre_warnings", []))
    raise ModuleExit(kwargs)


def _warn(self, warning):
    self.__dict__.setdefault("_sre_warnings", []).append(warning)


@pytest.fixture
def run_module():
    """``run_module(main, args, check_mode=False, diff=False) -> result dict``.

    ``result['warnings']`` always holds what the module passed to ``warn()``.
    """
    def _run(main, args, check_mode=False, diff=False):
        args = dict(args)
        args["_ansible_check_mode"] = check_mode
        args["_ansible_diff"] = diff
        with module_args(args), \
                mock.patch.object(basic.AnsibleModule, "exit_json", _exit_json), \
                mock.patch.object(basic.AnsibleModule, "fail_json", _fail_json), \
                mock.patch.object(basic.AnsibleModule, "warn", _warn):
            with pytest.raises(ModuleExit) as excinfo:
                main()
        return excinfo.value.result
    return _run


# --- systemd faked at the units modules' seam (oom_unit, oom_score_adj) ----------------

SYSTEMCTL = "/usr/bin/systemctl"
UINT32_MAX = 4294967295
DEFAULTS = {"OOMScoreAdjust": "0", "OOMPolicy": "stop", "ManagedOOMMemoryPressure": "auto",
            "ManagedOOMMemoryPressureLimit": 0, "ManagedOOMSwap": "auto", "ManagedOOMPreference": "none"}


def _write(root, rel, text):
    p = root / rel.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


class FakeSystemd(object):
    """A systemd of a given version answering --version, daemon-reload, show and
    (try-)restart from the fake tree (its answers checked against the real 247, 252
    and 257 in the Molecule containers). An independent, simplified systemd: the
    drop-ins of /etc and /run for the unit, applied by file name, last setting wins.
    ``fail[verb]`` answers that verb with a given (rc, out, err); a write to a path in
    ``refuse`` gets EACCES."""

    def __init__(self, root, version=252):
        self.root = root
        self.version = version
        self.calls = []
        self.fail = {}
        self.units = {}
        self.loaded = {}
        self.refuse = set()

    def add(self, unit, active=True, installed=True, pids=()):
        cg = "/system.slice/%s" % unit if active else ""
        self.units[unit] = {"LoadState": "loaded" if installed else "not-found",
                            "ActiveState": "active" if active else "inactive",
                            "ControlGroup": cg, "NeedDaemonReload": "no"}
        self.loaded[unit] = (dict(DEFAULTS), "")
        if installed:
            _write(self.root, "/usr/lib/systemd/system/%s" % unit, "[Service]\nExecStart=/bin/sleep 1d\n")
        if active:
            procs = self.root / ("sys/fs/cgroup" + cg) / "cgroup.procs"
            procs.parent.mkdir(parents=True, exist_ok=True)
            procs.write_text("".join("%d\n" % p for p in pids))
            for p in pids:
                _write(self.root, "/proc/%d/oom_score_adj" % p, "0\n")

    def known(self, key):
        if key == "ManagedOOMMemoryPressureLimitPercent":
            return self.version < 248
        if key in ("ManagedOOMMemoryPressureLimit", "ManagedOOMPreference"):
            return self.version >= 248
        return True

    def reload(self):
        for unit in self.units:
            values, paths, files = dict(DEFAULTS), [], {}
            for base in ("etc/systemd/system", "run/systemd/system"):
                d = self.root / base / (unit + ".d")
                if d.is_dir():
                    for f in d.iterdir():
                        if f.name.endswith(".conf"):
                            files.setdefault(f.name, f)
            for name in sorted(files):
                paths.append("/" + str(files[name].relative_to(self.root)))
                for line in files[name].read_text().splitlines():
                    if "=" not in line or line.startswith("#"):
                        continue
                    key, val = line.split("=", 1)
                    if not self.known(key):
                        continue
                    if key.startswith("ManagedOOMMemoryPressureLimit"):
                        key, val = "ManagedOOMMemoryPressureLimit", _systemctl.parse_percent(val)
                    values[key] = val
            self.loaded[unit] = (values, " ".join(paths))
            self.units[unit]["NeedDaemonReload"] = "no"

    def show_block(self, unit, props):
        u = self.units.get(unit) or {"LoadState": "not-found", "ActiveState": "inactive",
                                     "ControlGroup": "", "NeedDaemonReload": "no"}
        values, paths = self.loaded.get(unit, (dict(DEFAULTS), ""))
        lines = []
        for p in props:
            if p == "Id":
                lines.append("Id=%s" % unit)
            elif p in u:
                lines.append("%s=%s" % (p, u[p]))
            elif p == "DropInPaths":
                lines.append("DropInPaths=%s" % paths)
            elif not self.known(p):
                continue  # systemctl show leaves out properties it does not know
            elif p == "ManagedOOMMemoryPressureLimitPercent":
                lines.append("%s=%s" % (p, _systemctl.format_percent(values["ManagedOOMMemoryPressureLimit"])))
            elif p == "ManagedOOMMemoryPressureLimit":
                lines.append("%s=%d" % (p, (values[p] * UINT32_MAX + 5000) // 10000))
            elif unit.endswith(".slice") and p in ("OOMScoreAdjust", "OOMPolicy"):
                continue
            else:
                lines.append("%s=%s" % (p, values[p]))
        return "\n".join(lines) + "\n"

    def run(self, argv):
        self.calls.append(list(argv))
        verb = argv[1]
        if verb in self.fail:
            return self.fail[verb]
        if verb == "--version":
            return 0, "systemd %d (%d.1-1)\n+PAM +AUDIT\n" % (self.version, self.version), ""
        if verb == "daemon-reload":
            self.reload()
            return 0, "", ""
        if verb == "show":
            props = [argv[i + 1] for i, a in enumerate(argv) if a == "-p"]
            units = argv[argv.index("--") + 1:]
            return 0, "\n".join(self.show_block(u, props) for u in units), ""
        if verb in ("restart", "try-restart"):
            return 0, "", ""
        raise AssertionError("unexpected command %r" % argv)

    def host_class(self):
        """The host seam (_host.Host) with its root at the fake tree and commands
        answered by this systemd."""
        sd = self

        class FakeHost(_host.Host):
            def __init__(self, module=None, root=None):
                super().__init__(module, str(sd.root))

            def run(self, argv):
                return sd.run(argv)

            def which(self, name):
                return SYSTEMCTL if name == "systemctl" else None

            def write_text(self, path, text):
                if self.path(path) in sd.refuse:
                    raise PermissionError(errno.EACCES, "Permission denied")
                return super().write_text(path, text)

        return FakeHost


@pytest.fixture
def systemd_tree(tmp_path):
    """A host root where systemd is PID 1 on cgroup v2 with PSI and systemd-oomd installed."""
    root = tmp_path / "root"
    (root / "run/systemd/system").mkdir(parents=True)
    _write(root, "/proc/1/comm", "systemd\n")
    _write(root, "/proc/self/status", "Name:\tpython3\nCapEff:\t000001fffeffffff\n")
    _write(root, "/sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n")
    _write(root, "/proc/pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
    _write(root, "/usr/lib/systemd/systemd-oomd", "")
    return root


@pytest.fixture
def fake_systemd():
    """The FakeSystemd class: ``fake_systemd(root, version=252)``."""
    return FakeSystemd


@pytest.fixture
def host_at(monkeypatch):
    """``host_at(root)``: every module's host seam (_host.Host) reads the host below
    ``root``; commands still go to the module's run_command."""
    def _at(root):
        class RootedHost(_host.Host):
            def __init__(self, module=None, root=None):
                super().__init__(module, at)
        at = str(root)
        monkeypatch.setattr(_host, "Host", RootedHost)
        return RootedHost
    return _at

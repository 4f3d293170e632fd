# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oom_policy against hostile input and file-level faults.

Every case ends in one of two ways: a clear refusal (``failed``, a message naming the
option, no traceback) with nothing changed on disk or in the fake /proc, or a clean
convergence. "Nothing changed" is checked on a snapshot of the whole fake root: every
path, its kind, mode, owner, content and link target.
"""

from __future__ import annotations

import errno
import os
import signal
import stat

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _managed, _sysctl
from ansible_collections.sre.oom.plugins.modules import oom_policy

LIVE = {"vm.panic_on_oom": 0, "kernel.panic": 0, "vm.oom_kill_allocating_task": 0,
        "vm.oom_dump_tasks": 1, "vm.overcommit_memory": 0, "vm.overcommit_ratio": 50}
V010_HEADER = ("# Managed by sre.oom (sre.oom.oom_policy). Local edits are overwritten.\n"
               "# Edit the Ansible variables instead.\n")


@pytest.fixture
def host(tmp_path, host_at):
    root = tmp_path / "root"
    for key, value in LIVE.items():
        p = root / _sysctl.key_to_proc_path(key).lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("%s\n" % value)
    (root / "etc/sysctl.d").mkdir(parents=True)
    host_at(root)
    return root


def conf(root, name="60-sre-oom.conf"):
    return str(root / "etc/sysctl.d" / name)


def snapshot(root):
    """Everything under ``root``: {relpath: (kind, mode, uid, gid, content or link target)}."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(str(root)):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                data = ("link", os.readlink(full))
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    data = ("file", f.read())
            elif stat.S_ISDIR(st.st_mode):
                data = ("dir", None)
            else:
                data = ("other", None)
            out[os.path.relpath(full, str(root))] = data + (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
    return out


def live(root, key):
    return (root / _sysctl.key_to_proc_path(key).lstrip("/")).read_text().strip()


def assert_refused(result, before, root, *fragments):
    assert result["failed"] is True, result
    assert "Traceback" not in result["msg"] and "exception" not in result
    for fragment in fragments:
        assert fragment in result["msg"], (fragment, result["msg"])
    assert snapshot(root) == before


# --- bad inputs ---------------------------------------------------------------------

INT_OPTIONS = ("panic_on_oom", "panic", "overcommit_memory", "overcommit_ratio")
BAD_INTS = [True, False, 1.0, 0.5, "1.0", "1e3", "Infinity", "-inf", "nan", "", " ", "1\n", "0x1", "0o7",
            "1_000", "\u0661", "+", "-", "1 2", "one", [], [1], {}, {"a": 1}, "9" * 5000]
BAD_INT_IDS = ["true", "false", "float-int", "float", "str-float", "exponent", "infinity", "minus-inf", "nan",
               "empty", "blank", "trailing-newline", "hex", "octal", "underscore", "arabic-digit", "plus",
               "minus", "two-numbers", "word", "empty-list", "list", "empty-dict", "dict", "5000-digits"]


@pytest.mark.parametrize("option", INT_OPTIONS)
@pytest.mark.parametrize("value", BAD_INTS, ids=BAD_INT_IDS)
def test_bad_integer_values_are_refused(host, run_module, option, value):
    before = snapshot(host)
    result = run_module(oom_policy.main, {option: value, "path": conf(host)})
    assert_refused(result, before, host, "%s must be " % option)
    assert len(result["msg"]) < 300


@pytest.mark.parametrize("option,value,expected", [
    ("panic_on_oom", 3, "one of 0, 1, 2"), ("panic_on_oom", -1, "one of 0, 1, 2"),
    ("panic_on_oom", "2 ", None), ("overcommit_memory", 3, "one of 0, 1, 2"),
    ("overcommit_ratio", -1, "an integer >= 0"), ("overcommit_ratio", 2 ** 31, "an integer >= 0"),
    ("panic", 2 ** 31, "an integer"), ("panic", -2 ** 31 - 1, "an integer"), ("panic", 2 ** 64, "an integer"),
], ids=["pan-3", "pan-neg", "pan-str-blank-ok", "overcommit-3", "ratio-neg", "ratio-big", "panic-big",
        "panic-small", "panic-u64"])
def test_out_of_range(host, run_module, option, value, expected):
    before = snapshot(host)
    result = run_module(oom_policy.main, {option: value, "path": conf(host), "apply": "never"})
    if expected is None:  # a string holding only the number, blanks around it: accepted
        assert result["failed"] is False and result["persisted"] == {"vm.panic_on_oom": 2}
        return
    assert_refused(result, before, host, "%s must be %s" % (option, expected))


@pytest.mark.parametrize("option", ["oom_kill_allocating_task", "oom_dump_tasks"])
@pytest.mark.parametrize("value", ["maybe", 2, -1, "", [], {}, 0.5],
                         ids=["word", "two", "minus-one", "empty", "list", "dict", "float"])
def test_bad_booleans_are_refused(host, run_module, option, value):
    before = snapshot(host)
    result = run_module(oom_policy.main, {option: value, "path": conf(host)})
    assert_refused(result, before, host, option)


@pytest.mark.parametrize("path,fragment", [
    ("relative.conf", "path must be an absolute path"),
    ("", "path must be an absolute path"),
    ("/etc/sysctl.d/x.conf\n", "path must not contain control characters"),
    ("/etc/sysctl.d/x\n.conf", "path must not contain control characters"),
    ("/etc/sysctl.d/x\t.conf", "path must not contain control characters"),
    ("/etc/sysctl.d/\x1b[31m.conf", "path must not contain control characters"),
    ("/etc/sysctl.d/../x.conf", "must not contain '.' or '..' components"),
    ("/etc/./sysctl.d/x.conf", "must not contain '.' or '..' components"),
    ("/etc/sysctl.d/x.txt", "path must end in .conf"),
    ("/etc/sysctl.d/.conf", "path must end in .conf"),
    ("/etc/sysctl.d/x.conf/", "path must end in .conf"),
    ("/etc/sysctl.d/x.CONF", "path must end in .conf"),
    ("/etc/sysctl.d/" + "x" * 300 + ".conf", "is 305 bytes long, the limit is 255"),
    ("/etc/sysctl.d/" + "\u00e9" * 126 + ".conf", "is 257 bytes long, the limit is 255"),
    ("/" + "d/" * 2100 + "x.conf", "the limit is 4095"),
], ids=["relative", "empty", "trailing-newline", "newline-inside", "tab", "escape", "dotdot", "dot", "suffix",
        "bare-suffix", "trailing-slash", "upper-suffix", "305-chars", "257-bytes-utf8", "path-max"])
def test_bad_paths_are_refused(host, run_module, path, fragment):
    before = snapshot(host)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})
    assert_refused(result, before, host, fragment)
    assert result["option"] == "path"
    assert live(host, "vm.panic_on_oom") == "0"


@pytest.mark.parametrize("args,fragment", [
    ({"state": "latest"}, "state"), ({"apply": "sometimes"}, "apply"), ({"on_shadowed": "maybe"}, "on_shadowed"),
    ({"swappiness": 10}, "swappiness"), ({"state": ["present"]}, "state"),
], ids=["state", "apply", "on_shadowed", "unknown-option", "state-list"])
def test_bad_choices_and_unknown_options(host, run_module, args, fragment):
    before = snapshot(host)
    args = dict(args, panic_on_oom=1, path=conf(host))
    result = run_module(oom_policy.main, args)
    assert_refused(result, before, host, fragment)


# --- the ownership marker ---------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "# NOT Managed by sre.oom\nvm.panic_on_oom = 0\n",
    "# NOT Managed by sre.oom (sre.oom.oom_policy). Local edits are overwritten.\n",
    "vm.swappiness = 10\n# Managed by sre.oom 0.1.0 (sre.oom.oom_policy). Local edits are overwritten.\n",
    "# Managed by sre.oom (sre.oom.oom_policy). Local edits are overwritten.\r\nvm.panic_on_oom = 0\r\n",
    "",
    "\xff\xfe garbage \udcff\n",
], ids=["NOT-managed", "NOT-managed-full-line", "marker-on-second-line", "crlf", "empty-file", "binary"])
@pytest.mark.parametrize("state", ["present", "absent"])
def test_a_users_file_is_never_touched(host, run_module, text, state):
    path = conf(host)
    with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
        f.write(text)
    before = snapshot(host)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path, "state": state})
    assert_refused(result, before, host, "exists and was not written by sre.oom", "refusing to")
    assert live(host, "vm.panic_on_oom") == "0"


def test_a_010_file_is_managed_and_not_rewritten_when_equal(host, run_module):
    path = conf(host)
    with open(path, "w") as f:
        f.write(V010_HEADER + "vm.panic_on_oom = 1\n")
    os.chmod(path, 0o644)
    (host / "proc/sys/vm/panic_on_oom").write_text("1\n")
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})
    assert result["changed"] is False and result["persisted"] == {"vm.panic_on_oom": 1}
    changed = run_module(oom_policy.main, {"panic_on_oom": 1, "panic": 10, "path": path})
    assert changed["changed"] is True
    text = open(path).read()
    assert text.startswith("# Managed by sre.oom %s (sre.oom.oom_policy)." % _managed.VERSION)
    assert _sysctl.parse_managed(text) == {"vm.panic_on_oom": "1", "kernel.panic": "10"}


def test_managed_file_with_garbage_values_converges(host, run_module):
    path = conf(host)
    with open(path, "w") as f:
        f.write(_managed.header("sre.oom.oom_policy") + "vm.panic_on_oom = banana\nnot a line\n")
    os.chmod(path, 0o644)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})
    assert result["changed"] is True
    assert _sysctl.parse_managed(open(path).read()) == {"vm.panic_on_oom": "1"}
    assert run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})["changed"] is False


# --- what sits at the path ---------------------------------------------------------------

@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "dangling"])
@pytest.mark.parametrize("state", ["present", "absent"])
def test_symlink_at_path_is_refused(host, run_module, dangling, state):
    victim = host / "victim.conf"
    if not dangling:
        victim.write_text(_managed.header("sre.oom.oom_policy") + "vm.panic_on_oom = 0\n")
    os.symlink(str(victim), conf(host))
    before = snapshot(host)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": conf(host), "state": state})
    assert_refused(result, before, host, "path: %s is a symlink; sre.oom never writes through a symlink" % conf(host))
    assert result["path"] == conf(host) and result["option"] == "path"
    assert live(host, "vm.panic_on_oom") == "0"


def test_symlinked_directory_is_refused_before_live_values_change(host, run_module):
    real = host / "elsewhere"
    real.mkdir()
    os.symlink(str(real), str(host / "etc/sysctl.d/link.d"))
    path = str(host / "etc/sysctl.d/link.d/60.conf")
    before = snapshot(host)
    for check_mode in (True, False):  # refused in check mode too, as the real run would be
        result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path}, check_mode=check_mode)
        assert_refused(result, before, host, "path: refusing to write into %s: it is a symlink" % (
            host / "etc/sysctl.d/link.d"), "Nothing was changed.")


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_non_regular_file_at_path_is_refused(host, run_module, kind):
    path = conf(host)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        os.mkdir(path)
    before = snapshot(host)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})
    assert_refused(result, before, host, "is a directory" if kind == "directory" else "is not a regular file")


def test_parent_is_a_regular_file(host, run_module):
    (host / "etc/blocker").write_text("x")
    path = str(host / "etc/blocker/sysctl.d/60.conf")
    before = snapshot(host)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})
    assert_refused(result, before, host, "path: cannot use %s as a directory: it exists and is not a directory"
                   % (host / "etc/blocker"), "Nothing was changed.")
    assert live(host, "vm.panic_on_oom") == "0"


def test_missing_parents_are_created_0755(host, run_module):
    path = str(host / "new/deep/sysctl.d/60.conf")
    old = os.umask(0o077)
    try:
        result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path, "apply": "never"})
    finally:
        os.umask(old)
    assert result["changed"] is True
    assert stat.S_IMODE(os.stat(str(host / "new/deep")).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


# --- convergence of mode and owner -----------------------------------------------------

def test_mode_drift_is_fixed_and_reported(host, run_module):
    path = conf(host)
    assert run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})["changed"] is True
    os.chmod(path, 0o600)
    text = open(path).read()
    checked = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path}, check_mode=True, diff=True)
    assert checked["changed"] is True and checked["file_attrs_drift"] == ["mode 0600 -> 0644"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    uid, gid = _managed.wanted_owner(_managed.file_state(path))
    assert {"before_header": "%s (mode, owner)" % path, "after_header": "%s (mode, owner)" % path,
            "before": "mode 0600\nowner %d:%d\n" % (uid, gid),
            "after": "mode 0644\nowner %d:%d\n" % (uid, gid)} in checked["diff"]
    fixed = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path}, diff=True)
    assert fixed["changed"] is True and fixed["file_attrs_drift"] == ["mode 0600 -> 0644"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644 and open(path).read() == text
    again = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})
    assert again["changed"] is False and again["file_attrs_drift"] == []


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_owner_drift_is_fixed(host, run_module):
    path = conf(host)
    run_module(oom_policy.main, {"panic": 10, "path": path})
    os.chown(path, 1000, 1000)
    fixed = run_module(oom_policy.main, {"panic": 10, "path": path})
    assert fixed["changed"] is True and fixed["file_attrs_drift"] == ["owner 1000:1000 -> 0:0"]
    st = os.stat(path)
    assert (st.st_uid, st.st_gid) == (0, 0)
    assert run_module(oom_policy.main, {"panic": 10, "path": path})["changed"] is False


def test_drift_alone_with_absent_of_an_unmanaged_key_changes_nothing(host, run_module):
    path = conf(host)
    run_module(oom_policy.main, {"panic": 10, "path": path})
    os.chmod(path, 0o600)
    # the key is not in the file: nothing to remove, but the file is still ours: converge it
    result = run_module(oom_policy.main, {"panic_on_oom": 0, "path": path, "state": "absent"})
    assert result["changed"] is True and result["file_attrs_drift"] == ["mode 0600 -> 0644"]


# --- OS failures while writing ----------------------------------------------------------

def _raise(err, name):
    def fail(*args, **kwargs):
        raise OSError(err, os.strerror(err))
    fail.__name__ = name
    return fail


def test_immutable_file_rolls_live_values_back(host, run_module, monkeypatch):
    path = conf(host)
    run_module(oom_policy.main, {"panic": 5, "path": path})
    before_file = open(path).read()
    monkeypatch.setattr(_managed.os, "rename", _raise(errno.EPERM, "rename"))
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "panic": 10, "path": path})
    assert result["failed"] is True
    assert result["msg"] == ("path: cannot write %s: Operation not permitted (EPERM). "
                             "Rolled back: kernel.panic=5, vm.panic_on_oom=0." % path)
    assert result["rolled_back"] == ["kernel.panic", "vm.panic_on_oom"] and result["rollback_failed"] == []
    assert result["option"] == "path" and result["path"] == path and result["changed"] is False
    assert live(host, "vm.panic_on_oom") == "0" and live(host, "kernel.panic") == "5"
    assert open(path).read() == before_file
    assert sorted(os.listdir(os.path.dirname(path))) == ["60-sre-oom.conf"]


def test_rollback_that_fails_is_reported(host, run_module, monkeypatch):
    path = conf(host)
    monkeypatch.setattr(_managed.os, "rename", _raise(errno.EPERM, "rename"))
    real_write = _sysctl.write_live
    calls = []

    def write_once(key, value, root="/"):
        calls.append((key, value))
        if len(calls) > 1:
            raise _sysctl.SysctlError("the kernel rejected %s = %s: Device or resource busy (EBUSY)" % (key, value))
        return real_write(key, value, root)

    monkeypatch.setattr(_sysctl, "write_live", write_once)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})
    assert result["failed"] is True and result["rollback_failed"] == ["vm.panic_on_oom"]
    assert result["changed"] is True  # the live value stayed changed
    assert result["msg"].endswith("Nothing was changed. Could NOT roll back: vm.panic_on_oom.")
    assert calls == [("vm.panic_on_oom", 1), ("vm.panic_on_oom", 0)]


@pytest.mark.parametrize("where,err,fragment", [
    ("open", errno.EROFS, "cannot create a temporary file in"),
    ("open", errno.EACCES, "cannot create a temporary file in"),
    ("write", errno.ENOSPC, "No space left on device (ENOSPC)"),
    ("write", errno.EIO, "Input/output error (EIO)"),
    ("fsync", errno.EIO, "Input/output error (EIO)"),
    ("mkdir", errno.EACCES, "cannot create directory"),
], ids=["read-only-dir", "immutable-dir", "disk-full", "io-error", "fsync", "mkdir-denied"])
def test_failures_before_live_writes_change_nothing(host, run_module, monkeypatch, where, err, fragment):
    path = str(host / "etc/sysctl.d/new/60.conf")
    real = getattr(os, where)

    def fail(*args, **kwargs):
        name = args[0] if args else ""
        if where == "open" and not (isinstance(name, str) and name.startswith(".sre-oom-")):
            return real(*args, **kwargs)
        raise OSError(err, os.strerror(err))

    before = snapshot(host)
    monkeypatch.setattr(_managed.os, where, fail)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})
    assert_refused(result, before, host, "path: ", fragment, "Nothing was changed.")
    assert result["rolled_back"] == [] and result["changed"] is False


def test_unreadable_file_is_reported(host, run_module, monkeypatch):
    path = conf(host)
    with open(path, "w") as f:
        f.write(_managed.header("sre.oom.oom_policy"))
    real = os.open

    def deny(name, flags, *args, **kwargs):
        if name == path:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(name, flags, *args, **kwargs)

    before = snapshot(host)
    monkeypatch.setattr(_managed.os, "open", deny)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})
    assert_refused(result, before, host, "path: cannot read %s: Permission denied (EACCES)" % path)


def test_removal_failure_with_absent(host, run_module, monkeypatch):
    path = conf(host)
    run_module(oom_policy.main, {"panic": 5, "path": path})
    before = snapshot(host)
    monkeypatch.setattr(_managed.os, "unlink", _raise(errno.EPERM, "unlink"))
    result = run_module(oom_policy.main, {"panic": 5, "path": path, "state": "absent"})
    assert_refused(result, before, host, "path: cannot remove %s: Operation not permitted (EPERM)" % path)


def test_kernel_rejection_leaves_no_temp_file(host, run_module, monkeypatch):
    def reject(key, value, root="/"):
        raise _sysctl.SysctlError("the kernel rejected %s = %s: Invalid argument (EINVAL)" % (key, value))

    monkeypatch.setattr(_sysctl, "write_live", reject)
    before = snapshot(host)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": conf(host)})
    assert_refused(result, before, host, "the kernel rejected vm.panic_on_oom = 1", "Nothing was persisted")


def test_a_huge_foreign_file_is_refused_quickly(host, run_module):
    path = conf(host)
    with open(path, "w") as f:
        f.write("# " + "x" * (8 << 20) + "\n")
    before = snapshot(host)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})
    assert_refused(result, before, host, "exists and was not written by sre.oom")


class _Blocked(Exception):
    pass


def _within_5s(func, *args):
    """func(*args), failing the test (not hanging it) after 5 s."""
    def alarm(signum, frame):
        raise _Blocked()
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(5)
    try:
        return func(*args)
    except _Blocked:
        pytest.fail("blocked for 5 s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.hostile
@pytest.mark.parametrize("fifo", ["etc/sysctl.d/99-fifo.conf", "etc/sysctl.conf"])
def test_a_fifo_among_the_sysctl_files_is_not_read(host, run_module, fifo):
    # a plain open() of a FIFO with no writer blocks forever, even in check mode
    os.mkfifo(str(host / fifo))
    r = _within_5s(run_module, oom_policy.main, {"panic": 10, "path": str(host / "etc/sysctl.d/60-sre-oom.conf"),
                                                 "_ansible_check_mode": True})
    assert r["failed"] is False and r["changed"] is True


@pytest.mark.hostile
def test_a_kernel_refusal_leaves_no_directory_the_run_created(host, run_module):
    # both files under one new directory; the live write fails after both are
    # staged: every directory the run created goes again, whatever the order
    target = host / "proc/sys/vm/panic_on_oom"
    target.unlink()
    target.mkdir()
    r = run_module(oom_policy.main, {"panic_on_oom": 1, "panic": 10,
                                     "path": str(host / "etc/new/a/60-sre-oom.conf"),
                                     "oomd_path": str(host / "etc/new/b/60-sre-oom.conf"),
                                     "oomd_swap_used_limit": "80%"})
    assert r["failed"] is True and "Nothing was persisted" in r["msg"]
    assert not (host / "etc/new").exists()

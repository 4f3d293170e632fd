"""Verify the `unprivileged` scenario: sre.oom.kernel where /proc/sys is read-only."""

import json
import os

import yaml

VARS_FILE = os.path.join(os.path.dirname(__file__), os.pardir, "vars", "main.yml")
with open(VARS_FILE, encoding="utf-8") as f:
    VARS = yaml.safe_load(f)
AUTO = VARS["sre_oom_test_auto"]
ALWAYS = VARS["sre_oom_test_always"]


def _json(host, path):
    return json.loads(host.file(path).content_string)


def test_proc_sys_is_read_only(host):
    assert "ro" in host.check_output("findmnt -n -o OPTIONS --target /proc/sys/vm").split(",")
    cmd = host.run("sh -c 'echo 0 > /proc/sys/vm/panic_on_oom'")
    assert cmd.rc != 0 and "Read-only file system" in cmd.stderr


def test_auto_persisted_the_file(host):
    f = host.file(AUTO["oom_kernel_path"])
    assert f.is_file and f.mode == 0o644 and f.user == "root"
    lines = [line.replace(" ", "") for line in f.content_string.splitlines()]
    assert "Managed by sre.oom" in f.content_string.splitlines()[0]
    assert "vm.panic_on_oom=%d" % AUTO["oom_kernel_panic_on_oom"] in lines
    assert "kernel.panic=%d" % AUTO["oom_kernel_panic"] in lines


def test_auto_reported_live_not_applied(host):
    result = _json(host, "/var/lib/sre-oom-test/auto-result.json")
    assert result["live_applied"] is False
    assert "read-only" in result["live_skipped_reason"]
    assert not result.get("failed", False)


def test_live_values_untouched(host):
    recorded = _json(host, "/var/lib/sre-oom-test/sysctls.json")
    for key, value in recorded.items():
        live = host.file("/proc/sys/" + key.replace(".", "/")).content_string.strip()
        assert live == value, "%s changed from %s to %s" % (key, value, live)


def test_always_failed_and_wrote_nothing(host):
    result = _json(host, "/var/lib/sre-oom-test/always-result.json")
    assert result["failed"] is True
    assert "read-only" in result["msg"]
    assert not host.file(ALWAYS["oom_kernel_path"]).exists
    # no temporary file left beside it either: only the apply-auto file is ours
    ours = [n for n in host.check_output("ls -A /etc/sysctl.d").split()
            if "sre-oom" in n or n.startswith(".")]
    assert ours == [os.path.basename(AUTO["oom_kernel_path"])]

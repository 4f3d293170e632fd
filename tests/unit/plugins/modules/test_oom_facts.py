# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oom_facts with /proc, /sys, log files, /dev/kmsg and commands faked at one seam:
the host seam, module_utils/_host.Host. Every command's argv is asserted exactly."""

from __future__ import annotations

import calendar
import time
import json
import errno
import fnmatch
import gzip
import io
import os
import posixpath
import stat

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _host
from ansible_collections.sre.oom.plugins.module_utils._oom import journal
from ansible_collections.sre.oom.plugins.modules import oom_facts

FIX = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "oom")
NOW = calendar.timegm((2026, 11, 28, 20, 0, 0, 0, 0, 0))
UPTIME = 3600.0
BOOT = NOW - UPTIME
JCTL = "/usr/bin/journalctl"
SYSTEMCTL = "/usr/bin/systemctl"
DMESG = "/usr/bin/dmesg"
J_CHECK = [JCTL, "-k", "-q", "--no-pager", "-b", "-n", "1", "-o", "short"]
J_BASE = [JCTL, "-q", "--no-pager", "-o", "json"]
J_MATCHES = ["_TRANSPORT=kernel", "+", "_SYSTEMD_UNIT=systemd-oomd.service", "+", "_SYSTEMD_UNIT=earlyoom.service",
             "+", "_SYSTEMD_UNIT=nohang.service", "+", "_SYSTEMD_UNIT=nohang-desktop.service", "+", "_PID=1"]
J_GREP = ["--output-fields", "MESSAGE,SYSLOG_IDENTIFIER,_PID,_TRANSPORT,_HOSTNAME,_SOURCE_MONOTONIC_TIMESTAMP",
          "--grep", journal.JOURNAL_GREP]
J_BOOT = J_BASE + ["-b"] + J_GREP + J_MATCHES
LIST_UNITS = [SYSTEMCTL, "list-units", "--all", "--type=service,scope,slice", "--no-legend", "--no-pager", "--plain"]
SHOW_DEFAULT = [SYSTEMCTL, "show", "-p", "DefaultOOMPolicy"]
SHOW_UNITS = [SYSTEMCTL, "show", "-p", "Id", "-p", "OOMScoreAdjust", "-p", "OOMPolicy", "-p", "Delegate",
              "-p", "Result", "-p", "ManagedOOMMemoryPressure", "-p", "ManagedOOMMemoryPressureLimit",
              "-p", "ManagedOOMMemoryPressureLimitPercent", "-p", "ManagedOOMSwap", "-p", "ManagedOOMPreference",
              "-p", "ControlGroup", "--"]
# The systemd-oomd keys of a service entry (gather_services, issue 10), all unknown here.
NO_OOMD = {"managed_oom_memory_pressure": None, "managed_oom_memory_pressure_limit": None,
           "managed_oom_swap": None, "managed_oom_preference": None, "memory_oom_group": None}


def fixture_bytes(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


KMSG_RECORDS = [r + b"\n" for r in fixture_bytes("real-6.18-kmsg.txt").splitlines()
                if r[:1].isdigit()]
DMESG_TEXT = fixture_bytes("real-6.18-dmesg.txt").decode("utf-8")


class FakeStream(object):
    """What Host.stream gives: the lines of ``out``, then ``rc`` and ``err``; with
    ``timeout_after`` set, CommandTimeout after that many lines (journalctl killed)."""

    def __init__(self, rc, out, err, timeout=60, timeout_after=None):
        self.result, self.out, self.timeout, self.timeout_after = (rc, err), out, timeout, timeout_after
        self.rc = None
        self.err = ""
        self.closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.closed = True
        return False

    def __iter__(self):
        for i, line in enumerate(self.out.splitlines()):
            if i == self.timeout_after:
                raise _host.CommandTimeout(self.timeout)
            yield line
        if self.timeout_after is not None:
            raise _host.CommandTimeout(self.timeout)
        self.rc, self.err = self.result


class FakeHost(_host.Host):
    """The host as the module sees it; configure through class attributes per test."""

    files = {}
    errors = {}
    kmsg = None          # list of records, or an OSError to raise
    responses = {}
    bins = {"journalctl": JCTL, "systemctl": SYSTEMCTL, "dmesg": DMESG}
    calls = []

    def now(self):
        return NOW

    def read_text(self, path):
        value = self.files.get(path)
        if value is None:
            return None
        return value.decode("utf-8") if isinstance(value, bytes) else value

    def listdir(self, path):
        prefix = path.rstrip("/") + "/"
        names = set()
        for p in self.files:
            if p.startswith(prefix):
                names.add(p[len(prefix):].split("/")[0])
        return sorted(names)

    def walk(self, top):
        dirs = {}
        for p in self.files:
            if p.startswith(top.rstrip("/") + "/"):
                d, name = posixpath.split(p)
                dirs.setdefault(d, []).append(name)
        for d in sorted(dirs):
            yield d, [], dirs[d]

    def exists(self, path):
        return path in self.files or any(p.startswith(path.rstrip("/") + "/") for p in self.files)

    def glob(self, pattern):
        return [p for p in self.files if fnmatch.fnmatch(p, pattern)]

    mtimes = {}

    def mtime(self, path):
        if path in self.mtimes:
            return self.mtimes[path]
        return NOW if path in self.files else None

    kinds = {}

    def stat(self, path):
        if path in self.errors:
            raise OSError(self.errors[path], os.strerror(self.errors[path]), path)
        if path in self.kinds:
            return os.stat_result((self.kinds[path], 0, 0, 1, 0, 0, 0, 0, 0, 0))
        if path not in self.files:
            raise OSError(errno.ENOENT, "No such file or directory", path)
        return os.stat_result((stat.S_IFREG | 0o644, 0, 0, 1, 0, 0, len(self.files[path]), 0, 0, 0))

    def environ(self, name):
        return None

    def open_regular(self, path):
        if path in self.errors:
            raise OSError(self.errors[path], os.strerror(self.errors[path]), path)
        if path not in self.files:
            raise OSError(errno.ENOENT, "No such file or directory", path)
        data = self.files[path]
        return io.BytesIO(data if isinstance(data, bytes) else data.encode("utf-8"))

    def which(self, name):
        return self.bins.get(name)

    def run(self, argv):
        FakeHost.calls.append(list(argv))
        key = tuple(argv)
        if key not in self.responses:
            raise AssertionError("unexpected command: %r" % (argv,))
        return self.responses[key]

    timeouts = []
    streams = []

    def stream(self, argv, timeout):
        """responses: (rc, out, err), or a dict of FakeStream's keyword arguments."""
        FakeHost.calls.append(list(argv))
        FakeHost.timeouts.append(timeout)
        key = tuple(argv)
        if key not in self.responses:
            raise AssertionError("unexpected command: %r" % (argv,))
        resp = self.responses[key]
        if isinstance(resp, OSError):
            raise resp
        out = FakeStream(**resp) if isinstance(resp, dict) else FakeStream(*resp)
        FakeHost.streams.append(out)
        return out

    def kmsg_records(self):
        if self.kmsg is None:
            raise OSError(errno.ENOENT, "No such file or directory")
        if isinstance(self.kmsg, OSError):
            raise OSError(self.kmsg.errno, self.kmsg.strerror)
        yield from self.kmsg


BASE_FILES = {
    "/proc/uptime": "%.2f 100.00\n" % UPTIME,
    "/proc/sys/vm/panic_on_oom": "0\n",
    "/proc/sys/kernel/panic": "10\n",
    "/proc/sys/vm/oom_kill_allocating_task": "0\n",
    "/proc/sys/vm/oom_dump_tasks": "1\n",
    "/proc/sys/vm/overcommit_memory": "2\n",
    "/proc/sys/vm/overcommit_ratio": "80\n",
    "/proc/sys/kernel/dmesg_restrict": "1\n",
    "/proc/vmstat": "nr_free_pages 5\noom_kill 8\npgfault 9\n",
    "/proc/meminfo": "MemTotal:       8000000 kB\nMemFree:        1000000 kB\nSwapTotal:             0 kB\n",
    "/proc/self/mounts": (
        "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid 0 0\n"
        "cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,memory 0 0\n"
        "cgroup /sys/fs/cgroup/cpu cgroup rw,nosuid,cpu 0 0\n"),
    "/sys/fs/cgroup/unified/system.slice/hog.service/memory.events":
        "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n",
    "/sys/fs/cgroup/unified/system.slice/hog.service/memory.events.local":
        "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n",
    "/sys/fs/cgroup/unified/system.slice/calm.service/memory.events":
        "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
    "/sys/fs/cgroup/memory/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 8\n",
    "/sys/fs/cgroup/memory/quiet/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
    # processes: a kernel thread, two ordinary ones, a protected one
    "/proc/2/statm": "0 0 0 0 0 0 0\n", "/proc/2/oom_score": "0\n", "/proc/2/oom_score_adj": "0\n",
    "/proc/2/comm": "kthreadd\n",
    "/proc/100/statm": "5000 2500 10 1 0 100 0\n", "/proc/100/oom_score": "700\n",
    "/proc/100/oom_score_adj": "500\n", "/proc/100/comm": "my (weird) hog\n",
    "/proc/100/cgroup": "12:memory:/system.slice/hog.service\n1:name=systemd:/system.slice/hog.service\n"
                        "0::/system.slice/hog.service\n",
    "/proc/200/statm": "9000 4000 10 1 0 100 0\n", "/proc/200/oom_score": "30\n",
    "/proc/200/oom_score_adj": "0\n", "/proc/200/comm": "java\n", "/proc/200/cgroup": "0::/user.slice\n",
    "/proc/300/statm": "900 100 10 1 0 100 0\n", "/proc/300/oom_score": "0\n",
    "/proc/300/oom_score_adj": "-1000\n", "/proc/300/comm": "sshd\n",
    "/proc/300/cgroup": "0::/system.slice/ssh.service\n",
}


@pytest.fixture
def host(monkeypatch):
    FakeHost.files = dict(BASE_FILES)
    FakeHost.errors = {}
    FakeHost.kmsg = list(KMSG_RECORDS)
    FakeHost.responses = {tuple(J_CHECK): (0, "", "")}
    FakeHost.calls = []
    FakeHost.timeouts = []
    FakeHost.streams = []
    FakeHost.mtimes = {}
    FakeHost.kinds = {}
    FakeHost.bins = {"journalctl": JCTL, "systemctl": SYSTEMCTL, "dmesg": DMESG}
    monkeypatch.setattr(_host, "Host", FakeHost)
    monkeypatch.setattr(os, "sysconf", lambda name: 4096)
    return FakeHost


def facts(result):
    assert result["failed"] is False, result
    assert result["changed"] is False
    assert list(result["ansible_facts"]) == ["oom"]
    return result["ansible_facts"]["oom"]


# ---------------------------------------------------------------------------

def test_defaults_gather_everything_without_systemd(host, run_module):
    oom = facts(run_module(oom_facts.main, {}))
    assert oom["gather_subset"] == ["counters", "events", "pressure", "processes", "services", "sysctl"]
    assert oom["pressure"] == {"memory": None, "units": []}
    assert oom["sysctl"] == {"panic_on_oom": 0, "panic": 10, "oom_kill_allocating_task": 0, "oom_dump_tasks": 1,
                             "overcommit_memory": 2, "overcommit_ratio": 80}
    counters = dict(oom["counters"])
    subtrees = counters.pop("subtrees")
    assert counters == {"oom_kill": 8, "cgroups": [
        {"path": "/", "version": 1, "oom": None, "oom_kill": 8, "oom_group_kill": None, "hierarchical": False,
         "unit": None, "local": {"oom": None, "oom_kill": 8, "oom_group_kill": None}, "under_oom": False,
         "oomd_ooms": None, "oomd_kill": None},
        {"path": "/system.slice/hog.service", "version": 2, "oom": 2, "oom_kill": 1, "oom_group_kill": 0,
         "hierarchical": True, "unit": "hog.service", "local": {"oom": 2, "oom_kill": 1, "oom_group_kill": 0},
         "under_oom": None, "oomd_ooms": None, "oomd_kill": None},
    ], "cgroup_count": 2, "parsed_since_boot": 8, "missed": 0, "attributed": 7, "unattributed": 1,
        "subtree_count": len(subtrees)}
    # per subtree (a slice, unit, container or pod path): the kills the log names there;
    # /sre-oom-fixture-1 names none of them: the 8th kill is unattributed
    assert subtrees[0] == {"kind": "slice", "name": "kubepods.slice", "cgroup": "/sre-oom-fixture-2/kubepods.slice",
                           "log_kills": 2, "userspace_kills": 0, "counter_kills": None, "counter_complete": None,
                           "unattributed": None}
    assert sorted(s["cgroup"].rsplit("/", 1)[1][:20] for s in subtrees if s["kind"] == "container") == [
        "3f9a1c2b4d5e6f708192", "3f9a1c2b4d5e6f708192", "cri-containerd-9e8d7", "crio-3f9a1c2b4d5e6f7",
        "docker-9e8d7c6b5a493"]
    # the counter of hog.service (v2, descendants included) beside the log, which has no kill there
    hog = [s for s in subtrees if s["name"] == "hog.service"]
    assert hog == [{"kind": "unit", "name": "hog.service", "cgroup": "/system.slice/hog.service", "log_kills": 0,
                    "userspace_kills": 0, "counter_kills": 1, "counter_complete": True, "unattributed": 1}]
    assert oom["gathered_at"] == "2026-11-28T20:00:00Z"
    assert oom["scope"] == "host"
    assert oom["killer_counts"] == {"kernel": 8, "systemd-oomd": 0, "earlyoom": 0, "nohang": 0}
    # auto: the journal holds nothing of this boot, /dev/kmsg is read
    assert host.calls == [J_CHECK]
    assert oom["source"] == "kmsg"
    assert oom["source_errors"] == {"journal": "empty"}
    assert oom["event_count"] == 8
    assert [e["victim"]["pid"] for e in oom["events"]] == [6844, 6999, 7000, 7001, 7002, 7003, 7004, 7005]
    last = oom["last_event"]
    assert last == oom["events"][-1]
    assert last["unit"] == "session-3.scope" and last["source"] == "kmsg"
    # kmsg uptimes become times with the boot time (now - /proc/uptime)
    assert last["uptime"] == 384.526892
    assert last["time"] == "2026-11-28T19:06:24.526892Z"
    assert oom["processes"] == [
        {"pid": 100, "comm": "my (weird) hog", "oom_score": 700, "oom_score_adj": 500, "rss_kb": 10000,
         "unit": "hog.service"},
        {"pid": 200, "comm": "java", "oom_score": 30, "oom_score_adj": 0, "rss_kb": 16000, "unit": None},
        {"pid": 300, "comm": "sshd", "oom_score": 0, "oom_score_adj": -1000, "rss_kb": 400, "unit": "ssh.service"},
    ]
    assert oom["protected"] == [oom["processes"][2]]
    assert oom["services"] == []
    assert oom["services_error"] == "systemd is not the init system here (no /run/systemd/system)"


def test_check_mode_reports_the_same(host, run_module):
    normal = facts(run_module(oom_facts.main, {"gather_subset": ["events", "sysctl"]}))
    host.calls[:] = []
    checked = facts(run_module(oom_facts.main, {"gather_subset": ["events", "sysctl"]}, check_mode=True))
    assert checked == normal
    assert host.calls == [J_CHECK]


SUBSET_ROWS = [
    ("all", ["all"], ["counters", "events", "pressure", "processes", "services", "sysctl"]),
    ("one", ["events"], ["events"]),
    ("two", ["sysctl", "counters"], ["counters", "sysctl"]),
    ("not-one", ["!events"], ["counters", "pressure", "processes", "services", "sysctl"]),
    ("not-two", ["!processes", "!services"], ["counters", "events", "pressure", "sysctl"]),
    ("not-all-but", ["!all", "sysctl"], ["sysctl"]),
    ("not-all", ["!all"], []),
    ("all-but", ["all", "!events"], ["counters", "pressure", "processes", "services", "sysctl"]),
]


@pytest.mark.parametrize("rid,subset,expected", SUBSET_ROWS, ids=[r[0] for r in SUBSET_ROWS])
def test_gather_subset_grammar(host, run_module, rid, subset, expected):
    oom = facts(run_module(oom_facts.main, {"gather_subset": subset}))
    assert oom["gather_subset"] == expected
    keys = {"sysctl": ["sysctl"], "counters": ["counters"],
            "events": ["events", "event_count", "last_event", "source", "source_errors", "killer_counts", "scope"],
            "processes": ["processes", "protected", "next_victims"], "services": ["services", "services_error"], "pressure": ["pressure"]}
    want = {"gather_subset", "gathered_at"}
    for name in expected:
        want.update(keys[name])
    assert set(oom) == want
    if "events" not in expected:
        assert host.calls == []


BAD_ROWS = [
    ("unknown-subset", {"gather_subset": ["hardware"]},
     "gather_subset: unknown subset 'hardware'; valid: all, sysctl, counters, events, processes, services, pressure "
     "(prefix with ! to leave one out)"),
    ("unknown-negated", {"gather_subset": ["!min"]},
     "gather_subset: unknown subset '!min'; valid: all, sysctl, counters, events, processes, services, pressure "
     "(prefix with ! to leave one out)"),
    ("unknown-source", {"sources": ["syslog"]},
     "sources: unknown source(s) syslog; valid: auto, journal, kmsg, dmesg, file"),
    ("auto-plus", {"sources": ["auto", "kmsg"]},
     "sources: auto cannot be combined with other sources (got auto, kmsg)"),
    ("twice", {"sources": ["kmsg", "kmsg"]}, "sources: a source is listed twice (kmsg, kmsg)"),
    ("path-without-file", {"path": ["/var/log/kern.log"]},
     "path is only read by the file source; add file to sources (sources: [file])"),
    ("since", {"since": "yesterday"},
     "since: 'yesterday' is not understood; use 'boot', 'all', a relative time such as '-24h', '-30m' or '-7d', "
     "or an ISO 8601 time such as '2026-11-28T17:00:00Z'"),
    ("max-events", {"max_events": -1}, "max_events must be between 0 and 1000, got -1"),
    ("max-events-huge", {"max_events": 2 ** 63}, "max_events must be between 0 and 1000, got %d" % 2 ** 63),
    ("since-31-february", {"since": "2026-02-31T00:00:00Z"},
     "since: '2026-02-31T00:00:00Z' is not a valid date (2026-02 has 28 days)"),
    ("since-bad-offset", {"since": "2026-02-01T00:00:00+99:99"},
     "since: '2026-02-01T00:00:00+99:99' has no valid UTC offset (-14:00 to +14:00, minutes 00-59)"),
    ("since-25-hours", {"since": "2026-02-01T25:00:00Z"},
     "since: '2026-02-01T25:00:00Z' is not a valid time of day (hours 00-23, minutes and seconds 00-59)"),
    ("scope", {"scope": "pod"}, None),
    ("top", {"top_processes": -5}, "top_processes must be 0 or more, got -5"),
    ("journal-timeout-0", {"journal_timeout": 0}, "journal_timeout must be between 1 and 86400 seconds, got 0"),
    ("journal-timeout-negative", {"journal_timeout": -60},
     "journal_timeout must be between 1 and 86400 seconds, got -60"),
    ("journal-timeout-huge", {"journal_timeout": 86401},
     "journal_timeout must be between 1 and 86400 seconds, got 86401"),
]


@pytest.mark.parametrize("rid,args,msg", BAD_ROWS, ids=[r[0] for r in BAD_ROWS])
def test_bad_input_fails_before_touching_the_host(host, run_module, rid, args, msg):
    result = run_module(oom_facts.main, args)
    assert result["failed"] is True
    if msg is None:      # rejected by AnsibleModule's own choices check
        assert "scope" in result["msg"]
    else:
        assert result["msg"] == msg
    assert host.calls == []


def as_journal_json(text, epoch_of):
    """`journalctl -o json` records for the kernel lines of a text journal excerpt.

    Each record has journald's realtime stamp (from ``epoch_of(line)``), no kernel
    timestamp and a boot id of another boot: the module must fall back to realtime.
    """
    out = []
    for line in text.splitlines():
        if " kernel: " not in line:
            continue
        msg = line.split(" kernel: ", 1)[1]
        out.append(json.dumps({"MESSAGE": msg, "__REALTIME_TIMESTAMP": str(int(epoch_of(line) * 1000000)),
                               "_BOOT_ID": "0" * 32, "_HOSTNAME": "vm", "_TRANSPORT": "kernel"}))
    return "\n".join(out) + "\n"


def iso_epoch(line):
    stamp = line.split()[0]
    return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))


def test_auto_prefers_the_journal_when_it_holds_this_boot(host, run_module):
    journal = as_journal_json(fixture_bytes("real-6.18-journal-short-iso.txt").decode("utf-8"), iso_epoch)
    host.responses[tuple(J_CHECK)] = (0, "Nov 28 19:30:11 vm kernel: Linux version 6.18.44\n", "")
    host.responses[tuple(J_BOOT)] = (0, journal, "")
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events"]}))
    assert host.calls == [J_CHECK, J_BOOT]
    assert oom["source"] == "journal" and oom["source_errors"] == {}
    assert oom["event_count"] == 8 and oom["events"][0]["time"] == "2026-11-28T19:30:11Z"


def test_journal_without_pattern_support_is_read_unfiltered(host, run_module):
    journal = as_journal_json(fixture_bytes("036-codescout-journal-global.log").decode("utf-8"), lambda line: NOW - 60)
    plain = J_BASE
    host.responses[tuple(plain + J_GREP + J_MATCHES)] = (
        1, "", "Compiled without pattern matching support")
    host.responses[tuple(plain + J_MATCHES)] = (0, journal, "")
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["journal"],
                                            "since": "all"}))
    assert host.calls == [plain + J_GREP + J_MATCHES, plain + J_MATCHES]
    assert oom["source"] == "journal" and oom["event_count"] == 1


def test_journal_times_come_from_the_kernel_not_from_journald(host, run_module):
    # Real output of a container whose journald replayed the ring buffer when it
    # started: two earlier kills carry journald's replay time, ~108 s late.
    raw = fixture_bytes("real-6.18-container-journal-json.txt").decode("utf-8")
    uptime = 4325.08
    host.files["/proc/uptime"] = "%.2f 978.57\n" % uptime
    host.files["/proc/sys/kernel/random/boot_id"] = "731490c9-bd14-4711-87aa-dbfd147ec6bd\n"
    host.responses[tuple(J_BOOT)] = (0, raw, "")
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["journal"]}))
    by_pid = {e["victim"]["pid"]: e for e in oom["events"]}
    assert {21402, 21409, 26598} <= set(by_pid)
    boot = NOW - uptime
    for pid, mono in ((21402, 4207.642530), (21409, 4207.726453), (26598, 4317.018933)):
        event = by_pid[pid]
        assert event["uptime"] == pytest.approx(mono, abs=1e-6)
        got = calendar.timegm(time.strptime(event["time"][:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + event["time"][19:-1])
        assert got == pytest.approx(boot + mono, abs=1e-3), (pid, event["time"])
    assert by_pid[26598]["unit"] == "lead-hog.service" and by_pid[26598]["kind"] == "memcg"
    # The two replayed kills are 84 ms apart by the kernel, not both "now".
    assert by_pid[21409]["uptime"] - by_pid[21402]["uptime"] == pytest.approx(0.083923, abs=1e-6)


def test_journal_record_of_another_boot_keeps_journald_time(host, run_module):
    raw = fixture_bytes("real-6.18-container-journal-json.txt").decode("utf-8")
    host.files["/proc/sys/kernel/random/boot_id"] = "00000000-0000-0000-0000-000000000001\n"
    host.responses[tuple(J_BOOT)] = (0, raw, "")
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["journal"]}))
    by_pid = {e["victim"]["pid"]: e for e in oom["events"]}
    # __REALTIME_TIMESTAMP 1795897383756453 of the 26598 kill line
    assert by_pid[26598]["time"].startswith(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1795897383)))


@pytest.mark.hostile
def test_journal_json_garbage_is_skipped(host, run_module):
    garbage = '{"MESSAGE": [255, 254, 75, 105, 108, 108]}\nnot json\n{"MESSAGE": 5}\n[1,2]\n{broken\n'
    host.responses[tuple(J_BOOT)] = (0, garbage, "")
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["journal"]}))
    assert oom["source"] == "journal" and oom["event_count"] == 0


def test_journal_since_relative_passes_an_epoch(host, run_module):
    argv = J_BASE + ["--since", "@%d" % (NOW - 86400)] + J_GREP + J_MATCHES
    host.responses[tuple(argv)] = (0, "", "")
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["journal"], "since": "-24h"}))
    assert host.calls == [argv]
    assert oom["source"] == "journal" and oom["event_count"] == 0 and oom["last_event"] is None


def test_restricted_kmsg_and_dmesg_fall_back_to_files(host, run_module):
    host.kmsg = OSError(errno.EPERM, "Operation not permitted")
    host.responses[(DMESG,)] = (1, "", "dmesg: read kernel buffer failed: Operation not permitted\n")
    host.files["/var/log/kern.log"] = fixture_bytes("030-centos8-grep-oom.log")
    host.files["/var/log/syslog"] = fixture_bytes("030-centos8-grep-oom.log")
    result = run_module(oom_facts.main, {"gather_subset": ["events"], "since": "all"})
    oom = facts(result)
    assert host.calls == [J_CHECK, [DMESG]]
    assert oom["source"] == "file"
    assert oom["source_errors"] == {"journal": "empty", "kmsg": "dmesg_restrict", "dmesg": "dmesg_restrict",
                                    "file:/var/log/messages": "missing"}
    # kern.log and syslog hold the same kernel lines: each kill once
    assert oom["event_count"] == 3
    # RFC 3164 has no year: 2026, as none is after the files' time; oldest first
    assert [e["victim"]["pid"] for e in oom["events"]] == [11948, 2092, 633552]
    assert result["warnings"] == []


def test_since_boot_drops_file_events_of_earlier_boots(host, run_module):
    host.kmsg = []
    host.responses[(DMESG,)] = (0, "", "")
    host.files["/var/log/kern.log"] = fixture_bytes("030-centos8-grep-oom.log")
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events"]}))
    assert oom["source"] == "file"
    assert oom["source_errors"]["kmsg"] == "empty" and oom["source_errors"]["dmesg"] == "empty"
    assert oom["event_count"] == 0


def test_no_source_at_all_warns(host, run_module):
    host.kmsg = OSError(errno.ENOENT, "No such file or directory")
    host.bins = {"journalctl": None, "dmesg": None}
    result = run_module(oom_facts.main, {"gather_subset": ["events"]})
    oom = facts(result)
    assert oom["source"] is None and oom["events"] == [] and oom["event_count"] == 0
    assert oom["source_errors"] == {"journal": "missing", "kmsg": "missing", "dmesg": "missing",
                                    "file:/var/log/kern.log": "missing", "file:/var/log/messages": "missing",
                                    "file:/var/log/syslog": "missing"}
    assert result["warnings"] == [
        "oom_facts: no kernel log source could be read (dmesg: missing, file:/var/log/kern.log: missing, "
        "file:/var/log/messages: missing, file:/var/log/syslog: missing, journal: missing, kmsg: missing)"]


def test_named_sources_are_merged_and_deduplicated(host, run_module):
    host.responses[(DMESG,)] = (0, DMESG_TEXT, "")
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["kmsg", "dmesg"]}))
    assert host.calls == [[DMESG]]
    assert oom["source"] == "kmsg,dmesg"
    assert oom["event_count"] == 8
    assert {e["source"] for e in oom["events"]} == {"kmsg,dmesg"}


def test_named_source_failure_warns(host, run_module):
    host.kmsg = OSError(errno.EACCES, "Permission denied")
    host.files["/proc/sys/kernel/dmesg_restrict"] = "0\n"
    result = run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["kmsg"]})
    oom = facts(result)
    assert oom["source"] is None and oom["source_errors"] == {"kmsg": "permission"}
    assert result["warnings"] == ["oom_facts: source kmsg could not be read: permission"]


def test_file_source_globs_gzip_and_missing_paths(host, run_module):
    host.files["/var/log/kern.log.2.gz"] = gzip.compress(fixture_bytes("030-centos8-grep-oom.log"))
    host.mtimes = {"/var/log/kern.log.2.gz": NOW - 2 * 86400, "/var/log/kern.log.1": NOW - 86400}
    host.files["/var/log/kern.log.1"] = fixture_bytes("033-memeater-rfc3339-callerid.log")
    host.files["/var/log/secret.log"] = b"x\n"
    host.errors["/var/log/secret.log"] = errno.EACCES
    result = run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["file"], "since": "all",
                                         "max_events": 2,
                                         "path": ["/var/log/kern.log.*", "/var/log/none.log", "/var/log/secret.log"]})
    oom = facts(result)
    assert host.calls == []
    assert oom["source"] == "file"
    assert oom["source_errors"] == {"file:/var/log/none.log": "missing", "file:/var/log/secret.log": "permission"}
    assert oom["event_count"] == 5
    # the newest kills by their time, whatever file they were read from: kern.log.1
    # (read last) holds kills of 2024, kern.log.2.gz those of September 2026
    assert [e["victim"]["pid"] for e in oom["events"]] == [2092, 633552]
    assert oom["last_event"]["victim"]["pid"] == 633552
    assert result["warnings"] == ["oom_facts: source file:/var/log/none.log could not be read: missing",
                                  "oom_facts: source file:/var/log/secret.log could not be read: permission"]


def test_max_events_zero_still_counts(host, run_module):
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events"], "max_events": 0}))
    assert oom["events"] == [] and oom["event_count"] == 8 and oom["last_event"] is None


def test_top_processes_limits_the_list(host, run_module):
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["processes"], "top_processes": 1}))
    assert [p["pid"] for p in oom["processes"]] == [100]
    assert [p["pid"] for p in oom["protected"]] == [300]


def test_unicode_digits_in_proc_are_skipped_not_a_traceback(host, run_module):
    # '\u00b2' passes str.isdigit() but int() refuses it
    host.files["/proc/200/statm"] = "1 \u00b2 3 0 0 0 0\n"
    host.files["/proc/\u00b2/statm"] = "5 5 0 0 0 0 0\n"
    host.files["/proc/\u00b2/oom_score"] = "900\n"
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["processes"]}))
    assert [p["pid"] for p in oom["processes"]] == [100, 300]      # 200 and '\u00b2' left out
    assert [d["domain"] for d in oom["next_victims"]] == ["global"]


def test_a_cgroup_mount_listed_twice_counts_each_cgroup_once(host, run_module):
    host.files["/proc/self/mounts"] += "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid 0 0\n"
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["counters"]}))
    assert oom["counters"]["cgroup_count"] == 2
    assert [(c["path"], c["version"]) for c in oom["counters"]["cgroups"]] == [
        ("/", 1), ("/system.slice/hog.service", 2)]


def test_meminfo_without_memtotal_warns_and_leaves_the_machine_size_out(host, run_module):
    host.files["/proc/meminfo"] = "MemFree:        1000000 kB\nSwapTotal:             0 kB\n"
    host.files["/proc/100/status"] = "Name:\thog\nState:\tS\nVmRSS:\t10000 kB\n"
    host.files["/proc/200/status"] = "Name:\tjava\nState:\tS\nVmRSS:\t16000 kB\n"
    result = run_module(oom_facts.main, {"gather_subset": ["processes"]})
    (g,) = facts(result)["next_victims"]
    # hog has oom_score_adj 500: the kernel's oom_score puts it first, whatever its size
    assert g["total_kb"] is None and [(c["pid"], c["points"]) for c in g["candidates"]] == [
        (100, None), (200, None)]
    assert [w for w in result["warnings"] if "MemTotal" in w] == [
        "oom_facts: /proc/meminfo has no MemTotal: next_victims' whole-machine domain has no total_kb and"
        " no points; its candidates are in the order of oom_score"]


SHOW_OUT = (
    "Id=postgresql.service\nOOMScoreAdjust=-900\nOOMPolicy=stop\nDelegate=no\nResult=success\n\n"
    "Id=plain.service\nOOMScoreAdjust=0\nOOMPolicy=stop\nDelegate=no\nResult=success\n\n"
    "Id=hog.service\nOOMScoreAdjust=0\nOOMPolicy=stop\nDelegate=no\nResult=oom-kill\n\n"
    "Id=batch.service\nOOMScoreAdjust=0\nOOMPolicy=kill\nDelegate=no\nResult=success\n\n"
    "Id=user@1000.service\nOOMScoreAdjust=100\nOOMPolicy=continue\nDelegate=yes\nResult=success\n\n"
    "Id=session-3.scope\nOOMScoreAdjust=0\nOOMPolicy=continue\nDelegate=yes\nResult=success\n"
)


def test_services_with_oom_settings_or_oom_kill_result(host, run_module):
    host.files["/run/systemd/system/.keep"] = ""
    units = ["postgresql.service", "plain.service", "hog.service", "batch.service", "user@1000.service",
             "session-3.scope"]
    host.responses[tuple(SHOW_DEFAULT)] = (0, "DefaultOOMPolicy=stop\n", "")
    host.responses[tuple(LIST_UNITS)] = (0, "".join("%s loaded active running x\n" % u for u in units), "")
    host.responses[tuple(SHOW_UNITS + units)] = (0, SHOW_OUT, "")
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["services"]}))
    assert host.calls == [SHOW_DEFAULT, LIST_UNITS, SHOW_UNITS + units]
    assert oom["services_error"] is None
    assert oom["services"] == [
        dict(NO_OOMD, unit="batch.service", oom_score_adjust=0, oom_policy="kill", result="success"),
        dict(NO_OOMD, unit="hog.service", oom_score_adjust=0, oom_policy="stop", result="oom-kill"),
        dict(NO_OOMD, unit="postgresql.service", oom_score_adjust=-900, oom_policy="stop", result="success"),
        dict(NO_OOMD, unit="user@1000.service", oom_score_adjust=100, oom_policy="continue", result="success"),
    ]


def test_services_command_failure_is_reported(host, run_module):
    host.files["/run/systemd/system/.keep"] = ""
    host.responses[tuple(SHOW_DEFAULT)] = (0, "DefaultOOMPolicy=stop\n", "")
    host.responses[tuple(LIST_UNITS)] = (1, "", "Failed to connect to bus: No such file or directory\n")
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["services"]}))
    assert oom["services"] == []
    assert oom["services_error"] == ("systemctl list-units failed (rc=1): Failed to connect to bus: "
                                     "No such file or directory")


def test_unreadable_sysctls_are_null(host, run_module):
    del host.files["/proc/sys/vm/panic_on_oom"]
    host.files["/proc/vmstat"] = "nr_free_pages 5\n"
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["sysctl", "counters"]}))
    assert oom["sysctl"]["panic_on_oom"] is None and oom["sysctl"]["panic"] == 10
    assert oom["counters"]["oom_kill"] is None


def test_real_host_run_uses_c_locale():
    calls = []

    class M(object):
        def run_command(self, argv, environ_update=None):
            calls.append((argv, environ_update))
            return 0, "", ""

    _host.Host(M()).run(["/usr/bin/dmesg"])
    assert calls == [(["/usr/bin/dmesg"], {"LC_ALL": "C"})]


def test_journal_grep_without_match_is_no_event_not_an_error(host, run_module):
    host.responses[tuple(J_CHECK)] = (0, "Nov 28 19:30:11 vm kernel: Linux version 6.18.44\n", "")
    host.responses[tuple(J_BOOT)] = (1, "", "")
    result = run_module(oom_facts.main, {"gather_subset": ["events"]})
    oom = facts(result)
    assert host.calls == [J_CHECK, J_BOOT]
    assert oom["source"] == "journal" and oom["event_count"] == 0 and oom["source_errors"] == {}
    assert result["warnings"] == []


def test_journal_failure_is_an_error_entry(host, run_module):
    host.responses[tuple(J_BOOT)] = (1, "", "Failed to open journal: Input/output error\n")
    result = run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["journal"]})
    oom = facts(result)
    assert oom["source_errors"] == {"journal": "error: Failed to open journal: Input/output error"}
    assert result["warnings"] == [
        "oom_facts: source journal could not be read: error: Failed to open journal: Input/output error"]


# ---------------------------------------------------------------------------
# The journal's time-out (journal_timeout): journalctl streamed at the seam

def test_the_journal_gets_the_time_out_and_one_budget_for_all_its_commands(host, run_module):
    host.responses[tuple(J_CHECK)] = (0, "Nov 28 19:30:11 vm kernel: Linux version 6.18.44\n", "")
    host.responses[tuple(J_BOOT)] = (0, "", "")
    facts(run_module(oom_facts.main, {"gather_subset": ["events"]}))
    assert host.calls == [J_CHECK, J_BOOT]
    # the default, 60 s, for the whole source: the second command gets what is left
    assert 59 < host.timeouts[0] <= 60 and host.timeouts[1] <= host.timeouts[0]
    assert all(s.closed for s in host.streams)
    host.calls[:], host.timeouts[:] = [], []
    facts(run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["journal"], "journal_timeout": 5}))
    assert host.calls == [J_BOOT] and 4 < host.timeouts[0] <= 5


def test_a_named_journal_that_times_out_keeps_its_kills_and_the_other_sources_are_read(host, run_module):
    journal = as_journal_json(fixture_bytes("real-6.18-journal-short-iso.txt").decode("utf-8"), iso_epoch)
    records = journal.splitlines()
    first_kill = next(i for i, r in enumerate(records) if "Killed process" in r)
    # journalctl hangs after the first kill's lines: killed at the time-out
    host.responses[tuple(J_BOOT)] = {"rc": 0, "out": journal, "err": "", "timeout": 7,
                                     "timeout_after": first_kill + 1}
    result = run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["journal", "kmsg"],
                                         "journal_timeout": 7})
    oom = facts(result)
    assert oom["source_errors"] == {"journal": "timed out after 7 s"}
    assert result["warnings"] == ["oom_facts: source journal could not be read: timed out after 7 s"]
    assert oom["source"] == "kmsg"                     # /dev/kmsg was still read
    assert oom["event_count"] == 9                     # kmsg's 8 kills and the journal's first one
    assert [e["source"] for e in oom["events"]].count("journal") == 1
    assert host.streams[0].closed


@pytest.mark.parametrize("hang", ["check", "query"])
def test_auto_goes_on_to_the_next_source_when_the_journal_times_out(host, run_module, hang):
    host.responses[tuple(J_CHECK)] = (0, "Nov 28 19:30:11 vm kernel: Linux version 6.18.44\n", "")
    host.responses[tuple(J_CHECK if hang == "check" else J_BOOT)] = {
        "rc": 0, "out": "", "err": "", "timeout": 60, "timeout_after": 0}
    result = run_module(oom_facts.main, {"gather_subset": ["events"]})
    oom = facts(result)
    assert host.calls == ([J_CHECK] if hang == "check" else [J_CHECK, J_BOOT])
    assert oom["source"] == "kmsg" and oom["event_count"] == 8
    assert oom["source_errors"] == {"journal": "timed out after 60 s"}
    # unlike a missing or empty journal in auto mode, a stuck one is worth a warning
    assert result["warnings"] == [
        "oom_facts: source journal could not be read: timed out after 60 s; events read from kmsg"]


def test_a_journalctl_that_cannot_start_is_an_error_entry(host, run_module):
    host.responses[tuple(J_BOOT)] = OSError(errno.EACCES, "Permission denied")
    result = run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["journal"]})
    assert facts(result)["source_errors"] == {"journal": "error: Permission denied"}


def test_a_journal_error_without_a_message_names_the_exit_status(host, run_module):
    host.responses[tuple(J_BOOT)] = (2, "", "")
    result = run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["journal"]})
    assert facts(result)["source_errors"] == {"journal": "error: journalctl exited with status 2"}


def _fake_journalctl(tmp_path, monkeypatch, body):
    """A journalctl script first on PATH (AnsibleModule.get_bin_path finds it there)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    path = bin_dir / "journalctl"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bin_dir, os.environ.get("PATH", "/usr/bin:/bin")))
    return str(path)


def test_a_real_journalctl_that_never_exits_does_not_hang_the_module(tmp_path, monkeypatch, run_module):
    # The real host seam and a real process: a journalctl that prints one kill and
    # then hangs for ever. The module ends after journal_timeout with the kill, and
    # the file source named after it is still read.
    record = json.dumps({"MESSAGE": "Out of memory: Killed process 4242 (hog) total-vm:1000kB, anon-rss:900kB, "
                                    "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0",
                         "_TRANSPORT": "kernel", "_BOOT_ID": "0" * 32, "__REALTIME_TIMESTAMP": "1764356400000000"})
    _fake_journalctl(tmp_path, monkeypatch, "echo '%s'\nexec sleep 100000" % record)
    log = tmp_path / "kern.log"
    log.write_bytes(fixture_bytes("030-centos8-grep-oom.log"))
    start = time.monotonic()
    result = run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["journal", "file"],
                                         "path": [str(log)], "since": "all", "scope": "host",
                                         "journal_timeout": 1})
    took = time.monotonic() - start
    oom = facts(result)
    assert 1 <= took < 30
    assert oom["source_errors"] == {"journal": "timed out after 1 s"}
    assert oom["source"] == "file"
    assert 4242 in [e["victim"]["pid"] for e in oom["events"]]
    assert any(e["source"] == "file" for e in oom["events"])
    assert result["warnings"] == ["oom_facts: source journal could not be read: timed out after 1 s"]


def test_a_log_without_oom_is_read_not_empty(host, run_module):
    host.files["/var/log/kern.log"] = b"Nov 28 10:00:00 h kernel: [ 1.0] usb 1-1: new device\n" * 50
    host.files["/var/log/empty.log"] = b""
    result = run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["file"], "since": "all",
                                         "path": ["/var/log/kern.log", "/var/log/empty.log"]})
    oom = facts(result)
    assert oom["source"] == "file" and oom["event_count"] == 0
    assert oom["source_errors"] == {"file:/var/log/empty.log": "empty"}


# ---------------------------------------------------------------------------
# File sources on the real file system (the real Host): only regular files and
# gzip are read; anything else is a per-source error and the others are read.

def _real_files_run(run_module, paths):
    return run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["file"], "since": "all",
                                       "scope": "host", "path": paths})


def test_fifo_device_directory_are_refused_without_opening(run_module, tmp_path):
    good = tmp_path / "kern.log"
    good.write_bytes(fixture_bytes("030-centos8-grep-oom.log"))
    fifo = tmp_path / "fifo"
    os.mkfifo(str(fifo))      # opening it for reading would block: it must never be opened
    result = _real_files_run(run_module, [str(fifo), "/dev/zero", str(tmp_path), str(good)])
    oom = facts(result)
    assert oom["event_count"] == 3 and oom["source"] == "file"
    assert oom["source_errors"] == {
        "file:%s" % fifo: "error: not a regular file (fifo)",
        "file:/dev/zero": "error: not a regular file (character device)",
        "file:%s" % tmp_path: "error: not a regular file (directory)",
    }


def test_corrupt_and_truncated_gzip_are_errors_and_other_files_are_read(run_module, tmp_path):
    good = tmp_path / "kern.log"
    good.write_bytes(fixture_bytes("033-memeater-rfc3339-callerid.log"))
    corrupt = tmp_path / "kern.log.2.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00" + b"\xff" * 64)
    truncated = tmp_path / "kern.log.3.gz"
    whole = gzip.compress(fixture_bytes("030-centos8-grep-oom.log") * 40)
    truncated.write_bytes(whole[:len(whole) // 2])
    notgz = tmp_path / "kern.log.4.gz"
    notgz.write_bytes(b"plain text, not gzip\n")
    result = _real_files_run(run_module, [str(corrupt), str(truncated), str(notgz), str(good)])
    oom = facts(result)
    errors = oom["source_errors"]
    assert set(errors) == {"file:%s" % p for p in (corrupt, truncated, notgz)}
    assert all(v.startswith("error: corrupt gzip file: ") for v in errors.values()), errors
    # the two kills of the good file, and the two kills the truncated .gz holds before the cut
    pids = {e["victim"]["pid"] for e in oom["events"]}
    assert {10521, 10522} <= pids and {2092, 633552} <= pids
    assert len(result["warnings"]) == 3


def test_real_host_refuses_a_fifo_swapped_in_after_stat(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(str(fifo))
    with pytest.raises(OSError):
        _host.Host().open_regular(str(fifo))


# ---------------------------------------------------------------------------
# Userspace killers through the journal and log files

def _rec(msg, ident, pid, usec, unit=None, transport="journal"):
    rec = {"MESSAGE": msg, "SYSLOG_IDENTIFIER": ident, "_PID": str(pid), "__REALTIME_TIMESTAMP": str(usec),
           "_BOOT_ID": "0" * 32, "_HOSTNAME": "vm", "_TRANSPORT": transport}
    if unit:
        rec["_SYSTEMD_UNIT"] = unit
    return json.dumps(rec)


def test_journal_userspace_kills_are_events_and_unit_lines_complete_kernel_kills(host, run_module):
    kernel = as_journal_json(fixture_bytes("real-6.18-journal-short-iso.txt").decode("utf-8"), iso_epoch)
    t0 = int((NOW - 600) * 1000000)
    userspace = "\n".join([
        # systemd-oomd's message with its candidate dump on the following lines
        _rec("Killed /user.slice/user-1000.slice/user@1000.service/app.slice/app-x-1.scope due to memory pressure"
             " for /user.slice/user-1000.slice/user@1000.service being 82.63% > 50.00% for > 20s with reclaim"
             " activity", "systemd-oomd", 944, t0, "systemd-oomd.service"),
        _rec("Considered 1 cgroups for killing, top candidates were:\n\tPath: /user.slice/x.scope", "systemd-oomd",
             944, t0 + 1000, "systemd-oomd.service"),
        _rec("low memory! at or below SIGTERM limits: mem 10.00%, swap 10.00%", "earlyoom", 812, t0 + 2000000,
             "earlyoom.service"),
        _rec("sending SIGTERM to process 4242 uid 1000 \"bun\": badness 1022, VmRSS 11791 MiB", "earlyoom", 812,
             t0 + 2000100, "earlyoom.service"),
        # PID 1 about the kernel's kill of pid 6999 (hog-fixture.service) at 19:30:11
        _rec("hog-fixture.service: Failed with result 'oom-kill'.", "systemd", 1,
             int(calendar.timegm((2026, 11, 28, 19, 30, 12, 0, 0, 0)) * 1000000)),
    ]) + "\n"
    host.responses[tuple(J_BOOT)] = (0, kernel + userspace, "")
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["journal"]}))
    assert oom["event_count"] == 10
    assert oom["killer_counts"] == {"kernel": 8, "systemd-oomd": 1, "earlyoom": 1, "nohang": 0}
    by_killer = {}
    for e in oom["events"]:
        by_killer.setdefault(e["killer"], []).append(e)
    [oomd] = by_killer["systemd-oomd"]
    assert (oomd["reason"], oomd["unit"], oomd["source"]) == ("memory_pressure", "app-x-1.scope", "journal")
    [early] = by_killer["earlyoom"]
    assert (early["victim"]["pid"], early["victim"]["comm"], early["victim"]["uid"], early["signal"]) == \
        (4242, "bun", 1000, "SIGTERM")
    hog = [e for e in by_killer["kernel"] if e["victim"]["pid"] == 6999]
    assert hog[0]["unit_result"] == "oom-kill"
    assert oom["last_event"]["killer"] == "earlyoom"


def test_file_source_reads_userspace_kills_too(host, run_module):
    host.files["/var/log/syslog"] = fixture_bytes("userspace-earlyoom.log") + fixture_bytes(
        "userspace-systemd-oomd.log")
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events"], "sources": ["file"], "since": "all",
                                            "path": ["/var/log/syslog"]}))
    assert oom["killer_counts"] == {"kernel": 0, "systemd-oomd": 4, "earlyoom": 5, "nohang": 0}
    assert oom["event_count"] == 9


# ---------------------------------------------------------------------------
# scope: the kills of this container only

HEX_A = "3f9a1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"   # in real-6.18-kmsg.txt
MOUNTINFO_A = ("91 74 254:0 /var/lib/docker/containers/%s/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw\n"
               % HEX_A)


def _in_docker(host, mountinfo=MOUNTINFO_A):
    host.files["/.dockerenv"] = ""
    host.files["/proc/1/cgroup"] = "9:name=systemd:/\n0::/\n"
    host.files["/proc/self/cgroup"] = "9:name=systemd:/\n0::/\n"
    host.files["/proc/self/mountinfo"] = mountinfo


def test_scope_auto_in_a_container_keeps_its_own_kills(host, run_module):
    _in_docker(host)
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events", "counters"]}))
    assert oom["scope"] == "container"
    # kmsg holds 8 kills; 3 are in container HEX_A (pids 7000, 7002, 7004)
    assert [e["victim"]["pid"] for e in oom["events"]] == [7000, 7002, 7004]
    assert oom["event_count"] == 3 and oom["killer_counts"]["kernel"] == 3
    assert {e["container_id"] for e in oom["events"]} == {HEX_A}
    # the counters compare with the machine-wide /proc/vmstat: all 8 parsed kills
    assert oom["counters"]["parsed_since_boot"] == 8 and oom["counters"]["missed"] == 0


def test_scope_host_in_a_container_keeps_every_kill(host, run_module):
    _in_docker(host)
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events"], "scope": "host"}))
    assert oom["scope"] == "host" and oom["event_count"] == 8


def test_scope_auto_on_a_host_is_host(host, run_module):
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events"]}))
    assert oom["scope"] == "host" and oom["event_count"] == 8


def test_scope_container_without_identity(host, run_module):
    _in_docker(host, mountinfo="")
    result = run_module(oom_facts.main, {"gather_subset": ["events"]})
    oom = facts(result)
    assert oom["scope"] == "host" and oom["event_count"] == 8
    assert result["warnings"][0].startswith("oom_facts: running in a container whose cgroup cannot be told")
    result = run_module(oom_facts.main, {"gather_subset": ["events"], "scope": "container"})
    oom = facts(result)
    assert oom["scope"] == "container" and oom["event_count"] == 0 and oom["events"] == []


# ---------------------------------------------------------------------------
# counters reconciled

def test_missed_counts_kills_the_log_no_longer_holds(host, run_module):
    host.files["/proc/vmstat"] = "oom_kill 11\n"
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events", "counters"]}))
    assert oom["counters"]["oom_kill"] == 11
    assert oom["counters"]["parsed_since_boot"] == 8 and oom["counters"]["missed"] == 3


@pytest.mark.parametrize("args", [
    {"gather_subset": ["counters"]},                                       # no events read
    {"gather_subset": ["events", "counters"], "since": "-10m"},           # not the whole boot
], ids=["without-events", "since-after-boot"])
def test_missed_is_null_when_the_events_do_not_cover_the_boot(host, run_module, args):
    oom = facts(run_module(oom_facts.main, args))
    assert oom["counters"]["missed"] is None and oom["counters"]["parsed_since_boot"] is None


def test_missed_is_null_for_file_sources(host, run_module):
    host.files["/var/log/kern.log"] = fixture_bytes("030-centos8-grep-oom.log")
    oom = facts(run_module(oom_facts.main, {"gather_subset": ["events", "counters"], "sources": ["file"]}))
    assert oom["counters"]["missed"] is None

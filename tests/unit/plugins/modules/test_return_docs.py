# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The house rule "RETURN that matches the code": each module is run in a few typical
scenarios with the fakes of its own unit tests, and its result is compared with
``yaml.safe_load(module.RETURN)``, recursively.

- Every key returned is documented: in RETURN, through ``contains`` where the entry
  has one; where an entry describes its fields in prose (oom_facts' facts, for
  example), each key inside it must be named there as C(key) or appear in the
  entry's ``sample``. A dict keyed by data (unit names, sysctl keys, PIDs) is listed
  in MAPS (its values follow ``contains``) or FREE (its keys are not names).
- Every key documented ``returned: always`` is present in a successful result; an
  entry of ``contains`` without ``returned`` counts as always (whenever its parent
  is returned). ``returned: when ...`` is not required. Failed results are checked
  for undocumented keys and types only.
- Types match the values where they are not None (``elements`` too).
- Ansible's own keys (ANSIBLE_KEYS) need no entry; documented, they are checked.
"""

from __future__ import annotations

import errno
import os
import re

import pytest
import yaml

from ansible_collections.sre.oom.plugins.module_utils import _atomic, _managed, _sysctl
from ansible_collections.sre.oom.plugins.modules import oom_facts, oom_policy, oom_score_adj, oom_unit
from ansible_collections.sre.oom.tests.unit.plugins.modules import test_oom_facts as facts_base
from ansible_collections.sre.oom.tests.unit.plugins.modules import test_oom_policy as policy_base
from ansible_collections.sre.oom.tests.unit.plugins.modules import test_oom_policy_oomd as oomd_base
from ansible_collections.sre.oom.tests.unit.plugins.modules import test_oom_score_adj as adj_base
from ansible_collections.sre.oom.tests.unit.plugins.modules import test_oom_unit as unit_base
from ansible_collections.sre.oom.tests.unit.plugins.modules import test_oom_unit_ranking as ranking_base

# The other test modules' fixtures, registered here under names of their own.
facts_host = facts_base.host
policy_host = policy_base.host
oomd_host = oomd_base.host
oomd_systemd = oomd_base.systemd
adj_fake = adj_base.fake
unit_fake = unit_base.fake

# Keys Ansible adds or owns; their content is Ansible's (diff: before/after/..._header/prepared).
ANSIBLE_KEYS = {"changed", "failed", "msg", "warnings", "invocation", "diff", "deprecations", "exception",
                "skipped", "skip_reason"}
OPAQUE = {"diff"}     # documented or not, only its type is checked

# Dicts keyed by data whose values are described by the entry's ``contains``.
MAPS = {
    "oom_score_adj": {"units"},
    "oom_unit": {"units"},
}
# Dicts keyed by data (sysctl keys, setting names, PIDs, sources): their keys are not
# checked as names; dict values inside them still are (against the entry's prose).
FREE = {
    "oom_facts": {"ansible_facts.oom.source_errors"},
    "oom_policy": {"live", "persisted", "shadowed_by", "oomd_persisted", "oomd_effective"},
    "oom_score_adj": {"units.*.live.failed"},
    "oom_unit": {"units.*.settings", "units.*.written", "units.*.effective", "units.*.live.failed"},
    "oom_report": set(),
}
# Entries whose RETURN says "same fields as" another entry: (entry, the entry it refers to).
SAME_AS = {
    "oom_facts": {"ansible_facts.oom.last_event": "ansible_facts.oom.events"},
}

TYPES = {
    "str": (str,),
    "path": (str,),
    "int": (int,),
    "float": (float,),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (dict,),
    "complex": (dict, list, tuple),
}


def doc_of(module):
    return yaml.safe_load(module.RETURN)


def _join(path, key):
    return "%s.%s" % (path, key) if path else str(key)


def type_ok(value, kind):
    if kind in (None, "raw"):
        return True
    if kind not in TYPES:
        raise AssertionError("unknown RETURN type %r" % kind)
    if isinstance(value, bool) and kind != "bool":
        return False     # a bool is an int to Python, not to the docs
    return isinstance(value, TYPES[kind])


def _sample_keys(sample, out):
    if isinstance(sample, dict):
        for k, v in sample.items():
            out.add(str(k))
            _sample_keys(v, out)
    elif isinstance(sample, list):
        for v in sample:
            _sample_keys(v, out)
    return out


def prose_names(doc):
    """The field names an entry without ``contains`` documents: C(name) in its
    description, and the keys of its sample."""
    text = doc.get("description") or ""
    if isinstance(text, list):
        text = " ".join(text)
    names = set(re.findall(r"C\(([A-Za-z_][A-Za-z0-9_]*)\)", text))
    return _sample_keys(doc.get("sample"), names)


def doc_at(doc, path):
    """The RETURN entry at a dotted path, through ``contains``."""
    entries, entry = doc, None
    for key in path.split("."):
        entry = entries[key]
        entries = entry.get("contains") or {}
    return entry


class Checker(object):
    def __init__(self, name, failed, doc):
        self.name = name
        self.failed = failed
        self.doc = doc
        self.same_as = SAME_AS.get(name, {})
        self.maps = MAPS.get(name, set())
        self.free = FREE.get(name, set())
        self.errors = []

    def error(self, path, text):
        self.errors.append("%s: %s: %s" % (self.name, path, text))

    def entries(self, value, entries, path):
        """A dict against a mapping of documented keys."""
        for key, val in value.items():
            p = _join(path, key)
            if key not in entries:
                if not path and key in ANSIBLE_KEYS:
                    continue
                self.error(p, "returned but not documented in RETURN (value %r)" % (val,))
                continue
            self.value(val, entries[key], p)
        if self.failed:
            return
        for key, doc in entries.items():
            returned = (doc or {}).get("returned", "always" if path else None)
            if returned == "always" and key not in value:
                self.error(_join(path, key), "documented as returned: always, but missing")

    def value(self, value, doc, path):
        doc = doc or {}
        if value is None:
            return
        kind = doc.get("type")
        if not type_ok(value, kind):
            self.error(path, "documented as type %s, returned %s %r" % (kind, type(value).__name__, value))
            return
        if path in OPAQUE:
            return
        if isinstance(value, (list, tuple)) and doc.get("elements"):
            for i, item in enumerate(value):
                if item is not None and not type_ok(item, doc["elements"]):
                    self.error("%s[%d]" % (path, i), "documented as elements %s, returned %s %r"
                               % (doc["elements"], type(item).__name__, item))
        contains = doc.get("contains")
        if path in self.maps:
            if not contains:
                self.error(path, "listed in MAPS but RETURN has no contains")
                return
            for key, item in value.items():
                if isinstance(item, dict):
                    self.entries(item, contains, _join(path, "*"))
                else:
                    self.error(_join(path, key), "a map entry that is not a dict: %r" % (item,))
            return
        if contains:
            if isinstance(value, dict):
                self.entries(value, contains, path)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    if isinstance(item, dict):
                        self.entries(item, contains, _join(path, "*"))
            return
        if path in self.same_as:
            doc = doc_at(self.doc, self.same_as[path])
        self.prose(value, prose_names(doc), path, path)

    def prose(self, value, names, path, top):
        """Keys inside an entry documented without ``contains``: each named in its prose or sample."""
        if isinstance(value, (list, tuple)):
            for item in value:
                self.prose(item, names, _join(path, "*"), top)
        elif isinstance(value, dict):
            free = path in self.free
            for key, item in value.items():
                if not free and key not in names:
                    self.error(_join(path, key), "returned but %s documents no %s (no C(%s) in its description, "
                               "not in its sample)" % (top, key, key))
                self.prose(item, names, _join(path, "*" if free else key), top)


def check(module, result, name=None):
    """The result against the module's RETURN; a list of mismatches."""
    name = name or module.__name__.rsplit(".", 1)[-1]
    failed = bool(result.get("failed"))
    doc = doc_of(module)
    c = Checker(name, failed, doc)
    c.entries(result, doc, "")
    return c.errors


def assert_matches(module, result, name=None):
    errors = check(module, result, name)
    assert not errors, "\n".join(errors)


# ---------------------------------------------------------------------------
# The checker itself: it can fail.

def test_a_key_removed_from_return_is_reported(monkeypatch):
    doc = doc_of(oom_score_adj)
    del doc["daemon_reloaded"]
    del doc["units"]["contains"]["restarted"]
    monkeypatch.setattr(oom_score_adj, "RETURN", yaml.safe_dump(doc))
    result = {"changed": True, "daemon_reloaded": True, "systemd_running": True, "failed": False, "warnings": [],
              "units": {"a.service": {"path": "/x", "changed": True, "value": 1, "oom_policy": None,
                                      "effective": {"oom_score_adj": 1, "oom_policy": "stop"}, "shadowed_by": [],
                                      "live": {"updated": [], "failed": {}}, "restarted": False}}}
    assert check(oom_score_adj, result) == [
        "oom_score_adj: daemon_reloaded: returned but not documented in RETURN (value True)",
        "oom_score_adj: units.*.restarted: returned but not documented in RETURN (value False)",
    ]


def test_always_keys_types_and_prose_are_checked():
    result = {"changed": False, "failed": False, "warnings": [],
              "ansible_facts": {"oom": {"gather_subset": ["sysctl"], "gathered_at": 5,
                                        "sysctl": {"panic": 0, "made_up": 1}}}}
    assert check(oom_facts, result) == [
        "oom_facts: ansible_facts.oom.gathered_at: documented as type str, returned int 5",
        "oom_facts: ansible_facts.oom.sysctl.made_up: returned but ansible_facts.oom.sysctl documents no made_up"
        " (no C(made_up) in its description, not in its sample)",
    ]
    assert check(oom_score_adj, {"changed": True, "units": {}}) == [
        "oom_score_adj: daemon_reloaded: documented as returned: always, but missing",
        "oom_score_adj: systemd_running: documented as returned: always, but missing",
    ]
    # a failed result need not have the always keys
    assert check(oom_score_adj, {"changed": False, "failed": True, "msg": "x"}) == []


# ---------------------------------------------------------------------------
# oom_facts

SYSTEMD_SHOW = (
    "Id=batch.slice\nOOMScoreAdjust=0\nOOMPolicy=stop\nDelegate=no\nResult=success\n"
    "ManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit=2576980377\nManagedOOMSwap=auto\n"
    "ManagedOOMPreference=none\nControlGroup=/batch.slice\n\n"
    "Id=hog.service\nOOMScoreAdjust=500\nOOMPolicy=kill\nDelegate=no\nResult=oom-kill\n"
    "ManagedOOMMemoryPressure=auto\nManagedOOMMemoryPressureLimit=0\nManagedOOMSwap=auto\n"
    "ManagedOOMPreference=avoid\nControlGroup=/system.slice/hog.service\n")
PSI = "some avg10=12.50 avg60=1.50 avg300=0.20 total=123456\nfull avg10=80.25 avg60=0.75 avg300=0.10 total=65432\n"


def with_systemd(host):
    """systemd as init with a slice systemd-oomd watches, on the hybrid layout's v2 mount."""
    units = ["batch.slice", "hog.service"]
    v2 = "/sys/fs/cgroup/unified"
    host.files.update({
        "/run/systemd/system/.keep": "",
        "/proc/pressure/memory": PSI,
        v2 + "/cgroup.controllers": "memory\n",
        v2 + "/batch.slice/memory.pressure": PSI,
        v2 + "/batch.slice/b.service/memory.current": "104857600\n",
        v2 + "/batch.slice/b.service/memory.swap.current": "0\n",
        v2 + "/batch.slice/b.service/memory.stat": "anon 1\npgscan 900\n",
        v2 + "/system.slice/hog.service/memory.oom.group": "1\n",
        v2 + "/system.slice/hog.service/memory.max": "268435456\n",
        v2 + "/system.slice/hog.service/cgroup.procs": "100\n",
        "/proc/100/status": "Name:\thog\nState:\tS\nVmRSS:\t10000 kB\nRssAnon:\t10000 kB\nRssFile:\t0 kB\n"
                            "RssShmem:\t0 kB\nVmPTE:\t100 kB\nVmSwap:\t0 kB\n",
        "/proc/200/status": "Name:\tjava\nState:\tS\nVmRSS:\t16000 kB\nRssAnon:\t16000 kB\nRssFile:\t0 kB\n"
                            "RssShmem:\t0 kB\nVmPTE:\t100 kB\nVmSwap:\t0 kB\n",
    })
    host.responses[tuple(facts_base.SHOW_DEFAULT)] = (0, "DefaultOOMPolicy=stop\n", "")
    host.responses[tuple(facts_base.LIST_UNITS)] = (0, "".join("%s loaded active running x\n" % u for u in units), "")
    host.responses[tuple(facts_base.SHOW_UNITS + units)] = (0, SYSTEMD_SHOW, "")


def test_oom_facts_everything(facts_host, run_module):
    with_systemd(facts_host)
    result = run_module(oom_facts.main, {})
    oom = result["ansible_facts"]["oom"]
    assert oom["events"] and oom["counters"]["subtrees"] and oom["services"] and oom["pressure"]["units"]
    assert oom["pressure"]["units"][0]["oomd_candidates"]
    assert [d["domain"] for d in oom["next_victims"]] == ["global", "/system.slice/hog.service"]
    assert_matches(oom_facts, result)


def test_oom_facts_without_systemd(facts_host, run_module):
    assert_matches(oom_facts, run_module(oom_facts.main, {}, check_mode=True))


def test_oom_facts_userspace_and_group_kills_from_files(facts_host, run_module):
    facts_host.files["/var/log/syslog"] = facts_base.fixture_bytes("userspace-earlyoom.log") + \
        facts_base.fixture_bytes("userspace-systemd-oomd.log")
    facts_host.files["/var/log/kern.log"] = facts_base.fixture_bytes("memcg-oom-group-5.0.log")
    result = run_module(oom_facts.main, {"sources": ["file"], "since": "all", "max_events": 1000,
                                         "path": ["/var/log/syslog", "/var/log/kern.log", "/var/log/missing.log"]})
    oom = result["ansible_facts"]["oom"]
    assert oom["source_errors"] and {e["killer"] for e in oom["events"]} == {"kernel", "earlyoom", "systemd-oomd"}
    assert [e for e in oom["events"] if e["group"]]
    assert_matches(oom_facts, result)


def test_oom_facts_in_a_container_from_the_journal_and_kmsg(facts_host, run_module):
    facts_base._in_docker(facts_host)
    kernel = facts_base.as_journal_json(facts_base.fixture_bytes("real-6.18-journal-short-iso.txt").decode("utf-8"),
                                        facts_base.iso_epoch)
    facts_host.responses[tuple(facts_base.J_BOOT)] = (0, kernel, "")
    result = run_module(oom_facts.main, {"gather_subset": ["events", "counters"], "sources": ["journal", "kmsg"]})
    assert result["ansible_facts"]["oom"]["scope"] == "container"
    assert_matches(oom_facts, result)


@pytest.mark.parametrize("subset", [["!all"], ["events"], ["sysctl", "counters"], ["processes"]])
def test_oom_facts_subsets(facts_host, run_module, subset):
    assert_matches(oom_facts, run_module(oom_facts.main, {"gather_subset": subset, "max_events": 1}))


def test_oom_facts_bad_input(facts_host, run_module):
    result = run_module(oom_facts.main, {"max_events": -1})
    assert result["failed"] is True
    assert_matches(oom_facts, result)


# ---------------------------------------------------------------------------
# oom_policy

def test_oom_policy_present_check_diff_absent(policy_host, run_module):
    path = policy_base.managed_path(policy_host)
    args = {"panic_on_oom": 1, "panic": 10, "oom_dump_tasks": True, "path": path}
    for kw in ({"check_mode": True, "diff": True}, {}, {"diff": True}):
        assert_matches(oom_policy, run_module(oom_policy.main, args, **kw))
    assert_matches(oom_policy, run_module(oom_policy.main, dict(args, state="absent"), diff=True))


def test_oom_policy_outside_sysctl_d_and_shadowed(policy_host, run_module, tmp_path):
    (policy_host / "etc/sysctl.d/99-local.conf").write_text("vm.panic_on_oom = 0\n")
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": str(tmp_path / "elsewhere.conf"),
                                          "apply": "never"})
    assert result["warnings"]
    assert_matches(oom_policy, result)


def test_oom_policy_live_value_refused(policy_host, run_module, monkeypatch):
    real = _sysctl.write_live

    def refuse(key, value, *rest):
        if key == "kernel.panic":
            raise _sysctl.SysctlError("the kernel rejected kernel.panic = 10: Invalid argument (EINVAL)")
        return real(key, value, *rest)
    monkeypatch.setattr(_sysctl, "write_live", refuse)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "panic": 10,
                                          "path": policy_base.managed_path(policy_host)})
    assert result["failed"] is True and result["key"] == "kernel.panic"
    assert_matches(oom_policy, result)


def test_oom_policy_file_refused_and_rename_failure(policy_host, run_module, monkeypatch):
    path = policy_base.managed_path(policy_host)
    with open(path, "w") as f:
        f.write("vm.panic_on_oom = 0\n")      # a user's file
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "path": path})
    assert result["failed"] is True and result["option"] == "path"
    assert_matches(oom_policy, result)
    os.unlink(path)
    run_module(oom_policy.main, {"panic": 5, "path": path})

    def rename(*args, **kwargs):
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))
    monkeypatch.setattr(_managed.os, "rename", rename)
    result = run_module(oom_policy.main, {"panic_on_oom": 1, "panic": 10, "path": path})
    assert result["failed"] is True and result["rolled_back"]
    assert_matches(oom_policy, result)


def test_oom_policy_oomd(oomd_host, oomd_systemd, run_module):
    args = oomd_base.args(oomd_host, oomd_swap_used_limit="80%", oomd_default_memory_pressure_duration_sec="20s")
    for kw in ({"check_mode": True, "diff": True}, {}, {}):
        result = run_module(oom_policy.main, args, **kw)
        assert result["oomd_supported"] is True
        assert_matches(oom_policy, result)


def test_oom_policy_oomd_restart_fails(oomd_host, oomd_systemd, run_module):
    oomd_systemd.restart_rc = 1
    result = run_module(oom_policy.main, oomd_base.args(oomd_host, oomd_swap_used_limit="80%", panic_on_oom=1,
                                                        path=str(oomd_host / "etc/sysctl.d/60-sre-oom.conf")))
    assert result["failed"] is True and result["rc"] == 1
    assert_matches(oom_policy, result)


# ---------------------------------------------------------------------------
# oom_score_adj

def test_oom_score_adj_present_rerun_check_diff_absent(adj_fake, run_module):
    args = {"name": ["worker", "idle.service"], "value": 500, "oom_policy": "kill"}
    for kw in ({"check_mode": True, "diff": True}, {}, {"diff": True}):
        result = adj_base.run(run_module, args, **kw)
        assert result["failed"] is False
        assert_matches(oom_score_adj, result)
    assert_matches(oom_score_adj, adj_base.run(run_module, dict(args, state="absent"), diff=True))


def test_oom_score_adj_below_another_root(adj_fake, run_module):
    result = adj_base.run(run_module, {"name": "worker", "value": 5, "unit_dir": "/img/run/systemd/system"})
    assert result["systemd_running"] is False
    assert_matches(oom_score_adj, result)


def test_oom_score_adj_eacces_and_not_pid1(adj_fake, run_module):
    adj_fake.refuse.add(str(adj_fake.root / "proc/101/oom_score_adj"))
    result = adj_base.run(run_module, {"name": ["worker"], "value": -500, "restart": "if_running"})
    assert result["units"]["worker.service"]["live"]["failed"]
    assert_matches(oom_score_adj, result)
    (adj_fake.root / "proc/1/comm").write_text("bash\n")
    assert_matches(oom_score_adj, adj_base.run(run_module, {"name": ["worker"], "value": 7}))


@pytest.mark.parametrize("verb", ["daemon-reload", "show"])
def test_oom_score_adj_command_failure(adj_fake, run_module, verb):
    adj_fake.fail[verb] = (1, "", "Access denied\n")
    result = adj_base.run(run_module, {"name": ["worker"], "value": 5})
    assert result["failed"] is True and result["rc"] == 1
    assert_matches(oom_score_adj, result)


# ---------------------------------------------------------------------------
# oom_unit

def test_oom_unit_fleet_check_diff_rerun_absent(unit_fake, run_module):
    ranking_base.processes(unit_fake)
    for kw in ({"check_mode": True}, {"check_mode": True, "diff": True}, {}, {"diff": True}):
        result = unit_base.run(run_module, {"units": unit_base.FLEET}, **kw)
        assert result["failed"] is False
        assert ("ranking" in result) is bool(kw)
        # before the real run the values move processes; after it they are in force
        if kw:
            assert (result["ranking"] != []) is kw.get("check_mode", False)
        assert_matches(oom_unit, result)
    absent = [{"name": u["name"], "state": "absent"} for u in unit_base.FLEET]
    assert_matches(oom_unit, unit_base.run(run_module, {"units": absent}, diff=True))


def test_oom_unit_not_pid1(unit_fake, run_module):
    unit_base.write(unit_fake.root, "/proc/1/comm", "bash\n")
    result = unit_base.run(run_module, {"units": unit_base.FLEET}, diff=True)
    assert result["systemd_running"] is False
    assert_matches(oom_unit, result)


@pytest.mark.parametrize("unit_fake", [247], indirect=True)
def test_oom_unit_systemd_247(unit_fake, run_module):
    result = unit_base.run(run_module, {"units": unit_base.FLEET})
    assert result["units"]["db.service"]["unsupported"] == ["managed_oom_preference"]
    assert_matches(oom_unit, result)


@pytest.mark.parametrize("verb", ["daemon-reload", "show"])
def test_oom_unit_command_failure(unit_fake, run_module, verb):
    unit_fake.fail[verb] = (1, "", "Access denied\n")
    result = unit_base.run(run_module, {"units": [{"name": "db", "oom_score_adj": 2}]})
    assert result["failed"] is True and result["rc"] == 1
    assert_matches(oom_unit, result)


def test_oom_unit_write_failure(unit_fake, run_module, monkeypatch):
    def failing(module, path, content, mode=0o644):
        raise _managed.ManagedFileError("cannot write %s: No space left on device" % path)
    monkeypatch.setattr(_atomic, "atomic_write", failing)
    result = unit_base.run(run_module, {"units": [{"name": "db", "oom_score_adj": 2}]})
    assert result["failed"] is True
    assert_matches(oom_unit, result)

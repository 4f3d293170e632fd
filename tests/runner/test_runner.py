# Copyright: sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The playbooks as AWX runs them: ansible-runner on a private data dir.

The collection is built and installed from its tarball into the data dir (AWX
installs a project's collections the same way), and only that copy is on the
collections path. Each run is judged by what AWX reads: the runner's status
and return code, and the job events under artifacts/<ident>/.

- site.yml in check mode against this machine, with the kernel role pointed at
  a file in a temporary directory (apply: never) and nothing else configured:
  it must predict exactly one change and leave the machine as it was.
- report.yml for real, writing the report into a temporary directory.

Run with `make runner-tests` (or `.venv/bin/python -m pytest tests/runner`).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# SRE_OOM_ANSIBLE_BIN=<venv>/bin runs the jobs on another ansible-core (a
# `make test-matrix` venv): its ansible-playbook and ansible-galaxy come first
# on PATH; ansible-runner itself is this venv's.
CORE_BIN = Path(os.environ.get("SRE_OOM_ANSIBLE_BIN") or BIN)
# What ansible-runner gets: PATH to this venv, and no setting that would point
# Ansible at the checkout (the Makefile exports ANSIBLE_CONFIG).
RUNNER_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_", "SRE_OOM_"))}
RUNNER_ENV["PATH"] = f"{CORE_BIN}{os.pathsep}{BIN}{os.pathsep}{os.environ.get('PATH', '')}"


def _tool(name):
    path = (CORE_BIN if name.startswith("ansible-") and name != "ansible-runner" else BIN) / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make setup` (requirements-dev.txt pins it)")
    return str(path)


@pytest.fixture(scope="module")
def collections_dir(tmp_path_factory):
    """sre.oom built and installed from its tarball, as a job would get it."""
    work = tmp_path_factory.mktemp("collection")
    subprocess.run([_tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(work / "dist"), str(ROOT)],
                   check=True, capture_output=True, env=RUNNER_ENV)
    (tarball,) = (work / "dist").glob("sre-oom-*.tar.gz")
    dest = work / "collections"
    subprocess.run([_tool("ansible-galaxy"), "collection", "install", "--force", "-p", str(dest), str(tarball)],
                   check=True, capture_output=True, env=RUNNER_ENV)
    assert (dest / "ansible_collections/sre/oom/MANIFEST.json").is_file()
    return dest


def _data_dir(base, collections, extravars, cmdline="", fact_cache=None, hosts=None):
    """A private data dir laid out as AWX lays one out for a job."""
    pdd = base / "pdd"
    (pdd / "project").mkdir(parents=True)
    shutil.copytree(ROOT / "playbooks", pdd / "project/playbooks")
    shutil.copy(ROOT / "tests/runner/cached-facts.yml", pdd / "project/playbooks")
    (pdd / "inventory").mkdir()
    inventory = {"localhost": {
        "ansible_connection": "local",
        # AWX runs the EE's Python; here the Python that runs Ansible (the
        # interpreter discovery of this machine can pick a broken shim).
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
    }}
    inventory.update(hosts or {})
    (pdd / "inventory/hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": inventory}}))
    (pdd / "env").mkdir()
    (pdd / "env/extravars").write_text(yaml.safe_dump(extravars))
    (pdd / "env/envvars").write_text(yaml.safe_dump({
        # Only the installed copy: not the checkout, not ~/.ansible/collections.
        "ANSIBLE_COLLECTIONS_PATH": str(collections),
        "ANSIBLE_LOCAL_TEMP": str(base / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
    }))
    settings = {
        "job_timeout": 600,
        "idle_timeout": 300,
        "suppress_ansible_output": True,
        "fact_cache_type": "jsonfile",
    }
    if fact_cache:
        settings["fact_cache"] = str(fact_cache)  # absolute: shared between jobs
    (pdd / "env/settings").write_text(yaml.safe_dump(settings))
    if cmdline:
        (pdd / "env/cmdline").write_text(cmdline)
    return pdd


def _run(pdd, playbook, ident):
    proc = subprocess.run([_tool("ansible-runner"), "run", str(pdd), "-p", playbook, "--ident", ident],
                          capture_output=True, text=True, env=RUNNER_ENV, timeout=900, check=False)
    art = pdd / "artifacts" / ident
    events = [json.loads(Path(p).read_text()) for p in glob.glob(str(art / "job_events/*.json"))]
    events.sort(key=lambda e: e["counter"])
    stdout = (art / "stdout").read_text() if (art / "stdout").exists() else proc.stdout
    status = (art / "status").read_text().strip() if (art / "status").exists() else None
    rc = (art / "rc").read_text().strip() if (art / "rc").exists() else None
    return {"proc": proc, "art": art, "events": events, "stdout": stdout, "status": status, "rc": rc}


def _stats(run):
    (stats,) = [e for e in run["events"] if e["event"] == "playbook_on_stats"]
    return stats["event_data"]


def _host_events(run, kind, host="localhost"):
    return [e for e in run["events"] if e["event"] == kind and e["event_data"].get("host") == host]


def _assert_successful(run):
    detail = f"ansible-runner exit {run['proc'].returncode}\n{run['proc'].stderr[-2000:]}\n{run['stdout'][-4000:]}"
    assert run["status"] == "successful", detail
    assert run["rc"] == "0", detail
    assert run["proc"].returncode == 0, detail
    stats = _stats(run)
    assert stats["failures"] == {}, detail
    assert stats["dark"] == {}, detail
    assert not _host_events(run, "runner_on_failed"), detail
    assert not _host_events(run, "runner_on_unreachable"), detail
    return stats


def test_site_check_mode_predicts_one_change_and_changes_nothing(tmp_path, collections_dir):
    managed = tmp_path / "sysctl.d" / "60-sre-oom.conf"
    live_before = Path("/proc/sys/vm/panic_on_oom").read_text().strip()
    # The current value, so that even a live write would change nothing; the
    # managed file lives in a temporary directory that stays empty.
    extravars = {
        "oom_kernel_panic_on_oom": int(live_before),
        "oom_kernel_path": str(managed),
        "oom_kernel_apply": "never",
    }
    pdd = _data_dir(tmp_path, collections_dir, extravars, cmdline="--check --diff")
    run = _run(pdd, "playbooks/site.yml", "site-check")
    stats = _assert_successful(run)

    ok_events = _host_events(run, "runner_on_ok")
    changed = [e for e in ok_events if e["event_data"]["res"].get("changed")]
    # The only predicted change: the managed sysctl.d file would be created.
    assert [e["event_data"]["resolved_action"] for e in changed] == ["sre.oom.oom_policy"], run["stdout"][-4000:]
    res = changed[0]["event_data"]["res"]
    assert res["path"] == str(managed)
    assert res["live_applied"] is False
    assert res["live"]["vm.panic_on_oom"] == {"before": int(live_before), "after": int(live_before)}
    assert stats["changed"] == {"localhost": 1}
    assert stats["ok"] == {"localhost": len(ok_events)}
    actions = {e["event_data"]["resolved_action"] for e in ok_events}
    assert {"sre.oom.oom_policy", "sre.oom.oom_facts", "ansible.builtin.debug"} <= actions
    # Every task ran in check mode, and the machine is as it was.
    starts = [e for e in run["events"] if e["event"] == "playbook_on_play_start"]
    assert starts and all(e["event_data"].get("check_mode", True) for e in starts)
    # (The live value is not read again: vm.* sysctls are machine-wide and
    # other test runs on a shared machine may set them meanwhile.)
    assert not managed.exists() and not managed.parent.exists()
    # The summary line of site.yml reached the job output.
    assert "policy changed" in run["stdout"]


def test_report_writes_the_report(tmp_path, collections_dir):
    out = tmp_path / "report"
    cache = tmp_path / "fact-cache"
    pdd = _data_dir(tmp_path, collections_dir, {"oom_report_dir": str(out), "oom_report_since": "-1d"}, fact_cache=cache)
    run = _run(pdd, "playbooks/report.yml", "report")
    stats = _assert_successful(run)

    for name in ("index.html", "report.json", "report.md"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    report = json.loads((out / "report.json").read_text())
    assert report["schema"].startswith("sre.oom.report/")
    assert report["summary"]["hosts"] == 1
    assert report["summary"]["hosts_reporting"] == 1
    # Writing the report is the change; no host task fails.
    assert stats["changed"].get("localhost", 0) >= 1
    assert stats["ok"] == {"localhost": len(_host_events(run, "runner_on_ok"))}
    actions = {e["event_data"]["resolved_action"] for e in _host_events(run, "runner_on_ok")}
    assert "sre.oom.oom_facts" in actions
    # With AWX's fact storage on, the OOM facts outlive the job: a second job
    # that gathers nothing finds them in the cache.
    assert any(cache.iterdir()), "nothing in the fact cache"
    later = _run(pdd, "playbooks/cached-facts.yml", "cached-facts")
    later_stats = _assert_successful(later)
    assert later_stats["ok"] == {"localhost": 1}
    assert [e["event_data"]["resolved_action"] for e in _host_events(later, "runner_on_ok")] == ["ansible.builtin.assert"]

    # The report from that cache alone, as a fleet runs it in AWX: the same
    # report.yml with oom_report_gather=false contacts no host and finds the
    # same facts.
    cached_out = tmp_path / "report-from-cache"
    (pdd / "env/extravars").write_text(yaml.safe_dump(
        {"oom_report_dir": str(cached_out), "oom_report_since": "-1d", "oom_report_gather": False}))
    cached = _run(pdd, "playbooks/report.yml", "report-from-cache")
    _assert_successful(cached)
    actions = [e["event_data"]["resolved_action"] for e in cached["events"] if e["event"] == "runner_on_ok"]
    assert "sre.oom.oom_facts" not in actions and "sre.oom.oom_report" in actions
    from_cache = json.loads((cached_out / "report.json").read_text())
    assert from_cache["summary"]["hosts_reporting"] == 1
    assert from_cache["summary"]["kills"] == report["summary"]["kills"]


# ---------------------------------------------------------------- AWX's fact cache, as AWX lays it out
#
# AWX (awx/main/tasks/facts.py, read on github ansible/awx): before a job with
# fact storage on, start_fact_cache writes each host's stored facts with
# json.dump to <artifacts dir of the job>/fact_cache/<host> (no prefix, no
# wrapper); ansible-runner points ANSIBLE_CACHE_PLUGIN=jsonfile and
# ANSIBLE_CACHE_PLUGIN_CONNECTION there. After the job, finish_fact_cache reads
# the same <host> files back into AWX's database.


def _core_version():
    out = subprocess.run([_tool("ansible-playbook"), "--version"], capture_output=True, text=True,
                         check=True, env=RUNNER_ENV).stdout
    return tuple(int(x) for x in out.split("core ")[1].split("]")[0].split(".")[:2])


def _awx_start_fact_cache(pdd, ident, facts_by_host):
    """What AWX writes before the job `ident`."""
    cache = pdd / "artifacts" / ident / "fact_cache"
    cache.mkdir(parents=True, exist_ok=True)
    for host, facts in facts_by_host.items():
        (cache / host).write_text(json.dumps(facts), encoding="utf-8")
        (cache / host).chmod(0o600)
    return cache


def _awx_finish_fact_cache(cache, host):
    """What AWX reads back after the job: <host>, or nothing."""
    path = cache / host
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _oom(gathered_at, comm):
    return {"gathered_at": gathered_at, "source": "journal", "source_errors": {}, "event_count": 1,
            "sysctl": {"panic_on_oom": 0, "panic": 0}, "counters": {"oom_kill": 1, "missed": 0},
            "events": [{"time": "2026-11-30T10:00:00Z", "kind": "memcg", "killer": "kernel",
                        "victim": {"comm": comm, "pid": 4242}}]}


def test_report_from_awx_fact_cache(tmp_path, collections_dir):
    """report.yml -e oom_report_gather=false on the fact cache AWX gives a job: every host AWX
    stored facts for is reported, on every supported ansible-core, and nobody is contacted."""
    far = {"ansible_connection": "ssh", "ansible_ssh_common_args": "-o ConnectTimeout=2 -o BatchMode=yes"}
    hosts = {name: dict(far, ansible_host=f"{name}.invalid") for name in ("web-1", "web-2", "never-gathered")}
    out = tmp_path / "report"
    pdd = _data_dir(tmp_path, collections_dir, {"oom_report_dir": str(out), "oom_report_gather": False},
                    hosts=hosts)
    (pdd / "env/settings").write_text(yaml.safe_dump({"job_timeout": 600, "idle_timeout": 300,
                                                      "suppress_ansible_output": True,
                                                      "fact_cache_type": "jsonfile"}))
    _awx_start_fact_cache(pdd, "awx-report", {
        "web-1": {"oom": _oom("2026-11-30T11:00:00Z", "java"), "ansible_hostname": "web-1"},
        "web-2": {"oom": _oom("2026-11-30T11:00:00Z", "postgres")},
    })
    run = _run(pdd, "playbooks/report.yml", "awx-report")
    _assert_successful(run)
    assert not _host_events(run, "runner_on_ok", "web-1") and not _host_events(run, "runner_on_unreachable", "web-1")
    rep = json.loads((out / "report.json").read_text())
    got = {h["name"]: (h["status"], h["data_source"]) for h in rep["hosts"]}
    assert got == {"localhost": ("no_data", None), "web-1": ("ok", "facts"), "web-2": ("ok", "facts"),
                   "never-gathered": ("no_data", None)}, (_core_version(), got)
    assert rep["summary"]["kills"] == 2
    assert sorted(e["victim"]["comm"] for h in rep["hosts"] for e in h["events"]) == ["java", "postgres"]


def test_facts_a_job_gathers_reach_awx(tmp_path, collections_dir):
    """Which file a job leaves its new facts in, per ansible-core: AWX reads back <host> only."""
    out = tmp_path / "report"
    pdd = _data_dir(tmp_path, collections_dir, {"oom_report_dir": str(out), "oom_report_since": "-1d"})
    (pdd / "env/settings").write_text(yaml.safe_dump({"job_timeout": 600, "idle_timeout": 300,
                                                      "suppress_ansible_output": True,
                                                      "fact_cache_type": "jsonfile"}))
    old = {"oom": _oom("2020-01-01T00:00:00Z", "stored-by-awx")}
    cache = _awx_start_fact_cache(pdd, "awx-gather", {"localhost": old})
    _assert_successful(_run(pdd, "playbooks/report.yml", "awx-gather"))
    back = _awx_finish_fact_cache(cache, "localhost")
    if _core_version() >= (2, 19):
        # 2.19 writes s1_localhost ({"__payload__": ...}); AWX reads localhost: still the old facts.
        assert (cache / "s1_localhost").is_file()
        assert back == old
    else:
        assert not (cache / "s1_localhost").exists()
        assert back["oom"]["gathered_at"] != "2020-01-01T00:00:00Z"
        assert isinstance(back["oom"]["events"], list)

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The response playbook sre.oom.eda_oom_kill on events whose strings a user chose.

ansible-rulebook hands the event to ansible-playbook as extra vars (`-e @file`),
which ansible-core trusts: a string of the event is evaluated as a template where
the playbook reads it. The events here are made by the source's own Emitter (its
escaping included) from a kill line whose process name and cgroup path hold
templates, then given to the playbook exactly so, in check mode on this machine
(`ansible-playbook --check --diff`: nothing is changed, the record is only
shown).
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from conftest import REPO

TEMPLATE_CG = "/user.slice/user-1000.slice/user@1000.service/app.slice/{{ 7*7 }}/postgresql.service"
TEMPLATE_COMM = "{{ 6*7 }}"


class _Names(object):
    """The naming rule's interface: every machine is `localhost` in this inventory."""

    def name(self, machine):
        return "localhost"


def _event(src, kill):
    """The event the source puts on its queue for ``kill`` (oom_facts' event dict)."""
    from ansible_collections.sre.oom.plugins.module_utils._eda import events
    emitter = events.Emitter(asyncio.Queue(), {}, None, None, _Names(), "web7")
    return emitter.event("oom_kill", kill)


def _kill():
    return {
        "time": None, "uptime": 1234.5, "kind": "memcg", "killer": "kernel", "constraint": "CONSTRAINT_MEMCG",
        "victim": {"pid": 4242, "comm": TEMPLATE_COMM, "uid": 1000, "total_vm_kb": 1, "anon_rss_kb": 1,
                   "file_rss_kb": 0, "shmem_rss_kb": 0, "pgtables_kb": 1, "oom_score_adj": 0, "rss_kb": None},
        "invoker": {"pid": None, "comm": None, "gfp_mask": None, "order": None, "oom_score_adj": None,
                    "oom_adj": None},
        "memcg": TEMPLATE_CG, "oom_memcg": TEMPLATE_CG, "cgroup": None, "unit": "postgresql.service",
        "container_id": None, "pod_uid": None, "group": None, "reason": None, "signal": "SIGKILL",
        "source": "journal", "reaped": True, "unit_oom_logged": False, "unit_result": None,
    }


def _play(tmp_path, event, **variables):
    extra = tmp_path / "extravars.json"
    extra.write_text(json.dumps(dict({"ansible_eda": {"event": event, "rule": "test"},
                                      "oom_eda_record_dir": str(tmp_path / "records"),
                                      "oom_protected_units": ["postgresql.service"]}, **variables)))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", PYTHONWARNINGS="ignore")
    res = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),  # noqa: S603
                          "-i", str(REPO / "inventory" / "localhost.yml"), "--check", "--diff",
                          "-e", "@%s" % extra, "--limit", str(event["meta"]["hosts"]),
                          str(REPO / "playbooks" / "eda_oom_kill.yml")],
                         cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300, check=False)
    return res.returncode, res.stdout + res.stderr


def test_the_source_escapes_every_brace_of_an_event(src):
    ev = _event(src, dict(_kill(), **{"extra{{": ["{%x%}", {"{#": "{"}]}))
    text = json.dumps(ev)
    assert "{" not in text.replace('{"', "").replace(', "', "").replace("{}", "")
    assert ev["oom_kill"]["victim"]["comm"] == "\\x7b\\x7b 6*7 }}"
    assert ev["oom_kill"]["memcg"] == TEMPLATE_CG.replace("{", "\\x7b")
    assert ev["oom_kill"]["extra\\x7b\\x7b"] == ["\\x7b%x%}", {"\\x7b#": "\\x7b"}]
    assert ev["host"] == "localhost" and ev["machine"] == "web7" and ev["meta"] == {"hosts": "localhost"}


def test_templates_in_an_event_are_recorded_as_text_not_run(src, tmp_path):
    rc, out = _play(tmp_path, _event(src, _kill()), oom_eda_restart=True)
    assert rc == 0, out[-4000:]
    # the record, as --diff shows it: the strings as the log gave them, escaped
    assert '"comm": "\\\\x7b\\\\x7b 6*7 }}"' in out, out[-4000:]
    assert "/app.slice/\\\\x7b\\\\x7b 7*7 }}/postgresql.service" in out
    assert '"comm": 42' not in out and "/49/" not in out
    # not in this machine's own oom_facts: no restart is even considered
    assert "TASK [Read the system unit's own cgroup]" not in out or "skipping: [localhost]" in out.split(
        "TASK [Read the system unit's own cgroup]", 1)[1].split("TASK [", 1)[0]
    assert '"in_oom_facts": false' in out


@pytest.mark.parametrize("host", ["all", "local*", "somewhere-else"])
def test_an_event_for_another_host_or_a_pattern_does_nothing(src, tmp_path, host):
    ev = _event(src, _kill())
    ev["host"] = host
    ev["meta"] = {"hosts": "localhost"}          # the run limited to this machine all the same
    rc, out = _play(tmp_path, ev, oom_eda_restart=True)
    assert rc != 0
    assert "the event names host" in out and "nothing is done" in out, out[-3000:]
    assert "TASK [Record the kill]" not in out and "TASK [Gather the OOM facts]" not in out

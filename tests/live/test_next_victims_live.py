# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live: next_victims against the kernel's real choice, on this machine's kernel.

32 memory-cgroup OOMs (see memcg_trials): next_victims, taken before the killer
runs, must name the kernel's first victim first in at least 95% of them, while
the machine-wide oom_score order (the `processes` fact) is wrong in at least a
quarter (else the trials would prove nothing). Then a few more kills, one of a
victim that was already exiting (SIGTERM caught, memory held), each cgroup removed
right after its kill, must all be found by oom_facts' counters and attributed. The
kernel rate-limits OOM reports machine-wide (10 per 5 s; past that only 'Killed
process', without the memcg): those kills are started after 5 s without any kill, and
a trial whose report was dropped anyway is run again (its kill must still be an event).

Skipped where no memory cgroup can be made (not root, no cgroup v1 memory
controller); SRE_OOM_REQUIRE_LIVE=1 turns that skip into a failure.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
COLLECTIONS = os.path.join(REPO, "build", "collections")
sys.path.insert(0, HERE)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

import memcg_trials  # noqa: E402

from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup as _cgroup  # noqa: E402
from ansible_collections.sre.oom.plugins.module_utils._oom import victims as _victims  # noqa: E402
from ansible_collections.sre.oom.plugins.module_utils import _host  # noqa: E402

TRIALS = 32
SEED = 20
EVERY_NTH_VIA_ANSIBLE = 8


def require_live():
    reason = memcg_trials.available()
    if reason:
        if os.environ.get("SRE_OOM_REQUIRE_LIVE") == "1":
            pytest.fail("live test required but impossible here: %s" % reason)
        pytest.skip(reason)


def ansible_facts(args):
    """ansible localhost -m sre.oom.oom_facts -a ARGS: the oom facts."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               PATH=os.path.join(REPO, ".venv", "bin") + os.pathsep + os.environ.get("PATH", ""))
    out = subprocess.run(  # noqa: S603 - fixed argv
        [os.path.join(REPO, ".venv", "bin", "ansible"), "localhost", "-m", "sre.oom.oom_facts", "-a", args],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, check=False)
    text = out.stdout.decode("utf-8", "replace")
    assert "SUCCESS" in text, text + out.stderr.decode("utf-8", "replace")
    return json.loads(text[text.index("{"):])["ansible_facts"]["oom"]


def predictor(via_ansible_every=EVERY_NTH_VIA_ANSIBLE):
    def predict(trial):
        if via_ansible_every and trial.index % via_ansible_every == 0:
            domains = ansible_facts("gather_subset=processes top_processes=10")["next_victims"]
            how = "ansible"
        else:
            domains = _victims.gather(_host.Host(), 10, _cgroup.cgroup_unit)
            how = "room"
        mine = [d for d in domains if d["domain"] == trial.cgroup]
        assert len(mine) == 1, [d["domain"] for d in domains]
        pids = [p.pid for p in trial.procs]
        ranked = [c["pid"] for c in mine[0]["candidates"]]
        assert sorted(ranked) == sorted(pids), (ranked, pids)
        return {"how": how, "next_victims": ranked, "points": [c["points"] for c in mine[0]["candidates"]],
                "machine_wide": memcg_trials.machine_wide_order(pids)}
    return predict


def score(results):
    n = len(results)
    hits = sum(1 for r in results if r["kernel_victim"] and r["prediction"]["next_victims"][0] == r["kernel_victim"]["pid"])
    mw = sum(1 for r in results if r["kernel_victim"] and r["prediction"]["machine_wide"][0] == r["kernel_victim"]["pid"])
    return n, hits, mw


def test_next_victims_names_the_kernels_first_victim():
    require_live()
    results = memcg_trials.run_trials(TRIALS, SEED, predict=predictor())
    assert len(results) >= 30
    missing = [r["index"] for r in results if not r["kernel_victim"]]
    assert not missing, "no kill read back from /dev/kmsg for trials %s" % missing
    for r in results:
        assert r["kernel_victim"]["oom_memcg"] in (r["cgroup"], None)
        assert r["kernel_victim"]["pid"] in [c["pid"] for c in r["candidates"]], "the trigger was killed"
    n, hits, mw = score(results)
    assert mw <= n * 0.75, "machine-wide order right in %d of %d: the trials prove nothing" % (mw, n)
    assert hits >= n * 0.95, "next_victims right in %d of %d: %s" % (
        hits, n, [(r["index"], r["kernel_victim"], r["prediction"]) for r in results
                  if r["prediction"]["next_victims"][0] != r["kernel_victim"]["pid"]])
    assert any(r["prediction"]["how"] == "ansible" for r in results)


def test_induced_kills_are_all_counted_and_attributed():
    require_live()
    before = _host.Host().read_text("/proc/vmstat")
    kills = []
    unreported = []     # kills whose report the kernel's rate limit dropped: no memcg in the log
    with memcg_trials.Slice("counters") as parent:
        rng = random.Random(7)
        # 6 kills fit in one window of the kernel's report rate limit once no other
        # kill used it (the previous test's trials, anything else on the machine)
        assert memcg_trials.wait_for_report_budget(), "OOM kills on this machine never stopped for 5 s"
        for i in range(6):
            # trial 0: the biggest candidate is already exiting (SIGTERM caught, memory held)
            cands = [(40, 900), (10, 900), (12, 900)] if i == 0 else memcg_trials.plan(rng, 128)
            for _attempt in range(3):
                trial = memcg_trials.Trial(parent, i, cands, 128, exiting_first=(i == 0))
                rec = trial.run(lambda t: None)
                assert rec["kernel_victim"], "trial %d: no kill read back" % i
                # removed right after its kill
                assert not os.path.exists(trial.path)
                if rec["kernel_victim"]["oom_memcg"] is not None:
                    break
                # someone else's kills used up the window: the kernel logged only
                # 'Killed process', no memcg; the same trial again in a new window
                unreported.append(rec)
                assert memcg_trials.wait_for_report_budget(), "OOM kills on this machine never stopped for 5 s"
            else:
                pytest.fail("trial %d: the kernel's OOM report rate limit dropped its report 3 times" % i)
            kills.append(rec)
        oom = ansible_facts("gather_subset=counters,events sources=kmsg max_events=1000 top_cgroups=1000")
    counted_before = int([ln for ln in before.splitlines() if ln.startswith("oom_kill ")][0].split()[1])
    assert oom["counters"]["oom_kill"] - counted_before >= len(kills) + len(unreported)
    # the exiting victim (it was handling SIGTERM) was killed and counted like any other
    assert kills[0]["kernel_victim"]["pid"] == kills[0]["candidates"][0]["pid"]
    ours = {r["kernel_victim"]["pid"] for r in kills}
    found = [e for e in oom["events"] if e["victim"]["pid"] in ours and e["memcg"]
             and e["memcg"].startswith("/" + parent.name + "/")]
    assert len(found) == len(kills), (kills, found)
    # a kill whose report was dropped is still an event (its 'Killed process' line), with no memcg
    for r in unreported:
        same = [e for e in oom["events"] if e["victim"]["pid"] == r["kernel_victim"]["pid"]]
        assert len(same) == 1 and not same[0]["memcg"], (r, same)
    slice_rows = [s for s in oom["counters"]["subtrees"] if s["kind"] == "slice" and s["name"] == parent.name]
    assert slice_rows and slice_rows[0]["log_kills"] >= len(kills), oom["counters"]["subtrees"]
    units = {s["name"]: s for s in oom["counters"]["subtrees"] if s["kind"] == "unit"}
    attributed = sum(1 for r in kills if units.get(r["cgroup"].rsplit("/", 1)[1], {}).get("log_kills"))
    assert attributed >= 0.9 * len(kills)

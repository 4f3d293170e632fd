# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oom_unit in check mode and with --diff: how the machine-wide OOM kill order moves
with the proposed oom_score_adj values. Same seam as test_oom_unit (the root and
systemctl faked through the module's Host)."""

from __future__ import annotations

from ansible_collections.sre.oom.tests.unit.plugins.modules import test_oom_unit as base

proc, run, write = base.proc, base.run, base.write
fake = base.fake              # registers test_oom_unit's `fake` fixture (fake root + systemd) here


def status(name, rss_kb):
    return "Name:\t%s\nState:\tS (sleeping)\nVmRSS:\t%d kB\nRssAnon:\t%d kB\nRssFile:\t0 kB\nRssShmem:\t0 kB\n" \
           "VmPTE:\t0 kB\nVmSwap:\t0 kB\n" % (name, rss_kb, rss_kb)


def processes(sd):
    root = sd.root
    write(root, "/proc/meminfo", "MemTotal: 4096000 kB\nSwapTotal: 0 kB\n")
    write(root, "/proc/sys/kernel/osrelease", "6.1.0\n")
    # by size: db (101) 1st, web (201) 2nd, sshd (301) 3rd, web (202) 4th
    for pid, name, rss, unit in [(101, "postgres", 800000, "db.service"), (201, "nginx", 400000, "web.service"),
                                 (202, "nginx", 100000, "web.service"), (301, "sshd", 200000, "ssh.service")]:
        write(root, "/proc/%d/status" % pid, status(name, rss))
        write(root, "/proc/%d/oom_score_adj" % pid, "0\n")
        write(root, "/proc/%d/cgroup" % pid, "0::/system.slice/%s\n" % unit)
    sd.add("ssh.service", pids=(301,))
    # the module may lower oom_score_adj (CAP_SYS_RESOURCE in CapEff)
    write(root, "/proc/self/status", "Name:\tpython3\nCapEff:\t000001ffffffffff\n")


UNITS = [{"name": "ssh", "oom_score_adj": -1000}, {"name": "web", "oom_score_adj": 300},
         {"name": "db", "oom_policy": "continue"}]


def test_check_mode_shows_the_kill_order_before_and_after(fake, run_module):
    processes(fake)
    r = run(run_module, {"units": UNITS}, check_mode=True)
    assert r["failed"] is False
    assert [e["text"] for e in r["ranking"]] == [
        "nginx (201, web.service): 2nd -> 1st",
        "nginx (202, web.service): 4th -> 2nd",
        "sshd (301, ssh.service): 3rd -> never",
    ]
    assert r["ranking"][2] == {"pid": 301, "comm": "sshd", "unit": "ssh.service", "before": 3, "after": None,
                               "oom_score_adj_before": 0, "oom_score_adj_after": -1000,
                               "text": "sshd (301, ssh.service): 3rd -> never"}
    # nothing was changed to find this out
    assert proc(fake, 301) == "0" and proc(fake, 201) == "0"
    assert "diff" not in r


def test_diff_carries_the_ranking_as_prepared_text(fake, run_module):
    processes(fake)
    r = run(run_module, {"units": UNITS}, check_mode=True, diff=True)
    prepared = [d["prepared"] for d in r["diff"] if "prepared" in d]
    assert prepared == ["OOM kill order of the whole machine with the proposed oom_score_adj:\n"
                        "  nginx (201, web.service): 2nd -> 1st\n"
                        "  nginx (202, web.service): 4th -> 2nd\n"
                        "  sshd (301, ssh.service): 3rd -> never\n"]
    # the drop-ins' own before/after are still there
    assert any(d.get("after_header", "").endswith("ssh.service.d/50-oom-score-adj.conf") for d in r["diff"])


def test_no_order_without_the_machines_size(fake, run_module):
    processes(fake)
    write(fake.root, "/proc/meminfo", "SwapTotal: 0 kB\n")
    r = run(run_module, {"units": UNITS}, check_mode=True)
    assert r["failed"] is False and r["ranking"] == []


def test_no_ranking_without_check_or_diff_or_without_oom_score_adj(fake, run_module):
    processes(fake)
    r = run(run_module, {"units": UNITS})
    assert "ranking" not in r
    r = run(run_module, {"units": [{"name": "db", "oom_policy": "kill"}]}, check_mode=True)
    assert "ranking" not in r


def test_diff_leaves_out_the_ranking_when_nothing_moves(fake, run_module):
    """The proposed values already in force: no process gets a new value, `ranking`
    is empty and the diff gains no 'prepared' entry."""
    processes(fake)
    for pid, adj in ((301, -1000), (201, 300), (202, 300)):
        write(fake.root, "/proc/%d/oom_score_adj" % pid, "%d\n" % adj)
    r = run(run_module, {"units": UNITS}, check_mode=True, diff=True)
    assert r["ranking"] == []
    assert [d for d in r["diff"] if "prepared" in d] == []


def test_the_ranking_moves_only_what_the_run_changes(fake, run_module):
    """The order a run promises is the order it makes: not the processes of a unit
    whose value is not applied live (apply_live false, or a later drop-in shadowing
    it), nor a lowering the kernel will refuse (no CAP_SYS_RESOURCE)."""
    processes(fake)
    r = run(run_module, {"units": UNITS, "apply_live": False}, check_mode=True, diff=True)
    assert r["ranking"] == [] and [d for d in r["diff"] if "prepared" in d] == []
    write(fake.root, "/etc/systemd/system/ssh.service.d/99-local.conf", "[Service]\nOOMScoreAdjust=0\n")
    r = run(run_module, {"units": UNITS}, check_mode=True)
    assert [e["text"] for e in r["ranking"]] == [
        "nginx (201, web.service): 2nd -> 1st", "nginx (202, web.service): 4th -> 2nd"]
    write(fake.root, "/proc/self/status", "Name:\tpython3\nCapEff:\t0000000000000000\n")
    (fake.root / "etc/systemd/system/ssh.service.d/99-local.conf").unlink()
    r = run(run_module, {"units": UNITS}, check_mode=True)
    assert "sshd" not in " ".join(e["text"] for e in r["ranking"])
    assert "would be refused" in r["units"]["ssh.service"]["live"]["failed"]["301"]

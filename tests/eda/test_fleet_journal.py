# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The source on a collector: `journal_directory` filled by the real
systemd-journal-remote, read by the real journalctl, a cursor in `state_file`.

- the machines of the fleet are named by the inventory rule (host, meta.hosts);
- the source stopped and started again in the middle of a burst of kills from
  three machines delivers every kill exactly once;
- journalctl killed (SIGKILL) in the middle of a burst is started again after the
  last record handled: every kill exactly once;
- a missing directory, a bad state file, journald missing: clear errors.
"""
from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import signal
import threading
import time

import pytest
from conftest import Running
from journal_remote import KILL, RemoteJournals, require_journal_remote

INVENTORY = """all:
  hosts:
    web1:
      ansible_host: web1.prod.example.com
    db-primary:
      ansible_host: 10.0.0.5
    cache01.prod.example.com:
    localhost:
      ansible_connection: local
"""


def run(coro, timeout=240):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def _events(r, first=90.0, quiet=3.0):
    """Every event: the first within `first` s (the start reads the inventory with
    ansible-inventory, slow on a loaded machine), then until `quiet` s without one."""
    return [await r.get(first)] + await r.drain(quiet)


@pytest.fixture
def fleet(tmp_path):
    require_journal_remote()
    inv = tmp_path / "inventory.yml"
    inv.write_text(INVENTORY)
    return RemoteJournals(tmp_path / "remote"), str(inv), str(tmp_path / "state.json")


def _args(journals, inv, state, **kw):
    args = {"journal_directory": journals.directory, "inventory": inv, "state_file": state,
            "start": "boot", "summary_interval": 0, "sweep_interval": 1}
    args.update(kw)
    return args


async def _following(timeout=90):
    """Until a journalctl child of this process runs (the source follows the journal)."""
    deadline = time.monotonic() + timeout
    while not _own_journalctl():
        assert time.monotonic() < deadline, "the source started no journalctl"
        await asyncio.sleep(0.1)


def _own_journalctl():
    """The pids of the following journalctl processes (-f) that are children of this test process."""
    me = str(os.getpid())
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = stat[stat.rindex(")") + 2:].split()[1]
        if comm == "journalctl" and ppid == me:
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    follows = b"\0-f\0" in f.read()
            except OSError:
                continue
            if follows:                    # the follower, not a sweep's journalctl --file
                found.append(int(pid))
    return found


def test_machines_are_named_by_the_inventory(src, fleet):
    journals, inv, state = fleet
    journals.write("web1.prod.example.com", [KILL % (101, "a")])     # ansible_host of web1
    journals.write("db-primary", [KILL % (102, "b")])                # an inventory name
    journals.write("cache01", [KILL % (103, "c")])                   # short name of one host
    journals.write("stray", [KILL % (104, "d")])                     # unknown: its own name

    async def go():
        r = Running(src, _args(journals, inv, state))
        try:
            return await _events(r)
        finally:
            await r.stop()

    got = {e["oom_kill"]["victim"]["pid"]: e for e in run(go())}
    assert sorted(got) == [101, 102, 103, 104]
    want = {101: ("web1", "web1.prod.example.com"), 102: ("db-primary", "db-primary"),
            103: ("cache01.prod.example.com", "cache01"), 104: ("stray", "stray")}
    for pid, (host, machine) in want.items():
        assert (got[pid]["host"], got[pid]["machine"], got[pid]["meta"]) == (host, machine, {"hosts": host})
        assert got[pid]["oom_kill"]["source"] == "journal" and got[pid]["oom_kill"]["kind"] == "memcg"
    saved = json.loads(open(state).read())
    assert saved["cursor"].startswith("s=")


class Burst(threading.Thread):
    """Kills from three machines, one journal write each, `gap` seconds apart.

    After `hold_at` kills the writer waits until the test calls `go_on()` (once the
    source was restarted or journalctl killed): whatever the machine's speed, that
    happens in the middle of the burst, with kills written before it and after it."""

    def __init__(self, journals, per_machine=30, gap=0.02, hold_at=45, hold_for=120):
        threading.Thread.__init__(self, daemon=True)
        self.journals = journals
        self.want = [(m, 1000 * i + n) for n in range(per_machine) for i, m in enumerate(("web1", "db-primary", "stray"), 1)]
        self.gap = gap
        self.hold_at = hold_at
        self.hold_for = hold_for            # at most: a test that never calls go_on() fails, not hangs
        self.released = threading.Event()
        self.written = 0

    def go_on(self):
        self.released.set()

    def run(self):
        for machine, pid in self.want:
            if self.written == self.hold_at:
                self.released.wait(self.hold_for)
            self.journals.write(machine, [KILL % (pid, "hog")])
            self.written += 1
            time.sleep(self.gap)


def _count(events):
    return collections.Counter((e["machine"], e["oom_kill"]["victim"]["pid"]) for e in events if "oom_kill" in e)


async def _collect_until(r, n, timeout=60):
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        out.append(await r.get(deadline - time.monotonic()))
    return out


async def _stop_and_drain(r):
    await r.stop()
    rest = []
    while not r.queue.empty():
        rest.append(r.queue.get_nowait())      # put on the queue: delivered to ansible-rulebook
    return rest


def test_restart_in_the_middle_of_a_burst_delivers_each_kill_once(src, fleet):
    journals, inv, state = fleet
    journals.write("web1", ["the first line of the collector's journal"])
    burst = Burst(journals)

    async def go():
        first = Running(src, _args(journals, inv, state))
        await _following()                  # the inventory read, journalctl following
        burst.start()
        got1 = await _collect_until(first, 25)
        got1 += await _stop_and_drain(first)
        stopped_at = burst.written
        burst.go_on()                       # the rest of the burst: while down and after the start
        second = Running(src, _args(journals, inv, state))   # same state file, start: boot again
        try:
            while burst.is_alive():
                await asyncio.sleep(0.2)
            got2 = await second.drain(4.0)
        finally:
            got2_rest = await _stop_and_drain(second)
        return got1, got2 + got2_rest, stopped_at

    got1, got2, stopped_at = run(go())
    assert 25 <= stopped_at <= burst.hold_at < len(burst.want), "the source was not restarted in the middle of the burst"
    counts = _count(got1) + _count(got2)
    assert sorted(counts) == sorted(burst.want)
    assert set(counts.values()) == {1}, [k for k, v in counts.items() if v > 1]
    assert len(got1) >= 25 and len(got2) >= 1
    assert {e["host"] for e in got1 + got2} == {"web1", "db-primary", "stray"}
    print("%d kills: %d before the restart, %d after, none twice" % (len(burst.want), len(got1), len(got2)))


def test_journalctl_killed_in_a_burst_is_restarted_after_its_last_record(src, fleet, caplog):
    journals, inv, state = fleet
    journals.write("web1", ["start"])
    burst = Burst(journals)
    caplog.set_level(logging.WARNING, logger="sre.oom.oom_kills")

    async def go():
        r = Running(src, _args(journals, inv, state))
        try:
            await _following()
            burst.start()
            got = await _collect_until(r, 20)
            pids = _own_journalctl()
            assert len(pids) == 1, pids
            os.kill(pids[0], signal.SIGKILL)
            killed_at = burst.written
            burst.go_on()                   # the rest of the burst: while journalctl is down and after
            while burst.is_alive():
                await asyncio.sleep(0.2)
            got += await r.drain(4.0)
            again = _own_journalctl()
        finally:
            got += await _stop_and_drain(r)
        return got, killed_at, pids[0], again

    got, killed_at, old, again = run(go())
    assert 20 <= killed_at <= burst.hold_at < len(burst.want), "journalctl was not killed in the middle of the burst"
    assert len(again) == 1 and again[0] != old            # a new journalctl follows
    counts = _count(got)
    assert sorted(counts) == sorted(burst.want) and set(counts.values()) == {1}
    assert any("journalctl stopped (rc -9)" in rec.getMessage() for rec in caplog.records)


def test_an_entry_that_arrives_after_a_newer_one_of_another_host_is_delivered_once(src, fleet):
    """journalctl -f over the directory shows entries in time order and goes on after
    the last shown: a kill logged on web1 5 s before db-primary's but reaching the
    collector after it (a slow uploader) comes from the per-file sweep, once; so do
    the kills that a host sends after a restart of the source, logged while it was down."""
    journals, inv, state = fleet
    journals.write("web1", ["web1 ships"])
    journals.write("db-primary", ["db-primary ships"])

    async def go():
        r = Running(src, _args(journals, inv, state, start="now", sweep_interval=1))
        try:
            await _following()
            await asyncio.sleep(1)
            journals.write("db-primary", [KILL % (301, "new")])
            first = await r.get(30)
            journals.write("web1", [KILL % (302, "late")], ago=5)       # older than db-primary's kill
            second = await r.get(30)
            return [first, second] + await r.drain(3.0)
        finally:
            await r.stop()

    got = run(go())
    assert [(e["host"], e["oom_kill"]["victim"]["pid"]) for e in got] == [("db-primary", 301), ("web1", 302)]

    journals.write("web1", [KILL % (303, "while down")], ago=60)       # logged a minute ago, arrives now

    async def again():
        r = Running(src, _args(journals, inv, state, start="now", sweep_interval=1))
        try:
            return await _events(r)
        finally:
            await r.stop()

    assert [e["oom_kill"]["victim"]["pid"] for e in run(again())] == [303]


def test_state_file_goes_on_after_the_saved_cursor(src, fleet):
    journals, inv, state = fleet
    journals.write("web1", [KILL % (1, "old")])

    async def once(expect=True):
        r = Running(src, _args(journals, inv, state))
        try:
            if expect:
                return await _events(r)
            await asyncio.sleep(8)                       # started, read the journal, nothing to say
            return await r.drain(3.0)
        finally:
            await r.stop()

    assert [e["oom_kill"]["victim"]["pid"] for e in run(once())] == [1]
    journals.write("web1", [KILL % (2, "new")])          # written while no source ran
    assert [e["oom_kill"]["victim"]["pid"] for e in run(once())] == [2]
    assert run(once(expect=False)) == []


@pytest.mark.parametrize("content, match", [
    ("not json", "does not hold a journal cursor written by this source"),
    ('{"cursor": 5}', "does not hold a journal cursor"),
])
def test_bad_state_file_is_a_clear_error(src, fleet, content, match):
    journals, inv, state = fleet
    journals.write("web1", ["x"])
    with open(state, "w") as f:
        f.write(content)

    async def go():
        r = Running(src, _args(journals, inv, state))
        await r.get(20)

    with pytest.raises(src["OomKillsError"], match=match):
        run(go())
    assert open(state).read() == content                 # nothing changed


def test_missing_directory_and_unwritable_state_are_clear_errors(src, fleet, tmp_path):
    journals, inv, _state = fleet

    async def go(args):
        r = Running(src, args)
        await r.get(20)

    with pytest.raises(src["OomKillsError"], match="journal_directory .*/nowhere is not a directory"):
        run(go({"journal_directory": str(tmp_path / "nowhere"), "inventory": inv}))
    journals.write("web1", ["x"])
    with pytest.raises(src["OomKillsError"], match="state_file .*: its directory .* does not exist"):
        run(go(_args(journals, inv, str(tmp_path / "no" / "state.json"))))
    with pytest.raises(src["OomKillsError"], match="scope=container does not apply"):
        run(go(_args(journals, inv, None, scope="container")))


def test_journal_without_journald_is_a_clear_error_and_auto_falls_back(src, monkeypatch, tmp_path):
    from ansible_collections.sre.oom.plugins.module_utils._eda import system
    monkeypatch.setattr(system, "JOURNALD_SOCKET", str(tmp_path / "no-socket"))

    async def go():
        r = Running(src, {"source": "journal", "inventory": None})
        await r.get(20)

    with pytest.raises(src["OomKillsError"], match="journald is not running on this machine"):
        run(go())
    assert src["choose_source"](src["validate"]({})) == "kmsg"


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_hosts_upload_to_journal_remote_and_the_source_sees_each_kill(src, fleet, tmp_path):
    """The whole chain on this machine, listening on 127.0.0.1 only: two "hosts"
    (journal directories of machines web1 and db-primary) shipped by two real
    systemd-journal-upload --follow to a real systemd-journal-remote --listen-http,
    whose output directory the source follows."""
    import subprocess
    from journal_remote import JOURNAL_REMOTE, JOURNAL_UPLOAD
    journals, inv, state = fleet
    collector = tmp_path / "collector"
    collector.mkdir()
    port = _free_port()
    procs = [subprocess.Popen([JOURNAL_REMOTE, "--listen-http=127.0.0.1:%d" % port,  # noqa: S603
                               "--output=%s/" % collector, "--split-mode=host"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    hosts = {m: RemoteJournals(tmp_path / m) for m in ("web1", "db-primary")}
    for m, j in hosts.items():
        j.write(m, ["%s starts shipping" % m])
    time.sleep(0.5)
    for m, j in hosts.items():
        procs.append(subprocess.Popen([JOURNAL_UPLOAD, "--url=http://127.0.0.1:%d" % port,  # noqa: S603
                                       "--directory=%s" % j.directory, "--follow=yes",
                                       "--save-state=%s" % (tmp_path / ("%s.state" % m))],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        deadline = time.monotonic() + 20
        while not list(collector.glob("*.journal")) and time.monotonic() < deadline:
            time.sleep(0.2)

        async def go():
            r = Running(src, {"journal_directory": str(collector), "inventory": inv, "state_file": state,
                              "summary_interval": 0})
            try:
                await _following()                       # the inventory read, journalctl following
                await asyncio.sleep(1)                   # past the probe of the journal's end (start: now)
                lat = []
                got = []
                for n, m in enumerate(("db-primary", "web1", "db-primary"), 1):
                    written = time.monotonic()
                    hosts[m].write(m, [KILL % (500 + n, "hog")])
                    ev = await r.get(20)
                    lat.append(time.monotonic() - written)
                    got.append(ev)
                return got, lat
            finally:
                await r.stop()

        got, lat = run(go())
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    assert [(e["host"], e["oom_kill"]["victim"]["pid"]) for e in got] == [("db-primary", 501), ("web1", 502), ("db-primary", 503)]
    assert max(lat) < 5
    print("host journal write -> upload -> remote -> event: %s s" % ", ".join("%.2f" % x for x in lat))


def test_start_now_skips_what_the_directory_holds_and_reads_hosts_that_appear_later(src, fleet):
    """start: now (no state file): the kills already in the hosts' files are not
    emitted, whatever their time; what a file gets after the start is. A host whose
    file appears after the start is read from its start (all of it reached the
    collector after the source started), even a kill it logged an hour ago."""
    journals, _inv, _state = fleet
    journals.write("web1", [KILL % (101, "old-a")], ago=3600)
    journals.write("db1", [KILL % (102, "old-b")])

    async def go():
        r = Running(src, _args(journals, None, None, start="now", sweep_interval=1))
        try:
            await _following()
            await asyncio.sleep(1)
            journals.write("web1", [KILL % (103, "new")], ago=7200)     # a clock two hours behind
            journals.write("cache01", [KILL % (104, "backlog")], ago=3600)
            return await _events(r, first=30)
        finally:
            await r.stop()

    got = run(go())
    assert sorted((e["machine"], e["oom_kill"]["victim"]["pid"]) for e in got) == [("cache01", 104), ("web1", 103)]


def _archive(journals, machine, n):
    """Rotate a host's file as journald and journal-remote do: NAME.journal renamed to
    NAME@SEQNUMID-SEQNUM-REALTIME.journal (same inode); the next write starts a new NAME.journal."""
    live = os.path.join(journals.directory, "remote-%s.journal" % machine)
    os.rename(live, os.path.join(journals.directory, "remote-%s@%s-%016x-%016x.journal" % (machine, "0" * 32, n, n)))


def test_a_rotated_file_is_not_delivered_again_nor_after_a_restart(src, fleet):
    journals, _inv, state = fleet
    journals.write("web1", ["web1 ships"])

    async def go(then, quiet=4.0):
        r = Running(src, _args(journals, None, state))
        try:
            await _following()
            await asyncio.sleep(1.5)
            then()
            return await r.drain(quiet)
        finally:
            await r.stop()

    def pids(events):
        return [e["oom_kill"]["victim"]["pid"] for e in events]

    def rotate_then_write():
        journals.write("web1", [KILL % (1, "a"), KILL % (2, "b")])
        time.sleep(3)
        _archive(journals, "web1", 1)
        journals.write("web1", [KILL % (3, "c")])

    assert pids(run(go(rotate_then_write))) == [1, 2, 3]
    _archive(journals, "web1", 2)                      # rotated while no source ran
    journals.write("web1", [KILL % (4, "d")])
    assert pids(run(go(lambda: None))) == [4]


def test_an_empty_directory_starts_and_picks_up_files_as_they_appear(src, fleet):
    """A fresh collector: the directory holds no journal yet. The source starts, and
    the first host's file, when it comes, is read from its start, each kill once."""
    journals, _inv, state = fleet

    async def go():
        r = Running(src, _args(journals, None, state, start="now"))
        try:
            await _following()
            await asyncio.sleep(1)
            journals.write("web1", [KILL % (201, "first")])
            got = await _events(r, first=30)
            journals.write("web1", [KILL % (202, "second")])
            return got + await _events(r, first=30)
        finally:
            await r.stop()

    assert [e["oom_kill"]["victim"]["pid"] for e in run(go())] == [201, 202]


def test_a_process_name_with_a_line_separator_does_not_hide_its_kill(src, fleet):
    """U+2028 is written raw by journalctl -o json: the sweep (start: boot reads the
    files) must not split the record there."""
    journals, _inv, _state = fleet
    journals.write("web1", [KILL % (41, "a\u2028b"), KILL % (42, "c\u2029d"), KILL % (43, "plain")])

    async def go():
        r = Running(src, _args(journals, None, None))
        try:
            return await _events(r, first=30)
        finally:
            await r.stop()

    got = run(go())
    assert [(e["oom_kill"]["victim"]["pid"], e["oom_kill"]["victim"]["comm"]) for e in got] == [
        (41, "a\u2028b"), (42, "c\u2029d"), (43, "plain")]


def test_deleted_files_leave_the_state(src, fleet):
    """A file vacuumed from the directory is dropped from the state file (which
    would otherwise grow with every rotation until it could not be read)."""
    journals, _inv, state = fleet
    journals.write("web1", [KILL % (1, "a")])
    gone = journals.write("db1", [KILL % (2, "b")])

    async def go():
        r = Running(src, _args(journals, None, state))
        try:
            got = await _events(r, first=30)
            os.unlink(gone)
            journals.write("web1", [KILL % (3, "c")])
            return got + await _events(r, first=30)
        finally:
            await r.stop()

    assert sorted(e["oom_kill"]["victim"]["pid"] for e in run(go())) == [1, 2, 3]
    with open(state) as f:
        assert sorted(os.path.basename(p) for p in json.load(f)["files"]) == ["remote-web1.journal"]

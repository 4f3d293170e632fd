# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the EDA source sre.oom.oom_kills: main() with an asyncio queue on fixtures."""
from __future__ import annotations

import asyncio
import errno
import json
import os
import re
import time

import pytest
from conftest import OOM_FIXTURES, Running

KMSG_FIXTURE = OOM_FIXTURES / "real-6.18-kmsg.txt"
JOURNAL_FIXTURE = OOM_FIXTURES / "real-6.18-container-journal-json.txt"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def kmsg_lines():
    return [line for line in KMSG_FIXTURE.read_bytes().split(b"\n") if line and not line.startswith(b"#")]


def reference(oom_log, lines, source, boot_time):
    """The events oom_facts' parser makes of the same lines, as oom_facts returns them."""
    out = []
    parser = oom_log.OomLogParser(out.append, source=source, boot_time=boot_time)
    for line in lines:
        parser.feed(line)
    parser.flush()
    return [oom_log.public(e) for e in out]


def without_time(ev):
    return {k: v for k, v in ev.items() if k != "time"}


# ---------------------------------------------------------------------------
# events

def test_file_from_boot_gives_every_kill_as_oom_facts_does(src, oom_log, tmp_path):
    path = tmp_path / "kmsg.log"
    path.write_bytes(b"\n".join(kmsg_lines()) + b"\n")

    async def go():
        r = Running(src, {"path": str(path), "start": "boot", "scope": "host"})
        try:
            return await r.drain()
        finally:
            await r.stop()

    from ansible_collections.sre.oom.plugins.module_utils._eda import system
    boot = system.boot_time()
    got = run(go())
    want = reference(oom_log, kmsg_lines(), "file", boot)
    assert len(want) == 8
    assert [without_time(e["oom_kill"]) for e in got] == [without_time(e) for e in want]
    assert {e["host"] for e in got} == {os.uname()[1]}
    for ev, ref in zip(got, want):
        # the time comes from this boot's start plus the record's uptime
        t_got = time.mktime(time.strptime(ev["oom_kill"]["time"][:19], "%Y-%m-%dT%H:%M:%S"))
        t_ref = time.mktime(time.strptime(ref["time"][:19], "%Y-%m-%dT%H:%M:%S"))
        assert abs(t_got - t_ref) <= 1
    assert got[1]["oom_kill"]["unit"] == "hog-fixture.service"
    assert got[2]["oom_kill"]["container_id"] == "3f9a1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"


def test_a_big_memory_oom_group_sweep_gives_events_of_bounded_size(src, tmp_path):
    # every kill of a sweep is an event carrying the sweep's group: with all its
    # pids in each, a sweep of n tasks put n * n pids on the queue (quadratic time
    # and memory); the group lists the lowest 100 and counts them all
    n = 5000
    head = ["[  100.000000] hog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
            "[  100.000001] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
            "oom_memcg=/pod.slice,task_memcg=/pod.slice,task=hog,pid=2,uid=0",
            "[  100.000002] Memory cgroup out of memory: Killed process 2 (hog) total-vm:1kB, anon-rss:1kB, "
            "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0",
            "[  100.000003] Tasks in /pod.slice are going to be killed due to memory.oom.group set"]
    members = ["[  100.000004] Memory cgroup out of memory: Killed process %d (w) total-vm:1kB, anon-rss:1kB, "
               "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0" % (10 + i) for i in range(n)]
    path = tmp_path / "sweep.log"
    path.write_text("\n".join(head + members) + "\n")

    async def go():
        r = Running(src, {"path": str(path), "start": "boot", "scope": "host"})
        try:
            return await r.drain()
        finally:
            await r.stop()

    got = [e["oom_kill"] for e in run(go())]
    assert len(got) == n + 1 and {e["group"]["cgroup"] for e in got} == {"/pod.slice"}
    assert max(len(e["group"]["pids"]) for e in got) == 100
    assert got[-1]["group"]["count"] == n + 1 and got[-1]["group"]["pids"] == [2] + list(range(10, 109))


def test_start_now_skips_what_is_there_and_follows_appends(src, tmp_path):
    lines = kmsg_lines()
    kill_ends = [i for i, line in enumerate(lines) if b"Killed process" in line]
    path = tmp_path / "kmsg.log"
    path.write_bytes(b"\n".join(lines[:kill_ends[0] + 1]) + b"\n")

    async def go():
        r = Running(src, {"path": str(path), "poll_interval": 0.05})
        try:
            await asyncio.sleep(0.3)
            with pytest.raises(asyncio.TimeoutError):
                await r.get(0.5)          # the kill already in the file is not emitted
            with open(path, "ab") as f:
                f.write(b"\n".join(lines[kill_ends[0] + 1:kill_ends[1] + 1]))
                f.write(b"\n")
            t0 = time.monotonic()
            ev = await r.get(3)
            return ev, time.monotonic() - t0
        finally:
            await r.stop()

    ev, latency = run(go())
    assert ev["oom_kill"]["victim"]["pid"] == 6999
    assert ev["oom_kill"]["victim"]["comm"] == "my (weird) hog"
    assert latency < 1.0


def test_a_big_file_gives_the_event_loop_back_between_batches(src, tmp_path):
    """A file read as fast as it can be (start: boot on 40 MB) does not hold the event
    loop: another task's 50 ms sleep still wakes within a fraction of a second, and the
    source can be stopped meanwhile."""
    path = tmp_path / "big.log"
    line = b"6,1,1000,-;filler line of a busy kernel log that holds no kill at all, just text\n"
    with open(path, "wb") as f:
        f.write(line * (40 * 1000 * 1000 // len(line)))

    async def go():
        r = Running(src, {"path": str(path), "start": "boot", "scope": "host", "summary_interval": 0})
        worst = 0.0
        try:
            for _dummy in range(20):
                t0 = time.monotonic()
                await asyncio.sleep(0.05)
                worst = max(worst, time.monotonic() - t0)
        finally:
            t0 = time.monotonic()
            await r.stop()
            stopped = time.monotonic() - t0
        return worst, stopped

    worst, stopped = run(go())
    assert worst < 0.5 and stopped < 0.5, (worst, stopped)


def test_a_line_written_in_two_pieces_is_parsed_once_complete(src, tmp_path):
    lines = kmsg_lines()
    end = next(i for i, line in enumerate(lines) if b"Killed process" in line)
    path = tmp_path / "kmsg.log"
    path.write_bytes(b"")
    body = b"\n".join(lines[:end + 1]) + b"\n"
    half = len(body) - 40

    async def go():
        r = Running(src, {"path": str(path), "poll_interval": 0.05})
        try:
            await asyncio.sleep(0.2)
            with open(path, "ab") as f:
                f.write(body[:half])
            await asyncio.sleep(0.3)
            with open(path, "ab") as f:
                f.write(body[half:])
            return await r.drain(1.0)
        finally:
            await r.stop()

    got = run(go())
    assert [e["oom_kill"]["victim"]["pid"] for e in got] == [6844]
    assert got[0]["oom_kill"]["victim"]["anon_rss_kb"] == 65280


def test_rotation_by_rename_and_truncation(src, tmp_path):
    lines = kmsg_lines()
    ends = [i for i, line in enumerate(lines) if b"Killed process" in line]
    blocks = [b"\n".join(lines[a + 1 if a else 0:b + 1]) + b"\n" for a, b in zip([0] + ends[:-1], ends)]
    path = tmp_path / "kmsg.log"
    path.write_bytes(b"")

    async def go():
        r = Running(src, {"path": str(path), "poll_interval": 0.05})
        try:
            await asyncio.sleep(0.2)
            with open(path, "ab") as f:
                f.write(blocks[0])
            first = await r.get(3)
            # logrotate's rename: the rest of the old file, then the new one
            new = tmp_path / "kmsg.log.new"
            new.write_bytes(blocks[2])
            with open(path, "ab") as f:
                f.write(blocks[1])
            os.rename(new, path)
            second = await r.get(3)
            third = await r.get(3)
            # copytruncate: emptied in place, then written again from the start
            await asyncio.sleep(0.2)
            with open(path, "r+b") as f:
                f.truncate(0)
            await asyncio.sleep(0.6)   # the follower sees the smaller size first
            with open(path, "ab") as f:
                f.write(blocks[3])
            fourth = await r.get(3)
            return [e["oom_kill"]["victim"]["pid"] for e in (first, second, third, fourth)]
        finally:
            await r.stop()

    assert run(go()) == [6844, 6999, 7000, 7001]


def test_kind_and_killer_filters(src, tmp_path):
    path = tmp_path / "kmsg.log"
    path.write_bytes(b"\n".join(kmsg_lines()) + b"\n")

    async def collect(args):
        r = Running(src, dict({"path": str(path), "start": "boot", "scope": "host"}, **args))
        try:
            return await r.drain(0.8)
        finally:
            await r.stop()

    memcg = run(collect({"kinds": ["memcg"]}))
    assert len(memcg) == 8
    assert run(collect({"kinds": ["global", "cpuset"]})) == []
    assert len(run(collect({"killers": ["kernel"]}))) == 8
    assert run(collect({"killers": ["earlyoom", "systemd-oomd"]})) == []


def test_rate_limit_drops_and_counts_in_a_summary(src, tmp_path):
    path = tmp_path / "kmsg.log"
    path.write_bytes(b"\n".join(kmsg_lines()) + b"\n")

    async def go():
        r = Running(src, {"path": str(path), "start": "boot", "scope": "host",
                          "rate_limit": {"events": 3, "interval": 3600}, "summary_interval": 0.3})
        try:
            return await r.drain(1.0)
        finally:
            await r.stop()

    got = run(go())
    kills = [e for e in got if "oom_kill" in e]
    summaries = [e["oom_kills_summary"] for e in got if "oom_kills_summary" in e]
    assert [e["oom_kill"]["victim"]["pid"] for e in kills] == [6844, 6999, 7000]
    assert len(summaries) == 1, summaries       # nothing dropped afterwards: no more summaries
    assert summaries[0]["dropped"] == 5
    assert summaries[0]["dropped_total"] == 5
    assert summaries[0]["emitted_total"] == 3
    assert summaries[0]["lost_records"] == 0


def test_no_summary_when_nothing_was_dropped(src, tmp_path):
    path = tmp_path / "kmsg.log"
    path.write_bytes(b"\n".join(kmsg_lines()) + b"\n")

    async def go():
        r = Running(src, {"path": str(path), "start": "boot", "summary_interval": 0.1,
                          "rate_limit": {"events": 100, "interval": 1}})
        try:
            return await r.drain(0.8)
        finally:
            await r.stop()

    got = run(go())
    assert len(got) == 8
    assert all("oom_kill" in e for e in got)


# ---------------------------------------------------------------------------
# /dev/kmsg reader: ring buffer overruns

def test_kmsg_overrun_is_counted_and_reading_goes_on(src, monkeypatch):
    rfd, wfd = os.pipe()
    os.write(wfd, b"x")            # keeps the pipe readable for the event loop
    script = [
        b"6,100,1000,-;first record",
        OSError(errno.EPIPE, "Broken pipe"),
        b"6,104,2000,-;after the overrun\n SUBSYSTEM=x",
        OSError(errno.EINVAL, "Invalid argument"),
        b"6,105,3000,-;next",
        BlockingIOError(errno.EAGAIN, "again"),
    ]
    real_read = os.read
    opened = []

    def fake_read(fd, n):
        if fd not in opened:
            return real_read(fd, n)
        item = script.pop(0) if script else BlockingIOError(errno.EAGAIN, "again")
        if isinstance(item, Exception):
            raise item
        return item

    real_open = os.open

    def fake_open(path, flags, *a):
        fd = real_open(path, flags, *a)
        opened.append(fd)
        return fd

    from ansible_collections.sre.oom.plugins.module_utils._eda import events, readers

    async def go():
        counters = events.Counters()
        monkeypatch.setattr(os, "read", fake_read)
        monkeypatch.setattr(os, "open", fake_open)
        agen = readers.kmsg_batches(counters, "boot", path="/proc/self/fd/%d" % rfd)
        try:
            batch = await agen.__anext__()
        finally:
            await agen.aclose()
        return batch, counters

    try:
        batch, counters = run(go())
    finally:
        os.close(rfd)
        os.close(wfd)
    assert batch == [b"6,100,1000,-;first record", b"6,104,2000,-;after the overrun", b" SUBSYSTEM=x",
                     b"6,105,3000,-;next"]
    assert counters.overruns == 1
    assert counters.lost == 3          # sequence numbers 101-103 never read


def test_kmsg_unreadable_is_a_clear_error(src, tmp_path):
    missing = tmp_path / "nope"
    from ansible_collections.sre.oom.plugins.module_utils._eda import events, readers

    async def go():
        agen = readers.kmsg_batches(events.Counters(), "now", path=str(missing))
        await agen.__anext__()

    with pytest.raises(src["OomKillsError"], match=r"cannot read .*nope"):
        run(go())


# ---------------------------------------------------------------------------
# journal reader (a stand-in journalctl prints a captured `journalctl -o json`)

@pytest.fixture
def fake_journalctl(monkeypatch, tmp_path, src):
    bindir = os.path.join(os.path.dirname(__file__), "fixtures", "bin")
    sock = tmp_path / "journald.socket"          # journald "runs"
    sock.write_text("")
    from ansible_collections.sre.oom.plugins.module_utils._eda import system
    monkeypatch.setattr(system, "JOURNALD_SOCKET", str(sock))
    monkeypatch.setenv("PATH", bindir + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("FAKE_JOURNAL", str(JOURNAL_FIXTURE))
    monkeypatch.setenv("FAKE_JOURNAL_ARGS", str(tmp_path / "args"))
    return tmp_path / "args"


def test_journal_source_gives_what_oom_facts_reads(src, oom_log, fake_journalctl):
    async def go():
        r = Running(src, {"source": "journal", "start": "boot", "scope": "host"})
        try:
            return await r.drain(1.5)
        finally:
            await r.stop()

    got = run(go())
    from ansible_collections.sre.oom.plugins.module_utils._oom.journal import journal_lines
    boot_id = open("/proc/sys/kernel/random/boot_id").read().strip().replace("-", "")
    lines = list(journal_lines(JOURNAL_FIXTURE.read_text(), boot_id))
    from ansible_collections.sre.oom.plugins.module_utils._eda import system
    want = reference(oom_log, lines, "journal", system.boot_time())
    assert len(want) >= 3
    assert [e["oom_kill"] for e in got] == want
    argv = fake_journalctl.read_text().split()
    assert argv[:4] == ["-q", "--no-pager", "-f", "-o"] and "json" in argv and "-b" in argv and "--lines=all" in argv
    from ansible_collections.sre.oom.plugins.module_utils._oom.journal import JOURNAL_MATCHES
    assert argv[-len(JOURNAL_MATCHES):] == list(JOURNAL_MATCHES)     # oom_facts' own matches
    assert "_TRANSPORT=kernel" in argv and "_SYSTEMD_UNIT=earlyoom.service" in argv


def test_journal_start_now_asks_for_no_old_lines(src, fake_journalctl):
    async def go():
        r = Running(src, {"source": "journal"})
        try:
            await asyncio.sleep(0.5)
        finally:
            await r.stop()

    run(go())
    argv = fake_journalctl.read_text().split()
    # after the end of the journal as it was at start (its cursor), not the old lines
    assert "--after-cursor" in argv and argv[argv.index("--after-cursor") + 1] == "s=0123;i=1"
    assert "-b" not in argv and "--lines=all" not in argv


def test_journalctl_failing_is_a_clear_error(src, fake_journalctl, monkeypatch):
    monkeypatch.setenv("FAKE_JOURNAL_FAIL", "1")

    async def go():
        r = Running(src, {"source": "journal"})
        await r.get(5)

    with pytest.raises(src["OomKillsError"], match=r"journalctl failed \(rc 1\): Failed to open journal"):
        run(go())


def test_auto_prefers_a_journal_with_kernel_messages(src, fake_journalctl, monkeypatch):
    assert src["choose_source"](src["validate"]({})) == "journal"
    assert src["choose_source"](src["validate"]({"path": "/x"})) == "file"
    monkeypatch.setenv("PATH", "/nonexistent")
    assert src["choose_source"](src["validate"]({})) == "kmsg"


# ---------------------------------------------------------------------------
# scope

DOCKER_ID = "0123456789abcdef" * 4


def _event(memcg):
    return {"memcg": memcg, "oom_memcg": memcg}


def test_scope_filter(src, monkeypatch):
    """The source applies oom_facts' container rule to the events it reads."""
    api = src["parser_api"]()
    from ansible_collections.sre.oom.plugins.module_utils._eda import system
    ours = "/docker/%s/system.slice/hog.service" % DOCKER_ID
    theirs = "/docker/%s/system.slice/hog.service" % ("f" * 64)
    monkeypatch.setattr(system, "read_text", lambda p: "0::/docker/%s\n" % DOCKER_ID if p.endswith("cgroup") else "")
    pred, used = src["scope_filter"]("auto", api)
    assert used == "container"
    assert pred(_event(ours)) and not pred(_event(theirs)) and not pred(_event(None))
    pred, used = src["scope_filter"]("host", api)
    assert used == "host" and pred(_event(theirs)) and pred(_event(None))
    mountinfo = ("600 590 254:1 /var/lib/docker/containers/%s/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw\n"
                 % DOCKER_ID)
    monkeypatch.setattr(system, "read_text", lambda p: mountinfo if p.endswith("mountinfo") else "0::/\n")
    pred, used = src["scope_filter"]("auto", api)
    assert used == "container" and pred(_event(ours)) and not pred(_event(theirs))
    monkeypatch.setattr(system, "read_text", lambda p: "0::/\n")
    assert src["scope_filter"]("auto", api)[1] == "host"
    with pytest.raises(src["OomKillsError"], match="scope=container but this container's id or cgroup cannot"):
        src["scope_filter"]("container", api)


# ---------------------------------------------------------------------------
# arguments

@pytest.mark.parametrize("args, message", [
    ({"source": "dmesg"}, r"source must be one of auto, kmsg, journal, got 'dmesg'"),
    ({"scope": 1}, r"scope must be one of"),
    ({"start": "yesterday"}, r"start must be one of now, boot"),
    ({"kinds": ["memcg", "oops"]}, r"kinds: unknown value\(s\) 'oops'"),
    ({"kinds": []}, r"kinds must be a non-empty list"),
    ({"killers": ["oomd"]}, r"killers: unknown value\(s\) 'oomd'"),
    ({"rate_limit": 5}, r"rate_limit must be a mapping with events"),
    ({"rate_limit": {"events": 0}}, r"rate_limit.events must be greater than 0"),
    ({"rate_limit": {"events": 2.5}}, r"rate_limit.events must be an integer"),
    ({"rate_limit": {"events": "x"}}, r"rate_limit.events must be an integer"),
    ({"rate_limit": {"events": 1, "interval": -1}}, r"rate_limit.interval must be greater than 0"),
    ({"rate_limit": {"events": 1, "per": 1}}, r"rate_limit: unknown key\(s\) per"),
    ({"summary_interval": -1}, r"summary_interval must be 0 or more"),
    ({"summary_interval": "nan"}, r"summary_interval must be a number"),
    ({"poll_interval": 0}, r"poll_interval must be greater than 0"),
    ({"path": ""}, r"path must be a file name"),
    ({"rate_limit": {"events": 10 ** 400}}, r"rate_limit.events must be at most 1000000000, got 1000"),
    ({"restart_limit": 10 ** 400}, r"restart_limit must be at most 1000, got"),
    ({"sweep_interval": 10 ** 400}, r"sweep_interval must be from 1 to 86400 seconds, got"),
    ({"summary_interval": 10 ** 400}, r"summary_interval must be 0 or from 0.1 to 86400 seconds"),
    ({"summary_interval": 1e-7}, r"summary_interval must be 0 or from 0.1 to 86400 seconds, got 1e-07"),
    ({"poll_interval": 1e-7}, r"poll_interval must be from 0.01 to 86400 seconds, got 1e-07"),
    ({"poll_interval": 1e300}, r"poll_interval must be from 0.01 to 86400 seconds"),
    ({"rate_limit": {"events": 1, "interval": 10 ** 400}}, r"rate_limit.interval must be at most 86400 seconds"),
    ({"sources": "kmsg"}, r"unknown argument\(s\) sources"),
])
def test_bad_arguments_are_clear_errors(src, args, message):
    with pytest.raises(src["OomKillsError"], match=message):
        src["validate"](args)


def test_bad_arguments_stop_main_before_reading_anything(src, tmp_path):
    queue = asyncio.Queue()
    with pytest.raises(src["OomKillsError"], match="start must be one of"):
        run(src["main"](queue, {"path": str(tmp_path / "missing"), "start": "later"}))
    assert queue.empty()


def test_good_arguments(src):
    cfg = src["validate"]({"kinds": "memcg, global", "killers": ["kernel"], "rate_limit": {"events": "10"},
                           "summary_interval": 0, "start": "boot"})
    assert cfg["kinds"] == frozenset({"memcg", "global"})
    assert cfg["rate_events"] == 10 and cfg["rate_interval"] == 60
    assert cfg["summary_interval"] == 0 and cfg["start"] == "boot" and cfg["source"] == "auto"
    assert src["validate"](None)["scope"] == "auto"


def test_missing_path_is_a_clear_error(src, tmp_path):
    with pytest.raises(src["OomKillsError"], match=r"cannot read path .*missing"):
        run(src["main"](asyncio.Queue(), {"path": str(tmp_path / "missing")}))


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_path_that_is_not_a_regular_file_is_a_clear_error(src, tmp_path, kind):
    """A FIFO (here with a writer holding it open) or a device such as /dev/null is
    refused at start with one clear message: reading one would block the event loop,
    never end (/dev/zero) or not seek (/dev/kmsg)."""
    holder = None
    if kind == "fifo":
        path = str(tmp_path / "fifo")
        os.mkfifo(path)
        holder = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    else:
        path = os.devnull
    try:
        with pytest.raises(src["OomKillsError"], match=r"cannot read path .*: not a regular file"):
            run(src["main"](asyncio.Queue(), {"path": path, "scope": "host", "summary_interval": 0}))
    finally:
        if holder is not None:
            os.close(holder)


def test_state_file_not_utf8_is_a_clear_error(src, tmp_path):
    state = tmp_path / "state.json"
    state.write_bytes(b'{"cursor": "s=\xff\xfe"}')
    with pytest.raises(src["OomKillsError"], match=r"state_file .*state.json does not hold a journal cursor"):
        run(src["main"](asyncio.Queue(), {"journal_directory": str(tmp_path), "state_file": str(state),
                                          "scope": "host", "summary_interval": 0}))


def test_state_file_that_is_a_fifo_is_a_clear_error_not_a_hang(src, tmp_path):
    """Opening a FIFO that no one writes blocks: the source refuses it instead of
    hanging the event loop (run in a thread, so that the old hang fails the test)."""
    import threading
    state = str(tmp_path / "state.json")
    os.mkfifo(state)
    result = []

    def load():
        try:
            run(src["main"](asyncio.Queue(), {"journal_directory": str(tmp_path), "state_file": state,
                                              "scope": "host", "summary_interval": 0}))
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            result.append(exc)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(20)
    if thread.is_alive():
        os.close(os.open(state, os.O_WRONLY | os.O_NONBLOCK))     # let the blocked open end
        thread.join(20)
        pytest.fail("the source hung opening a FIFO state_file")
    assert len(result) == 1 and isinstance(result[0], src["OomKillsError"]), result
    assert re.search(r"cannot read state_file .*state.json: not a regular file", str(result[0])), result


def test_state_file_where_no_file_can_be_written_is_a_clear_error(src, tmp_path):
    """/sys passes os.access(W_OK) for root but refuses to create a file there."""
    if not os.access("/sys/kernel", os.W_OK | os.X_OK):
        pytest.skip("/sys/kernel does not claim to be writable here (not root)")
    with pytest.raises(src["OomKillsError"], match=r"state_file /sys/kernel/s.json: cannot write in its directory"):
        run(src["main"](asyncio.Queue(), {"journal_directory": str(tmp_path), "state_file": "/sys/kernel/s.json",
                                          "scope": "host", "summary_interval": 0}))


def test_documentation_is_yaml_with_every_argument(src):
    import yaml
    doc = yaml.safe_load(src["DOCUMENTATION"])
    assert sorted(doc["options"]) == sorted(src["ARG_NAMES"])
    for name, choices in (("source", "SOURCES"), ("kinds", "KINDS"), ("killers", "KILLERS"),
                          ("scope", "SCOPES"), ("start", "STARTS")):
        assert sorted(doc["options"][name]["choices"]) == sorted(src[choices])
    examples = yaml.safe_load(src["EXAMPLES"])
    assert "sre.oom.oom_kills" in examples[0]["sources"][0]
    json.dumps(doc)


def test_a_followed_syslog_file_gives_what_oom_facts_reads(src, oom_log, tmp_path):
    fixture = OOM_FIXTURES / "pub-3.10-rhel78-syslog.log"
    lines = [line for line in fixture.read_bytes().split(b"\n") if line and not line.startswith(b"#")]
    path = tmp_path / "kern.log"
    path.write_bytes(b"\n".join(lines) + b"\n")

    async def go():
        r = Running(src, {"path": str(path), "start": "boot"})
        try:
            return await r.drain(0.8)
        finally:
            await r.stop()

    got = run(go())
    want = reference(oom_log, lines, "file", None)
    assert want and [e["oom_kill"] for e in got] == want
    assert got[0]["oom_kill"]["time"]            # the syslog stamp, year from the time of reading


@pytest.mark.parametrize("fixture, killer", [
    ("userspace-systemd-oomd.log", "systemd-oomd"),
    ("userspace-earlyoom.log", "earlyoom"),
    ("userspace-nohang.log", "nohang"),
])
def test_userspace_killers_give_what_oom_facts_reads(src, oom_log, tmp_path, fixture, killer):
    """Kills by systemd-oomd and earlyoom come through the same parser as oom_facts'."""
    lines = [line for line in (OOM_FIXTURES / fixture).read_bytes().split(b"\n") if line and not line.startswith(b"#")]
    path = tmp_path / "syslog"
    path.write_bytes(b"\n".join(lines) + b"\n")

    async def go():
        r = Running(src, {"path": str(path), "start": "boot", "killers": [killer]})
        try:
            return await r.drain(0.8)
        finally:
            await r.stop()

    got = run(go())
    want = [e for e in reference(oom_log, lines, "file", None) if e["killer"] == killer]
    assert want and [e["oom_kill"] for e in got] == want
    assert all(e["oom_kill"]["kind"] == "userspace" for e in got)


def test_kinds_are_the_parsers(src):
    assert tuple(src["KINDS"]) == tuple(src["parser_api"]().kinds)


_WITHOUT_ANSIBLE = r"""
import json, runpy, sys
sys.modules["ansible"] = None       # any import of ansible-core fails, as beside ansible-rulebook alone
src = runpy.run_path(sys.argv[1])
api = src["parser_api"]()
with open(sys.argv[2]) as f:
    lines = list(api.journal_lines(f.read(), "0" * 32))
print(json.dumps({"lines": lines, "matches": list(api.journal_matches()),
                  "ansible": sorted(m for m in sys.modules if m == "ansible" or m.startswith("ansible.")
                                    or ".plugins.modules." in m)}))
"""


def test_journal_reading_needs_no_ansible_core(src):
    """The source reads journal records with oom_facts' own code (module_utils/_oom),
    in a Python where ansible-core cannot be imported."""
    import subprocess
    import sys as _sys
    from conftest import SOURCE
    from ansible_collections.sre.oom.plugins.module_utils._oom import journal
    out = subprocess.run([_sys.executable, "-c", _WITHOUT_ANSIBLE, str(SOURCE), str(JOURNAL_FIXTURE)],
                         check=False, capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=""))
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["lines"] == list(journal.journal_lines(JOURNAL_FIXTURE.read_text(), "0" * 32))
    assert len(got["lines"]) >= 3
    assert got["matches"] == list(journal.JOURNAL_MATCHES)
    assert got["ansible"] == ["ansible"]         # only the blocked name: nothing of ansible-core was loaded


def _journal_state():
    from ansible_collections.sre.oom.plugins.module_utils._eda import journal_state
    return journal_state


def test_a_symlinked_state_file_is_kept_where_it_points(src, tmp_path):
    """The link (to a persistent volume, say) stays a link; the state is written there."""
    js = _journal_state()
    (tmp_path / "volume").mkdir()
    target = tmp_path / "volume" / "state.json"
    link = tmp_path / "state.json"
    link.symlink_to(target)
    state = js.JournalState(str(link))
    assert state.load() is None
    state.cursor, state.dirty = "s=abc;i=1", True
    state.save()
    assert link.is_symlink() and json.loads(target.read_text())["cursor"] == "s=abc;i=1"
    again = js.JournalState(str(link))
    assert again.load() == "s=abc;i=1"


def test_a_save_that_fails_while_running_is_said_once_and_retried(src, tmp_path, monkeypatch, caplog):
    """A full disk mid-run: the source goes on (no exception), says so once, and the
    state is written with the next records once the disk has room again."""
    js = _journal_state()
    state = js.JournalState(str(tmp_path / "state.json"))
    state.load()
    real = js.tempfile.mkstemp

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(js.tempfile, "mkstemp", full)
    for n in range(3):
        state.cursor, state.dirty = "s=abc;i=%d" % n, True
        state.save()
    failures = [r for r in caplog.records if "cannot save state_file" in r.getMessage()]
    assert len(failures) == 1 and "No space left on device" in failures[0].getMessage()
    assert state.dirty is True and not (tmp_path / "state.json").exists()
    monkeypatch.setattr(js.tempfile, "mkstemp", real)
    state.save()
    assert state.dirty is False and json.loads((tmp_path / "state.json").read_text())["cursor"] == "s=abc;i=2"
    assert any("saved again" in r.getMessage() for r in caplog.records)

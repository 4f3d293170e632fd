# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oom_kills.py: an ansible-rulebook event source that emits one event per OOM kill.

It follows the kernel log (/dev/kmsg, or the journal through `journalctl -f -o json`)
from now on, parses it with the parser of sre.oom.oom_facts and puts one event per
kill on the queue:

    {"oom_kill": <the event exactly as oom_facts returns it>, "host": <hostname>}

Arguments (all optional; see DOCUMENTATION):
    source: auto | kmsg | journal          (default auto)
    path: a log file to follow like `tail -f` instead (e.g. /dev/kmsg-format records)
    kinds: [memcg, global, cpuset, mempolicy, unknown, userspace]
    killers: [kernel, systemd-oomd, earlyoom, nohang]
    scope: host | container | auto         (default auto)
    start: now | boot                      (default now)
    rate_limit: {events: N, interval: S}
    summary_interval: seconds between summary events (default 60, 0: never)

Examples:
    sources:
      - sre.oom.oom_kills:
          kinds: [memcg]
          rate_limit: {events: 20, interval: 60}
"""

from __future__ import annotations

import asyncio
import errno
import math
import os
import shutil
import socket
import sys
import time
from typing import Any

DOCUMENTATION = r"""
---
short_description: Emit an event for each OOM kill seen in the kernel log.
description:
  - An ansible-rulebook event source plugin that follows the kernel log from now on
    (C(/dev/kmsg), or the systemd journal through C(journalctl -f -o json)) and puts
    one event per OOM kill on the queue.
  - Each event has two keys, C(oom_kill), the kill exactly as P(sre.oom.oom_facts#module)
    returns it in C(ansible_facts.oom.events) (same parser), and C(host), the host name.
  - When events were dropped by O(rate_limit) or kernel log records were lost (the
    C(/dev/kmsg) ring buffer overran the reader), a summary event with the keys
    C(oom_kills_summary) (the counts) and C(host) follows every O(summary_interval).
  - Standard library only; no systemd-python.
options:
  source:
    description:
      - V(kmsg) reads C(/dev/kmsg) (root or CAP_SYSLOG when C(kernel.dmesg_restrict=1)).
      - V(journal) follows C(journalctl -f -o json) for kernel messages and for the
        userspace killers (systemd-oomd, earlyoom, nohang).
      - V(auto) takes the journal when it holds kernel messages of the current boot,
        else C(/dev/kmsg), as P(sre.oom.oom_facts#module) does.
      - Ignored when O(path) is set.
    type: str
    choices: [auto, kmsg, journal]
    default: auto
  path:
    description:
      - Follow this file like C(tail -f) instead of the kernel log (lines in any format
        P(sre.oom.oom_facts#module) reads from files, for example C(/dev/kmsg) records
        saved one per line, or C(/var/log/kern.log)). A file that is truncated or
        replaced is read again from its start.
    type: path
  kinds:
    description: Emit only kills of these kinds (default all).
    type: list
    elements: str
    choices: [memcg, global, cpuset, mempolicy, unknown, userspace]
  killers:
    description:
      - Emit only kills by these killers (default all). Events without a C(killer)
        key (sre.oom 0.1.0's parser) are kernel kills.
    type: list
    elements: str
    choices: [kernel, systemd-oomd, earlyoom, nohang]
  scope:
    description:
      - V(host), every kill on the machine (the kernel log is machine-wide).
      - V(container), only kills inside the container the source runs in.
      - V(auto), V(container) when the source runs in a container whose id it finds (in
        C(/proc/self/cgroup) or the engine's bind mounts), else V(host).
    type: str
    choices: [auto, host, container]
    default: auto
  start:
    description:
      - V(now) emits only kills logged after the source started; V(boot) emits the
        kills of the current boot still in the log first, then follows.
    type: str
    choices: [now, boot]
    default: now
  rate_limit:
    description:
      - At most O(rate_limit.events) events per O(rate_limit.interval) seconds; the
        rest are dropped and counted in the summary events.
    type: dict
    suboptions:
      events:
        description: Events allowed per interval (at least 1).
        type: int
        required: true
      interval:
        description: Length of the interval in seconds (greater than 0).
        type: float
        default: 60
  summary_interval:
    description:
      - Seconds between summary events; a summary is emitted only when events were
        dropped or log records lost in that period. V(0) disables summaries.
    type: float
    default: 60
  poll_interval:
    description: With O(path), how often (seconds) the file is checked for new lines.
    type: float
    default: 0.25
"""

EXAMPLES = r"""
- name: React to OOM kills
  hosts: localhost
  sources:
    - sre.oom.oom_kills:
        kinds: [memcg, global]
        rate_limit:
          events: 20
          interval: 60
  rules:
    - name: Print every kill
      condition: event.oom_kill is defined
      action:
        print_event:
          pretty: true
"""

ARG_NAMES = ("source", "path", "kinds", "killers", "scope", "start", "rate_limit",
             "summary_interval", "poll_interval")
SOURCES = ("auto", "kmsg", "journal")
KINDS = ("memcg", "global", "cpuset", "mempolicy", "unknown", "userspace")
KILLERS = ("kernel", "systemd-oomd", "earlyoom", "nohang")
SCOPES = ("auto", "host", "container")
STARTS = ("now", "boot")
KMSG = "/dev/kmsg"
READ_CHUNK = 1 << 16
MAX_LINE = 1 << 20          # a longer line (no newline) in a followed file is cut
MAX_BATCH = 4096            # records read before the parser's events are emitted
JOURNAL_QUIET = 0.05        # a journal batch ends after this long without a record


class OomKillsError(Exception):
    """A bad argument or an unusable log source; the message says which and why."""


# ---------------------------------------------------------------------------
# The one seam to the collection's parser: plugins/module_utils/_oom, which imports
# nothing from ansible (ansible-rulebook runs this without ansible-core).

def parser_api():
    """The collection's log parser: an object with OomLogParser, public, kinds, the
    container scope rule (container_identity, in_container_scope), and oom_facts' own
    journal reading: journal_lines(record_text, boot_id) (-> parser lines of
    `journalctl -o json` output, as oom_facts feeds them) and journal_matches().
    All of it is module_utils/_oom, standard library only: no ansible-core needed."""
    try:
        from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup, journal, kernel, scanner
    except ImportError:
        # ansible-rulebook runs this file by path: make its collection tree importable.
        here = os.path.abspath(__file__)
        root = here
        for _dummy in range(8):     # .../ansible_collections/sre/oom/extensions/eda/plugins/event_source/x.py
            root = os.path.dirname(root)
        if os.path.isdir(os.path.join(root, "ansible_collections", "sre", "oom")) and root not in sys.path:
            sys.path.append(root)
        try:
            from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup, journal, kernel, scanner
        except ImportError as exc:
            raise OomKillsError("sre.oom.oom_kills: cannot import the collection's parser "
                                "(install the sre.oom collection where ansible-rulebook finds it): %s" % exc)

    class Api(object):
        OomLogParser = scanner.OomLogParser
        public = staticmethod(scanner.public)
        kinds = kernel.KINDS
        container_identity = staticmethod(cgroup.container_identity)
        in_container_scope = staticmethod(cgroup.in_container_scope)
        journal_lines = staticmethod(journal.journal_lines)

        @staticmethod
        def journal_matches():
            return journal.JOURNAL_MATCHES
    return Api


# ---------------------------------------------------------------------------
# Scope: the rule of oom_facts (plugins/module_utils/_oom/cgroup.py)

def scope_filter(scope, api):
    """A predicate on public events for the `scope` argument, and the scope used.

    The container's identity (its ids and cgroup paths, seen from inside) and the rule
    deciding whether an event is the container's are oom_facts' own. With `auto`, the
    scope is the container's when that identity can be found, else the host's.
    """
    ids, paths = api.container_identity(_read("/proc/1/cgroup"), _read("/proc/self/cgroup"),
                                        _read("/proc/self/mountinfo"))
    if scope == "auto":
        scope = "container" if ids or paths else "host"
    if scope == "host":
        return (lambda ev: True), "host"
    if not ids and not paths:
        raise OomKillsError("sre.oom.oom_kills: scope=container but this container's id or cgroup cannot be "
                            "found in /proc/1/cgroup, /proc/self/cgroup or /proc/self/mountinfo; use scope=host")
    return (lambda ev: api.in_container_scope(ev, ids, paths)), "container"


# ---------------------------------------------------------------------------
# Arguments

def _choice(args, name, choices, default):
    value = args.get(name, default)
    if value is None:
        value = default
    if not isinstance(value, str) or value not in choices:
        raise OomKillsError("sre.oom.oom_kills: %s must be one of %s, got %r" % (name, ", ".join(choices), value))
    return value


def _number(value, name, integer=False, zero_ok=False):
    """A number > 0 (>= 0 with zero_ok) from an argument; OomKillsError otherwise."""
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise OomKillsError("sre.oom.oom_kills: %s must be %s, got %r" % (name, kind, value))
    try:
        num = int(value) if integer and not isinstance(value, float) else float(value)
    except ValueError:
        raise OomKillsError("sre.oom.oom_kills: %s must be %s, got %r" % (name, kind, value))
    if not math.isfinite(num) or (integer and num != int(num)):
        raise OomKillsError("sre.oom.oom_kills: %s must be %s, got %r" % (name, kind, value))
    if num < 0 or (num == 0 and not zero_ok):
        raise OomKillsError("sre.oom.oom_kills: %s must be %s, got %r"
                            % (name, "0 or more" if zero_ok else "greater than 0", value))
    return int(num) if integer else num


def _list(args, name, choices):
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not value:
        raise OomKillsError("sre.oom.oom_kills: %s must be a non-empty list of %s" % (name, ", ".join(choices)))
    bad = [v for v in value if not isinstance(v, str) or v not in choices]
    if bad:
        raise OomKillsError("sre.oom.oom_kills: %s: unknown value(s) %s; choose from %s"
                            % (name, ", ".join(repr(b) for b in bad), ", ".join(choices)))
    return frozenset(value)


def validate(args):
    """Checked arguments as a dict; raises OomKillsError with a clear message."""
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise OomKillsError("sre.oom.oom_kills: arguments must be a mapping, got %r" % (args,))
    unknown = sorted(str(k) for k in args if k not in ARG_NAMES)
    if unknown:
        raise OomKillsError("sre.oom.oom_kills: unknown argument(s) %s; known: %s"
                            % (", ".join(unknown), ", ".join(ARG_NAMES)))
    cfg = {
        "source": _choice(args, "source", SOURCES, "auto"),
        "scope": _choice(args, "scope", SCOPES, "auto"),
        "start": _choice(args, "start", STARTS, "now"),
        "kinds": _list(args, "kinds", KINDS),
        "killers": _list(args, "killers", KILLERS),
        "path": None,
        "rate_events": None,
        "rate_interval": None,
    }
    path = args.get("path")
    if path is not None:
        if not isinstance(path, str) or not path.strip():
            raise OomKillsError("sre.oom.oom_kills: path must be a file name, got %r" % (path,))
        cfg["path"] = os.path.expanduser(path)
    rate = args.get("rate_limit")
    if rate is not None:
        if not isinstance(rate, dict) or "events" not in rate:
            raise OomKillsError("sre.oom.oom_kills: rate_limit must be a mapping with events "
                                "(and optionally interval, seconds), got %r" % (rate,))
        extra = sorted(str(k) for k in rate if k not in ("events", "interval"))
        if extra:
            raise OomKillsError("sre.oom.oom_kills: rate_limit: unknown key(s) %s; known: events, interval"
                                % ", ".join(extra))
        cfg["rate_events"] = _number(rate["events"], "rate_limit.events", integer=True)
        cfg["rate_interval"] = _number(rate.get("interval", 60), "rate_limit.interval")
    summary = args.get("summary_interval", 60)
    cfg["summary_interval"] = _number(60 if summary is None else summary, "summary_interval", zero_ok=True)
    poll = args.get("poll_interval", 0.25)
    cfg["poll_interval"] = _number(0.25 if poll is None else poll, "poll_interval")
    return cfg


# ---------------------------------------------------------------------------
# Readers: async generators of batches of raw lines (bytes). A batch ends when
# nothing more can be read right now; the events of a batch are emitted then.

class Counters(object):
    """What the source did, for the summary events and the tests."""

    __slots__ = ("emitted", "dropped", "filtered", "overruns", "lost", "lines",
                 "p_dropped", "p_overruns", "p_lost", "p_start")

    def __init__(self):
        self.emitted = self.dropped = self.filtered = self.overruns = self.lost = self.lines = 0
        self.p_dropped = self.p_overruns = self.p_lost = 0
        self.p_start = time.time()


async def kmsg_batches(counters, start, path=KMSG):
    """Records of /dev/kmsg (non-blocking, woken by the event loop)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise OomKillsError("sre.oom.oom_kills: cannot read %s: %s%s" % (
            path, exc.strerror or exc,
            " (kernel.dmesg_restrict=1: needs root or CAP_SYSLOG)" if exc.errno in (errno.EPERM, errno.EACCES) else ""))
    loop = asyncio.get_running_loop()
    readable = asyncio.Event()
    try:
        if start == "now":
            os.lseek(fd, 0, os.SEEK_END)
        loop.add_reader(fd, readable.set)
        last_seq = None
        while True:
            batch = []
            while len(batch) < MAX_BATCH:
                try:
                    rec = os.read(fd, 16384)
                except BlockingIOError:
                    break
                except OSError as exc:
                    if exc.errno == errno.EPIPE:
                        # the ring buffer overwrote records we had not read yet
                        counters.overruns += 1
                        counters.p_overruns += 1
                        continue
                    if exc.errno == errno.EINVAL:     # a record longer than the buffer
                        continue
                    raise
                if not rec:
                    break
                comma = rec.find(b",")
                if comma > 0:
                    end = rec.find(b",", comma + 1)
                    seq = rec[comma + 1:end]
                    if seq.isdigit():
                        seq = int(seq)
                        if last_seq is not None and seq > last_seq + 1:
                            counters.lost += seq - last_seq - 1
                            counters.p_lost += seq - last_seq - 1
                        last_seq = seq
                batch.extend(line for line in rec.split(b"\n") if line)
            if batch:
                yield batch
                continue
            readable.clear()
            await readable.wait()
    finally:
        try:
            loop.remove_reader(fd)
        finally:
            os.close(fd)


async def file_batches(path, start, poll_interval):
    """Lines appended to a file, followed like `tail -F`.

    A file replaced under the same name (rotated by rename) is read to its end, then
    the new one from its start; a truncated file is read again from its start.
    """
    f = None
    ino = None
    pending = b""
    first = True
    replaced = False
    try:
        while True:
            if f is None:
                try:
                    f = open(path, "rb")  # noqa: SIM115 - kept open while following
                except OSError as exc:
                    if first:
                        raise OomKillsError("sre.oom.oom_kills: cannot read path %s: %s" % (path, exc.strerror or exc))
                    await asyncio.sleep(poll_interval)
                    continue
                st = os.fstat(f.fileno())
                ino = (st.st_dev, st.st_ino)
                if first and start == "now":
                    f.seek(0, os.SEEK_END)
                first = False
                replaced = False
                pending = b""
            batch = []
            while len(batch) < MAX_BATCH:
                data = f.read(READ_CHUNK)
                if not data:
                    break
                parts = (pending + data).split(b"\n")
                pending = parts.pop()
                if len(pending) > MAX_LINE:
                    parts.append(pending[:MAX_LINE])
                    pending = b""
                batch.extend(p for p in parts if p)
            if batch:
                yield batch
                continue
            if replaced:
                # the old file is read to its end: go on with the new one
                if pending:
                    yield [pending]
                f.close()
                f = None
                continue
            await asyncio.sleep(poll_interval)
            try:
                st = os.stat(path)
            except OSError:
                continue          # being replaced: keep the old one until a new one appears
            if (st.st_dev, st.st_ino) != ino:
                replaced = True
            elif st.st_size < f.tell():
                f.seek(0)         # truncated in place (copytruncate)
                pending = b""
    finally:
        if f is not None:
            f.close()


async def journal_batches(api, start):
    """Parser lines from `journalctl -f -o json` (kernel and userspace killers)."""
    journalctl = shutil.which("journalctl")
    if not journalctl:
        raise OomKillsError("sre.oom.oom_kills: source=journal but journalctl is not installed")
    argv = [journalctl, "-f", "-o", "json", "-q", "--no-pager"]
    argv += ["-b", "--lines=all"] if start == "boot" else ["--lines=0"]
    argv += list(api.journal_matches())      # oom_facts' own: the kernel, the userspace killers, PID 1
    boot_id = _read("/proc/sys/kernel/random/boot_id").strip().replace("-", "")
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, limit=MAX_LINE, env=dict(os.environ, LC_ALL="C"))
    try:
        while True:
            batch = []
            timeout = None
            while len(batch) < MAX_BATCH:
                try:
                    if timeout is None:
                        raw = await proc.stdout.readline()
                    else:
                        raw = await asyncio.wait_for(proc.stdout.readline(), timeout)
                except asyncio.TimeoutError:
                    break
                except ValueError:
                    continue          # a record longer than MAX_LINE
                if not raw:
                    err = (await proc.stderr.read()).decode("utf-8", "replace").strip()
                    rc = await proc.wait()
                    raise OomKillsError("sre.oom.oom_kills: journalctl stopped (rc %s): %s" % (rc, err[:300] or "no message"))
                timeout = JOURNAL_QUIET
                batch.extend(api.journal_lines(raw.decode("utf-8", "replace"), boot_id))
            if batch:
                yield batch
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def _read(path):
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def boot_time():
    """Epoch of the current boot (now - /proc/uptime), or None."""
    try:
        return time.time() - float(_read("/proc/uptime").split()[0])
    except (ValueError, IndexError):
        return None


def journal_has_kernel_messages():
    """True when `journalctl -k -b` holds a kernel message of this boot (auto source)."""
    import subprocess
    journalctl = shutil.which("journalctl")
    if not journalctl:
        return False
    try:
        out = subprocess.run([journalctl, "-k", "-b", "-n", "1", "-q", "-o", "short", "--no-pager"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             timeout=10, check=False, env=dict(os.environ, LC_ALL="C"))
    except (OSError, subprocess.SubprocessError):
        return False
    text = out.stdout.decode("utf-8", "replace")
    return out.returncode == 0 and any(line.strip() and not line.startswith("-- ") for line in text.splitlines())


# ---------------------------------------------------------------------------

class Emitter(object):
    """Filters, rate-limits and puts events on the queue."""

    def __init__(self, queue, cfg, api, in_scope, host):
        self.queue = queue
        self.cfg = cfg
        self.api = api
        self.in_scope = in_scope
        self.host = host
        self.counters = Counters()
        self.pending = []
        self._window_start = None
        self._window_count = 0

    def sink(self, ev):
        """The parser's callback: keep the event until its batch is complete (reaped)."""
        self.pending.append(ev)

    def wanted(self, ev):
        cfg = self.cfg
        if cfg["kinds"] is not None and ev.get("kind") not in cfg["kinds"]:
            return False
        if cfg["killers"] is not None and (ev.get("killer") or "kernel") not in cfg["killers"]:
            return False
        return self.in_scope(ev)

    def allowed(self, now):
        limit = self.cfg["rate_events"]
        if limit is None:
            return True
        if self._window_start is None or now - self._window_start >= self.cfg["rate_interval"]:
            self._window_start = now
            self._window_count = 0
        if self._window_count >= limit:
            return False
        self._window_count += 1
        return True

    async def emit_pending(self):
        pending, self.pending = self.pending, []
        c = self.counters
        for raw in pending:
            ev = self.api.public(raw)
            if not self.wanted(ev):
                c.filtered += 1
                continue
            if not self.allowed(time.monotonic()):
                c.dropped += 1
                c.p_dropped += 1
                continue
            c.emitted += 1
            await self.queue.put({"oom_kill": ev, "host": self.host})

    async def summary(self):
        """Put a summary event when events were dropped or records lost since the last one."""
        c = self.counters
        now = time.time()
        if not (c.p_dropped or c.p_overruns or c.p_lost):
            c.p_start = now
            return False
        ev = {
            "period_start": _iso(c.p_start),
            "period_end": _iso(now),
            "dropped": c.p_dropped,
            "overruns": c.p_overruns,
            "lost_records": c.p_lost,
            "emitted_total": c.emitted,
            "dropped_total": c.dropped,
            "overruns_total": c.overruns,
            "lost_records_total": c.lost,
        }
        c.p_dropped = c.p_overruns = c.p_lost = 0
        c.p_start = now
        await self.queue.put({"oom_kills_summary": ev, "host": self.host})
        return True


def _iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def choose_source(cfg):
    """The reader to use: 'file', 'kmsg' or 'journal'."""
    if cfg["path"]:
        return "file"
    if cfg["source"] != "auto":
        return cfg["source"]
    return "journal" if journal_has_kernel_messages() else "kmsg"


async def _ticker(emitter, interval):
    while True:
        await asyncio.sleep(interval)
        await emitter.summary()


async def main(queue: asyncio.Queue, args: dict[str, Any]) -> None:
    """Follow the kernel log and put one event per OOM kill on ``queue``."""
    cfg = validate(args)
    api = parser_api()
    in_scope, _scope = scope_filter(cfg["scope"], api)
    which = choose_source(cfg)
    emitter = Emitter(queue, cfg, api, in_scope, socket.gethostname())
    counters = emitter.counters
    if which == "file":
        batches = file_batches(cfg["path"], cfg["start"], cfg["poll_interval"])
    elif which == "kmsg":
        batches = kmsg_batches(counters, cfg["start"])
    else:
        batches = journal_batches(api, cfg["start"])
    parser = api.OomLogParser(emitter.sink, source="file" if which == "file" else which,
                              boot_time=boot_time(), reference_time=time.time())
    ticker = None
    if cfg["summary_interval"]:
        ticker = asyncio.ensure_future(_ticker(emitter, cfg["summary_interval"]))
    try:
        async for batch in batches:
            counters.lines += len(batch)
            # the year of an RFC 3164 stamp is inferred from this: keep it current
            parser.reference_time = time.time()
            for line in batch:
                parser.feed(line)
            parser.flush()
            if emitter.pending:
                await emitter.emit_pending()
    finally:
        if ticker is not None:
            ticker.cancel()
        await batches.aclose()


if __name__ == "__main__":
    # Try it by hand: python oom_kills.py [path]  (prints events as they come)

    class _PrintQueue(object):
        async def put(self, event):
            print(event, flush=True)

    asyncio.run(main(_PrintQueue(), {"path": sys.argv[1]} if len(sys.argv) > 1 else {}))

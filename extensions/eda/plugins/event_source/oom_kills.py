# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oom_kills.py: an ansible-rulebook event source that emits one event per OOM kill.

It follows the kernel log (/dev/kmsg, or the journal through `journalctl -f -o json`,
or a directory of journals that many hosts ship to with systemd-journal-upload)
from now on, parses it with the parser of sre.oom.oom_facts and puts one event per
kill on the queue:

    {"oom_kill": <the event exactly as oom_facts returns it>,
     "host": <inventory name>, "machine": <the machine's own name>,
     "meta": {"hosts": <inventory name>}}

Arguments (all optional; see DOCUMENTATION):
    source: auto | kmsg | journal          (default auto)
    journal_directory: a directory of journals (systemd-journal-remote's output)
    state_file: where the journal cursor is kept across restarts
    inventory: the inventory that names hosts (default: ansible-rulebook's -i)
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
import json
import logging
import math
import os
import shutil
import socket
import sys
import tempfile
import time
from typing import Any

DOCUMENTATION = r"""
---
short_description: Emit an event for each OOM kill seen in the kernel log.
description:
  - An ansible-rulebook event source plugin that follows the kernel log from now on
    (C(/dev/kmsg), or the systemd journal through C(journalctl -f -o json)) and puts
    one event per OOM kill on the queue.
  - Each event has the keys C(oom_kill), the kill exactly as P(sre.oom.oom_facts#module)
    returns it in C(ansible_facts.oom.events) (same parser); C(host), the inventory name
    of the machine that killed (see O(inventory)); C(machine), the name the machine gives
    itself (the journal's C(_HOSTNAME), or the host name of the machine running the
    source); and C(meta.hosts), the same inventory name, so that a C(run_playbook)
    action runs on that host only.
  - With O(journal_directory), the source follows the journals that hosts send with
    C(systemd-journal-upload) to a C(systemd-journal-remote) on this machine, so one
    rulebook sees the kills of a whole fleet.
  - Journal sources keep the cursor of the last record handled (in O(state_file) across
    restarts of ansible-rulebook). A C(journalctl) that ends or is killed is started again
    after that record, with a back-off, so no kill is lost or delivered twice.
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
      - V(auto) takes the journal when journald runs and the journal holds kernel
        messages of the current boot, else C(/dev/kmsg), as P(sre.oom.oom_facts#module)
        does. When journald stops while the source follows it, V(auto) goes on with
        C(/dev/kmsg) after the last kernel record the journal gave (V(journal) stops with
        an error saying so).
      - V(journal) on a machine where journald does not run is an error.
      - Ignored when O(path) is set; O(journal_directory) implies V(journal).
    type: str
    choices: [auto, kmsg, journal]
    default: auto
  journal_directory:
    description:
      - Follow the journal files in this directory (C(journalctl --directory)) instead of
        the local journal, typically C(/var/log/journal/remote) where
        C(systemd-journal-remote) writes what the hosts upload.
      - Kills are told apart by the record's C(_HOSTNAME); each host has its own parser.
    type: path
  state_file:
    description:
      - A file where the cursor of the last journal record handled is written (atomically,
        after the events of that record were put on the queue). When it exists at start,
        the source goes on after that record, whatever O(start) says.
      - Without it, the cursor is kept in memory only (restarts of C(journalctl) lose
        nothing; a restart of ansible-rulebook starts from O(start)).
    type: path
  inventory:
    description:
      - The inventory whose host names the events carry (read with C(ansible-inventory
        --list)). A machine is named by the rule of sre.oom (C(plugins/module_utils/_oom/hostnames.py)),
        that is its name, else the host whose C(ansible_host) is that name, else the one host
        with the same short name, else, for the machine running the source, its
        C(ansible_connection=local) host or C(localhost); else its own name.
      - Default, the inventory ansible-rulebook was started with (C(-i)).
    type: path
  sweep_interval:
    description:
      - With O(journal_directory), every so many seconds each host's journal file that
        changed is read after its own cursor (C(journalctl --file)), for the entries
        the time-ordered follower cannot show because they reached the collector
        after a newer entry of another host (a slow or returning uploader, a clock
        behind). Such an entry is delivered within this time; the others at once.
    type: float
    default: 30
  restart_limit:
    description:
      - How many times in a row C(journalctl) may end within 10 seconds of its start
        before the source stops with an error (it is restarted after 0.5, 1, 2, ... up
        to 30 seconds).
    type: int
    default: 8
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
             "summary_interval", "poll_interval", "journal_directory", "state_file",
             "inventory", "restart_limit", "sweep_interval")
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
JOURNALD_SOCKET = "/run/systemd/journal/socket"
JOURNALD_CHECK = 5.0        # how often an idle local journal source checks that journald runs
BACKOFF_MIN = 0.5           # first wait before journalctl is started again
BACKOFF_MAX = 30.0
HEALTHY_RUN = 10.0          # a journalctl that ran this long resets the back-off
MAX_MACHINES = 100000       # parsers kept, one per machine of a journal directory
LOG = logging.getLogger("sre.oom.oom_kills")


class OomKillsError(Exception):
    """A bad argument or an unusable log source; the message says which and why."""


class JournaldGone(OomKillsError):
    """journald stopped while the local journal was followed."""


# ---------------------------------------------------------------------------
# The one seam to the collection: plugins/module_utils/_oom (the parser, the
# container scope rule, oom_facts' own journal reading) and the naming rule of
# plugins/module_utils/_oom/hostnames.py. Neither imports anything from ansible
# (ansible-rulebook runs this without ansible-core).

def collections_root():
    """The collections directory holding this file's collection (.../ansible_collections/..), or None."""
    root = os.path.abspath(__file__)
    for _dummy in range(8):     # .../ansible_collections/sre/oom/extensions/eda/plugins/event_source/x.py
        root = os.path.dirname(root)
    return root if os.path.isdir(os.path.join(root, "ansible_collections", "sre", "oom")) else None


def _import_collection():
    """Import the collection's parser package and naming rule, making the collection
    tree this file sits in importable when ansible-rulebook ran the file by path."""
    try:
        from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup, hostnames, journal, kernel, scanner
    except ImportError:
        root = collections_root()
        if root and root not in sys.path:
            sys.path.append(root)
        try:
            from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup, hostnames, journal, kernel, scanner
        except ImportError as exc:
            raise OomKillsError("sre.oom.oom_kills: cannot import the collection's parser "
                                "(install the sre.oom collection where ansible-rulebook finds it): %s" % exc)
    return cgroup, journal, kernel, scanner, hostnames


def parser_api():
    """The collection's log parser: an object with OomLogParser, public, kinds, the
    container scope rule (container_identity, in_container_scope), oom_facts' own
    journal reading: journal_lines(record_text, boot_id) (-> parser lines of
    `journalctl -o json` output, as oom_facts feeds them) and journal_matches(), and
    the naming rule of hosts (HostNames). Standard library only: no ansible-core needed."""
    cgroup, journal, kernel, scanner, hostnames = _import_collection()

    class Api(object):
        OomLogParser = scanner.OomLogParser
        public = staticmethod(scanner.public)
        kinds = kernel.KINDS
        container_identity = staticmethod(cgroup.container_identity)
        in_container_scope = staticmethod(cgroup.in_container_scope)
        journal_lines = staticmethod(journal.journal_lines)
        HostNames = hostnames.HostNames

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
    for name in ("path", "journal_directory", "state_file", "inventory"):
        value = args.get(name)
        cfg[name] = None
        if value is not None:
            if not isinstance(value, str) or not value.strip() or "\x00" in value:
                raise OomKillsError("sre.oom.oom_kills: %s must be a file name, got %r" % (name, value))
            cfg[name] = os.path.abspath(os.path.expanduser(value)) if name != "path" else os.path.expanduser(value)
    if cfg["journal_directory"]:
        if cfg["path"]:
            raise OomKillsError("sre.oom.oom_kills: path and journal_directory exclude each other")
        if cfg["source"] == "kmsg":
            raise OomKillsError("sre.oom.oom_kills: journal_directory needs source journal or auto, got kmsg")
    if cfg["state_file"] and (cfg["path"] or cfg["source"] == "kmsg"):
        raise OomKillsError("sre.oom.oom_kills: state_file keeps a journal cursor: it needs source journal "
                            "or auto (or journal_directory), not %s" % ("path" if cfg["path"] else "kmsg"))
    sweep = args.get("sweep_interval", 30)
    cfg["sweep_interval"] = _number(30 if sweep is None else sweep, "sweep_interval")
    limit = args.get("restart_limit", 8)
    cfg["restart_limit"] = _number(8 if limit is None else limit, "restart_limit", integer=True)
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

    __slots__ = ("emitted", "dropped", "filtered", "overruns", "lost", "lines", "restarts",
                 "p_dropped", "p_overruns", "p_lost", "p_start")

    def __init__(self):
        self.emitted = self.dropped = self.filtered = self.overruns = self.lost = self.lines = self.restarts = 0
        self.p_dropped = self.p_overruns = self.p_lost = 0
        self.p_start = time.time()


async def kmsg_batches(counters, start, path=KMSG, after_usec=None):
    """Records of /dev/kmsg (non-blocking, woken by the event loop).

    `after_usec`: skip the records stamped at or before this many microseconds
    since boot (the journal already gave them: the fallback of source auto).
    """
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
                    if after_usec is not None:
                        end2 = rec.find(b",", end + 1)
                        usec = rec[end + 1:end2 if end2 > 0 else rec.find(b";")]
                        if usec.isdigit() and int(usec) <= after_usec:
                            continue
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


MAX_SEEN = 100000           # records the follower handled ahead of the per-file sweep (bounded)
MAX_STATE = 64 << 20


def _cursor_parts(cursor):
    """(sequence-number id, sequence number) of a journal cursor: an entry's identity."""
    parts = dict(p.split("=", 1) for p in cursor.split(";") if "=" in p)
    seq = parts.get("i", "")
    return parts.get("s", ""), int(seq, 16) if seq and all(c in "0123456789abcdef" for c in seq) else -1


def _cursor_key(cursor):
    return "%s;%x" % _cursor_parts(cursor)


class JournalState(object):
    """Where the source is in the journal, and the file that keeps it across restarts.

    `cursor`: the follower's last record (the local journal). For a journal
    directory also `files` ({path: {"ino", "cursor", "since"}}: how far each host's
    file was swept) and `seen` (the records the follower already handled beyond
    those file cursors, so that a sweep does not deliver them twice).
    """

    def __init__(self, path):
        self.path = path
        self.cursor = None
        self.files = {}
        self.seen = {}
        self.swept = {}         # sequence-number id -> the highest number a sweep handled
        self.dirty = False

    def note_swept(self, cursor):
        sid, seq = _cursor_parts(cursor)
        if seq > self.swept.get(sid, -1):
            self.swept[sid] = seq

    def was_swept(self, cursor):
        sid, seq = _cursor_parts(cursor)
        return seq <= self.swept.get(sid, -1)

    def load(self):
        """Read the state file (nothing when there is none); a clear error when unusable."""
        if not self.path:
            return None
        try:
            with open(self.path, "r", encoding="utf-8") as f:
                text = f.read(MAX_STATE)
        except FileNotFoundError:
            self.check_writable()
            return None
        except OSError as exc:
            raise OomKillsError("sre.oom.oom_kills: cannot read state_file %s: %s" % (self.path, exc.strerror or exc))
        try:
            data = json.loads(text)
            cursor = data.get("cursor")
            files = data.get("files") or {}
            seen = data.get("seen") or []
            if cursor is not None and (not isinstance(cursor, str) or not cursor.startswith("s=") or "\n" in cursor):
                raise ValueError(cursor)
            if cursor is None and not files:
                raise ValueError("no cursor")
            if not isinstance(files, dict) or not isinstance(seen, list):
                raise ValueError("files, seen")
            for path, rec in files.items():
                if not isinstance(rec, dict) or not isinstance(rec.get("ino"), int) \
                        or not isinstance(rec.get("cursor"), (str, type(None))) \
                        or not isinstance(rec.get("since"), (int, float, type(None))):
                    raise ValueError(path)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise OomKillsError("sre.oom.oom_kills: state_file %s does not hold a journal cursor written by this "
                                "source (JSON with a key cursor); move it away to start from start=%s"
                                % (self.path, "now"))
        self.check_writable()
        self.cursor = cursor
        self.files = files
        self.seen = dict.fromkeys(str(k) for k in seen)
        for rec in files.values():
            if rec["cursor"]:
                self.note_swept(rec["cursor"])
        return cursor

    def check_writable(self):
        directory = os.path.dirname(self.path) or "."
        if not os.path.isdir(directory) or not os.access(directory, os.W_OK | os.X_OK):
            raise OomKillsError("sre.oom.oom_kills: state_file %s: its directory %s does not exist or is not "
                                "writable" % (self.path, directory))

    def note_seen(self, cursor):
        self.seen[_cursor_key(cursor)] = None
        while len(self.seen) > MAX_SEEN:
            del self.seen[next(iter(self.seen))]
        self.dirty = True

    def save(self):
        """Write the state (atomically: a temporary file in the same directory, renamed)."""
        if not self.path or not self.dirty:
            return
        directory = os.path.dirname(self.path) or "."
        fd, tmp = tempfile.mkstemp(prefix=".oom_kills-state.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"cursor": self.cursor, "files": self.files, "seen": list(self.seen),
                           "saved_at": _iso(time.time())}, f)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        self.dirty = False


class Sweeper(object):
    """Reads each host's journal file of a directory after its own cursor.

    `journalctl -f --merge` over a directory shows entries in time order and goes
    on after the last one shown: an entry that reaches the collector later than a
    newer entry of another host (a slow or returning uploader, a host's clock
    behind) is never shown. The sweep reads every file that changed since the last
    sweep with `journalctl --file FILE --after-cursor` (the file's own order), and
    hands on what the follower did not (`state.seen`). A file replaced under its
    name (rotated) is read to its end under its new name first.
    """

    def __init__(self, journalctl, directory, matches, state, boot_id, api, started):
        self.journalctl = journalctl
        self.directory = directory
        self.matches = matches
        self.state = state
        self.boot_id = boot_id
        self.api = api
        self.started = started
        self.last = {}          # path -> (ino, size, mtime) at the last sweep

    async def _read(self, path, cursor, since, groups):
        argv = [self.journalctl, "-q", "--no-pager", "--file", path, "-o", "json"]
        if cursor:
            argv += ["--after-cursor", cursor]
        elif since is not None:
            argv += ["--since", "@%.6f" % since]
        rc, out, err = await _run(argv + self.matches, timeout=120)
        if rc != 0 and not out:
            LOG.warning("sre.oom.oom_kills: journalctl --file %s failed (rc %s): %s", path, rc, err.strip()[:300])
            return cursor, 0
        n = 0
        for text in out.splitlines():
            try:
                rec = json.loads(text)
            except ValueError:
                continue
            cur = rec.get("__CURSOR") if isinstance(rec, dict) else None
            if not isinstance(cur, str):
                continue
            cursor = cur
            self.state.note_swept(cur)
            key = _cursor_key(cur)
            if key in self.state.seen:
                del self.state.seen[key]          # the follower handled it
                continue
            machine = rec.get("_HOSTNAME") if isinstance(rec.get("_HOSTNAME"), str) and rec.get("_HOSTNAME") else None
            lines = list(self.api.journal_lines(text, self.boot_id))
            if lines:
                n += 1
                groups.setdefault(machine, []).extend(lines)
        return cursor, n

    async def sweep(self, start_now=False):
        """({machine: lines}, records handed on) of every changed file; state.files updated."""
        groups = {}
        found = 0
        try:
            entries = [e for e in os.scandir(self.directory) if e.name.endswith(".journal") and e.is_file()]
        except OSError as exc:
            raise OomKillsError("sre.oom.oom_kills: journal_directory %s cannot be read: %s"
                                % (self.directory, exc.strerror or exc))
        by_ino = None
        for entry in sorted(entries, key=lambda e: e.name):
            st = entry.stat()
            sig = (st.st_ino, st.st_size, st.st_mtime_ns)
            path = entry.path
            if self.last.get(path) == sig:
                continue
            rec = self.state.files.get(path)
            if rec is None:
                # a host not seen before: from the source's start (start: now), or all of it
                rec = {"ino": st.st_ino, "cursor": None, "since": self.started if start_now else None}
            elif rec["ino"] != st.st_ino:
                # rotated: the rest of the old file (same inode, archived name), then the new one
                if by_ino is None:
                    by_ino = {}
                    for e in os.scandir(self.directory):
                        try:
                            by_ino.setdefault(e.stat().st_ino, e.path)
                        except OSError:
                            pass
                old = by_ino.get(rec["ino"])
                if old and old != path and rec["cursor"]:
                    _cur, n = await self._read(old, rec["cursor"], None, groups)
                    found += n
                rec = {"ino": st.st_ino, "cursor": None, "since": None}
            cursor, n = await self._read(path, rec["cursor"], rec["since"], groups)
            found += n
            if cursor != rec["cursor"] or path not in self.state.files:
                rec = {"ino": st.st_ino, "cursor": cursor, "since": rec["since"] if cursor is None else None}
                self.state.files[path] = rec
                self.state.dirty = True
            self.last[path] = sig
        return groups, found


def journald_running():
    """True when journald's socket exists (journald runs, or is socket-activated)."""
    return os.path.exists(JOURNALD_SOCKET)


async def _run(argv, timeout=30, locale="C"):
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=dict(os.environ, LC_ALL=locale))
    talk = asyncio.ensure_future(proc.communicate())
    try:
        done, _pending = await asyncio.wait({talk}, timeout=timeout)   # not wait_for: see journal_batches
    except asyncio.CancelledError:
        talk.cancel()
        if proc.returncode is None:
            proc.kill()
        raise
    if not done:
        talk.cancel()
        proc.kill()
        await proc.wait()
        raise OomKillsError("sre.oom.oom_kills: %s did not answer within %s s" % (" ".join(argv[:4]), timeout))
    out, err = talk.result()
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


async def journal_batches(api, cfg, state, tracker):
    """Batches of parser lines from `journalctl -f -o json` (kernel and userspace killers).

    Yields ({machine: [line, ...]}, cursor): machine None for the local journal, the
    record's _HOSTNAME in a journal directory; cursor, the last record's. A journalctl
    that ends is started again after the last record yielded, with a back-off.
    """
    journalctl = shutil.which("journalctl")
    if not journalctl:
        raise OomKillsError("sre.oom.oom_kills: source=journal but journalctl is not installed")
    directory = cfg["journal_directory"]
    base = [journalctl, "-q", "--no-pager"]
    if directory:
        if not os.path.isdir(directory):
            raise OomKillsError("sre.oom.oom_kills: journal_directory %s is not a directory (systemd-journal-remote "
                                "creates it: see docs/eda.md)" % directory)
        # --merge: in follow mode journalctl otherwise keeps to one boot, so to the
        # one host whose entry is the newest (systemd 252), and the others are lost
        base += ["--directory", directory, "--merge"]
    elif not journald_running():
        raise JournaldGone("sre.oom.oom_kills: source=journal but journald is not running on this machine (no %s); "
                           "use source: kmsg or auto" % JOURNALD_SOCKET)
    boot_id = _read("/proc/sys/kernel/random/boot_id").strip().replace("-", "")
    matches = list(api.journal_matches())     # oom_facts' own: the kernel, the userspace killers, PID 1
    cursor = state.cursor
    first = []
    sweeper = None
    next_sweep = None
    if directory:
        # Each host's file after its own cursor first (what came while the source
        # was down, or all of it with start: boot); then the follower from the end,
        # with a sweep every sweep_interval for what reaches the collector late.
        sweeper = Sweeper(journalctl, directory, matches, state, boot_id, api,
                          time.time() if cfg["start"] == "now" else None)
        groups, _n = await sweeper.sweep()
        if groups or state.dirty:
            yield groups, None
        next_sweep = time.monotonic() + cfg["sweep_interval"]
        cursor = None
    if cursor is None:
        if cfg["start"] == "boot" and not directory:
            first = ["-b", "--lines=all"]
        else:
            # the journal's end now (all records, not only matches): follow after it
            rc, out, err = await _run(base + ["-n", "0", "--show-cursor"])
            tail = [line[len("-- cursor: "):].strip() for line in out.splitlines() if line.startswith("-- cursor: ")]
            if rc != 0:
                raise OomKillsError("sre.oom.oom_kills: journalctl failed (rc %s): %s" % (rc, (err or out).strip()[:300]))
            if tail:
                cursor = state.cursor = tail[-1]
                state.dirty = True
                state.save()
            else:
                first = ["--lines=all"]     # an empty journal: everything written from now on
    backoff = BACKOFF_MIN
    quick = 0
    while True:
        argv = base + ["-f", "-o", "json"] + (["--after-cursor", cursor] if cursor else first) + matches
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, limit=MAX_LINE, env=dict(os.environ, LC_ALL="C"))
        tracker.journalctl_pid = proc.pid
        started = time.monotonic()
        records = 0
        reading = None
        try:
            while True:
                if sweeper is not None and time.monotonic() >= next_sweep:
                    groups, _n = await sweeper.sweep()
                    next_sweep = time.monotonic() + cfg["sweep_interval"]
                    if groups or state.dirty:
                        yield groups, None
                groups = {}
                last = None
                timeout = max(0.0, next_sweep - time.monotonic()) if directory else JOURNALD_CHECK
                n = 0
                eof = False
                while n < MAX_BATCH:
                    # not asyncio.wait_for: before Python 3.12 it loses a cancellation that comes
                    # as the line arrives (the source would then never stop); a read that times
                    # out is kept and awaited again, so no line is lost either
                    if reading is None:
                        reading = asyncio.ensure_future(proc.stdout.readline())
                    done, _pending = await asyncio.wait({reading}, timeout=timeout)
                    try:
                        if not done:
                            raise asyncio.TimeoutError
                        read, reading = reading, None
                        raw = read.result()
                    except asyncio.TimeoutError:
                        if n == 0 and not directory and not journald_running():
                            raise JournaldGone("sre.oom.oom_kills: journald stopped (%s is gone) while the journal "
                                               "was followed" % JOURNALD_SOCKET)
                        if n == 0 and not directory:
                            continue
                        break
                    except ValueError:
                        continue          # a record longer than MAX_LINE
                    if not raw:
                        eof = True
                        break
                    timeout = JOURNAL_QUIET
                    n += 1
                    text = raw.decode("utf-8", "replace")
                    try:
                        rec = json.loads(text)
                    except ValueError:
                        continue
                    if not isinstance(rec, dict):
                        continue
                    cur = rec.get("__CURSOR")
                    if isinstance(cur, str) and cur:
                        last = cur
                        if sweeper is not None:
                            if state.was_swept(cur):
                                continue              # a sweep handed it on already
                            state.note_seen(cur)      # the sweep must not hand it on again
                    machine = rec.get("_HOSTNAME") if directory else None
                    if not isinstance(machine, str) or not machine:
                        machine = None
                    tracker.note(rec, boot_id, directory)
                    lines = list(api.journal_lines(text, boot_id))
                    if lines:
                        groups.setdefault(machine, []).extend(lines)
                records += n
                if last is not None or groups:
                    if last is not None:
                        cursor = last
                    yield groups, last
                if eof:
                    break
            err = (await proc.stderr.read()).decode("utf-8", "replace").strip()
            rc = await proc.wait()
        finally:
            if reading is not None:
                reading.cancel()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        tracker.restarts += 1
        why = "journalctl stopped (rc %s): %s" % (rc, err[:300] or "no message")
        if directory and not os.path.isdir(directory):
            raise OomKillsError("sre.oom.oom_kills: %s; journal_directory %s is gone" % (why, directory))
        if not directory and not journald_running():
            raise JournaldGone("sre.oom.oom_kills: %s; journald is not running (no %s)" % (why, JOURNALD_SOCKET))
        ran = time.monotonic() - started
        if ran >= HEALTHY_RUN or records:
            quick = 0
            backoff = BACKOFF_MIN
        quick += 1
        if quick > cfg["restart_limit"] or (tracker.restarts == 1 and records == 0 and rc and ran < HEALTHY_RUN):
            raise OomKillsError("sre.oom.oom_kills: %s%s" % (
                why, "" if tracker.restarts == 1 else " (%d times in a row within %d s of its start)" % (quick, HEALTHY_RUN)))
        LOG.warning("sre.oom.oom_kills: %s; starting it again in %.1f s after the last record handled", why, backoff)
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, BACKOFF_MAX)


class JournalTracker(object):
    """What the journal reader saw: restarts, journalctl's pid, the last local kernel record."""

    def __init__(self):
        self.restarts = 0
        self.journalctl_pid = None
        self.kernel_usec = None

    def note(self, rec, boot_id, directory):
        if directory or rec.get("_TRANSPORT") != "kernel" or rec.get("_BOOT_ID") != boot_id:
            return
        mono = str(rec.get("_SOURCE_MONOTONIC_TIMESTAMP") or "")
        if mono.isdigit():
            self.kernel_usec = max(self.kernel_usec or 0, int(mono))


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

    def __init__(self, queue, cfg, api, in_scope, names, local):
        self.queue = queue
        self.cfg = cfg
        self.api = api
        self.in_scope = in_scope
        self.names = names          # the naming rule (HostNames) over the inventory
        self.local = local          # this machine's own name
        self.host = names.name(local)
        self.counters = Counters()
        self.pending = []
        self._window_start = None
        self._window_count = 0

    def sink(self, ev, machine=None):
        """The parser's callback: keep the event until its batch is complete (reaped)."""
        self.pending.append((ev, machine))

    def event(self, key, value, machine=None):
        """An event of the source: the value, and the machine's inventory name (one rule)."""
        machine = machine or self.local
        host = self.names.name(machine)
        return {key: value, "host": host, "machine": machine, "meta": {"hosts": host}}

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
        for raw, machine in pending:
            ev = self.api.public(raw)
            if not self.wanted(ev):
                c.filtered += 1
                continue
            if not self.allowed(time.monotonic()):
                c.dropped += 1
                c.p_dropped += 1
                continue
            c.emitted += 1
            await self.queue.put(self.event("oom_kill", ev, machine))

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
            "journalctl_restarts_total": c.restarts,
        }
        c.p_dropped = c.p_overruns = c.p_lost = 0
        c.p_start = now
        await self.queue.put(self.event("oom_kills_summary", ev))
        return True


def _iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def choose_source(cfg):
    """The reader to use: 'file', 'kmsg' or 'journal'."""
    if cfg["path"]:
        return "file"
    if cfg["journal_directory"]:
        return "journal"
    if cfg["source"] != "auto":
        return cfg["source"]
    return "journal" if journald_running() and journal_has_kernel_messages() else "kmsg"


async def _ticker(emitter, interval):
    while True:
        await asyncio.sleep(interval)
        await emitter.summary()


def rulebook_inventory(argv=None):
    """The inventory ansible-rulebook was started with (-i/--inventory), or None."""
    argv = sys.argv[1:] if argv is None else argv
    found = None
    for i, arg in enumerate(argv):
        if arg in ("-i", "--inventory") and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--inventory="):
            found = arg.split("=", 1)[1]
        elif arg.startswith("-i") and len(arg) > 2 and not arg.startswith("--"):
            found = arg[2:]
    return found


async def inventory_hosts(path):
    """{inventory_hostname: hostvars} of an inventory, read with `ansible-inventory --list`."""
    here = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")
    tool = here if os.access(here, os.X_OK) else shutil.which("ansible-inventory")
    if not tool:
        raise OomKillsError("sre.oom.oom_kills: inventory %s: ansible-inventory (ansible-core) is not installed "
                            "beside ansible-rulebook" % path)
    if not os.path.exists(path):
        raise OomKillsError("sre.oom.oom_kills: inventory %s does not exist" % path)
    rc, out, err = await _run([tool, "-i", path, "--list"], timeout=120, locale="C.UTF-8")
    try:
        data = json.loads(out) if rc == 0 else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise OomKillsError("sre.oom.oom_kills: ansible-inventory -i %s --list failed (rc %s): %s"
                            % (path, rc, (err or out).strip()[-300:]))
    hostvars = (data.get("_meta") or {}).get("hostvars") or {}
    hosts = {name: hostvars.get(name) or {} for name in hostvars}
    for group, body in data.items():
        if group != "_meta" and isinstance(body, dict):
            for name in body.get("hosts") or ():
                hosts.setdefault(name, hostvars.get(name) or {})
    return hosts


async def host_names(cfg, api):
    """The naming rule (HostNames) over the inventory of cfg, or over none."""
    path = cfg["inventory"]
    explicit = path is not None
    if path is None:
        path = rulebook_inventory()
    local = socket.gethostname()
    local_names = {local, socket.getfqdn()}
    if not path:
        return api.HostNames({}, local_names), local
    try:
        hosts = await inventory_hosts(path)
    except OomKillsError as exc:
        if explicit:
            raise
        LOG.warning("%s; events are named by the machines' own names", exc)
        hosts = {}
    return api.HostNames(hosts, local_names), local


DEFAULT_COLLECTIONS_PATHS = ("~/.ansible/collections", "/usr/share/ansible/collections")


def export_collections_path(environ=None):
    """Let the playbooks ansible-rulebook runs find this collection where the rulebook found it.

    ansible-rulebook runs a playbook from a temporary directory, where the
    checkout's ansible.cfg is not read. Unless ANSIBLE_COLLECTIONS_PATH is set, it
    becomes, for them, the collections directory this file was loaded from, then
    ansible's default paths (ansible also searches the Python path's
    ansible_collections).
    """
    environ = os.environ if environ is None else environ
    root = collections_root()
    if root is None or environ.get("ANSIBLE_COLLECTIONS_PATH") or environ.get("ANSIBLE_COLLECTIONS_PATHS"):
        return None
    paths = [root] + [os.path.expanduser(p) for p in DEFAULT_COLLECTIONS_PATHS if os.path.expanduser(p) != root]
    environ["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(paths)
    return environ["ANSIBLE_COLLECTIONS_PATH"]


async def _wrapped(batches):
    async for batch in batches:
        yield {None: batch}, None


async def main(queue: asyncio.Queue, args: dict[str, Any]) -> None:
    """Follow the kernel log and put one event per OOM kill on ``queue``."""
    cfg = validate(args)
    api = parser_api()
    if cfg["journal_directory"]:
        if cfg["scope"] == "container":
            raise OomKillsError("sre.oom.oom_kills: scope=container does not apply to journal_directory "
                                "(the journals of whole hosts); use scope host or auto")

        def in_scope(_ev):
            return True
    else:
        in_scope, _scope = scope_filter(cfg["scope"], api)
    names, local = await host_names(cfg, api)
    export_collections_path()
    which = choose_source(cfg)
    emitter = Emitter(queue, cfg, api, in_scope, names, local)
    counters = emitter.counters
    state = JournalState(cfg["state_file"])
    tracker = JournalTracker()
    if which == "file":
        batches = _wrapped(file_batches(cfg["path"], cfg["start"], cfg["poll_interval"]))
    elif which == "kmsg":
        batches = _wrapped(kmsg_batches(counters, cfg["start"]))
    else:
        state.load()
        batches = journal_batches(api, cfg, state, tracker)
    parsers = {}
    source = "file" if which == "file" else which

    def parser_for(machine):
        parser = parsers.get(machine)
        if parser is None:
            if len(parsers) >= MAX_MACHINES:
                parsers.clear()        # bounded: a parser only holds the current report
            parser = parsers[machine] = api.OomLogParser(
                lambda ev, m=machine: emitter.sink(ev, m), source=source,
                boot_time=boot_time(), reference_time=time.time())
        return parser

    ticker = None
    if cfg["summary_interval"]:
        ticker = asyncio.ensure_future(_ticker(emitter, cfg["summary_interval"]))
    try:
        while True:
            try:
                async for groups, cursor in batches:
                    now = time.time()
                    for machine, batch in groups.items():
                        counters.lines += len(batch)
                        parser = parser_for(machine)
                        # the year of an RFC 3164 stamp is inferred from this: keep it current
                        parser.reference_time = now
                        for line in batch:
                            parser.feed(line)
                        parser.flush()
                    if emitter.pending:
                        await emitter.emit_pending()
                    if cursor is not None and cursor != state.cursor:
                        state.cursor = cursor
                        state.dirty = True
                    state.save()           # after the events of these records are on the queue
                    counters.restarts = tracker.restarts
                return
            except JournaldGone as exc:
                if cfg["source"] != "auto" or cfg["journal_directory"]:
                    raise
                await batches.aclose()
                LOG.warning("%s: source auto goes on with %s after the last kernel record the journal gave",
                            exc, KMSG)
                batches = _wrapped(kmsg_batches(counters, "boot", after_usec=tracker.kernel_usec or 0)
                                   if tracker.kernel_usec else kmsg_batches(counters, "now"))
                source = "kmsg"
                parsers.clear()
    finally:
        if ticker is not None:
            ticker.cancel()
        await batches.aclose()
        # No save here: what was read but not yet put on the queue (a batch cut by
        # the stop) must be read again; the state is saved after each emitted batch.


if __name__ == "__main__":
    # Try it by hand: python oom_kills.py [path]  (prints events as they come)

    class _PrintQueue(object):
        async def put(self, event):
            print(event, flush=True)

    asyncio.run(main(_PrintQueue(), {"path": sys.argv[1]} if len(sys.argv) > 1 else {}))

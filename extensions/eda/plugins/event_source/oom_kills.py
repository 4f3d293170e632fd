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

with every "{" of its strings written as \\x7b, so that no string from the log can
be a template where a playbook reads the event.

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
import logging
import math
import os
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
  - Each event has the keys C(oom_kill), the kill exactly as P(sre.oom.oom_facts#module)
    returns it in C(ansible_facts.oom.events) (same parser); C(host), the inventory name
    of the machine that killed (see O(inventory)); C(machine), the name the machine gives
    itself (the journal's C(_HOSTNAME), or the host name of the machine running the
    source); and C(meta.hosts), the same inventory name, so that a C(run_playbook)
    action runs on that host only.
  - Every C({) in an event's strings and keys is written as C(\x7b) (systemd's escape
    of it). The strings come from the log (process names, cgroup paths that users
    name, host names that a shipping host sends), and ansible-rulebook hands an
    event to a playbook as extra vars, which ansible-core evaluates as templates.
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
      - Ignored when O(path) is set. O(journal_directory) implies V(journal); with it,
        V(kmsg) is an error.
    type: str
    choices: [auto, kmsg, journal]
    default: auto
  journal_directory:
    description:
      - Follow the journal files in this directory (C(journalctl --directory)) instead of
        the local journal, typically C(/var/log/journal/remote) where
        C(systemd-journal-remote) writes what the hosts upload.
      - Kills are told apart by the record's C(_HOSTNAME); each host has its own parser.
      - O(scope) is then V(host) (V(container) is an error).
      - The directory must exist; it may still be empty (a fresh collector); the hosts'
        files are read as they appear.
    type: path
  state_file:
    description:
      - A file where the cursor of the last journal record handled is written (atomically,
        after the events of that record were put on the queue). When it exists at start,
        the source goes on after that record, whatever O(start) says.
      - Without it, the cursor is kept in memory only (restarts of C(journalctl) lose
        nothing; a restart of ansible-rulebook starts from O(start)).
      - For the journal only; with O(path) or O(source=kmsg) it is an error.
      - When it exists it must be a regular file holding what this source wrote (UTF-8
        JSON); anything else (a FIFO, a directory, other content) is an error at start.
      - A symlink is followed (the state is written where it points). A save that fails
        while the source runs (a full disk) is logged once; the source goes on and saves
        with the next records (a restart before then starts from the state saved last).
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
      - From 1 to 86400 seconds.
    type: float
    default: 30
  restart_limit:
    description:
      - How many times in a row C(journalctl) may end within 10 seconds of its start
        before the source stops with an error (it is restarted after 0.5, 1, 2, ... up
        to 30 seconds). At most 1000.
    type: int
    default: 8
  path:
    description:
      - Follow this file like C(tail -f) instead of the kernel log (lines in any format
        P(sre.oom.oom_facts#module) reads from files, for example C(/dev/kmsg) records
        saved one per line, or C(/var/log/kern.log)). A file that is replaced (a new
        inode) is read from its start. A file truncated in place (C(copytruncate)) is
        read again from its start when it is seen shorter than what was read; if it has
        grown past that length again between two polls (O(poll_interval)), the lines
        written before the poll are missed, as with C(tail -F). Rotation by rename
        (C(create)) has no such gap.
      - It must be a regular file; a FIFO, a device (C(/dev/kmsg), for which use O(source=kmsg)) or
        a directory is an error at start. A non-regular file that replaces it later is
        waited past, like a missing one.
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
      - With O(journal_directory), V(now) takes each host's file from its end at the
        start (its last entry then, whatever the hosts' clocks say), so what was in the
        directory is not emitted. A host file that appears after the start (a new host,
        or one that uploads for the first time) is read from its start, since all of it
        reached the collector after the source started; its backlog is emitted.
        V(boot) reads every file from its start.
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
        description: Events allowed per interval (from 1 to 1000000000).
        type: int
        required: true
      interval:
        description: Length of the interval in seconds (greater than 0, at most 86400).
        type: float
        default: 60
  summary_interval:
    description:
      - Seconds between summary events; a summary is emitted only when events were
        dropped or log records lost in that period. V(0) disables summaries; otherwise
        from 0.1 to 86400 seconds.
    type: float
    default: 60
  poll_interval:
    description: With O(path), how often (seconds, from 0.01 to 86400) the file is checked for new lines.
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
MAX_MACHINES = 100000       # parsers kept, one per machine of a journal directory
LOG = logging.getLogger("sre.oom.oom_kills")


# ---------------------------------------------------------------------------
# The one seam to the collection: plugins/module_utils/_oom (the parser, the
# container scope rule, oom_facts' own journal reading, the naming rule of
# plugins/module_utils/_oom/hostnames.py) and plugins/module_utils/_eda (the
# readers, the journal follower, the events). Neither imports anything from
# ansible (ansible-rulebook runs this without ansible-core).

def collections_root():
    """The collections directory holding this file's collection (.../ansible_collections/..), or None."""
    root = os.path.abspath(__file__)
    for _dummy in range(8):     # .../ansible_collections/sre/oom/extensions/eda/plugins/event_source/x.py
        root = os.path.dirname(root)
    return root if os.path.isdir(os.path.join(root, "ansible_collections", "sre", "oom")) else None


def _import_collection():
    """Make the collection importable: when ansible-rulebook ran this file by path,
    add the collection tree it sits in to sys.path."""
    try:
        import ansible_collections.sre.oom.plugins.module_utils._eda  # noqa: F401
    except ImportError:
        root = collections_root()
        if root and root not in sys.path:
            sys.path.append(root)
        try:
            import ansible_collections.sre.oom.plugins.module_utils._eda  # noqa: F401
        except ImportError as exc:
            raise ImportError("sre.oom.oom_kills: cannot import the collection's parser "
                              "(install the sre.oom collection where ansible-rulebook finds it): %s" % exc)


_import_collection()
from ansible_collections.sre.oom.plugins.module_utils._eda import events, inventory, journal_follow, journal_state, readers, system  # noqa: E402
from ansible_collections.sre.oom.plugins.module_utils._eda.errors import JournaldGone, OomKillsError  # noqa: E402
from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup, hostnames, journal, kernel, scanner  # noqa: E402


def parser_api():
    """The collection's log parser: an object with OomLogParser, public, kinds, the
    container scope rule (container_identity, in_container_scope), oom_facts' own
    journal reading: journal_lines(record_text, boot_id) (-> parser lines of
    `journalctl -o json` output, as oom_facts feeds them) and journal_matches(), and
    the naming rule of hosts (HostNames). Standard library only: no ansible-core needed."""

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
    ids, paths = api.container_identity(system.read_text("/proc/1/cgroup"), system.read_text("/proc/self/cgroup"),
                                        system.read_text("/proc/self/mountinfo"))
    if scope == "auto":
        scope = "container" if ids or paths else "host"
    if scope == "host":
        return (lambda ev: True), "host"
    if not ids and not paths:
        raise OomKillsError("sre.oom.oom_kills: scope=container but this container's id or cgroup cannot be "
                            "found in /proc/1/cgroup, /proc/self/cgroup or /proc/self/mountinfo; use scope=host")
    ids = frozenset(ids)
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


def _number(value, name, integer=False, zero_ok=False, low=None, high=None):
    """A number > 0 (>= 0 with zero_ok), within [low, high] (0 aside) when given, from an
    argument; OomKillsError otherwise (huge integers included: no OverflowError)."""
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise OomKillsError("sre.oom.oom_kills: %s must be %s, got %r" % (name, kind, value))
    try:
        num = int(value) if integer and not isinstance(value, float) else float(value)
    except OverflowError:
        num = math.inf            # 10**400 as a float: too big, said so by the range below
    except ValueError:
        num = math.nan
    if isinstance(num, float) and (math.isnan(num) or (math.isinf(num) and high is None)
                                   or (integer and math.isfinite(num) and not num.is_integer())):
        raise OomKillsError("sre.oom.oom_kills: %s must be %s, got %s" % (name, kind, _short(value)))
    if num < 0 or (num == 0 and not zero_ok):
        raise OomKillsError("sre.oom.oom_kills: %s must be %s, got %s"
                            % (name, "0 or more" if zero_ok else "greater than 0", _short(value)))
    if num != 0 and ((low is not None and num < low) or (high is not None and num > high)):
        raise OomKillsError("sre.oom.oom_kills: %s must be %s%s%s, got %s" % (
            name, "0 or " if zero_ok else "", ("from %g to %g" % (low, high) if low is not None else "at most %s" % (high if integer else "%g" % high)),
            "" if integer else " seconds", _short(value)))
    if isinstance(num, float) and math.isinf(num):
        raise OomKillsError("sre.oom.oom_kills: %s must be %s, got %s" % (name, kind, _short(value)))
    return int(num) if integer else num


def _short(value):
    """repr of an argument, cut (a 400-digit number is not repeated whole)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


DAY = 86400.0


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
    cfg["sweep_interval"] = _number(30 if sweep is None else sweep, "sweep_interval", low=1, high=DAY)
    limit = args.get("restart_limit", 8)
    cfg["restart_limit"] = _number(8 if limit is None else limit, "restart_limit", integer=True, high=1000)
    rate = args.get("rate_limit")
    if rate is not None:
        if not isinstance(rate, dict) or "events" not in rate:
            raise OomKillsError("sre.oom.oom_kills: rate_limit must be a mapping with events "
                                "(and optionally interval, seconds), got %r" % (rate,))
        extra = sorted(str(k) for k in rate if k not in ("events", "interval"))
        if extra:
            raise OomKillsError("sre.oom.oom_kills: rate_limit: unknown key(s) %s; known: events, interval"
                                % ", ".join(extra))
        cfg["rate_events"] = _number(rate["events"], "rate_limit.events", integer=True, high=10 ** 9)
        cfg["rate_interval"] = _number(rate.get("interval", 60), "rate_limit.interval", high=DAY)
    summary = args.get("summary_interval", 60)
    cfg["summary_interval"] = _number(60 if summary is None else summary, "summary_interval", zero_ok=True, low=0.1, high=DAY)
    poll = args.get("poll_interval", 0.25)
    cfg["poll_interval"] = _number(0.25 if poll is None else poll, "poll_interval", low=0.01, high=DAY)
    return cfg


def choose_source(cfg):
    """The reader to use: 'file', 'kmsg' or 'journal'."""
    if cfg["path"]:
        return "file"
    if cfg["journal_directory"]:
        return "journal"
    if cfg["source"] != "auto":
        return cfg["source"]
    return "journal" if system.journald_running() and system.journal_has_kernel_messages() else "kmsg"


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
    names, local = await inventory.host_names(cfg, api)
    export_collections_path()
    which = choose_source(cfg)
    emitter = events.Emitter(queue, cfg, api, in_scope, names, local)
    counters = emitter.counters
    state = journal_state.JournalState(cfg["state_file"])
    tracker = journal_follow.JournalTracker()
    if which == "file":
        batches = _wrapped(readers.file_batches(cfg["path"], cfg["start"], cfg["poll_interval"]))
    elif which == "kmsg":
        batches = _wrapped(readers.kmsg_batches(counters, cfg["start"]))
    else:
        state.load()
        batches = journal_follow.journal_batches(api, cfg, state, tracker)
    parsers = {}
    source = "file" if which == "file" else which

    def parser_for(machine):
        parser = parsers.get(machine)
        if parser is None:
            if len(parsers) >= MAX_MACHINES:
                parsers.clear()        # bounded: a parser only holds the current report
            parser = parsers[machine] = api.OomLogParser(
                lambda ev, m=machine: emitter.sink(ev, m), source=source,
                boot_time=system.boot_time(), reference_time=time.time())
        return parser

    ticker = None
    if cfg["summary_interval"]:
        ticker = asyncio.ensure_future(events.ticker(emitter, cfg["summary_interval"]))
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
                            exc, readers.KMSG)
                batches = _wrapped(readers.kmsg_batches(counters, "boot", after_usec=tracker.kernel_usec or 0)
                                   if tracker.kernel_usec else readers.kmsg_batches(counters, "now"))
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

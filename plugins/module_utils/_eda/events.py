# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the events of the EDA source. Not a public API.

Kills filtered (kinds, killers, scope), rate-limited and put on the queue with the
host's inventory name; the counters of what was done; the summary events.
"""

from __future__ import annotations

import asyncio
import time

from ansible_collections.sre.oom.plugins.module_utils._eda import system
from ansible_collections.sre.oom.plugins.module_utils._oom import tree as _tree


class Counters(object):
    """What the source did, for the summary events and the tests."""

    __slots__ = ("emitted", "dropped", "filtered", "overruns", "lost", "lines", "restarts",
                 "p_dropped", "p_overruns", "p_lost", "p_start")

    def __init__(self):
        self.emitted = self.dropped = self.filtered = self.overruns = self.lost = self.lines = self.restarts = 0
        self.p_dropped = self.p_overruns = self.p_lost = 0
        self.p_start = time.time()


# Every string of an event carries "{" as \x7b (systemd's escape of it, as in a
# unit name). ansible-rulebook hands an event to a playbook as extra vars, which
# ansible-core trusts: a string of the event that held "{{", "{%" or "{#" would be
# evaluated as a template on the controller wherever the playbook reads it. The
# strings of an event come from the log: a process's name, a cgroup's path (a
# user names the cgroups of their own systemd subtree), a host's name in a journal.
_BRACE = "\\x7b"


def _escaped(value):
    return value.replace("{", _BRACE) if isinstance(value, str) and "{" in value else value


def untemplatable(value):
    """A copy of ``value`` (an event) with each "{" of its strings and keys as \\x7b."""
    return _tree.mapped(value, _escaped, _escaped)


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
        """An event of the source: the value, and the machine's inventory name (one rule);
        no string of it can be taken for a template (``untemplatable``)."""
        machine = machine or self.local
        host = self.names.name(machine)
        return untemplatable({key: value, "host": host, "machine": machine, "meta": {"hosts": host}})

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
            "period_start": system.iso(c.p_start),
            "period_end": system.iso(now),
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


async def ticker(emitter, interval):
    """A summary every `interval` seconds, when there is one to give (Emitter.summary)."""
    while True:
        await asyncio.sleep(interval)
        await emitter.summary()

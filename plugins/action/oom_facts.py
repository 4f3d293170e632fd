# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sre.oom.oom_facts on the controller: the module run as any module is, faster.

The module itself runs on the host, unchanged; the documentation is in
plugins/modules/oom_facts.py. What this adapter changes is the controller's cost
of the first run of the module in an `ansible` or `ansible-playbook` process.

Before it sends a module, ansible-core parses every file the module imports into
a syntax tree to find the next imports (about 80 files and 90,000 nodes for
oom_facts), and links each import node to its parent, which makes every tree a
reference cycle. Each of those nodes is a new object for Python's cyclic garbage
collector, whose full collections walk the worker's whole heap (everything the
controller had loaded when it forked: inventory, plugins, variables). Measured
with `ANSIBLE_DEBUG=1` on an ad hoc run, building the module took 0.28-0.42 s
with the collector on and 0.14-0.21 s with it paused, against 0.15-0.20 s for
`ansible.builtin.command`; the worker's peak memory grew by 8 MiB (the trees,
which stay until the worker ends, see below).

So the collector is paused for the task's run in this worker process (one task
on one host, or one item of its loop). When the run ends, however it ends, and it
has left more than FREEZE_ABOVE objects for the collector (the module was built
here), everything then alive or awaiting collection is frozen (`gc.freeze()`:
set aside for good, never walked again); then the collector is switched back on
if it was on. Collecting the parse's syntax trees on the spot took another
0.04 s; frozen, they are freed with the worker, which ends with its task. A
build is cached for the rest of the ansible run, so later hosts and loop items
leave a few hundred objects, which the collector takes as usual.
"""

from __future__ import annotations

import gc

from ansible.plugins.action.normal import ActionModule as _NormalAction


# Objects a run leaves for the collector: about 137,000 when it built the module,
# about 350 when the build came from the run's cache (a loop's later items).
FREEZE_ABOVE = 10000


class ActionModule(_NormalAction):
    """ansible.builtin's own module runner (check mode, async, diff), the collector paused."""

    def run(self, tmp=None, task_vars=None):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return super().run(tmp, task_vars)
        finally:
            if gc.get_count()[0] > FREEZE_ABOVE:
                gc.freeze()
            if was_enabled:
                gc.enable()

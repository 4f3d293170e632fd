# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the host names of the EDA source's events. Not a public API.

The inventory ansible-rulebook was started with (or the source's own), read with
`ansible-inventory --list`, and the naming rule of sre.oom over it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import sys

from ansible_collections.sre.oom.plugins.module_utils._eda import system
from ansible_collections.sre.oom.plugins.module_utils._eda.errors import OomKillsError


LOG = logging.getLogger("sre.oom.oom_kills")


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
    rc, out, err = await system.run([tool, "-i", path, "--list"], timeout=120, locale="C.UTF-8")
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

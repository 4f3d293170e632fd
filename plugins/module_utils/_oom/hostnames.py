# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the one rule naming a machine. Not a public API.

In module_utils/_oom (standard library only) because the EDA source, which may
import nothing else of the collection, applies it.

A kill is logged under the name the machine gives itself (the journal's
`_HOSTNAME`, or `gethostname()` for the machine that reads its own kernel log).
Ansible, the records of the EDA playbook and the report name hosts by their
inventory name. `HostNames.name()` turns the first into the second, the same way
for every consumer (the EDA source's `host`, and so the host the response
playbook runs on and records under):

1. a machine whose name is an inventory name (case-insensitive) is that host;
2. else the host whose `ansible_host` is that name;
3. else the one host whose short name (up to the first dot) of its inventory
   name or `ansible_host` is the machine's short name (none if two hosts share it);
4. else, when the machine is the one running this code (`local_names`), the one
   host with `ansible_connection: local`, else `localhost` when the inventory has it;
5. else the machine's own name: a machine the inventory does not know keeps its name.

Standard library only; linear in the inventory once, constant per name.
"""

from __future__ import annotations

LOCAL_CONNECTIONS = ("local",)


def _short(name):
    return name.split(".", 1)[0]


class HostNames(object):
    """The naming rule over one inventory.

    `hosts`: {inventory_hostname: hostvars} (only `ansible_host` and
    `ansible_connection` are read; hostvars may be None). `local_names`: the
    names of the machine running this code (its host name, its FQDN).
    """

    def __init__(self, hosts=None, local_names=()):
        self._exact = {}
        self._by_address = {}
        short = {}
        local = []
        for name, hostvars in (hosts or {}).items():
            if not isinstance(name, str) or not name:
                continue
            hostvars = hostvars if isinstance(hostvars, dict) else {}
            self._exact.setdefault(name.lower(), name)
            addr = hostvars.get("ansible_host")
            keys = {_short(name.lower())}
            if isinstance(addr, str) and addr:
                self._by_address.setdefault(addr.lower(), name)
                keys.add(_short(addr.lower()))
            for key in keys:
                short.setdefault(key, set()).add(name)
            if hostvars.get("ansible_connection") in LOCAL_CONNECTIONS:
                local.append(name)
        self._short = {key: names.pop() for key, names in short.items() if len(names) == 1}
        if len(local) == 1:
            self._local = local[0]
        else:
            self._local = self._exact.get("localhost")
        self._local_names = {n.lower() for n in local_names if isinstance(n, str) and n}
        self._local_names |= {_short(n) for n in self._local_names}

    def name(self, machine):
        """The inventory name of `machine` by the rule above (the machine's name when unknown)."""
        if not isinstance(machine, str) or not machine:
            return machine
        key = machine.lower()
        found = self._exact.get(key) or self._by_address.get(key)
        if found is None:
            found = self._short.get(_short(key))
        if found is None and self._local is not None and (key in self._local_names or _short(key) in self._local_names):
            found = self._local
        return found if found is not None else machine

    def known(self, machine):
        """True when `machine` names a host of the inventory by the rule."""
        name = self.name(machine)
        return isinstance(name, str) and name.lower() in self._exact


def inventory_name(machine, hosts=None, local_names=()):
    """`HostNames(hosts, local_names).name(machine)`: one call, one rule."""
    return HostNames(hosts, local_names).name(machine)

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one rule naming a machine by its inventory name (module_utils/_oom/hostnames.py)."""
from __future__ import annotations

import pytest

from ansible_collections.sre.oom.plugins.module_utils._oom.hostnames import HostNames, inventory_name

HOSTS = {
    "web1": {"ansible_host": "web1.prod.example.com"},
    "db-primary": {"ansible_host": "10.0.0.5"},
    "cache01.prod.example.com": None,
    "app.a.example.com": {},
    "app.b.example.com": {},
    "localhost": {"ansible_connection": "local"},
}


@pytest.mark.parametrize("machine, name", [
    ("web1", "web1"),                                  # 1. an inventory name
    ("WEB1", "web1"),                                  # (DNS names are case-insensitive)
    ("web1.prod.example.com", "web1"),                 # 2. an ansible_host
    ("10.0.0.5", "db-primary"),
    ("cache01", "cache01.prod.example.com"),           # 3. the one host of that short name
    ("web1.other.example.org", "web1"),
    ("app", "app"),                                    # (two hosts share it: none of them)
    ("vm", "localhost"),                               # 4. this machine: its local host
    ("vm.example.net", "localhost"),
    ("stray", "stray"),                                # 5. unknown: its own name
    ("", ""),
    (None, None),
])
def test_the_naming_rule(machine, name):
    names = HostNames(HOSTS, local_names=("vm", "vm.example.net"))
    assert names.name(machine) == name
    assert inventory_name(machine, HOSTS, ("vm", "vm.example.net")) == name


def test_local_host_without_local_connection_is_localhost_or_nothing():
    assert HostNames({"localhost": {}, "web1": {}}, ("vm",)).name("vm") == "localhost"
    assert HostNames({"web1": {}}, ("vm",)).name("vm") == "vm"
    two = {"a": {"ansible_connection": "local"}, "b": {"ansible_connection": "local"}}
    assert HostNames(two, ("vm",)).name("vm") == "vm"          # ambiguous: not guessed
    assert HostNames({"a": {"ansible_connection": "local"}, "localhost": {}}, ("vm",)).name("vm") == "a"


def test_known_and_bad_inventory_entries():
    names = HostNames({"web1": {}, 5: {}, "": {}, "x": "not a dict"}, ())
    assert names.known("web1") and names.known("WEB1") and names.known("x")
    assert not names.known("stray")
    assert HostNames(None).name("web1") == "web1"

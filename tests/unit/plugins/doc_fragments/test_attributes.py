# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared `attributes` doc fragment, merged by ansible-core's own add_fragments.

The modules' documentation must say the same with or without the fragment: each
module's effective attributes (its own block merged with whatever fragments it
extends) must equal what the fragment gives a module of its kind.
"""

from __future__ import annotations

import copy
import os

import pytest
import yaml
from ansible.utils.plugin_docs import add_fragments

from ansible_collections.sre.oom.plugins.doc_fragments._attributes import ModuleDocFragment
from ansible_collections.sre.oom.plugins.doc_fragments._units import ModuleDocFragment as UnitsDocFragment
from ansible_collections.sre.oom.plugins.module_utils import _unit_spec
from ansible_collections.sre.oom.plugins.modules import oom_facts, oom_policy, oom_score_adj, oom_unit

NAME = "sre.oom._attributes"
UNITS = "sre.oom._units"
SUPPORT = {"full", "partial", "none", "N/A"}


class _Loader:
    """The one seam: a doc_fragments loader that knows only this collection's fragments."""

    def get(self, name, *args, **kwargs):
        fragment = {NAME: ModuleDocFragment, UNITS: UnitsDocFragment}.get(name)
        if fragment is None:
            return None
        return type("ModuleDocFragment", (fragment,), {"ansible_name": name})


def _merged(doc):
    doc = copy.deepcopy(doc)
    add_fragments(doc, os.path.abspath(__file__), fragment_loader=_Loader(), is_module=True)
    return doc


def _support(attributes):
    return {key: (value.get("support"), value.get("platforms")) for key, value in attributes.items()}


# What each kind of module extends (the edit proposed for the modules) and the
# attribute support that must come out.
KINDS = {
    "changes": ([NAME, NAME + ".changes"], {
        "check_mode": ("full", None),
        "diff_mode": ("full", None),
        "platform": ("full", "linux"),
    }),
    "facts": ([NAME + ".facts", NAME], {
        "check_mode": ("full", None),
        "diff_mode": ("none", None),
        "facts": ("full", None),
        "platform": ("full", "linux"),
    }),
}
MODULES = [(oom_policy, "changes"), (oom_unit, "changes"), (oom_score_adj, "changes"), (oom_facts, "facts")]


@pytest.mark.parametrize("var", ["DOCUMENTATION", "CHANGES", "FACTS"])
def test_each_section_is_a_valid_fragment(var):
    section = yaml.safe_load(getattr(ModuleDocFragment, var))
    assert set(section) == {"options", "attributes"}
    assert section["options"] == {}
    for key, attr in section["attributes"].items():
        assert isinstance(attr["description"], str) and attr["description"].endswith("."), key
        assert attr.get("support", "full") in SUPPORT, key
    if var != "FACTS":  # FACTS refines check_mode's wording only; the base gives its support
        assert all("support" in attr for attr in section["attributes"].values())


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fragment_alone_gives_every_attribute_its_support(kind):
    fragments, expected = KINDS[kind]
    doc = _merged({"options": {}, "extends_documentation_fragment": fragments})
    assert _support(doc["attributes"]) == expected
    assert all(attr["description"] for attr in doc["attributes"].values())


def test_module_wording_wins_over_the_fragment():
    fragments, _expected = KINDS["facts"]
    doc = _merged({"options": {}, "extends_documentation_fragment": fragments,
                   "attributes": {"platform": {"description": "Linux only (the kernel log)."}}})
    assert doc["attributes"]["platform"] == {"support": "full", "platforms": "linux",
                                             "description": "Linux only (the kernel log)."}
    # Fragments merge first-listed-wins: facts' wording of check_mode, base support.
    assert doc["attributes"]["check_mode"]["description"].startswith("The module only reads")
    assert doc["attributes"]["check_mode"]["support"] == "full"


def test_unknown_fragment_section_fails():
    with pytest.raises(Exception, match=r"unknown doc_fragment|not found|\._attributes\.nope"):
        _merged({"options": {}, "extends_documentation_fragment": [NAME + ".nope"]})


@pytest.mark.parametrize("module,kind", MODULES, ids=[m.__name__.rsplit(".", 1)[-1] for m, _k in MODULES])
def test_module_attributes_match_the_fragment(module, kind):
    """Holds before and after a module switches to the fragment."""
    doc = _merged(yaml.safe_load(module.DOCUMENTATION))
    fragments, expected = KINDS[kind]
    assert _support(doc["attributes"]) == expected
    for key, attr in doc["attributes"].items():
        assert attr["description"].strip(), key


@pytest.mark.parametrize("module", [oom_unit, oom_score_adj], ids=["oom_unit", "oom_score_adj"])
def test_shared_unit_options_documented_once_as_specified(module):
    """The options both units modules take come from the _units fragment alone, and
    say what the one argument spec (_unit_spec.common_argument_spec) does."""
    own = yaml.safe_load(module.DOCUMENTATION)
    spec = _unit_spec.common_argument_spec()
    assert not set(own["options"]) & set(spec)
    doc = _merged(own)
    for option, rule in spec.items():
        documented = doc["options"][option]
        assert documented["type"] == rule["type"] and documented["default"] == rule["default"], option
        assert documented.get("choices") == rule.get("choices"), option

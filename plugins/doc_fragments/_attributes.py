# -*- coding: utf-8 -*-
# Copyright: sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Internal to sre.oom: the attributes its modules share. Not an interface for
# other collections; it may change in any release.

from __future__ import annotations


class ModuleDocFragment:
    # Every sre.oom module: check mode predicts exactly, Linux only. A module
    # may add a sentence of its own by giving only `description` for a key.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    support: full
    description: Runs in check mode and reports exactly what would change, changing nothing.
  platform:
    support: full
    platforms: linux
    description: Linux only.
"""

    # Modules that write files or live values (oom_policy, oom_unit, oom_score_adj).
    CHANGES = r"""
options: {}
attributes:
  diff_mode:
    support: full
    description: Returns the before and after of each file and value it changes.
"""

    # Read-only facts modules (oom_facts).
    FACTS = r"""
options: {}
attributes:
  check_mode:
    description: The module only reads; it behaves the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
  facts:
    support: full
    description: Returns its results under C(ansible_facts.oom).
"""

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: one walk over JSON-like data. Not a public API.

Pure, standard library only, as all of _oom: the EDA source (inside
ansible-rulebook, without ansible-core) and the report on the controller use it.
"""

from __future__ import annotations


def mapped(value, leaf, key=None):
    """A copy of ``value`` (dicts, lists, tuples as lists, anything else a leaf) with
    each leaf replaced by ``leaf(v)`` and, with ``key``, each dict key by ``key(k)``.
    Iterative: any depth, linear time."""
    root = [value]
    todo = [(root, 0)]
    while todo:
        holder, index = todo.pop()
        v = holder[index]
        if isinstance(v, dict):
            v = {key(k): item for k, item in v.items()} if key is not None else dict(v)
            holder[index] = v
            todo.extend((v, k) for k in v)
        elif isinstance(v, (list, tuple)):
            v = list(v)
            holder[index] = v
            todo.extend((v, i) for i in range(len(v)))
        else:
            holder[index] = leaf(v)
    return root[0]

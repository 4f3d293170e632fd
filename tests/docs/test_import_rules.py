# Copyright: sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What each kind of plugin may import (docs/DEVELOPING.md, "Who may import what").

Every import statement counts, also those inside functions. The rules:

- plugins/module_utils/_host.py (the host seam): the standard library only.
- plugins/module_utils/_oom/: the standard library, other _oom rooms and the host
  seam _host (itself standard library only), nothing from ansible: the EDA source
  runs it beside ansible-rulebook alone.
- plugins/module_utils/_eda/ (the rooms of the EDA source): the standard library,
  other _eda rooms and _oom, nothing from ansible, for the same reason.
- other plugins/module_utils/ rooms: the standard library, ansible.module_utils
  and the collection's module_utils (they run on the managed host).
- plugins/modules/: the same as module_utils (never another module, never
  controller code).
- plugins/action/, plugins/filter/, plugins/plugin_utils/ (the controller):
  anything of ansible-core (jinja2 and markupsafe included) and the collection's
  module_utils and plugin_utils; never a module.
- plugins/doc_fragments/: the standard library only.
- extensions/eda/: the standard library, module_utils/_oom and module_utils/_eda only.
"""

from __future__ import annotations

import ast
import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
C = 'ansible_collections.sre.oom.plugins.'
STDLIB = set(sys.stdlib_module_names)

RULES = [
    # (directory prefix, allowed import prefixes, what to say)
    ('plugins/module_utils/_host.py', ('stdlib',),
     'the host seam imports the standard library only'),
    ('plugins/module_utils/_oom/', ('stdlib', C + 'module_utils._oom', C + 'module_utils._host'),
     'module_utils/_oom imports the standard library, other _oom rooms and _host only'),
    ('plugins/module_utils/_eda/', ('stdlib', C + 'module_utils._eda', C + 'module_utils._oom'),
     'module_utils/_eda imports the standard library, other _eda rooms and _oom only'),
    ('plugins/module_utils/', ('stdlib', 'ansible.module_utils', C + 'module_utils'),
     'module_utils imports the standard library, ansible.module_utils and module_utils'),
    ('plugins/modules/', ('stdlib', 'ansible.module_utils', C + 'module_utils'),
     'a module imports the standard library, ansible.module_utils and module_utils, never another module'),
    ('plugins/action/', ('stdlib', 'ansible', 'jinja2', 'markupsafe', C + 'module_utils', C + 'plugin_utils'),
     'controller code imports ansible-core, module_utils and plugin_utils, never a module'),
    ('plugins/filter/', ('stdlib', 'ansible', 'jinja2', 'markupsafe', C + 'module_utils', C + 'plugin_utils'),
     'controller code imports ansible-core, module_utils and plugin_utils, never a module'),
    ('plugins/plugin_utils/', ('stdlib', 'ansible', 'jinja2', 'markupsafe', C + 'module_utils', C + 'plugin_utils'),
     'controller code imports ansible-core, module_utils and plugin_utils, never a module'),
    ('plugins/doc_fragments/', ('stdlib',), 'a doc fragment imports the standard library only'),
    ('extensions/eda/', ('stdlib', C + 'module_utils._oom', C + 'module_utils._eda'),
     'the EDA source imports the standard library, module_utils/_oom and module_utils/_eda only'),
]

# Imports that break a rule today, each with the work that removes it. The test
# fails when one of these goes away too: then delete its line here.
# Form: {(path, imported module): 'why, and what removes it'}.
KNOWN = {}


def python_files():
    for top in ('plugins', 'extensions'):
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = sorted(d for d in dirnames if d != '__pycache__')
            for f in sorted(filenames):
                if f.endswith('.py'):
                    yield os.path.relpath(os.path.join(dirpath, f), ROOT)


def imports(path):
    with open(os.path.join(ROOT, path), encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                yield node.lineno, '.' * node.level + (node.module or '')
            elif node.module != '__future__':
                yield node.lineno, node.module


def allowed(name, prefixes):
    for p in prefixes:
        if p == 'stdlib' and name.split('.')[0] in STDLIB:
            return True
        if name == p or name.startswith(p + '.'):
            return True
    return False


def rule_for(path):
    for prefix, ok, why in RULES:
        if path.startswith(prefix):
            return ok, why
    return None


def test_every_python_file_has_a_rule():
    missing = [p for p in python_files() if rule_for(p) is None]
    assert not missing, ('no import rule covers %s: add the kind of plugin to RULES in tests/docs/test_import_rules.py '
                         'and to docs/DEVELOPING.md ("Who may import what")' % ', '.join(missing))


@pytest.mark.parametrize('path', list(python_files()))
def test_imports_follow_the_rule_of_their_kind(path):
    rule = rule_for(path)
    if rule is None:
        pytest.fail('no rule for %s' % path)
    ok, why = rule
    bad = ['%s:%d imports %s' % (path, line, name) for line, name in imports(path)
           if not allowed(name, ok) and (path, name) not in KNOWN]
    assert not bad, '%s (docs/DEVELOPING.md, "Who may import what"):\n%s' % (why, '\n'.join(bad))


def test_known_exceptions_still_exist():
    gone = [k for k in KNOWN if not os.path.exists(os.path.join(ROOT, k[0]))
            or k[1] not in {name for _line, name in imports(k[0])}]
    assert not gone, 'these exceptions no longer occur: delete them from KNOWN in tests/docs/test_import_rules.py: %s' % gone

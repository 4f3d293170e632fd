# Copyright: sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fenced code blocks of the collection's Markdown, and what each one is.

A block's info string is its language, then optional markers:

    ```sh no-run:fleet

Languages and what test_snippets.py does with them:

- sh, bash, shell: executed, as written, in a scratch copy of the checkout,
  with the environment of a plain shell (no venv on PATH, no ANSIBLE_CONFIG);
  a block marked no-run:<reason> is checked (bash -n, its commands and repo
  paths exist, `make -n` for make) but not executed. An unmarked block that
  would change the machine or needs a fleet is refused, not run
  (test_snippets.refuse_to_run).
- ini, cfg: an ansible.cfg, read by `ansible-config dump`.
- yaml, yml: parsed; a play list is syntax-checked by ansible-playbook and the
  variables it passes to sre.oom roles are validated against their argument
  specs; a mapping of role variables (group_vars) is validated likewise.
- json: parsed.
- python: executed in the scratch copy.
- text, promql: prose in a fixed-width font; counted, not run.
"""

from __future__ import annotations

import os
import re
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

# Why a shell block may be left unexecuted. Keep this list, and the number of
# blocks using it (MAX_NOT_RUN in test_snippets.py), short.
NO_RUN_REASONS = {
    'fleet': 'needs managed hosts or an inventory the reader has and the test machine has not',
    'long': 'runs for minutes (a test suite, a benchmark) or until stopped (a rulebook)',
    'root': 'changes this machine (packages, daemons, containers, live sysctls) and needs root',
}

KINDS = {
    'sh': 'shell', 'bash': 'shell', 'shell': 'shell',
    'ini': 'ansible.cfg', 'cfg': 'ansible.cfg',
    'yaml': 'yaml', 'yml': 'yaml',
    'json': 'json',
    'python': 'python', 'py': 'python',
    'text': 'text', 'promql': 'text',
}

FENCE = re.compile(r'^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$')

# Where the documentation lives; every Markdown file of the checkout is read
# except build products and third-party trees.
SKIP_DIRS = {'.git', 'build', 'node_modules', 'output', 'results', 'data', 'oom-report',
             '.pytest_cache', '.ruff_cache', '.hypothesis', '.ansible', '.cache', '__pycache__'}


class Block:
    """One fenced block: where it is, its language and markers, its text."""

    def __init__(self, path, line, lang, markers, text):
        self.path = path          # relative to ROOT
        self.line = line          # 1-based line of the opening fence
        self.lang = lang
        self.markers = markers
        self.text = text

    @property
    def kind(self):
        return KINDS.get(self.lang)

    @property
    def no_run(self):
        for m in self.markers:
            if m.startswith('no-run:'):
                return m.split(':', 1)[1]
        return None

    @property
    def where(self):
        return '%s:%d' % (self.path, self.line)

    def __repr__(self):
        return '<Block %s %s %s>' % (self.where, self.lang, ' '.join(self.markers))


def markdown_files(root=ROOT):
    """Markdown files of the checkout, sorted: README.md first, then by path."""
    try:
        out = subprocess.run(['git', '-C', root, 'ls-files', '-z', '--cached', '--others',
                              '--exclude-standard', '*.md'],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
        files = [f for f in out.decode().split('\0') if f and os.path.isfile(os.path.join(root, f))]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith('.venv')]
            files += [os.path.relpath(os.path.join(dirpath, f), root) for f in filenames if f.endswith('.md')]
    # Files under a scenario's or test's own tree that are not documentation
    # (none today) would be excluded here, by name and with a reason.
    return sorted(set(files), key=lambda f: (f != 'README.md', f))


def blocks_of(path, root=ROOT):
    """Every fenced block of one Markdown file, in order."""
    with open(os.path.join(root, path), encoding='utf-8') as f:
        lines = f.read().split('\n')
    blocks = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m.group('fence'), len(m.group('indent'))
        words = m.group('info').split()
        lang = words[0].lower() if words else ''
        start = i + 1
        body = []
        i += 1
        while i < len(lines):
            close = re.match(r'^ {0,3}(`{3,}|~{3,})\s*$', lines[i])
            if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence):
                break
            body.append(lines[i][indent:] if lines[i][:indent].strip() == '' else lines[i])
            i += 1
        else:
            raise ValueError('%s:%d: a fenced block that is never closed' % (path, start))
        blocks.append(Block(path, start, lang, words[1:], '\n'.join(body) + '\n'))
        i += 1
    return blocks


def all_blocks(root=ROOT):
    return [b for path in markdown_files(root) for b in blocks_of(path, root)]

# Copyright: sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The docs stand alone: a clone has every file they point at.

- No file of the checkout names a path outside it (a `../` that leaves the
  repository, or a machine-specific absolute path of the developers' machines).
- Every relative link of every Markdown file resolves to a file or directory of
  the checkout.
- Every path a Markdown file names in backticks under one of the checkout's top
  directories exists.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import snippets  # noqa: E402  pylint: disable=wrong-import-position

ROOT = snippets.ROOT

# Paths that only exist on the machines this collection was developed on.
OUTSIDE = re.compile(r'\.\./shared\b|/work/(main|wt|shared|plan)\b|\b(CONTAINERS|OOM-FORMATS|STYLE)\.md\b')
LINK = re.compile(r'\]\(([^)\s]+)(?:\s+"[^"]*")?\)')


def tracked_text_files():
    out = subprocess.run(['git', '-C', ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    for f in sorted(out.split('\0')):
        path = os.path.join(ROOT, f)
        if not f or not os.path.isfile(path) or os.path.islink(path) or f.startswith('tests/docs/'):
            continue
        with open(path, 'rb') as fh:
            data = fh.read(2_000_000)
        if b'\0' in data:
            continue
        yield f, data.decode('utf-8', 'replace')


def test_no_file_points_outside_the_repository():
    hits = []
    for f, text in tracked_text_files():
        for n, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append('%s:%d: %s' % (f, n, line.strip()))
    assert not hits, ('these lines point at files a clone of this repository does not have; '
                      'bring what the reader needs into the repository, in its own words:\n' + '\n'.join(hits))


@pytest.mark.parametrize('path', snippets.markdown_files())
def test_relative_links_resolve(path):
    with open(os.path.join(ROOT, path), encoding='utf-8') as f:
        text = f.read()
    # Links inside fenced blocks are code, not links.
    text = re.sub(r'^ {0,3}(```|~~~).*?^ {0,3}\1', '', text, flags=re.S | re.M)
    broken = []
    for target in LINK.findall(text):
        if re.match(r'^[a-z][a-z0-9+.-]*:', target) or target.startswith('#'):
            continue
        rel = target.split('#', 1)[0]
        full = os.path.normpath(os.path.join(ROOT, os.path.dirname(path), rel))
        if not full.startswith(ROOT + os.sep) or not os.path.exists(full):
            broken.append(target)
    assert not broken, '%s links to %s: no such file in the repository' % (path, ', '.join(broken))


# An inline code span (not a fenced block) and the path-like words inside it.
CODE_SPAN = re.compile(r'(?<!`)`([^`\n]+)`(?!`)')
# Words standing for a value the reader fills in: not a path of the checkout.
PLACEHOLDER = re.compile(r'[*?<>{}$…]|\bN\b|PATH|HOST')


def top_level_entries():
    out = subprocess.run(['git', '-C', ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    return {f.split('/', 1)[0] for f in out.split('\0') if '/' in f}


def git_ignored(rel):
    return subprocess.run(['git', '-C', ROOT, 'check-ignore', '-q', '--no-index', rel],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode == 0


def named_paths(text, tops):
    """The words of inline code spans that name a path under one of the checkout's top directories."""
    text = re.sub(r'^ {0,3}(```|~~~).*?^ {0,3}\1', '', text, flags=re.S | re.M)
    for span in CODE_SPAN.findall(text):
        for word in span.split():
            word = word.strip(',;:()"\'')
            if '/' in word and word.split('/', 1)[0] in tops and not PLACEHOLDER.search(word):
                yield word


@pytest.mark.parametrize('path', snippets.markdown_files())
def test_named_paths_exist(path):
    """A path a page names in backticks (`plugins/modules/oom_facts.py`, a role's
    `meta/argument_specs.yml`) is in the checkout: relative to the page or to the
    root. Generated outputs (git-ignored, such as `bench/results/`) are not checked."""
    with open(os.path.join(ROOT, path), encoding='utf-8') as f:
        text = f.read()
    tops = top_level_entries()
    here = os.path.dirname(path)
    missing = []
    for word in named_paths(text, tops):
        candidates = [os.path.normpath(os.path.join(here, word)), os.path.normpath(word)]
        if any(os.path.exists(os.path.join(ROOT, c)) for c in candidates):
            continue
        # as written: an ignored directory that is not there (a fresh clone has no
        # bench/results/) matches its pattern only with its trailing slash, or as the
        # parent of a file
        if git_ignored(word) or git_ignored(word.rstrip("/") + "/_"):
            continue
        missing.append(word)
    assert not missing, ('%s names %s in backticks: no such path in the checkout (relative to the page '
                         'or to the root); correct the path, or name a file of another project '
                         'without its full path' % (path, ', '.join(sorted(set(missing)))))


def test_named_paths_catch_a_wrong_path():
    """The check itself: a misspelt path is found, placeholders and prose are not."""
    tops = {'plugins', 'roles'}
    text = ('See `plugins/modules/oom_fact.py` and `roles/<name>/meta/main.yml`, '
            '`plugins/*.py`, `and/or` and `ansible-doc sre.oom.oom_facts`.\n'
            '```\nplugins/not/checked.py\n```\n')
    assert list(named_paths(text, tops)) == ['plugins/modules/oom_fact.py']

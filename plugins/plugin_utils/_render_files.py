# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the report's files on disk. Not a public API.

- report.json: json.dumps of the report dict; the hosts' entries copied from
  spool files when the action streams them (`write_json`).
- FileSet: the report's files and the textfiles written as one set (each to a
  temp file in the target directory, fsync, then renamed), all or none.
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import tempfile
import uuid

from ansible_collections.sre.oom.plugins.module_utils._oom import tree as _tree


FILES = {'html': 'index.html', 'json': 'report.json', 'md': 'report.md'}


def _no_nan(value):
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _finite(value):
    """A copy of `value` with each NaN and infinity (a JSON fact cache can hold
    them; JSON itself cannot) as None."""
    return _tree.mapped(value, _no_nan)


def _dumps(value, **kwargs):
    """json.dumps that never writes NaN or Infinity (not JSON: a browser's JSON.parse fails)."""
    try:
        return json.dumps(value, allow_nan=False, **kwargs)
    except ValueError:
        return json.dumps(_finite(value), allow_nan=False, **kwargs)


def to_json(report):
    return _dumps(report, indent=None, separators=(',', ':'), default=str, ensure_ascii=False) + '\n'


def host_json(host):
    """One host's entry of report.json, as bytes: JSON in ASCII (anything else as \\u escapes,
    which also covers strings that are not valid Unicode; and is the encoder's fastest path).
    Its values come from JSON (the fact cache, module results): they hold no cycle to look for."""
    return _dumps(host, indent=None, separators=(',', ':'), default=str, check_circular=False).encode('ascii')


def write_json(f, report, hosts=None):
    """report.json into the binary file `f`.

    With `hosts` (binary files, each holding hosts' entries comma-separated as
    host_json wrote them, in the order of the fleet), report['hosts'] is ignored
    and the entries are copied from them, so that the whole fleet's events are
    never in memory.
    """
    if hosts is None:
        f.write(to_json(report).encode('utf-8', 'backslashreplace'))
        return
    head = to_json(dict(report, hosts=[])).encode('utf-8', 'backslashreplace')
    tail = b'[]}\n'
    if not head.endswith(tail):     # pragma: no cover - 'hosts' is the last key of the report
        raise ValueError('report.json: hosts is not the last key')
    f.write(head[:-len(tail)] + b'[')
    sep = b''
    for part in hosts:
        if part.seek(0, os.SEEK_END) == 0:
            continue
        f.write(sep)
        part.seek(0)
        shutil.copyfileobj(part, f, 1 << 20)
        sep = b','
    f.write(b']}\n')


class FileSet:
    """Files written as one set: all of them, or none.

    Each file is first written in full to a temporary file beside its target
    (fsync'ed). commit() then renames every one over its target; abort()
    removes the temporary files and leaves every target as it was. Scratch
    files (scratch()) are removed either way.
    """

    def __init__(self, record=None):
        self.staged = []        # (temporary path, target path)
        self.scratches = []
        # a binary file told each temporary path as it is made: when this set's
        # process dies, another can remove them (forget())
        self.record = record

    @staticmethod
    def _temp(target):
        directory = os.path.dirname(os.path.abspath(target))
        base = os.path.basename(target)
        fd, tmp = tempfile.mkstemp(prefix='.%s.' % base[:64], suffix='.tmp', dir=directory)
        return fd, tmp

    def open(self, target):
        """A binary file for `target`'s new content; closing it is up to the caller (use `with`)."""
        fd, tmp = self._temp(target)
        self.staged.append((tmp, target))
        if self.record is not None:
            self.record.write(os.fsencode(tmp) + b'\n')
            self.record.flush()
        return os.fdopen(fd, 'wb')

    @staticmethod
    def forget(record):
        """Remove the temporary files that a FileSet given `record` made (its process died
        before it could say what became of them), and empty the record."""
        record.seek(0)
        for path in record.read().split(b'\n'):
            if path:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        record.seek(0)
        record.truncate()

    def add(self, target, text, mode=0o644):
        """Stage `target` with `text` (str or bytes)."""
        data = text if isinstance(text, bytes) else text.encode('utf-8', 'backslashreplace')
        with self.open(target) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(self.staged[-1][0], mode)

    def finish(self, f, mode=0o644):
        """Flush, fsync and close a file from open() and set its mode."""
        f.flush()
        os.fsync(f.fileno())
        f.close()
        os.chmod(self.staged[-1][0], mode)

    def adopt(self, staged):
        """Take in files another FileSet staged (a forked child's): committed or removed with these."""
        self.staged.extend(staged)

    def scratch(self, directory):
        """A binary temporary file in `directory`, removed by commit() and abort()."""
        fd, tmp = tempfile.mkstemp(prefix='.sre-oom-report.', suffix='.tmp', dir=directory)
        self.scratches.append(tmp)
        return os.fdopen(fd, 'w+b')

    def commit(self):
        """Rename every staged file over its target, or (OSError) leave every target as it was.

        Before a target is replaced, a hard link keeps its old content; if a
        later rename fails, the targets already replaced get their old content
        back (or are removed when they are new) and the error is raised.
        """
        done = []       # (target, backup path or None)
        try:
            for tmp, target in self.staged:
                backup = None
                if os.path.lexists(target):
                    if os.path.isdir(target) and not os.path.islink(target):
                        raise IsADirectoryError(errno.EISDIR, 'Is a directory', target)
                    backup = self._backup_name(target)
                    os.link(target, backup, follow_symlinks=False)
                try:
                    os.replace(tmp, target)
                except OSError:
                    if backup:
                        os.unlink(backup)
                    raise
                done.append((target, backup))
        except OSError:
            for target, backup in reversed(done):
                try:
                    if backup:
                        os.replace(backup, target)
                    else:
                        os.unlink(target)
                except OSError:
                    pass
            raise
        finally:
            for _target, backup in done:
                if backup:
                    try:
                        os.unlink(backup)
                    except OSError:
                        pass
            self.abort()

    @staticmethod
    def _backup_name(target):
        directory, base = os.path.split(os.path.abspath(target))
        return os.path.join(directory, '.%s.%s.old.tmp' % (base[:64], uuid.uuid4().hex[:12]))

    def abort(self):
        for tmp, _target in self.staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self.staged = []
        self._drop_scratches()

    def _drop_scratches(self):
        for tmp in self.scratches:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self.scratches = []

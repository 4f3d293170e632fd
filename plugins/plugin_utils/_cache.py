# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the report's reader of a jsonfile fact cache. Not a public API.

Why not ansible-core's cache plugin: on an entry it cannot decode (truncated
JSON, invalid UTF-8) `BaseFileCacheModule.get` deletes the file and fails the
task, so one bad entry fails the whole report and is gone for good. The report
must list such a host as "no data" and go on, and must not delete anything.
So, when the run's fact cache is `jsonfile`, the report reads the files itself,
read-only, one host at a time, and keeps only `ansible_facts.oom` of each.

Where the files are: the directory, prefix and timeout of the cache plugin the
run uses (ansible's settings `fact_caching_connection`, `fact_caching_prefix`,
`fact_caching_timeout`, or their ANSIBLE_CACHE_PLUGIN_* variables), taken from
the loaded plugin itself so that they are exactly the ones Ansible applies.

Which file holds a host (checked in the sources of ansible-core 2.17, 2.18 and
2.19, and of AWX's `awx/main/tasks/facts.py`):
- ansible-core 2.17 and 2.18 (and AWX, which writes each host's facts before a
  job whatever the ansible-core of the job): `<dir>/<prefix><host>`, the facts
  as a JSON object;
- ansible-core 2.19: `<dir>/<prefix>s1_<host>`, a JSON object whose only key
  `__payload__` holds the facts as a JSON string (values may carry Ansible's
  data tags as `{"value": ..., "__ansible_type": ...}` objects).
When both exist the newer file (mtime) is read. An entry older than the
timeout is treated as absent, as Ansible does (timeout 0: never expires).
"""

from __future__ import annotations

import errno
import json
import os
import stat
import time

PAYLOAD = '__payload__'
SCHEMA_PREFIX = 's1_'           # ansible-core 2.19's schema key prefix (cache persistence profile 1)
MAX_ENTRY = 64 * 1024 * 1024    # bytes; a bigger entry is reported, not read

JSONFILE_MODULES = ('ansible.plugins.cache.jsonfile', 'ansible_collections.ansible.builtin.plugins.cache.jsonfile')
MEMORY_MODULES = ('ansible.plugins.cache.memory', 'ansible_collections.ansible.builtin.plugins.cache.memory')

ABSENT = 'absent'
EXPIRED = 'expired'
UNREADABLE = 'unreadable'
OK = 'ok'


def _untag(obj):
    """object_hook: Ansible's serialized wrappers -> their plain value."""
    if '__ansible_type' in obj:
        return obj.get('value')
    if '__ansible_unsafe' in obj and len(obj) == 1:
        return obj['__ansible_unsafe']
    if '__ansible_vault' in obj and len(obj) == 1:
        return None
    return obj


def _loads(text, not_json):
    """json.loads with ansible's tags undone; ValueError(``not_json`` % reason) when it is not JSON."""
    hook = _untag if '"__ansible_' in text else None
    try:
        return json.loads(text, object_hook=hook)
    except RecursionError:
        raise ValueError('JSON nested too deeply') from None
    except ValueError as e:
        raise ValueError(not_json % (e,)) from None


def decode(data):
    """Bytes of one cache entry -> the host's facts (a dict). Raises ValueError."""
    return _decode(data)[0]


def _decode(data):
    """decode(), and whether the entry has 2.19's layout (its facts in PAYLOAD)."""
    if len(data) > MAX_ENTRY:
        raise ValueError('%d bytes, more than the %d MiB the report reads of one entry'
                         % (len(data), MAX_ENTRY // 1048576))
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise ValueError('not UTF-8 (byte %d)' % e.start) from None
    value = _loads(text, 'not JSON (%s)')
    schema = isinstance(value, dict) and len(value) == 1 and PAYLOAD in value
    if schema:
        payload = value[PAYLOAD]
        if not isinstance(payload, str):
            raise ValueError('%s is a %s, not a string' % (PAYLOAD, type(payload).__name__))
        value = _loads(payload, PAYLOAD + ' is not JSON (%s)')
    if not isinstance(value, dict):
        raise ValueError('holds a JSON %s, not an object of facts' % _json_type(value))
    return value, schema


def _json_type(v):
    if v is None:
        return 'null'
    return {str: 'string', int: 'number', float: 'number', bool: 'boolean', list: 'array'}.get(type(v), 'value')


class FactFiles:
    """Read-only access to the files of a jsonfile fact cache."""

    def __init__(self, directory, prefix='', timeout=0):
        self.directory = directory
        self.prefix = prefix or ''
        self.timeout = float(timeout or 0)

    def __repr__(self):
        return 'FactFiles(%r, prefix=%r, timeout=%r)' % (self.directory, self.prefix, self.timeout)

    def paths(self, host):
        """The files that may hold `host`, 2.19's layout first."""
        return [os.path.join(self.directory, self.prefix + SCHEMA_PREFIX + host),
                os.path.join(self.directory, self.prefix + host)]

    def read(self, host):
        """(state, facts or None, why): state is OK, ABSENT, EXPIRED or UNREADABLE.

        Never raises for a bad entry, never writes or deletes anything.
        """
        if not host or '/' in host or '\0' in host or host in ('.', '..'):
            return UNREADABLE, None, 'the host name %r cannot name a cache file' % host[:80]
        found = []
        for rank, path in enumerate(self.paths(host)):
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            except OSError as e:
                return UNREADABLE, None, '%s: %s' % (path, e.strerror or e)
            found.append((st.st_mtime, -rank, path))
        # the newer file first; on a tie, 2.19's
        for mtime, rank, path in sorted(found, reverse=True):
            if self.timeout and time.time() - mtime > self.timeout:
                return EXPIRED, None, ('%s is older than the fact cache timeout (%d s)'
                                       % (path, int(self.timeout)))
            try:
                data = _read_regular(path)
            except OSError as e:
                return UNREADABLE, None, '%s: %s' % (path, e.strerror or e)
            try:
                facts, schema = _decode(data)
            except ValueError as e:
                return UNREADABLE, None, '%s: %s' % (path, e)
            if schema and rank < 0:
                # `<prefix>s1_web` in 2.19's layout is host web's entry, not host s1_web's
                continue
            return OK, facts, None
        return ABSENT, None, None


def _read_regular(path):
    """At most MAX_ENTRY + 1 bytes of a regular file (a FIFO or device is refused, never waited on)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0) | getattr(os, 'O_NOCTTY', 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, 'not a regular file')
        chunks, left = [], MAX_ENTRY + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b''.join(chunks)
    finally:
        os.close(fd)


def _unwrap(cache):
    """The cache plugin object behind the variable manager's fact cache."""
    seen = 0
    while cache is not None and seen < 5:
        seen += 1
        inner = getattr(cache, '_plugin', None)          # ansible-core 2.17, 2.18: FactCache
        if inner is None:
            try:
                inner = object.__getattribute__(cache, '__wrapped__')   # 2.19: the schema interposer
            except AttributeError:
                inner = getattr(cache, '__wrapped__', None)
        if inner is None or inner is cache:
            return cache
        cache = inner
    return cache


def locate(fact_cache):
    """FactFiles for the run's fact cache when it is ansible.builtin.jsonfile, else None."""
    plugin = _unwrap(fact_cache)
    if plugin is None:
        return None
    try:
        from ansible.plugins.cache import BaseFileCacheModule
    except ImportError:     # pragma: no cover - every supported ansible-core has it
        return None
    # The plugin loader loads ansible.builtin.jsonfile under its collection name
    # (the class is not ansible.plugins.cache.jsonfile's, only equal in source).
    if not isinstance(plugin, BaseFileCacheModule) or type(plugin).__module__ not in JSONFILE_MODULES:
        return None
    directory = getattr(plugin, '_cache_dir', None)
    if not isinstance(directory, str) or not directory:
        return None
    try:
        prefix = plugin.get_option('_prefix') or ''
    except Exception:  # pylint: disable=broad-except
        prefix = ''
    timeout = getattr(plugin, '_timeout', 0)
    return FactFiles(directory, prefix, timeout)


def in_memory(fact_cache):
    """True when the run's fact cache is ansible.builtin.memory: this process's own data,
    which a forked child may read as well (not a connection to a server that it would share)."""
    return type(_unwrap(fact_cache)).__module__ in MEMORY_MODULES

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugin_utils/_cache.py: the report's read-only reader of a jsonfile fact cache.

Layouts checked: ansible-core 2.17/2.18 and AWX (`<prefix><host>`, the facts as
a JSON object), ansible-core 2.19 (`<prefix>s1_<host>`, `{"__payload__": "<JSON>"}`,
values possibly wrapped as tagged objects). Hostile entries end as UNREADABLE
with a reason, within a time bound, and are never deleted.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from ansible_collections.sre.oom.plugins.plugin_utils import _cache

OOM = {'oom': {'events': [{'time': '2026-11-30T10:00:00Z'}], 'source': 'kmsg'}}


def payload(facts):
    return json.dumps({'__payload__': json.dumps(facts)})


def files(tmp_path, **kw):
    return _cache.FactFiles(str(tmp_path), **kw)


def test_awx_and_2_18_layout(tmp_path):
    (tmp_path / 'web-1').write_text(json.dumps(OOM))     # what AWX's start_fact_cache writes
    assert files(tmp_path).read('web-1') == (_cache.OK, OOM, None)


def test_2_19_layout_with_tags(tmp_path):
    tagged = {'oom': {'source': {'value': 'kmsg', 'tags': [{'__ansible_type': 'TrustedAsTemplate'}],
                                 '__ansible_type': '_AnsibleTaggedStr'}, 'n': 3}}
    (tmp_path / 's1_web-1').write_text(payload(tagged))
    assert files(tmp_path).read('web-1') == (_cache.OK, {'oom': {'source': 'kmsg', 'n': 3}}, None)


def test_prefix_and_newer_file_wins(tmp_path):
    old, new = {'oom': {'source': 'old'}}, {'oom': {'source': 'new'}}
    (tmp_path / 'pfx_web-1').write_text(json.dumps(old))
    (tmp_path / 'pfx_s1_web-1').write_text(payload(new))
    os.utime(tmp_path / 'pfx_web-1', (1000, 1000))
    assert files(tmp_path, prefix='pfx_').read('web-1')[1] == new
    os.utime(tmp_path / 'pfx_web-1', (time.time() + 10,) * 2)
    assert files(tmp_path, prefix='pfx_').read('web-1')[1] == old
    assert files(tmp_path).read('web-1')[0] == _cache.ABSENT        # without the prefix: not this host


def test_a_host_named_like_2_19s_entry_of_another(tmp_path):
    """`s1_web` in 2.19's layout is host web's entry: host `s1_web` is not in the cache,
    unless an older ansible-core wrote `s1_web` for it (its own layout)."""
    (tmp_path / 's1_web').write_text(payload(OOM))
    assert files(tmp_path).read('web') == (_cache.OK, OOM, None)
    assert files(tmp_path).read('s1_web') == (_cache.ABSENT, None, None)
    own = {'oom': {'source': 'own'}}
    (tmp_path / 's1_s1_web').write_text(payload(own))
    assert files(tmp_path).read('s1_web') == (_cache.OK, own, None)
    (tmp_path / 's1_db').write_text(json.dumps(own))      # 2.18's entry of host s1_db
    assert files(tmp_path).read('s1_db') == (_cache.OK, own, None)


def test_expired_is_not_read(tmp_path):
    (tmp_path / 'web-1').write_text(json.dumps(OOM))
    os.utime(tmp_path / 'web-1', (time.time() - 7200,) * 2)
    state, facts, why = files(tmp_path, timeout=3600).read('web-1')
    assert (state, facts) == (_cache.EXPIRED, None) and 'timeout (3600 s)' in why
    assert files(tmp_path, timeout=0).read('web-1')[0] == _cache.OK


HOSTILE = {
    'truncated': b'{"oom": {"events": [{"time": "2026-',
    'invalid-utf8': b'{"oom": {"source": "\xff\xfe"}}',
    'array': b'[1, 2, 3]',
    'string': b'"facts"',
    'empty': b'',
    'payload-not-string': b'{"__payload__": 42}',
    'payload-truncated': b'{"__payload__": "{\\"oom\\": "}',
    'deep': b'[' * 200000 + b']' * 200000,
    'nul': b'\x00' * 1000,
}


@pytest.mark.hostile
@pytest.mark.parametrize('name', sorted(HOSTILE))
def test_hostile_entry_is_unreadable_and_kept(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(HOSTILE[name])
    t = time.monotonic()
    state, facts, why = files(tmp_path).read(name)
    assert time.monotonic() - t < 2
    assert (state, facts) == (_cache.UNREADABLE, None)
    assert why.startswith(str(path) + ': ')
    assert path.read_bytes() == HOSTILE[name]           # never deleted or changed


def test_not_a_regular_file(tmp_path):
    (tmp_path / 'adir').mkdir()
    os.mkfifo(tmp_path / 'afifo')                          # reading it would block for ever
    t = time.monotonic()
    assert files(tmp_path).read('adir')[0] == _cache.UNREADABLE
    state, _f, why = files(tmp_path).read('afifo')
    assert time.monotonic() - t < 2
    assert state == _cache.UNREADABLE and 'not a regular file' in why


def test_too_big(tmp_path, monkeypatch):
    monkeypatch.setattr(_cache, 'MAX_ENTRY', 1000)
    (tmp_path / 'big').write_text(json.dumps({'oom': {'x': 'y' * 2000}}))
    state, _f, why = files(tmp_path).read('big')
    assert state == _cache.UNREADABLE and 'more than' in why


@pytest.mark.parametrize('host', ['../etc/passwd', 'a/b', '', '..', 'x\0y'])
def test_host_names_that_are_not_file_names(tmp_path, host):
    assert files(tmp_path).read(host)[0] == _cache.UNREADABLE


def test_long_host_name(tmp_path):
    state, _f, why = files(tmp_path).read('h' * 300)      # longer than NAME_MAX: no such file
    assert state in (_cache.ABSENT, _cache.UNREADABLE)


def test_locate_the_runs_jsonfile_cache(tmp_path):
    from ansible.plugins.loader import cache_loader
    cache = cache_loader.get('jsonfile', _uri=str(tmp_path), _prefix='p-', _timeout=60)
    found = _cache.locate(cache)
    assert (found.directory, found.prefix, found.timeout) == (str(tmp_path), 'p-', 60)
    # what ansible-core itself writes is what the reader reads
    cache.set('web-1', OOM)
    assert found.read('web-1') == (_cache.OK, OOM, None)
    assert _cache.locate(cache_loader.get('memory')) is None
    assert _cache.locate(None) is None

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's risk flags of one host (the sysctl rules are oom_policy's own)."""

from __future__ import annotations

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _sysctl
from ansible_collections.sre.oom.tests.unit.plugins.plugin_utils.reportfacts import facts, one


@pytest.mark.parametrize('pon, panic, ids', [
    (0, 0, []),
    (0, 10, []),
    (1, 0, ['panic_on_oom_no_reboot']),
    (1, 10, []),
    (2, 10, ['panic_on_oom_always']),
    (2, 0, ['panic_on_oom_no_reboot', 'panic_on_oom_always']),
    (None, 0, []),
    (1, None, []),
], ids=['off', 'off-reboot', 'panic-no-reboot', 'panic-reboots', 'always', 'always-no-reboot',
        'unknown-pon', 'unknown-panic'])
def test_policy_flags(pon, panic, ids):
    h = one(facts(sysctl={'panic_on_oom': pon, 'panic': panic}))
    assert [f['id'] for f in h['flags']] == ids
    assert all(f['severity'] == 'critical' for f in h['flags'])


def test_policy_messages_are_the_modules_own():
    """The rule lives once: the report shows exactly what oom_policy warns."""
    h = one(facts(sysctl={'panic_on_oom': 2, 'panic': 0}))
    expected = _sysctl.cross_key_warnings({'vm.panic_on_oom': 2, 'kernel.panic': 0}, {}, False)
    assert sorted(f['message'] for f in h['flags']) == sorted(expected)


def test_protected_top_memory_user():
    h = one(facts(protected=[{'pid': 7, 'comm': 'mysqld', 'oom_score_adj': -1000, 'rss_kb': 10 ** 7,
                              'unit': 'mysql.service'}]))
    assert [f['id'] for f in h['flags']] == ['protected_top_memory_user']
    assert 'mysqld (pid 7, mysql.service)' in h['flags'][0]['message']
    assert h['protected'] == ['mysql.service'] and h['top_memory']['comm'] == 'mysqld'


def test_log_unreadable():
    h = one(facts(source=None, source_errors={'journal': 'missing', 'dmesg': 'dmesg_restrict'}))
    assert [f['id'] for f in h['flags']] == ['kernel_log_unreadable']
    assert 'journal: missing; dmesg: dmesg_restrict' in h['flags'][0]['message']
    assert h['kills'] is None and h['log_readable'] is False

# Copyright: sre.oom maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A big fleet from a jsonfile fact cache: the report read in parts by forked processes is
the report the task reads alone.

2,400 hosts x 3 kills, written by bench/report/generate.py through the jsonfile
cache plugin of the ansible-core under test; then `playbooks/report.yml -e
oom_report_gather=false` twice: on the CPUs this machine gives (two parts here)
and on one CPU (one part: the affinity is set before ansible-playbook starts).
The two report.json must be the same but for the time they were generated.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from conftest import REPO, ansible_playbook

HOSTS = 2400


def report(base, cache, inventory, label, one_cpu):
    out = base / label
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_NOCOLOR='1', ANSIBLE_CACHE_PLUGIN='jsonfile',
               ANSIBLE_CACHE_PLUGIN_CONNECTION=str(cache), ANSIBLE_CACHE_PLUGIN_TIMEOUT='0',
               ANSIBLE_LOCAL_TEMP=str(base / 'tmp'))
    first = min(os.sched_getaffinity(0))
    proc = subprocess.run(
        [ansible_playbook(), '-v', '-i', str(inventory), str(REPO / 'playbooks' / 'report.yml'),
         '-e', 'oom_report_gather=false', '-e', 'oom_report_dir=%s' % out],
        cwd=str(REPO), env=env, capture_output=True, text=True, timeout=600, check=False,
        preexec_fn=(lambda: os.sched_setaffinity(0, {first})) if one_cpu else None)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    # the action's result, as the default callback prints it with -v (JSON)
    parts = re.findall(r'"parts": (\d+)', proc.stdout)
    assert len(parts) == 1, proc.stdout[-2000:]
    rep = json.loads((out / 'report.json').read_text())
    for key in ('generated', 'window'):
        rep.pop(key)
    return int(parts[0]), rep


def test_a_big_fleet_read_in_parts_gives_the_same_report(tmp_path):
    assert len(os.sched_getaffinity(0)) >= 2, 'this test needs 2 CPUs (CI has 2)'
    py = Path(ansible_playbook()).with_name('python')
    subprocess.run([str(py if py.exists() else 'python3'), str(REPO / 'bench' / 'report' / 'generate.py'),
                    str(tmp_path), str(HOSTS), '3'], check=True, timeout=600)
    cache, inventory = tmp_path / 'cache', tmp_path / 'inventory.yml'
    res_parts, in_parts = report(tmp_path, cache, inventory, 'parts', one_cpu=False)
    res_one, alone = report(tmp_path, cache, inventory, 'one', one_cpu=True)
    assert (res_parts, res_one) == (2, 1)
    assert in_parts['summary']['hosts_reporting'] == HOSTS and in_parts['summary']['kills'] == 3 * HOSTS
    assert in_parts == alone
    assert not [p for p in (tmp_path / 'parts').iterdir() if p.name.startswith('.')]

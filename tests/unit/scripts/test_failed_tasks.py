# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""molecule/scripts/failed_tasks.py: the failed tasks of a saved log, printed last."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCRIPT = os.path.join(ROOT, "molecule", "scripts", "failed_tasks.py")

# The shape of a Molecule verify log: colours, task headers with stars, a
# failure that was ignored, a real one with a JSON result, then the recap.
LOG = "\n".join([
    "\x1b[0;34mPLAY [Verify] *******\x1b[0m",
    "TASK [Probe something] *************",
    '\x1b[0;31mfatal: [vm1]: FAILED! => {"changed": false, "msg": "probe only"}\x1b[0m',
    "\x1b[0;36m...ignoring\x1b[0m",
    "",
    "TASK [(f) Check next_victims named the kernel's first victim in every trial] ****",
    "ok: [vm2]",
    '\x1b[0;31mfatal: [vm1]: FAILED! => {"assertion": "__v.hits | int == __v.trials | int", '
    '"changed": false, "evaluated_to": false, "msg": "hits 2 of 3"}\x1b[0m',
    "",
    "PLAY RECAP *********",
    "vm1 : ok=10 changed=2 unreachable=0 failed=1",
    "ERROR    Molecule executed 1 scenario (1 failed)",
    "",
])


def run(tmp_path, text, *extra):
    log = tmp_path / "molecule-vm.log"
    log.write_text(text, encoding="utf-8")
    return subprocess.run([sys.executable, SCRIPT, str(log)] + list(extra),
                          capture_output=True, text=True, check=False)


def test_the_real_failure_is_printed_with_its_task_and_message(tmp_path):
    done = run(tmp_path, LOG, "molecule vm")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("== molecule vm: 1 failed task(s)")
    assert lines[1] == "TASK [(f) Check next_victims named the kernel's first victim in every trial]"
    assert lines[2] == "fatal: [vm1]: FAILED!"
    assert lines[3] == "assertion: __v.hits | int == __v.trials | int"
    assert lines[4] == "msg: hits 2 of 3"
    assert "probe only" not in done.stdout
    assert "\x1b" not in done.stdout


def test_molecule_s_bar_and_wrapped_lines_are_read(tmp_path):
    # As Molecule 25 prints a verify step: every line behind "  \u2502 ", long
    # ones wrapped with two more spaces, the JSON result over several lines.
    prefix = "  \u2502 "
    log = "\n".join(prefix + line for line in [
        "TASK [(f) Check next_victims named the kernel's first victim in every",
        "  trial] *****",
        "fatal: [sre-oom-vm-trixie]: FAILED! => {",
        '    "assertion": "__v.hits | int == __v.trials | int",',
        '    "msg": "{\'trials\': \'3\', \'hits\': \'2\'}: [{\\"index\\": 0,',
        '  \\"kernel_victim\\": 845}]"',
        "}",
        "",
        "PLAY RECAP",
        "  *****",
    ]) + "\nERROR    Molecule executed 1 scenario (1 failed)\n"
    done = run(tmp_path, log, "molecule vm")
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert lines[1] == "TASK [(f) Check next_victims named the kernel's first victim in every"
    assert lines[2] == "fatal: [sre-oom-vm-trixie]: FAILED! => {"
    assert '"assertion": "__v.hits | int == __v.trials | int",' in done.stdout
    assert "kernel_victim" in done.stdout and lines[-1] == "}"
    assert "\u2502" not in done.stdout and "PLAY RECAP" not in done.stdout


def test_a_long_failure_is_cut_and_the_last_three_are_shown(tmp_path):
    blocks = []
    for n in range(5):
        blocks += ["TASK [step %d] ***" % n, "fatal: [vm1]: FAILED! => not json " + "x" * 5000, ""]
    done = run(tmp_path, "\n".join(blocks))
    assert done.returncode == 0
    assert "5 failed task(s); the last 3" in done.stdout
    assert "TASK [step 1]" not in done.stdout and "TASK [step 4]" in done.stdout
    assert done.stdout.count(" ...[cut]") == 3
    assert max(len(line) for line in done.stdout.splitlines()) < 1600


def test_a_log_without_a_failed_task_says_so(tmp_path):
    done = run(tmp_path, "ERROR    Molecule executed 1 scenario (1 failed)\n")
    assert done.returncode == 1
    assert "no failed task" in done.stdout


def test_an_unreadable_log_is_a_clear_error(tmp_path):
    done = subprocess.run([sys.executable, SCRIPT, str(tmp_path / "missing.log")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "cannot read" in done.stderr and "Traceback" not in done.stderr

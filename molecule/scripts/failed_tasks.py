# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Print the tasks that failed in a saved Ansible or Molecule log, once more.

usage: python3 molecule/scripts/failed_tasks.py LOG [SCENARIO]

A Molecule run ends with its recap, many lines after the task that failed, and a
CI page often shows only the end of a log. molecule/scripts/test.sh calls this
when a scenario fails, so that the last lines printed say which task failed on
which host and why. A failure Ansible went on from (`...ignoring`) is left out.
Each failure is cut at LIMIT characters; the whole log stays where it was saved.
Exit status: 0 when a failure was found, 1 when none was.
"""

from __future__ import annotations

import json
import re
import sys

LIMIT = 1500
SHOWN = 3
# Colours and other terminal escapes, as Molecule prints them.
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Molecule indents Ansible's output with a box-drawing bar ("  \u2502 ") and
# wraps long lines, the continuation two spaces further in.
BAR = re.compile("^\\s*\u2502 ?")
HEADER = re.compile(r"^(TASK|RUNNING HANDLER) \[")
FAILURE = re.compile(r"^(fatal|failed): \[")
# What ends a failure's text: a blank line, or the next header of any kind.
END = re.compile(r"^(TASK|RUNNING HANDLER|PLAY) \[|^PLAY RECAP|^$")


def failures(lines):
    """[(task header, failure text)] in the order they happened."""
    found = []
    task = "(no task header)"
    current = None
    for raw in lines:
        line = BAR.sub("", ANSI.sub("", raw.rstrip("\r\n")))
        if current is not None:
            if line.startswith("...ignoring"):
                current = None
                found.pop()
                continue
            if not END.search(line):
                current.append(line)
                continue
            current = None
        if HEADER.search(line):
            task = line.rstrip(" *")
        elif FAILURE.search(line):
            current = [line]
            found.append((task, current))
    return [(task, "\n".join(text)) for task, text in found]


def summary(text):
    """The failure's assertion and msg when its result is one JSON object, else the text."""
    head, sep, result = text.partition(" => ")
    try:
        value = json.loads(result) if sep else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        return text
    parts = [head]
    for key in ("assertion", "msg", "stderr"):
        if value.get(key):
            parts.append("%s: %s" % (key, value[key]))
    return "\n".join(parts) if len(parts) > 1 else text


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write("usage: failed_tasks.py LOG [SCENARIO]\n")
        return 2
    path = argv[1]
    name = argv[2] if len(argv) == 3 else path
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            found = failures(f)
    except OSError as exc:
        sys.stderr.write("failed_tasks.py: cannot read %s: %s\n" % (path, exc.strerror))
        return 2
    if not found:
        print("== %s: no failed task in %s (the error is above)" % (name, path))
        return 1
    print("== %s: %d failed task(s); the last %d, once more (whole log: %s)"
          % (name, len(found), min(len(found), SHOWN), path))
    for task, text in found[-SHOWN:]:
        text = summary(text)
        if len(text) > LIMIT:
            text = text[:LIMIT] + " ...[cut]"
        print(task)
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How long `make report` takes on a fresh clone, beside a baseline commit.

Each round clones this repository twice into a temporary directory, once at
the baseline commit and once at HEAD (committed state only), and times
`make report` in each: the venv is created and filled, then playbooks/report.yml
gathers facts on this machine (read-only). The two are interleaved, baseline
first in even rounds and second in odd ones. With --cold every run gets an
empty cache directory (XDG_CACHE_HOME: pip's cache and sre.oom's wheel cache),
as on a machine that never installed anything; without it the caches of this
machine are used.

Writes bench/results/first-run.json and prints the medians.

usage: python3 bench/first_run/run.py --baseline REF [--rounds 3] [--cold]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
RESULTS = os.path.join(ROOT, 'bench', 'results')


def clean_env():
    """The environment of a fresh shell: no venv of ours on PATH."""
    env = dict(os.environ)
    env.pop('VIRTUAL_ENV', None)
    env.pop('ANSIBLE_CONFIG', None)
    venvs = (os.path.join(ROOT, '.venv'), os.path.realpath(os.path.join(ROOT, '.venv')))
    env['PATH'] = os.pathsep.join(
        p for p in env.get('PATH', '').split(os.pathsep)
        if not any(os.path.realpath(p).startswith(v) for v in venvs))
    return env


def one_run(label, commit, workdir, cold):
    clone = os.path.join(workdir, label)
    subprocess.run(['git', 'clone', '-q', ROOT, clone], check=True)
    subprocess.run(['git', '-C', clone, 'checkout', '-q', commit], check=True)
    env = clean_env()
    if cold:
        env['XDG_CACHE_HOME'] = os.path.join(workdir, label + '-cache')
    t = time.monotonic()
    proc = subprocess.run(['make', 'report'], cwd=clone, env=env, check=False,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.monotonic() - t
    if proc.returncode != 0 or not os.path.isfile(os.path.join(clone, 'oom-report', 'index.html')):
        sys.stderr.write(proc.stdout[-4000:])
        raise SystemExit('first_run: make report failed in the %s clone (%s)' % (label, commit))
    packages = subprocess.run([os.path.join(clone, '.venv', 'bin', 'python'), '-m', 'pip', 'list',
                               '--format=freeze', '--disable-pip-version-check'],
                              stdout=subprocess.PIPE, text=True, check=True).stdout.split()
    shutil.rmtree(clone)
    shutil.rmtree(env.get('XDG_CACHE_HOME', os.path.join(workdir, 'none')), ignore_errors=True)
    return wall, len(packages)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--baseline', required=True, help='commit or ref to compare with')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--cold', action='store_true', help='empty pip and wheel caches for every run')
    args = ap.parse_args()
    rev = {}
    for label, ref in (('baseline', args.baseline), ('head', 'HEAD')):
        rev[label] = subprocess.run(['git', '-C', ROOT, 'rev-parse', ref], stdout=subprocess.PIPE,
                                    text=True, check=True).stdout.strip()
    times = {'baseline': [], 'head': []}
    packages = {}
    with tempfile.TemporaryDirectory(prefix='sre-oom-first-run-') as workdir:
        for i in range(args.rounds):
            order = ('baseline', 'head') if i % 2 == 0 else ('head', 'baseline')
            for label in order:
                wall, packages[label] = one_run(label, rev[label], workdir, args.cold)
                times[label].append(round(wall, 2))
                print('round %d %-8s %6.1f s  (%d packages in .venv)' % (i + 1, label, wall, packages[label]),
                      flush=True)
    result = {
        'cold': args.cold, 'rounds': args.rounds, 'commits': rev, 'seconds': times,
        'median': {k: statistics.median(v) for k, v in times.items()}, 'packages': packages,
        'loadavg_end': os.getloadavg(),
    }
    os.makedirs(RESULTS, exist_ok=True)
    out = os.path.join(RESULTS, 'first-run%s.json' % ('-cold' if args.cold else ''))
    with open(out, 'w') as f:
        json.dump(result, f, indent=1)
    print('median: baseline %.1f s, head %.1f s (%s)' % (result['median']['baseline'], result['median']['head'], out))


if __name__ == '__main__':
    main()

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the fleet report from a fact cache (oom_report_gather=false).

For each fleet size N (default 100, 1,000, 5,000, 10,000 hosts x 20 kills):
1. generate.py writes a jsonfile fact cache and an inventory (bench/data/report-N/,
   reused when present);
2. runs, interleaved, ROUNDS times each:
   - baseline: `ansible-playbook -i INV bench/report/empty.yml` (an empty play over
     the same inventory, same fact cache settings);
   - report: `ansible-playbook -i INV playbooks/report.yml -e oom_report_gather=false`;
   wall time and peak RSS of each run (os.wait4);
3. opens the 5,000-host index.html in headless Chromium (--dump-dom) ROUNDS times,
   against a one-line page as baseline, and records the wall times.
Writes bench/results/report.json and prints a summary.

With --baseline REF (a git ref, e.g. main), each round also runs the report of
that commit (exported with `git archive` and put first on the collections path)
beside the current one, so that before and after are measured in the same run.

usage: .venv/bin/python bench/report/run.py [--sizes 100,1000,5000,10000] [--rounds 3]
                                            [--baseline REF] [--no-browser]
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
DATA = os.path.join(ROOT, 'bench', 'data')
RESULTS = os.path.join(ROOT, 'bench', 'results')
BIN = os.path.dirname(sys.executable)


def timed(argv, env):
    """(wall seconds, peak RSS in MiB, CPU seconds) of one child process.

    The CPU time (user + system of the process and the workers it reaped) is
    the figure to compare on a shared machine, where the wall time depends on
    the load of the other users."""
    t = time.monotonic()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.stderr.write(out.decode(errors='replace')[-3000:])
        raise SystemExit('%s failed (rc %d)' % (argv[:3], proc.returncode))
    return wall, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def export(ref):
    """The collection at git `ref`, as a collections path (a temporary directory)."""
    top = tempfile.mkdtemp(prefix='sre-oom-bench-baseline-')
    tree = os.path.join(top, 'ansible_collections', 'sre', 'oom')
    os.makedirs(tree)
    archive = subprocess.run(['git', '-C', ROOT, 'archive', ref], check=True, capture_output=True).stdout
    subprocess.run(['tar', '-x', '-C', tree], input=archive, check=True)
    return top, tree


def ensure(n, kills):
    d = os.path.join(DATA, 'report-%d' % n)
    if not os.path.exists(os.path.join(d, 'inventory.yml')):
        subprocess.run([sys.executable, os.path.join(HERE, 'generate.py'), d, str(n), str(kills)], check=True)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sizes', default='100,1000,5000,10000')
    ap.add_argument('--kills', type=int, default=20)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--baseline', help='a git ref whose report runs beside the current one')
    ap.add_argument('--no-browser', action='store_true')
    args = ap.parse_args()
    baseline = export(args.baseline) if args.baseline else None
    sizes = [int(x) for x in args.sizes.split(',')]
    os.makedirs(RESULTS, exist_ok=True)
    results = {'load_before': os.getloadavg(), 'sizes': {}}
    out_dirs = {}
    for n in sizes:
        d = ensure(n, args.kills)
        out = tempfile.mkdtemp(prefix='sre-oom-bench-report-')
        out_dirs[n] = out
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_CACHE_PLUGIN='jsonfile',
                   ANSIBLE_CACHE_PLUGIN_CONNECTION=os.path.join(d, 'cache'), ANSIBLE_CACHE_PLUGIN_TIMEOUT='0')
        inv = os.path.join(d, 'inventory.yml')
        base, rep, before = [], [], []
        for _round in range(args.rounds):
            base.append(timed([os.path.join(BIN, 'ansible-playbook'), '-i', inv,
                               os.path.join(HERE, 'empty.yml')], env))
            if baseline:
                old_out = tempfile.mkdtemp(prefix='sre-oom-bench-report-before-')
                before.append(timed([os.path.join(BIN, 'ansible-playbook'), '-i', inv,
                                     os.path.join(baseline[1], 'playbooks', 'report.yml'),
                                     '-e', 'oom_report_gather=false', '-e', 'oom_report_dir=%s' % old_out],
                                    dict(env, ANSIBLE_COLLECTIONS_PATH=baseline[0])))
                shutil.rmtree(old_out, ignore_errors=True)
            rep.append(timed([os.path.join(BIN, 'ansible-playbook'), '-i', inv,
                              os.path.join(ROOT, 'playbooks', 'report.yml'), '-e', 'oom_report_gather=false',
                              '-e', 'oom_report_dir=%s' % out], env))
        sizes_out = {f: os.path.getsize(os.path.join(out, f)) for f in ('index.html', 'report.json', 'report.md')}
        results['sizes'][n] = {
            'hosts': n, 'kills': n * args.kills,
            'baseline_s': statistics.median(b[0] for b in base), 'report_s': statistics.median(r[0] for r in rep),
            'baseline_rss_mib': max(b[1] for b in base), 'report_rss_mib': max(r[1] for r in rep),
            'baseline_cpu_s': statistics.median(b[2] for b in base), 'report_cpu_s': statistics.median(r[2] for r in rep),
            'rounds': {'baseline': base, 'report': rep}, 'files': sizes_out,
        }
        r = results['sizes'][n]
        if before:
            r.update(before_ref=args.baseline, before_s=statistics.median(b[0] for b in before),
                     before_rss_mib=max(b[1] for b in before), before_cpu_s=statistics.median(b[2] for b in before))
            r['rounds']['before'] = before
            print('%6d hosts: before (%s) %.2f s (CPU %.2f s), peak RSS %.0f MiB' % (
                n, args.baseline, r['before_s'], r['before_cpu_s'], r['before_rss_mib']))
        print('%6d hosts: report %.2f s (baseline %.2f s, difference %.2f s), CPU %.2f s (baseline %.2f s), '
              'peak RSS %.0f MiB (baseline %.0f MiB), index.html %.2f MB, report.json %.1f MB' % (
                  n, r['report_s'], r['baseline_s'], r['report_s'] - r['baseline_s'], r['report_cpu_s'],
                  r['baseline_cpu_s'], r['report_rss_mib'], r['baseline_rss_mib'], sizes_out['index.html'] / 1e6,
                  sizes_out['report.json'] / 1e6))
    chromium = next((shutil.which(c) for c in ('chromium', 'chromium-browser', 'google-chrome')
                     if shutil.which(c)), None)
    page_n = 5000 if 5000 in out_dirs else max(out_dirs)
    if chromium and not args.no_browser:
        tmp = tempfile.mkdtemp(prefix='sre-oom-bench-chromium-')
        blank = os.path.join(tmp, 'blank.html')
        with open(blank, 'w', encoding='utf-8') as f:
            f.write('<!DOCTYPE html><title>x</title><p>x</p>\n')
        page = os.path.join(out_dirs[page_n], 'index.html')
        loads = {'blank': [], 'report': []}
        for i in range(args.rounds):
            for name, path in (('blank', blank), ('report', page)):
                argv = [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
                        '--user-data-dir=%s' % os.path.join(tmp, 'p%d%s' % (i, name)), '--dump-dom',
                        'file://' + path]
                t = time.monotonic()
                dom = subprocess.run(argv, capture_output=True, check=True, timeout=300).stdout
                loads[name].append(time.monotonic() - t)
                if name == 'report':
                    assert dom.count(b'<tr') > page_n, 'the page did not load completely'
        results['chromium'] = {'hosts': page_n, 'blank_s': statistics.median(loads['blank']),
                               'report_s': statistics.median(loads['report']), 'rounds': loads}
        c = results['chromium']
        print('chromium --dump-dom of the %d-host page: %.2f s (a one-line page: %.2f s)' % (
            page_n, c['report_s'], c['blank_s']))
    results['load_after'] = os.getloadavg()
    print('load average before %s, after %s' % (results['load_before'], results['load_after']))
    with open(os.path.join(RESULTS, 'report.json'), 'w', encoding='utf-8') as f:
        json.dump(results, f, indent=1)
    for out in out_dirs.values():
        shutil.rmtree(out, ignore_errors=True)
    if baseline:
        shutil.rmtree(baseline[0], ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())

# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of oom_facts' journal source: memory and time against the size of
journalctl's output, beside `journalctl ... | grep -c` on the same journal.

1. Makes sure systemd-journal-remote is installed (ensure-journal-remote.sh).
2. For each size (MB of journalctl output for the module's own query), builds a
   real journal file of this boot unless one is there: journal_export.py writes a
   journal export stream, `systemd-journal-remote -o FILE.journal -` turns it into
   a journal file. The number of kills is calibrated on a small journal first.
3. Puts a wrapper script named `journalctl` in front of PATH that runs the real
   journalctl on that file (`--file`), so the module is run as it is, with no
   option of its own for the benchmark.
4. Interleaved, ROUNDS times each:
   - baseline: the module's exact journalctl command (built by the module's own
     _oom.journal.query_argv) piped into `grep -c 'Killed process'`, wall time;
   - journalctl alone, output to /dev/null (the floor: producing the output);
   - oom_facts (gather_subset events, sources journal, scope host, since boot) run
     as its own process from plugins/modules/oom_facts.py: wall time, the peak
     memory of the module process (VmHWM, read as it exits) and of the process
     tree (ru_maxrss of the children, which includes journalctl);
   - with --before REF: the same for the collection at git REF (git archive).
Writes bench/results/oom_facts-journal.json and prints a summary.

usage: .venv/bin/python bench/oom_facts/journal.py [--sizes 10,30,100] [--rounds 3]
                                                   [--before main --before-sizes 10,30]
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA = os.path.join(ROOT, "bench", "data")
RESULTS = os.path.join(ROOT, "bench", "results")
COLLECTIONS = os.path.join(ROOT, "build", "collections")
PY = sys.executable
JOURNALCTL = shutil.which("journalctl") or "/usr/bin/journalctl"
CALIBRATION_KILLS = 400

sys.path.insert(0, COLLECTIONS)
from ansible_collections.sre.oom.plugins.module_utils._oom import journal as _journal  # noqa: E402

# Runs the module file as __main__ and reports, as the process exits, the peak
# resident memory (VmHWM) and the CPU time of this process alone, on stderr.
RUNNER = r"""
import atexit, resource, runpy, sys
def _peak():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                sys.stderr.write("VMHWM_KB=%s\n" % line.split()[1])
    me = resource.getrusage(resource.RUSAGE_SELF)
    sys.stderr.write("CPU_S=%f\n" % (me.ru_utime + me.ru_stime))
atexit.register(_peak)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def this_boot():
    with open("/proc/sys/kernel/random/boot_id") as f:
        return f.read().strip().replace("-", "")


def wrapper(directory, journal_dir):
    """A directory with a `journalctl` that runs the real one on the journal files in
    ``journal_dir`` (systemd-journal-remote starts a new file every ~50 MB)."""
    bin_dir = os.path.join(directory, "bin")
    os.makedirs(bin_dir, exist_ok=True)
    path = os.path.join(bin_dir, "journalctl")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexec %s --directory=%s \"$@\"\n" % (JOURNALCTL, journal_dir))
    os.chmod(path, 0o755)
    return bin_dir


def query_argv(bin_dir):
    """The module's own journal command for since=boot, through the wrapper."""
    return _journal.query_argv(os.path.join(bin_dir, "journalctl"), "boot", None)


def build_journal(remote, journal_dir, kills, seed=1):
    """A real journal in ``journal_dir`` (emptied first) with ``kills`` kills."""
    shutil.rmtree(journal_dir, ignore_errors=True)
    os.makedirs(journal_dir)
    path = os.path.join(journal_dir, "bench.journal")
    gen = subprocess.Popen([PY, os.path.join(HERE, "journal_export.py"), "--kills", str(kills), "--seed", str(seed)],
                           stdout=subprocess.PIPE)
    subprocess.run([remote, "-o", path, "-"], stdin=gen.stdout, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    gen.stdout.close()
    if gen.wait() != 0:
        raise SystemExit("journal_export.py failed")


def output_size(bin_dir):
    """(bytes, lines) of the module's query on that journal."""
    proc = subprocess.Popen(query_argv(bin_dir), stdout=subprocess.PIPE, env=dict(os.environ, LC_ALL="C"))
    size = lines = 0
    for chunk in iter(lambda: proc.stdout.read(1 << 20), b""):
        size += len(chunk)
        lines += chunk.count(b"\n")
    proc.wait()
    return size, lines


def ensure_journal(remote, mb, per_kill):
    """bench/data/journal-<mb>mb/journal/ of this boot, about ``mb`` MB of query output."""
    directory = os.path.join(DATA, "journal-%dmb" % mb)
    path = os.path.join(directory, "journal")
    meta_path = os.path.join(directory, "meta.json")
    meta = {}
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
    if meta.get("boot_id") != this_boot() or not os.path.exists(path):
        os.makedirs(directory, exist_ok=True)
        kills = int(mb * 1000000 / per_kill()) + 1
        t0 = time.perf_counter()
        build_journal(remote, path, kills)
        bin_dir = wrapper(directory, path)
        size, lines = output_size(bin_dir)
        files = [os.path.join(path, name) for name in os.listdir(path)]
        meta = {"boot_id": this_boot(), "kills": kills, "oomd_kills": kills // 10, "journal_files": len(files),
                "journal_file_bytes": sum(os.path.getsize(f) for f in files), "output_bytes": size,
                "output_records": lines,
                "build_s": round(time.perf_counter() - t0, 1)}
        with open(meta_path, "w") as f:
            json.dump(meta, f, indent=1)
        print("built %s: %d kills, %d journal files, %.1f MB, %.1f MB output (%d records) in %.0f s"
              % (path, kills, len(files), meta["journal_file_bytes"] / 1e6, size / 1e6, lines, meta["build_s"]))
    return directory, path, wrapper(directory, path), meta


def calibrate(remote):
    """Bytes of query output per kill, from a small journal."""
    cache = {}

    def per_kill():
        if "v" not in cache:
            tmp = tempfile.mkdtemp(prefix="oom-journal-cal-", dir=DATA)
            try:
                path = os.path.join(tmp, "journal")
                build_journal(remote, path, CALIBRATION_KILLS)
                size, _lines = output_size(wrapper(tmp, path))
                cache["v"] = size / float(CALIBRATION_KILLS)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        return cache["v"]
    return per_kill


def time_baseline(bin_dir, out_path):
    """The module's journalctl command | grep -c 'Killed process' (wall time, count)."""
    env = dict(os.environ, LC_ALL="C")
    c0 = children_cpu()
    with open(out_path, "w") as out:
        t0 = time.perf_counter()
        jc = subprocess.Popen(query_argv(bin_dir), stdout=subprocess.PIPE, env=env)
        grep = subprocess.Popen(["grep", "-c", "Killed process"], stdin=jc.stdout, stdout=out, env=env)
        jc.stdout.close()
        grep.wait()
        jc.wait()
        wall = time.perf_counter() - t0
    with open(out_path) as f:
        return wall, children_cpu() - c0, int(f.read().strip() or 0)


def median_of(rows, key):
    return statistics.median(r[key] for r in rows)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_journalctl(bin_dir):
    c0 = children_cpu()
    t0 = time.perf_counter()
    subprocess.run(query_argv(bin_dir), stdout=subprocess.DEVNULL, env=dict(os.environ, LC_ALL="C"), check=False)
    return time.perf_counter() - t0, children_cpu() - c0


def time_module(collections, bin_dir, args, tmp):
    """oom_facts as its own process: (wall s, VmHWM KiB of the module, ru_maxrss KiB of the tree, facts,
    CPU s of the module process, CPU s of the module and its journalctl)."""
    args_path = os.path.join(tmp, "args.json")
    with open(args_path, "w") as f:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, f)
    module = os.path.join(collections, "ansible_collections", "sre", "oom", "plugins", "modules", "oom_facts.py")
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), PYTHONPATH=collections)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    c0 = children_cpu()
    t0 = time.perf_counter()
    res = subprocess.run([PY, "-c", RUNNER, module, args_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env, text=True, check=False)
    wall = time.perf_counter() - t0
    cpu_tree = children_cpu() - c0
    tree = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    try:
        oom = json.loads(res.stdout)["ansible_facts"]["oom"]
    except (ValueError, KeyError):
        raise SystemExit("oom_facts failed: %s %s" % (res.stdout[-800:], res.stderr[-800:]))
    hwm = [int(line.split("=")[1]) for line in res.stderr.splitlines() if line.startswith("VMHWM_KB=")]
    cpu = [float(line.split("=")[1]) for line in res.stderr.splitlines() if line.startswith("CPU_S=")]
    return wall, hwm[-1] if hwm else None, tree if tree > before else None, oom, cpu[-1] if cpu else None, cpu_tree


def before_tree(ref):
    """The collection at git ``ref``, laid out for import, in a temporary directory."""
    tmp = tempfile.mkdtemp(prefix="oom-journal-before-", dir=DATA)
    dest = os.path.join(tmp, "ansible_collections", "sre", "oom")
    os.makedirs(dest)
    archive = subprocess.run(["git", "-C", ROOT, "archive", ref, "plugins"], stdout=subprocess.PIPE, check=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)
    return tmp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,30,100", help="MB of journalctl output, comma-separated")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--before", help="also run the collection at this git ref (e.g. a commit before streaming)")
    ap.add_argument("--before-sizes", default="10,30", help="sizes for --before (the old code is slow)")
    a = ap.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    os.makedirs(DATA, exist_ok=True)
    remote = subprocess.run([os.path.join(HERE, "ensure-journal-remote.sh")], stdout=subprocess.PIPE, text=True,
                            check=True).stdout.strip()
    per_kill = calibrate(remote)
    sizes = [int(s) for s in a.sizes.split(",") if s]
    before_sizes = {int(s) for s in a.before_sizes.split(",") if s} if a.before else set()
    old = before_tree(a.before) if a.before else None
    tmp = tempfile.mkdtemp(prefix="oom-journal-run-", dir=DATA)
    args = {"gather_subset": ["events"], "sources": ["journal"], "scope": "host", "since": "boot"}
    new_args = dict(args, journal_timeout=3600)   # measure the whole read, however long it takes
    summary = {"journalctl": subprocess.run([JOURNALCTL, "--version"], stdout=subprocess.PIPE, text=True,
                                            check=False).stdout.splitlines()[0],
               "python": sys.version.split()[0], "sizes": []}
    try:
        for mb in sizes:
            directory, path, bin_dir, meta = ensure_journal(remote, mb, per_kill)
            rows = []
            for i in range(a.rounds):
                g, gcpu, count = time_baseline(bin_dir, os.path.join(tmp, "grep-count.txt"))
                jc, jcpu = time_journalctl(bin_dir)
                m, hwm, tree, oom, mcpu, tcpu = time_module(COLLECTIONS, bin_dir, new_args, tmp)
                row = {"baseline_s": round(g, 3), "baseline_cpu_s": round(gcpu, 3), "grep_count": count,
                       "journalctl_s": round(jc, 3), "journalctl_cpu_s": round(jcpu, 3),
                       "module_s": round(m, 3), "module_cpu_s": round(mcpu, 3), "module_tree_cpu_s": round(tcpu, 3),
                       "module_vmhwm_kb": hwm, "tree_maxrss_kb": tree,
                       "event_count": oom["event_count"], "source_errors": oom["source_errors"]}
                if mb in before_sizes:
                    bm, bhwm, _btree, boom, bcpu, _btcpu = time_module(old, bin_dir, args, tmp)
                    row.update(before_s=round(bm, 3), before_cpu_s=round(bcpu, 3), before_vmhwm_kb=bhwm,
                               before_event_count=boom["event_count"])
                rows.append(row)
                print("%d MB round %d: baseline %.2fs cpu %.2fs (grep -c %d)  journalctl alone %.2fs cpu %.2fs  "
                      "oom_facts %.2fs (%.2fx) cpu %.2fs + journalctl = %.2fs (%.2fx) VmHWM %.1f MiB events %d%s"
                      % (mb, i + 1, g, gcpu, count, jc, jcpu, m, m / g, mcpu, tcpu, tcpu / gcpu,
                         (hwm or 0) / 1024.0, oom["event_count"],
                         "  before: %.2fs VmHWM %.1f MiB events %d" % (row["before_s"], bhwm / 1024.0,
                                                                       row["before_event_count"])
                         if "before_s" in row else ""))

            entry = {"mb": mb, "meta": meta, "rounds": rows, "median_baseline_s": median_of(rows, "baseline_s"),
                     "median_journalctl_s": median_of(rows, "journalctl_s"), "median_module_s": median_of(rows, "module_s"),
                     "ratio_of_medians": round(median_of(rows, "module_s") / median_of(rows, "baseline_s"), 3),
                     "median_baseline_cpu_s": median_of(rows, "baseline_cpu_s"), "median_journalctl_cpu_s": median_of(rows, "journalctl_cpu_s"),
                     "median_module_cpu_s": median_of(rows, "module_cpu_s"), "median_module_tree_cpu_s": median_of(rows, "module_tree_cpu_s"),
                     "cpu_ratio_of_medians": round(median_of(rows, "module_tree_cpu_s") / median_of(rows, "baseline_cpu_s"), 3),
                     "median_ratio": round(statistics.median(r["module_s"] / r["baseline_s"] for r in rows), 3),
                     "peak_module_vmhwm_mib": round(max(r["module_vmhwm_kb"] for r in rows) / 1024.0, 1),
                     "expected_events": meta["kills"] + meta["oomd_kills"]}
            if mb in before_sizes:
                entry.update(median_before_s=median_of(rows, "before_s"),
                             peak_before_vmhwm_mib=round(max(r["before_vmhwm_kb"] for r in rows) / 1024.0, 1))
            summary["sizes"].append(entry)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    summary["load_average"] = os.getloadavg()
    with open(os.path.join(RESULTS, "oom_facts-journal.json"), "w") as f:
        json.dump(summary, f, indent=1)
    for e in summary["sizes"]:
        print("%4d MB output (%d records, %d kills): baseline %.2fs, journalctl alone %.2fs, oom_facts %.2fs = "
              "%.2fx (median ratio %.2fx); CPU baseline %.2fs, module %.2fs + its journalctl = %.2fs (%.2fx); "
              "module VmHWM %.1f MiB%s"
              % (e["mb"], e["meta"]["output_records"], e["expected_events"], e["median_baseline_s"],
                 e["median_journalctl_s"], e["median_module_s"], e["ratio_of_medians"], e["median_ratio"],
                 e["median_baseline_cpu_s"], e["median_module_cpu_s"], e["median_module_tree_cpu_s"],
                 e["cpu_ratio_of_medians"], e["peak_module_vmhwm_mib"],
                 "; before: %.2fs, VmHWM %.1f MiB" % (e["median_before_s"], e["peak_before_vmhwm_mib"])
                 if "median_before_s" in e else ""))
    print("load average %.1f %.1f %.1f" % tuple(summary["load_average"]))


if __name__ == "__main__":
    main()

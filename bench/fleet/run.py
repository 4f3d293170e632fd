#!/usr/bin/env python
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet converge benchmark: playbooks/site.yml against a naive equivalent.

For each side (``site``: playbooks/site.yml with the sre.oom roles; ``naive``:
bench/fleet/naive.yml with stock modules), in the same run:

1. start three fresh privileged systemd containers (bullseye, bookworm,
   trixie; named sre-oom-bench-*) and install the 30 services of
   inventory/group_vars/all.yml in each, running (not timed);
2. run the playbook once (first run) and again (idempotent re-run), timing
   the wall clock of ansible-playbook and counting, per host, the modules
   executed on the host (callback_plugins/sre_bench_count.py);
3. remove the containers and restore the host's OOM sysctls (privileged
   containers write the host's vm.* and kernel.panic).

Both sides start from the same state: fresh containers, host sysctls as they
were. Usage (from the collection root, after `make setup` and
`make molecule-infra`):

    .venv/bin/python bench/fleet/run.py [--rounds N]

With ``--hosts vm`` the fleet is two VMs of the test bed instead (Debian
bookworm and trixie under QEMU, scripts/vm/up.sh: their own kernels, cgroup
v2, reached over SSH with pipelining), each booted fresh from its cached image
for every round and side and stopped by its pid afterwards; the host's sysctls
are not touched then. Under TCG a module run costs seconds, so one round per
side is the default there too.

Writes bench/results/fleet-<UTC time>/ (logs and results.json) and prints a
Markdown table. Exit status 0 when both targets are met, 1 when not, 2 when
the benchmark could not run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
INVENTORY = os.path.join(HERE, "inventory")
SUITES = ("bullseye", "bookworm", "trixie")
IMAGE = "localhost/sre-oom-debian:%s"
PREFIX = "sre-oom-bench-"
VM_RELEASES = ("bookworm", "trixie")
VM_PREFIX = "sre-oom-bench-vm-"
VM_SCRIPTS = os.path.join(ROOT, "scripts", "vm")
PLAYBOOKS = {
    "site": os.path.join(ROOT, "playbooks", "site.yml"),
    "naive": os.path.join(HERE, "naive.yml"),
}
# Not namespaced: a privileged container writes the host's values. The
# inventory variable of sre.oom.kernel -> the key under /proc/sys.
SYSCTLS = {
    "oom_kernel_panic_on_oom": "vm/panic_on_oom",
    "oom_kernel_panic": "kernel/panic",
    "oom_kernel_oom_kill_allocating_task": "vm/oom_kill_allocating_task",
    "oom_kernel_oom_dump_tasks": "vm/oom_dump_tasks",
    "oom_kernel_overcommit_memory": "vm/overcommit_memory",
    "oom_kernel_overcommit_ratio": "vm/overcommit_ratio",
}
# Targets of issue 10 (30 services with 30 distinct values), for the idempotent
# re-run and for the first run of site.yml against the naive playbook.
TARGET_TIME_RATIO = 0.1
TARGET_MODULES_PER_HOST = 4

UNIT = """[Unit]
Description=sre.oom fleet benchmark service %s

[Service]
ExecStart=/bin/sleep infinity
"""


class BenchError(Exception):
    """The benchmark cannot run; the message says why."""


def run(argv, check=True, **kwargs):
    """Run a command (an argv list, never a shell string)."""
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False, **kwargs)
    if check and proc.returncode != 0:
        raise BenchError("%s failed (rc=%d): %s" % (" ".join(argv[:3]), proc.returncode,
                                                    proc.stderr.strip() or proc.stdout.strip()))
    return proc


# --- host sysctls -----------------------------------------------------------

def read_sysctls():
    values = {}
    for key in SYSCTLS.values():
        with open(os.path.join("/proc/sys", key), encoding="ascii") as handle:
            values[key] = handle.read().strip()
    return values


def managed_sysctls(policy):
    """The /proc/sys keys the benchmark's inventory manages (not null)."""
    if policy.get("oom_kernel_panic_on_oom") not in (None, 0, 1):
        raise BenchError("inventory/group_vars/all.yml: keep oom_kernel_panic_on_oom at "
                         "0, 1 or null (it is the host's value)")
    return [key for var, key in SYSCTLS.items() if policy.get(var) is not None]


def restore_sysctls(saved, keys):
    """Write back the saved value of each of keys (those the benchmark manages)
    that differs now; return what was restored. Other keys are left alone: a
    change there comes from something else running on this machine."""
    restored = {}
    for key in keys:
        value = saved[key]
        path = os.path.join("/proc/sys", key)
        with open(path, encoding="ascii") as handle:
            current = handle.read().strip()
        if current != value:
            with open(path, "w", encoding="ascii") as handle:
                handle.write(value + "\n")
            restored[key.replace("/", ".")] = {"was": current, "restored": value}
    return restored


# --- the fleet: containers or VMs ---------------------------------------------

class Containers:
    """Three privileged systemd containers on this host (the default fleet)."""

    name = "containers"
    touches_host_sysctls = True

    def __init__(self, outdir):
        self.inventory = INVENTORY

    @staticmethod
    def names():
        return [PREFIX + suite for suite in SUITES]

    def remove(self):
        for name in self.names():
            run(["docker", "rm", "-f", "-v", name], check=False)

    def start(self, services):
        for suite in SUITES:
            name = PREFIX + suite
            run(["docker", "run", "-d", "--name", name, "--hostname", name,
                 "--privileged", "--cgroupns", "private", "--network", "none",
                 "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
                 IMAGE % suite, "/sbin/init"])
        for name in self.names():
            wait_for_systemd(["docker", "exec", name], name, 120)
            install_services(["docker", "exec", "-i", name], services)

    @staticmethod
    def preflight():
        if not shutil.which("docker"):
            raise BenchError("docker is not installed: run `make molecule-infra` first")
        if run(["docker", "info"], check=False).returncode != 0:
            raise BenchError("the docker daemon is not running: run `make molecule-infra` first")
        missing = [IMAGE % s for s in SUITES
                   if run(["docker", "image", "inspect", IMAGE % s], check=False).returncode]
        if missing:
            raise BenchError("missing images %s: run `make molecule-infra` first"
                             % ", ".join(missing))


class VMs:
    """Two VMs of the test bed (scripts/vm), reached over SSH on 127.0.0.1."""

    name = "VMs over SSH"
    touches_host_sysctls = False

    def __init__(self, outdir):
        # The benchmark's group_vars beside an inventory of the running VMs.
        self.inventory = os.path.join(outdir, "inventory-vm")
        os.makedirs(self.inventory)
        os.symlink(os.path.join(INVENTORY, "group_vars"),
                   os.path.join(self.inventory, "group_vars"))

    @staticmethod
    def names():
        return [VM_PREFIX + release for release in VM_RELEASES]

    def remove(self):
        run([os.path.join(VM_SCRIPTS, "down.sh")] + self.names(), check=False)

    def start(self, services):
        # One at a time: two TCG guests booting at once on two cores take
        # longer than one after the other.
        for release in VM_RELEASES:
            run([os.path.join(VM_SCRIPTS, "up.sh"), VM_PREFIX + release, release])
        hosts = run([os.path.join(VM_SCRIPTS, "inventory.sh")] + self.names()).stdout
        with open(os.path.join(self.inventory, "hosts.yml"), "w", encoding="utf-8") as handle:
            handle.write(hosts)
        for name in self.names():
            ssh = [os.path.join(VM_SCRIPTS, "ssh.sh"), name]
            wait_for_systemd(ssh, name, 600)
            install_services(ssh, services)

    @staticmethod
    def preflight():
        if not shutil.which("qemu-system-x86_64"):
            raise BenchError("qemu is not installed: run scripts/vm/deps.sh first")


FLEETS = {"containers": Containers, "vm": VMs}


def wait_for_systemd(prefix, name, timeout):
    """Wait until `systemctl is-system-running` (run through prefix) settles."""
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = run(prefix + ["systemctl", "is-system-running"], check=False).stdout.strip()
        # trixie reports "degraded" (systemd-modules-load fails when privileged).
        if state in ("running", "degraded"):
            return
        time.sleep(0.5)
    raise BenchError("%s: systemd did not finish booting in %ds (state %r)"
                     % (name, timeout, state))


# Runs on the host, from stdin (nothing in its argv: ssh hands a command line to
# the remote shell): writes the units, then one daemon-reload and one start
# (two systemctl calls, whatever the count).
INSTALL = """
import json, subprocess
units = json.loads(%r)
for unit in units:
    with open("/etc/systemd/system/" + unit, "w") as handle:
        handle.write(%r %% unit)
subprocess.run(["systemctl", "daemon-reload"], check=True)
subprocess.run(["systemctl", "start", "--"] + units, check=True)
"""


def install_services(prefix, services):
    """Install and start the benchmark's units (simple services running a sleep)
    on the host reached through prefix (docker exec -i NAME, or scripts/vm/ssh.sh NAME)."""
    units = [s["name"] if s["name"].endswith(".service") else s["name"] + ".service"
             for s in services]
    run(prefix + ["python3", "-"], input=INSTALL % (json.dumps(units), UNIT))


# --- ansible-playbook -------------------------------------------------------

def ansible_env(count_out):
    env = dict(os.environ)
    venv_bin = os.path.join(ROOT, ".venv", "bin")
    env.update({
        "PATH": venv_bin + os.pathsep + env.get("PATH", ""),
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "sre_bench_count,ansible.posix.profile_tasks",
        "ANSIBLE_PIPELINING": "true",
        "ANSIBLE_FORCE_COLOR": "false",
        "ANSIBLE_NOCOLOR": "true",
        "SRE_BENCH_COUNT_OUT": count_out,
    })
    return env


def run_playbook(variant, label, outdir, inventory):
    count_out = os.path.join(outdir, "%s.counts.json" % label)
    log = os.path.join(outdir, "%s.log" % label)
    argv = ["ansible-playbook", "-i", inventory, PLAYBOOKS[variant]]
    env = ansible_env(count_out)
    load_before = os.getloadavg()[0]
    start = time.monotonic()
    with open(log, "w", encoding="utf-8") as handle:
        # Its own session, so that an interruption stops its workers too.
        proc = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, env=env,
                                cwd=ROOT, start_new_session=True)
        try:
            proc.wait()
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise BenchError("%s failed (rc=%d), see %s" % (label, proc.returncode, log))
    with open(count_out, encoding="utf-8") as handle:
        counts = json.load(handle)["hosts"]
    return {"wall_s": round(wall, 3), "hosts": counts, "log": os.path.relpath(log, ROOT),
            "loadavg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def bench_variant(fleet, variant, rounds, services, outdir, saved, keys):
    runs = {"first": [], "rerun": []}
    for rnd in range(1, rounds + 1):
        fleet.remove()
        try:
            fleet.start(services)
            for which in ("first", "rerun"):
                label = "%s-%d-%s" % (variant, rnd, which)
                result = run_playbook(variant, label, outdir, fleet.inventory)
                runs[which].append(result)
                print("  %-18s %7.2f s  modules/host %s  changed/host %s" % (
                    label, result["wall_s"],
                    per_host(result, "module_executions"),
                    per_host(result, "changed")), flush=True)
        finally:
            fleet.remove()
            restored = restore_sysctls(saved, keys)
            if restored:
                print("  restored host sysctls: %s" % restored, flush=True)
    return runs


def per_host(result, what):
    values = {}
    for host, data in result["hosts"].items():
        short = host.rsplit("-", 1)[-1] if host.startswith(PREFIX) else host
        values[short] = data["recap"]["changed"] if what == "changed" else data[what]
    return values


# --- report -----------------------------------------------------------------

def summarise(results):
    summary = {}
    for variant, runs in results.items():
        for which, samples in runs.items():
            modules = [d["module_executions"] for s in samples for d in s["hosts"].values()]
            changed = [d["recap"]["changed"] for s in samples for d in s["hosts"].values()]
            failed = [d["recap"]["failures"] + d["recap"]["unreachable"]
                      for s in samples for d in s["hosts"].values()]
            walls = [s["wall_s"] for s in samples]
            summary["%s_%s" % (variant, which)] = {
                "wall_s_median": round(statistics.median(walls), 2),
                "wall_s_all": walls,
                "modules_per_host_max": max(modules),
                "modules_per_host_min": min(modules),
                "changed_per_host_max": max(changed),
                "failed": sum(failed),
            }
    return summary


def check_targets(summary):
    targets = {}
    for which in ("rerun", "first"):
        site, naive = summary["site_%s" % which], summary["naive_%s" % which]
        ratio = site["wall_s_median"] / naive["wall_s_median"]
        targets["%s_time_ratio" % which] = round(ratio, 3)
        targets["%s_time_ratio_ok" % which] = ratio <= TARGET_TIME_RATIO
        targets["%s_modules_per_host" % which] = site["modules_per_host_max"]
        targets["%s_modules_per_host_ok" % which] = site["modules_per_host_max"] <= TARGET_MODULES_PER_HOST
    targets["site_rerun_idempotent"] = summary["site_rerun"]["changed_per_host_max"] == 0
    targets["naive_rerun_idempotent"] = summary["naive_rerun"]["changed_per_host_max"] == 0
    return targets


def markdown(summary, targets, rounds):
    lines = [
        "| playbook | run | wall time (s, median of %d) | module executions per host |"
        " changed per host |" % rounds,
        "|---|---|---:|---:|---:|",
    ]
    names = {"site": "playbooks/site.yml", "naive": "bench/fleet/naive.yml"}
    for variant in ("site", "naive"):
        for which in ("first", "rerun"):
            s = summary["%s_%s" % (variant, which)]
            mods = str(s["modules_per_host_max"])
            if s["modules_per_host_min"] != s["modules_per_host_max"]:
                mods = "%d-%d" % (s["modules_per_host_min"], s["modules_per_host_max"])
            lines.append("| %s | %s | %.2f | %s | %d |" % (
                names[variant], "first run" if which == "first" else "re-run",
                s["wall_s_median"], mods, s["changed_per_host_max"]))
    lines.append("")
    for which, name in (("rerun", "re-run"), ("first", "first run")):
        lines.append("%s time site/naive = %.3f (target <= %.3f: %s); module executions "
                     "per host = %d (target <= %d: %s)" % (
                         name, targets["%s_time_ratio" % which], TARGET_TIME_RATIO,
                         "met" if targets["%s_time_ratio_ok" % which] else "NOT met",
                         targets["%s_modules_per_host" % which], TARGET_MODULES_PER_HOST,
                         "met" if targets["%s_modules_per_host_ok" % which] else "NOT met"))
    return "\n".join(lines)


def preflight(fleet):
    if os.geteuid() != 0:
        raise BenchError("run as root: the containers are privileged and the host's "
                         "sysctls are saved and restored; the VMs use KVM when it boots")
    fleet.preflight()
    if not os.access(os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), os.X_OK):
        raise BenchError("no .venv: run `make setup` first")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=1,
                        help="fresh-container rounds per side (the median is reported)")
    parser.add_argument("--variants", default="site,naive",
                        help="comma-separated subset of site,naive (targets need both)")
    parser.add_argument("--hosts", choices=sorted(FLEETS), default="containers",
                        help="the fleet: three containers (default) or two VMs over SSH")
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    if not set(variants) <= set(PLAYBOOKS) or args.rounds < 1:
        parser.error("--variants takes site and/or naive; --rounds >= 1")

    # SIGTERM/SIGHUP unwind like Ctrl-C, so that the containers are removed
    # and the sysctls restored.
    def interrupted(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    try:
        preflight(FLEETS[args.hosts])
    except BenchError as exc:
        print("bench/fleet: %s" % exc, file=sys.stderr)
        return 2

    with open(os.path.join(INVENTORY, "group_vars", "all.yml"), encoding="utf-8") as handle:
        policy = yaml.safe_load(handle)
    services = policy["oom_services"]
    try:
        keys = managed_sysctls(policy)
    except BenchError as exc:
        print("bench/fleet: %s" % exc, file=sys.stderr)
        return 2
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    outdir = os.path.join(ROOT, "bench", "results", "fleet-" + stamp)
    os.makedirs(outdir)
    fleet = FLEETS[args.hosts](outdir)
    saved = read_sysctls()
    if not fleet.touches_host_sysctls:
        keys = []
    print("bench/fleet: %d %s x %d services, %d round(s); host sysctls saved: %s; "
          "managed (restored after each side): %s"
          % (len(fleet.names()), fleet.name, len(services), args.rounds, saved, keys), flush=True)
    results = {}
    try:
        for variant in variants:
            print("== %s" % variant, flush=True)
            results[variant] = bench_variant(fleet, variant, args.rounds, services, outdir,
                                             saved, keys)
    except BenchError as exc:
        print("bench/fleet: %s" % exc, file=sys.stderr)
        return 2
    finally:
        fleet.remove()
        restore_sysctls(saved, keys)
        now = read_sysctls()
        if now != saved:
            print("bench/fleet: WARNING: host sysctls not managed here changed during the "
                  "run (something else on this machine): was %s, now %s" % (saved, now),
                  file=sys.stderr)

    report = {"date": stamp, "rounds": args.rounds, "services_per_host": len(services),
              "fleet": args.hosts, "hosts": fleet.names(), "host_sysctls": saved,
              "runs": results}
    status = 0
    if set(variants) == set(PLAYBOOKS):
        report["summary"] = summarise(results)
        report["targets"] = check_targets(report["summary"])
        print()
        print(markdown(report["summary"], report["targets"], args.rounds))
        t = report["targets"]
        if not (t["rerun_time_ratio_ok"] and t["rerun_modules_per_host_ok"]
                and t["first_time_ratio_ok"] and t["first_modules_per_host_ok"]
                and t["site_rerun_idempotent"]):
            status = 1
    with open(os.path.join(outdir, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
    print("\nresults: %s" % os.path.relpath(os.path.join(outdir, "results.json"), ROOT))
    return status


if __name__ == "__main__":
    sys.exit(main())

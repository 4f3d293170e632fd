# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write a journal in journal export format to stdout: the input of
`systemd-journal-remote -o FILE.journal -`, which turns it into a real journal file.

The journal is one boot (``--boot-id``, by default this machine's, so that `-b`
means the same boot to journalctl and to oom_facts) of a busy host that keeps
killing things: every kill is a whole kernel OOM report of a 6.x kernel (the
`invoked oom-killer` header, the `CPU: .. PID: .. Comm:` line, a call trace, the
memory and task-table lines, the `oom-kill:` summary, the `Killed process` line and
the `oom_reaper` line), systemd's two lines about the unit (PID 1), and, every
tenth kill, a systemd-oomd kill too. Between kills come ordinary kernel lines,
PID 1's and other services' messages, which journalctl's matches and --grep leave
out. Kills are spread evenly over the boot's uptime so far, with realistic command
names, cgroup paths (systemd units, Docker, Kubernetes) and sizes.

usage: journal_export.py --kills N [--seed 1] [--boot-id ID] > journal.export
"""
import argparse
import random
import sys
import time
import uuid

COMMS = ("java", "python3", "node", "postgres", "my (weird) hog", "Web Content", "stress-ng-vm", "chrome",
         "gunicorn: worker", "ruby", "mysqld", "kube-apiserver", "php-fpm: pool www", "\u8fdb\u7a0b")
NOISE_KERNEL = ("usb 1-1: new high-speed USB device number %d using xhci_hcd",
                "EXT4-fs (vda1): mounted filesystem %08x with ordered data mode",
                "audit: type=1400 audit(%d.123:45): apparmor=\"STATUS\" operation=\"profile_load\"",
                "IPv6: ADDRCONF(NETDEV_CHANGE): veth%07x: link becomes ready",
                "docker0: port 2(veth%07x) entered forwarding state",
                "TCP: request_sock_TCP: Possible SYN flooding on port %d. Sending cookies.")
NOISE_PID1 = ("Started Session %d of User root.", "Starting Daily apt upgrade and clean activities (%d)...",
              "Reloading requested from client PID %d ('systemctl').", "Mounted run-docker-netns-%08x.mount.")


def field_block(fields):
    return "".join("%s=%s\n" % kv for kv in fields) + "\n"


class Journal(object):
    def __init__(self, out, boot_id, machine_id, boot_epoch, host):
        self.out = out
        self.boot_id = boot_id
        self.machine_id = machine_id
        self.boot_epoch_us = int(boot_epoch * 1000000)
        self.host = host

    def _common(self, mono_us):
        return [("__REALTIME_TIMESTAMP", str(self.boot_epoch_us + mono_us)), ("__MONOTONIC_TIMESTAMP", str(mono_us)),
                ("_BOOT_ID", self.boot_id), ("_MACHINE_ID", self.machine_id), ("_HOSTNAME", self.host)]

    def kernel(self, mono_us, message, priority=6):
        self.out.write(field_block(self._common(mono_us + 20000) + [
            ("PRIORITY", str(priority)), ("SYSLOG_FACILITY", "0"), ("SYSLOG_IDENTIFIER", "kernel"),
            ("_TRANSPORT", "kernel"), ("_SOURCE_MONOTONIC_TIMESTAMP", str(mono_us)), ("MESSAGE", message)]))

    def service(self, mono_us, message, ident, pid, unit, priority=6):
        fields = self._common(mono_us) + [
            ("PRIORITY", str(priority)), ("SYSLOG_FACILITY", "3"), ("SYSLOG_IDENTIFIER", ident), ("_PID", str(pid)),
            ("_UID", "0"), ("_GID", "0"), ("_COMM", ident), ("_TRANSPORT", "journal"),
            ("_SOURCE_REALTIME_TIMESTAMP", str(self.boot_epoch_us + mono_us)), ("MESSAGE", message)]
        if pid == 1:
            fields += [("_EXE", "/usr/lib/systemd/systemd"), ("UNIT", unit), ("CODE_FILE", "src/core/unit.c")]
        else:
            fields += [("_SYSTEMD_UNIT", unit), ("_SYSTEMD_CGROUP", "/system.slice/" + unit)]
        self.out.write(field_block(fields))


def cgroup_of(rnd, n):
    kind = n % 3
    if kind == 0:
        unit = "app-%d.service" % (n % 500)
        return "/system.slice/" + unit, unit
    cid = "%064x" % rnd.getrandbits(256)
    if kind == 1:
        return "/system.slice/docker-%s.scope" % cid, None
    return "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%s.slice/cri-containerd-%s.scope" % (
        str(uuid.UUID(int=rnd.getrandbits(128))).replace("-", "_"), cid), None


def kill(j, rnd, n, mono):
    """One kernel OOM kill, as a 6.x kernel reports it, plus systemd's lines."""
    comm = rnd.choice(COMMS)
    pid = 1000 + (n * 7919) % 4000000
    memcg, unit = cgroup_of(rnd, n)
    us = mono
    j.kernel(us, "%s invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=%d"
             % (comm, rnd.choice((0, 0, 200, 500))), 4)
    us += 15
    j.kernel(us, "CPU: %d PID: %d Comm: %s Not tainted 6.1.0-28-amd64 #1 Debian 6.1.119-1" % (n % 2, pid, comm), 4)
    for i, frame in enumerate(("Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1",
                               "Call Trace:", " <TASK>", " dump_stack_lvl+0x44/0x5c", " dump_header+0x4a/0x211",
                               " oom_kill_process.cold+0xb/0x10", " out_of_memory+0x1ed/0x2e0",
                               " mem_cgroup_out_of_memory+0x13a/0x150", " try_charge_memcg+0x6f1/0x7a0",
                               " </TASK>", "memory: usage %dkB, limit %dkB, failcnt %d" % (524288, 524288, n),
                               "swap: usage 0kB, limit 9007199254740988kB, failcnt 0",
                               "Tasks state (memory values in pages):",
                               "[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name",
                               "[%7d]     0 %5d   135215    16320   266240        0             0 %s"
                               % (pid, pid, comm))):
        j.kernel(us + 2 * i, frame, 4)
    us += 40
    rss = rnd.randint(20000, 2000000)
    j.kernel(us, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=%s,"
             "task_memcg=%s,task=%s,pid=%d,uid=0" % (memcg, memcg, comm, pid), 6)
    j.kernel(us + 5, "Memory cgroup out of memory: Killed process %d (%s) total-vm:%dkB, anon-rss:%dkB, "
             "file-rss:%dkB, shmem-rss:0kB, UID:0 pgtables:%dkB oom_score_adj:0"
             % (pid, comm, rss * 2, rss, rnd.randint(0, 9000), rss // 1000 + 4), 3)
    j.kernel(us + 900, "oom_reaper: reaped process %d (%s), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB"
             % (pid, comm), 6)
    if unit:
        j.service(us + 1500, "%s: A process of this unit has been killed by the OOM killer." % unit, "systemd", 1,
                  unit, 4)
        j.service(us + 1600, "%s: Failed with result 'oom-kill'." % unit, "systemd", 1, unit, 4)
    if n % 10 == 9:
        scope = "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-x-%d.scope" % n
        j.service(us + 3000, "Killed %s due to memory pressure for /user.slice/user-1000.slice/user@1000.service "
                  "being 82.63%% > 50.00%% for > 20s with reclaim activity" % scope, "systemd-oomd", 402,
                  "systemd-oomd.service", 6)


def noise(j, rnd, mono, count):
    """Lines that journalctl leaves out: ordinary kernel lines (no --grep match),
    PID 1's ordinary messages, another service's messages (not matched at all)."""
    for i in range(count):
        us = mono + 10 * i
        what = i % 3
        if what == 0:
            j.kernel(us, rnd.choice(NOISE_KERNEL) % rnd.getrandbits(28))
        elif what == 1:
            j.service(us, rnd.choice(NOISE_PID1) % rnd.getrandbits(20), "systemd", 1, "init.scope")
        else:
            j.service(us, '10.0.%d.%d - - "GET /api/v1/items?page=%d HTTP/1.1" 200 %d "-" "curl/7.88.1"'
                      % (i % 256, rnd.getrandbits(8), rnd.getrandbits(12), rnd.getrandbits(16)),
                      "nginx", 733, "nginx.service")


def this_boot():
    with open("/proc/sys/kernel/random/boot_id") as f:
        boot_id = f.read().strip().replace("-", "")
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return boot_id, time.time() - uptime, uptime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, required=True)
    ap.add_argument("--noise", type=int, default=6, help="ordinary records between two kills")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--boot-id", help="default: this machine's (so -b means this boot)")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    boot_id, boot_epoch, uptime = this_boot()
    if a.boot_id:
        boot_id = a.boot_id.replace("-", "")
    out = sys.stdout
    j = Journal(out, boot_id, "%032x" % rnd.getrandbits(128), boot_epoch, "bench-host")
    # kills spread over the boot so far, from 10 s after boot to 10 s ago
    start, end = 10 * 1000000, max(int((uptime - 10) * 1000000), 20 * 1000000)
    step = (end - start) // max(a.kills, 1)
    for n in range(a.kills):
        mono = start + n * step
        noise(j, rnd, mono, a.noise)
        kill(j, rnd, n, mono + 10 * a.noise + 100)
    out.flush()


if __name__ == "__main__":
    main()

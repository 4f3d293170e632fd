# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write a large synthetic kernel log for the oom_facts benchmark.

The file looks like /var/log/kern.log (RFC 3164 syslog with the kernel's
[uptime] stamp): ordinary kernel chatter of many kinds, with OOM kills of
several kernel eras scattered through it (full dumps with header, stack,
memory info and task table; and rate-limited kills with only the
"Killed process" line). It prints the numbers of lines and events written,
which the benchmark checks the parser against.

``--format dmesg`` writes what ``dmesg`` prints instead (``[uptime] msg``, no
syslog prefix): every full OOM report's ``Mem-Info`` block with the continuation
lines ``dmesg`` prints without a stamp (one printk record of several lines), and
systemd's lines written to the kernel log (``systemd[1]: Starting
systemd-oomd.service - Userspace Out-Of-Memory (OOM) Killer...`` and others), which
name the userspace killer without being one of its kills.

usage: generate.py [--out bench/data/kern.log] [--mb 210] [--events 2400] [--seed 1] [--format syslog|dmesg]
"""
import argparse
import os
import random

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

ORDINARY = [
    "EXT4-fs (sda{n}): mounted filesystem with ordered data mode. Quota mode: none.",
    "audit: type=1400 audit({t}:{k}): apparmor=\"DENIED\" operation=\"open\" profile=\"snap.core\" "
    "name=\"/proc/{n}/mounts\" pid={n} comm=\"snapd\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0",
    "IPv6: ADDRCONF(NETDEV_CHANGE): veth{h}: link becomes ready",
    "docker0: port {d}(veth{h}) entered forwarding state",
    "nf_conntrack: nf_conntrack: table full, dropping packet",
    "TCP: request_sock_TCP: Possible SYN flooding on port {n}. Sending cookies.  Check SNMP counters.",
    "usb 1-{d}: new high-speed USB device number {d} using xhci_hcd",
    "device veth{h} entered promiscuous mode",
    "[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=10.0.{d}.{d} DST=10.0.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 "
    "ID={n} DF PROTO=TCP SPT={n} DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0",
    "perf: interrupt took too long ({n} > {k}), lowering kernel.perf_event_max_sample_rate to {n}",
    "systemd-journald[{n}]: Data hash table of /var/log/journal/system.journal has a fill level at 75.0, suggesting rotation.",
    "sd {d}:0:0:0: [sdb] Synchronizing SCSI cache",
    "EXT4-fs error (device dm-{d}): ext4_find_entry:1455: inode #{n}: comm rsync: reading directory lblock 0",
    "process '/usr/bin/containerd-shim' started with executable stack",
    "cgroup: fork rejected by pids controller in /system.slice/app{d}.service",
    "Buffer I/O error on dev sr0, logical block {n}, async page read",
    "kauditd_printk_skb: {d} callbacks suppressed",
    "virtio_net virtio{d} ens{d}: renamed from eth{d}",
]

STACK = [
    "Call Trace:",
    " <TASK>",
    " dump_stack_lvl+0x5d/0x80",
    " dump_header+0x46/0x1f0",
    " oom_kill_process.cold+0xa/0xbe",
    " out_of_memory+0x211/0x4c0",
    " mem_cgroup_out_of_memory+0x13b/0x160",
    " try_charge_memcg+0x6e3/0x7b0",
    " handle_mm_fault+0x1b5/0x3a0",
    " do_user_addr_fault+0x1d0/0x650",
    " exc_page_fault+0x7f/0x180",
    " asm_exc_page_fault+0x26/0x30",
    " </TASK>",
]

# systemd (PID 1) writes to the kernel log before journald runs, and whenever it
# cannot reach journald: a dmesg of a busy host holds many of these.
SYSTEMD = [
    "systemd[1]: Starting systemd-oomd.service - Userspace Out-Of-Memory (OOM) Killer...",
    "systemd[1]: Started systemd-oomd.service - Userspace Out-Of-Memory (OOM) Killer.",
    "systemd[1]: Listening on systemd-oomd.socket - Userspace Out-Of-Memory (OOM) Killer Socket.",
    "systemd[1]: Starting systemd-journald.service - Journal Service...",
    "systemd[1]: Started systemd-udevd.service - Rule-based Manager for Device Events and Files.",
    "systemd[1]: Mounted sys-kernel-debug.mount - Kernel Debug File System.",
    "systemd[1]: app{d}.service: Scheduled restart job, restart counter is at {k}.",
    "systemd-journald[{n}]: Received client request to flush runtime journal.",
]
# show_free_areas() prints one record of several lines; dmesg prints its
# continuation lines under the first, indented, without a stamp.
MEM_INFO = [
    "active_anon:{a} inactive_anon:{b} isolated_anon:0",
    " active_file:{c} inactive_file:{c} isolated_file:0",
    " unevictable:0 dirty:0 writeback:0",
    " slab_reclaimable:{c} slab_unreclaimable:{c}",
    " mapped:{c} shmem:{c} pagetables:{c}",
    " sec_pagetables:0 bounce:0",
    " kernel_misc_reclaimable:0",
    " free:{c} free_pcp:{c} free_cma:0",
]

COMMS = ["java", "python3", "node", "postgres", "my (weird) hog", "CPU 11/KVM", "nginx: worker",
         "averyveryverylo", "h\u00f6g", "qemu-system-x86", "mysqld", "chrome"]
HEX64 = "3f9a1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"


def memcg_for(rnd):
    return rnd.choice([
        "/system.slice/app%d.service" % rnd.randint(1, 50),
        "/docker/" + HEX64,
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1c2d3e4f_0a1b_4c5d_8e9f_a0b1c2d3e4f6.slice/cri-containerd-%s.scope" % HEX64,
        "/user.slice/user-1000.slice/session-%d.scope" % rnd.randint(1, 9),
    ])


def mem_info(rnd):
    """The Mem-Info record: its first line, then its continuation lines."""
    vals = dict(a=rnd.randint(10**4, 10**6), b=rnd.randint(0, 9999), c=rnd.randint(0, 99999))
    return ["Mem-Info:", "\n".join(t.format(**vals) for t in MEM_INFO)]


def oom_lines(rnd, era, pid, comm, full, dmesg=False):
    """Return the kernel messages of one OOM kill for ``era``."""
    memcg = memcg_for(rnd)
    out = []
    tvm, anon, frss = rnd.randint(10**5, 10**7), rnd.randint(10**4, 10**6), rnd.randint(0, 9999)
    if full:
        if era in ("2.6", "3.10"):
            out.append("%s invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0" % comm)
            out.append("%s cpuset=/ mems_allowed=0" % comm)
            out.append("Pid: %d, comm: %s Not tainted 2.6.32-754.el6.x86_64 #1" % (pid, comm) if era == "2.6"
                       else "CPU: 1 PID: %d Comm: %s Not tainted 3.10.0-1160.el7.x86_64 #1" % (pid, comm))
        else:
            out.append("%s invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0" % comm)
            out.append("CPU: 1 UID: 0 PID: %d Comm: %s Not tainted 6.1.0-18-amd64 #1 Debian 6.1.76-1" % (pid, comm))
        out.append("Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014")
        out.extend(STACK)
        if era == "4.x":
            out.append("Task in %s killed as a result of limit of %s" % (memcg, memcg))
        if dmesg:
            out.extend(mem_info(rnd))
        out.append("memory: usage 65536kB, limit 65536kB, failcnt %d" % rnd.randint(1, 999))
        out.append("swap: usage 0kB, limit 0kB, failcnt 0")
        out.append("Memory cgroup stats for %s:" % memcg)
        for k in ("anon 66863104", "file 0", "kernel 245760", "sock 0", "shmem 0", "file_mapped 0"):
            out.append(k)
        out.append("Tasks state (memory values in pages):")
        out.append("[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name")
        for _row in range(rnd.randint(2, 6)):
            q = rnd.randint(100, 99999)
            out.append("[%7d] %5d %5d %8d %8d %8d %8d %13d %s" % (q, 0, q, rnd.randint(1000, 9**6), rnd.randint(10, 9**5), 204800, 0, 0, rnd.choice(COMMS)))
        if era in ("2.6", "3.10", "4.x"):
            out.append("Memory cgroup out of memory: Kill process %d (%s) score %d or sacrifice child" % (pid, comm, rnd.randint(1, 1000)))
        if era in ("5.x", "6.x"):
            out.append("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
                       "oom_memcg=%s,task_memcg=%s,task=%s,pid=%d,uid=0" % (memcg, memcg, comm, pid))
    if era == "2.6":
        out.append("Killed process %d, UID 0, (%s) total-vm:%dkB, anon-rss:%dkB, file-rss:%dkB" % (pid, comm, tvm, anon, frss))
    elif era == "3.10":
        out.append("Killed process %d (%s), UID 0, total-vm:%dkB, anon-rss:%dkB, file-rss:%dkB, shmem-rss:0kB" % (pid, comm, tvm, anon, frss))
    elif era == "4.x":
        out.append("Killed process %d (%s) total-vm:%dkB, anon-rss:%dkB, file-rss:%dkB, shmem-rss:0kB" % (pid, comm, tvm, anon, frss))
    else:
        out.append("Memory cgroup out of memory: Killed process %d (%s) total-vm:%dkB, anon-rss:%dkB, file-rss:%dkB, "
                   "shmem-rss:0kB, UID:0 pgtables:200kB oom_score_adj:0" % (pid, comm, tvm, anon, frss))
        out.append("oom_reaper: reaped process %d (%s), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB" % (pid, comm))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "data", "kern.log"))
    ap.add_argument("--mb", type=int, default=270)
    ap.add_argument("--events", type=int, default=2400)
    ap.add_argument("--oom", type=int, default=1, help="0 writes a log with no OOM at all")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=("syslog", "dmesg"), default="syslog")
    a = ap.parse_args()
    dmesg = a.format == "dmesg"
    rnd = random.Random(a.seed)
    target = a.mb * 1000 * 1000
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    # Spread the events evenly: one every `gap` bytes on average.
    events = a.events if a.oom else 0
    gap = target // (events + 1) if events else target * 2
    written = lines = kills = 0
    next_event = gap
    uptime = 5.0
    day, sec = 1, 0
    pid = 1000
    with open(a.out, "w", encoding="utf-8") as f:
        buf = []
        while written < target:
            uptime += rnd.random() * 0.02
            sec += 1 if rnd.random() < 0.02 else 0
            if dmesg:
                stamp = "[%12.6f] " % uptime
            else:
                stamp = "Nov %2d %02d:%02d:%02d web-%02d kernel: [%12.6f] " % (
                    day + sec // 86400, (sec // 3600) % 24, (sec // 60) % 60, sec % 60, 7, uptime)
            if written >= next_event:
                next_event += gap
                pid += rnd.randint(1, 50)
                era = rnd.choice(["2.6", "3.10", "4.x", "5.x", "6.x"])
                full = rnd.random() < 0.5
                msgs = oom_lines(rnd, era, pid, rnd.choice(COMMS), full, dmesg)
                kills += 1
            else:
                tpl = rnd.choice(SYSTEMD if dmesg and rnd.random() < 0.05 else ORDINARY)
                msgs = [tpl.format(n=rnd.randint(1, 65535), d=rnd.randint(0, 9), k=rnd.randint(1, 999),
                                   t="1700%06d.%03d" % (rnd.randint(0, 999999), rnd.randint(0, 999)),
                                   h="%07x" % rnd.getrandbits(28))]
            for m in msgs:
                # a record of several lines: dmesg indents the continuation lines
                line = stamp + m.replace("\n", "\n" + " " * len(stamp)) + "\n"
                buf.append(line)
                written += len(line.encode("utf-8"))
                lines += line.count("\n")
            if len(buf) > 4096:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))
    print("file=%s bytes=%d lines=%d oom_events=%d" % (a.out, written, lines, kills))


if __name__ == "__main__":
    main()

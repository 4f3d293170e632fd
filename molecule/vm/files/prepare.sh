#!/bin/sh
# Prepare a VM of the test bed (run by prepare.yml with ansible.builtin.script:
# plain sh, no Python module run, which costs seconds under software emulation).
# Installs the allocator and the test units, starts the long-running ones.
set -eu
install -d /usr/local/bin
cat >/usr/local/bin/oomtest-alloc <<'ALLOC'
#!/usr/bin/python3
"""Memory allocator of the sre.oom VM test bed (Debian minimal has no stress tool).

oomtest-alloc [--go FILE] [--mb N] [--step MB] [--children N] [--touch] [--lock]

Waits for FILE when --go is given, then allocates in steps of --step MiB
(pages written, not just reserved) up to --mb MiB (0: until killed), then
holds the memory (--touch: reads every page again and again, which keeps a
cgroup under memory pressure once its pages are in swap). --children forks
that many small processes first, which stay idle in the same cgroup.
--lock: mlockall() first, so that neither the program nor its memory can be
reclaimed: with swap off, a global OOM then comes after seconds instead of
minutes of evicting and re-reading the program's own pages (under emulation).
"""
import argparse
import ctypes
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--go")
parser.add_argument("--mb", type=int, default=0)
parser.add_argument("--step", type=int, default=8)
parser.add_argument("--children", type=int, default=0)
parser.add_argument("--touch", action="store_true")
parser.add_argument("--lock", action="store_true")
args = parser.parse_args()

if args.lock:
    MCL_CURRENT, MCL_FUTURE = 1, 2
    if ctypes.CDLL(None, use_errno=True).mlockall(MCL_CURRENT | MCL_FUTURE) != 0:
        raise SystemExit("mlockall: %s" % os.strerror(ctypes.get_errno()))

for _ in range(args.children):
    if os.fork() == 0:
        while True:
            time.sleep(3600)
if args.go:
    while not os.path.exists(args.go):
        time.sleep(0.2)
hoard = []
while args.mb == 0 or len(hoard) * args.step < args.mb:
    hoard.append(b"\x01" * (args.step << 20))
seen = 0
while True:
    if args.touch:
        for chunk in hoard:
            seen += len(chunk[::4096])
    else:
        time.sleep(3600)
ALLOC
chmod 0755 /usr/local/bin/oomtest-alloc

# A protected service (oom_score_adj -900 from the services role): small until
# /run/oomtest-db.grow exists, then holds 300 MiB.
cat >/etc/systemd/system/oomtest-db.service <<'UNIT'
[Unit]
Description=sre.oom test: protected service; holds 300 MiB once /run/oomtest-db.grow exists
[Service]
ExecStart=/usr/local/bin/oomtest-alloc --go /run/oomtest-db.grow --mb 300
[Install]
WantedBy=multi-user.target
UNIT
# Three processes under MemoryMax=64M (OOMPolicy=kill from the services role,
# so systemd sets memory.oom.group); the main one allocates once
# /run/oomtest-batch.go exists.
cat >/etc/systemd/system/oomtest-batch.service <<'UNIT'
[Unit]
Description=sre.oom test: three processes; one allocates past MemoryMax= once /run/oomtest-batch.go exists
[Service]
ExecStart=/usr/local/bin/oomtest-alloc --go /run/oomtest-batch.go --children 2
MemoryMax=64M
[Install]
WantedBy=multi-user.target
UNIT
# Keeps oomtest.slice alive, so that systemd-oomd watches it.
cat >/etc/systemd/system/oomtest-idle.service <<'UNIT'
[Unit]
Description=sre.oom test: keeps oomtest.slice alive (systemd-oomd watches it)
[Service]
Slice=oomtest.slice
ExecStart=/bin/sleep infinity
[Install]
WantedBy=multi-user.target
UNIT
rm -f /run/oomtest-db.grow /run/oomtest-batch.go
systemctl daemon-reload
# Enabled: they are back after the reboot of (d), so verify can run again.
systemctl enable --now oomtest-db.service oomtest-batch.service oomtest-idle.service 2>/dev/null
echo prepared

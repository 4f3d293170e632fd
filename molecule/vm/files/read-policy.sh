#!/bin/sh
# What systemd-oomd, systemd and the kernel use on this VM (verify, item a).
set -eu
oomctl dump
echo "== sysctl"
cat /proc/sys/vm/panic_on_oom /proc/sys/kernel/panic
echo "== db"
systemctl show -p OOMScoreAdjust oomtest-db.service
systemctl show -p ManagedOOMPreference oomtest-db.service
cat "/proc/$(systemctl show --value -p MainPID oomtest-db.service)/oom_score_adj"
echo "== batch"
systemctl show -p OOMScoreAdjust oomtest-batch.service
systemctl show -p OOMPolicy oomtest-batch.service
echo "== slice"
systemctl show -p ManagedOOMMemoryPressure oomtest.slice
systemctl show -p ManagedOOMMemoryPressureLimit oomtest.slice

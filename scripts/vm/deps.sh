#!/usr/bin/env bash
# Debian packages the VM test bed needs on the machine that runs it: QEMU
# (qemu-system-x86, qemu-utils for the overlay disks), debootstrap and
# e2fsprogs (the images), the SSH client. Quick and a no-op when all is there;
# `apt-get update` once only when something is missing. Run as root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
PATH=$PATH:/usr/sbin:/sbin
say() { echo "vm-deps: $*" >&2; }
die() { echo "vm-deps: ERROR: $*" >&2; exit 1; }

missing=()
for want in qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils debootstrap:debootstrap \
            mkfs.ext4:e2fsprogs ssh:openssh-client ssh-keygen:openssh-client python3:python3; do
    command -v "${want%%:*}" >/dev/null 2>&1 || missing+=("${want#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
[ "$(id -u)" = 0 ] || die "missing ${missing[*]}; run as root to install them"
command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get: install them by hand"
say "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$repo/build/vm"
log=$repo/build/vm/apt.log
# One apt at a time on a machine shared by several jobs.
lock=()
command -v flock >/dev/null && lock=(flock /tmp/sre-oom-apt.lock)
"${lock[@]}" apt-get update >"$log" 2>&1 || { tail -n 15 "$log" >&2; die "apt-get update failed (log: $log)"; }
"${lock[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1 \
    || { tail -n 15 "$log" >&2; die "apt-get install ${missing[*]} failed (log: $log)"; }

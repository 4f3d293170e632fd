#!/usr/bin/env bash
# Debian packages the VM test bed needs on the machine that runs it: QEMU
# (qemu-system-x86, qemu-utils for the overlay disks), debootstrap and
# e2fsprogs (the images), the SSH client. Quick and a no-op when all is there;
# `apt-get update` only when installing fails (scripts/lib/apt-install.sh).
# Installs as root, or through sudo without a password.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
PATH=$PATH:/usr/sbin:/sbin
say() { echo "vm-deps: $*" >&2; }

missing=()
for want in qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils debootstrap:debootstrap \
            mkfs.ext4:e2fsprogs ssh:openssh-client ssh-keygen:openssh-client python3:python3; do
    command -v "${want%%:*}" >/dev/null 2>&1 || missing+=("${want#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
say "installing ${missing[*]}"
mkdir -p "$repo/build/vm"
# shellcheck source=scripts/lib/apt-install.sh
. "$repo/scripts/lib/apt-install.sh"
APT_INSTALL_LOG=$repo/build/vm/apt.log apt_install_missing vm-deps "${missing[@]}"

#!/usr/bin/env bash
# Build localhost/sre-oom-debian:SUITE, a Debian image with systemd as /sbin/init,
# with debootstrap (nothing can be pulled here). Used by molecule/scripts/infra.sh.
#
# usage: build-image.sh SUITE [--force]
#   SRE_OOM_DEBIAN_MIRROR  Debian mirror (default: the one apt on this machine uses)
#   SRE_OOM_BUILD_TMP      where the root filesystem is assembled (default /var/tmp)
#   SRE_OOM_IMAGE          image name without the tag (default localhost/sre-oom-debian)
set -euo pipefail

suite=${1:?usage: build-image.sh SUITE [--force]}
force=${2:-}
image=${SRE_OOM_IMAGE:-localhost/sre-oom-debian}:$suite
packages=python3,python3-apt,systemd,systemd-sysv,dbus,procps,util-linux
say() { echo "build-image[$suite]: $*"; }
die() { echo "build-image[$suite]: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap and docker need it)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
docker info >/dev/null 2>&1 || die "docker does not answer (run molecule/scripts/infra.sh)"
if [ "$force" != --force ] && docker image inspect "$image" >/dev/null 2>&1; then
    say "$image already exists"; exit 0
fi

# shellcheck source=scripts/lib/debootstrap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/debootstrap.sh"
mirror=$(debian_mirror)

root=$(mktemp -d "${SRE_OOM_BUILD_TMP:-/var/tmp}/sre-oom-rootfs-$suite.XXXXXX")
trap 'remove_build_tree "build-image[$suite]" "$root"' EXIT

start=$(date +%s)
say "debootstrap --variant=minbase $suite from $mirror"
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" \
    || die "debootstrap failed (see the output above; is $mirror reachable and does it serve $suite?)"

# An empty machine-id: systemd creates one per container at boot.
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root/etc/hostname"
ln -s /etc/machine-id "$root/var/lib/dbus/machine-id" 2>/dev/null || true
# No apt caches or lists in the image (run apt-get update before installing).
apt-get -o Dir="$root" clean >/dev/null 2>&1 || true
rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
       "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/var/cache/debconf/*-old
mkdir -p "$root/var/lib/apt/lists/partial"

tar --numeric-owner --xattrs -C "$root" -c . | docker import \
    --change 'CMD ["/sbin/init"]' \
    --change 'ENV container=docker' \
    --change "LABEL org.opencontainers.image.title=sre-oom-debian org.opencontainers.image.version=$suite" \
    --message "sre.oom molecule image: debootstrap minbase $suite from $mirror" \
    - "$image" >/dev/null || die "docker import failed"
size=$(docker image inspect -f '{{.Size}}' "$image")
say "built $image in $(( $(date +%s) - start ))s ($(( size / 1000000 )) MB)"

#!/usr/bin/env bash
# Build (or find in the cache) a bootable Debian VM image for the sre.oom VM test bed.
#
# usage: scripts/vm/image.sh RELEASE [--force]      (RELEASE: bookworm | trixie)
# prints: the image directory, holding
#   disk.img    raw ext4 root file system (no partition table; root=/dev/vda)
#   vmlinuz     the Debian kernel of the image
#   initrd.img  its initramfs
#   info        release, package list, kernel and systemd versions, build time
#
# Everything comes from Debian's packages (debootstrap --variant=minbase); the
# disk is made with `mkfs.ext4 -d` (no loop mount). The cache key is the
# release, the package list, the swap and disk sizes and `layout` (raise it
# whenever the guest configuration below changes): a second run with the same
# key builds nothing. Needs root (debootstrap), debootstrap and e2fsprogs.
#
#   SRE_OOM_VM_DIR         cache and run directory (default: <repo>/build/vm)
#   SRE_OOM_DEBIAN_MIRROR  Debian mirror (default: the one apt on this machine uses)
#   SRE_OOM_VM_EXTRA_PACKAGES  comma-separated packages added to the list (part of the key)
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin     # mkfs.ext4 and debootstrap live there

release=${1:?usage: image.sh RELEASE [--force]}
force=${2:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
vmdir=${SRE_OOM_VM_DIR:-$repo/build/vm}
say() { echo "vm-image[$release]: $*" >&2; }
die() { echo "vm-image[$release]: ERROR: $*" >&2; exit 1; }

case $release in
    bookworm|trixie) ;;
    *) die "unsupported release '$release' (bookworm or trixie)" ;;
esac

# What every test of the bed needs: systemd as init with systemd-oomd and
# dbus (oomctl talks to it), udev, the kernel, SSH, Python for Ansible, and the
# tools the tests call. systemd-journal-remote carries systemd-journal-upload
# (journal shipping for the EDA fleet mode).
packages=systemd-sysv,systemd-oomd,dbus,udev,linux-image-amd64,openssh-server,python3,iproute2,kmod,procps,systemd-journal-remote
[ -n "${SRE_OOM_VM_EXTRA_PACKAGES:-}" ] && packages=$packages,$SRE_OOM_VM_EXTRA_PACKAGES
swap_mb=256
disk_size=2G
layout=1  # the guest configuration written below; raise it when that changes

key=$(printf '%s\n%s\n%s\n' "$release" "$packages" "$swap_mb $disk_size layout=$layout" \
      | sha256sum | cut -c1-12)
out=$vmdir/images/$release-$key
if [ "$force" != --force ] && [ -s "$out/disk.img" ] && [ -s "$out/info" ]; then
    say "cached: $out"
    echo "$out"
    exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap needs it)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (scripts/vm/deps.sh)"
command -v mkfs.ext4 >/dev/null 2>&1 || die "mkfs.ext4 is not installed (e2fsprogs)"

# shellcheck source=scripts/lib/debootstrap.sh
. "$here/../lib/debootstrap.sh"
mirror=$(debian_mirror)

mkdir -p "$vmdir/images"
work=$(mktemp -d "$vmdir/images/.build-$release.XXXXXX")
root=$work/rootfs
trap 'remove_build_tree "vm-image[$release]" "$work"' EXIT

start=$(date +%s)
say "debootstrap --variant=minbase $release from $mirror (packages: $packages)"
debootstrap --variant=minbase --include="$packages" "$release" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

# --- the guest's configuration -------------------------------------------------
# Root file system straight on /dev/vda; a 256 MB swapfile (systemd-oomd acts on
# memory pressure only with swap: without it, it logs "No swap; memory pressure
# usage will be degraded" and kills nothing).
cat >"$root/etc/fstab" <<'EOF'
/dev/vda  /          ext4  rw,errors=remount-ro  0 1
/swapfile none       swap  sw                    0 0
EOF
# mkfs.ext4 -d leaves holes where a file holds zero blocks, and swapon refuses
# a file with holes: fill it with 0xff before mkswap writes its header.
head -c $((swap_mb << 20)) /dev/zero | tr '\0' '\377' >"$root/swapfile"
chmod 600 "$root/swapfile"
mkswap "$root/swapfile" >/dev/null

# Persistent journal (the tests read kills again after a reboot).
mkdir -p "$root/var/log/journal"
# machine-id made at first boot (each VM its own); hostname from the kernel
# command line (systemd.hostname=).
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root/etc/hostname"
ln -s /etc/machine-id "$root/var/lib/dbus/machine-id"

# Network: QEMU's user-mode network always gives the guest 10.0.2.15 behind
# 10.0.2.2; a static address needs no DHCP round trip at boot.
mkdir -p "$root/etc/systemd/network"
cat >"$root/etc/systemd/network/10-qemu-user.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
DNS=10.0.2.3
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF

# The SSH key of a run comes on the kernel command line
# (sre_oom.ssh_key=<base64 blob of an ed25519 public key>): the image is built
# once and cached, the key is made per run. Root logs in with that key only.
mkdir -p "$root/usr/local/sbin" "$root/root/.ssh"
chmod 700 "$root/root/.ssh"
cat >"$root/usr/local/sbin/sre-oom-ssh-key" <<'EOF'
#!/bin/sh
# Install the run's SSH key from the kernel command line (sre.oom VM test bed).
set -eu
key=
for arg in $(cat /proc/cmdline); do
    case $arg in sre_oom.ssh_key=*) key=${arg#sre_oom.ssh_key=} ;; esac
done
[ -n "$key" ] || exit 0
umask 077
mkdir -p /root/.ssh
printf 'ssh-ed25519 %s sre-oom-vm-run\n' "$key" >/root/.ssh/authorized_keys.new
mv /root/.ssh/authorized_keys.new /root/.ssh/authorized_keys
EOF
chmod 755 "$root/usr/local/sbin/sre-oom-ssh-key"
cat >"$root/etc/systemd/system/sre-oom-ssh-key.service" <<'EOF'
[Unit]
Description=Install the SSH key of this test run (sre.oom VM test bed)
Before=ssh.service
ConditionKernelCommandLine=sre_oom.ssh_key

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/sre-oom-ssh-key

[Install]
WantedBy=multi-user.target
EOF
cat >"$root/etc/ssh/sshd_config.d/sre-oom.conf" <<'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOF
# Marker on the serial console once the machine is up (up.sh waits for it).
cat >"$root/etc/systemd/system/sre-oom-ready.service" <<'EOF'
[Unit]
Description=Tell the host on the serial console that the VM is up
After=ssh.service sre-oom-ssh-key.service
Wants=ssh.service

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "SRE-OOM-VM-READY boot_id=$(cat /proc/sys/kernel/random/boot_id)" >/dev/ttyS0'

[Install]
WantedBy=multi-user.target
EOF
# No timers or services a test bed does not need (they cost seconds under TCG).
for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
         fstrim.timer man-db.timer systemd-journal-upload.service systemd-journal-remote.socket \
         systemd-journal-remote.service getty@tty1.service; do
    rm -f "$root"/etc/systemd/system/*.wants/"$u"
done
systemctl --root="$root" enable systemd-networkd.service ssh.service systemd-oomd.service \
    sre-oom-ssh-key.service sre-oom-ready.service >/dev/null 2>&1 \
    || die "systemctl --root enable failed"
systemctl --root="$root" disable systemd-journal-upload.service systemd-journal-remote.socket >/dev/null 2>&1 || true

# No apt caches or lists in the image.
rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
       "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
mkdir -p "$root/var/lib/apt/lists/partial"

kernel=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sort -V | tail -n1)
initrd=initrd.img-${kernel#vmlinuz-}
[ -s "$root/boot/$initrd" ] || die "no initramfs for $kernel in the image"
# shellcheck disable=SC2016  # dpkg-query's own ${Version}, not the shell's
systemd_version=$(chroot "$root" dpkg-query -W -f='${Version}' systemd 2>/dev/null || echo '?')

# --- the disk ----------------------------------------------------------------
stage=$work/out
mkdir -p "$stage"
cp "$root/boot/$kernel" "$stage/vmlinuz"
cp "$root/boot/$initrd" "$stage/initrd.img"
# Unmount whatever debootstrap left before packing the tree.
for m in $(findmnt -rn -o TARGET | grep -F "$root" | sort -r); do umount "$m" || umount -l "$m"; done
mkfs.ext4 -q -F -L sre-oom-root -d "$root" "$stage/disk.img" "$disk_size" >&2 \
    || die "mkfs.ext4 -d failed"
cat >"$stage/info" <<EOF
release=$release
key=$key
packages=$packages
kernel=${kernel#vmlinuz-}
systemd=$systemd_version
mirror=$mirror
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
build_seconds=$(( $(date +%s) - start ))
EOF
rm -rf "$out"
mv "$stage" "$out"
# Older images of this release (other keys) are left for `make clean`.
say "built $out in $(( $(date +%s) - start ))s (kernel ${kernel#vmlinuz-}, systemd $systemd_version)"
echo "$out"

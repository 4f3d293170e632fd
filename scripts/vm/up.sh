#!/usr/bin/env bash
# Boot one VM of the sre.oom test bed and wait until SSH answers.
#
# usage: scripts/vm/up.sh NAME RELEASE          (RELEASE: bookworm | trixie)
#
# Prints shell-style KEY=VALUE lines (also written to <state>/vm.env):
#   name release state ssh_host ssh_port ssh_user ssh_key pidfile pid accel
#   serial boot_seconds image
# Stop it with scripts/vm/down.sh NAME (by the pid in <state>/qemu.pid).
#
# The VM: the cached image of scripts/vm/image.sh (built when missing) under a
# copy-on-write overlay of its own (<state>/disk.qcow2: the image is never
# written), booted with -kernel/-initrd, `root=/dev/vda rw console=ttyS0 psi=1`
# (cgroup v2 is the default of both releases), 256 MB swapfile, persistent
# journal. Network: QEMU user mode with restrict=on (the guest reaches nothing
# outside) and only SSH forwarded, from 127.0.0.1:<free port>. A panic
# reboots the guest inside the same QEMU process (no -no-reboot).
# Acceleration: KVM when a probe (a throw-away QEMU booting the image's
# kernel) shows the kernel reaches user space under it within
# SRE_OOM_VM_KVM_PROBE_SECONDS, else TCG (software emulation); the choice is
# remembered for the host's current boot in <dir>/run/accel.
#
# Environment:
#   SRE_OOM_VM_DIR          cache and state directory (default <repo>/build/vm);
#                           the state of NAME is <dir>/run/NAME
#   SRE_OOM_VM_KEY          private key to use (default: one made per VM in its state dir)
#   SRE_OOM_VM_MEM          guest memory in MB (default 512)
#   SRE_OOM_VM_CPUS         guest CPUs (default 1)
#   SRE_OOM_VM_ACCEL        auto | kvm | tcg (default auto)
#   SRE_OOM_VM_KVM_PROBE_SECONDS  (default 20)
#   SRE_OOM_VM_BOOT_TIMEOUT seconds until SSH must answer (default 600)
#   SRE_OOM_VM_NETDEV_EXTRA appended to -netdev user,... e.g.
#                           ",guestfwd=tcp:10.0.2.100:19532-cmd:nc 127.0.0.1 19532"
set -euo pipefail

name=${1:?usage: up.sh NAME RELEASE}
release=${2:?usage: up.sh NAME RELEASE}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
vmdir=${SRE_OOM_VM_DIR:-$repo/build/vm}
mem=${SRE_OOM_VM_MEM:-512}
cpus=${SRE_OOM_VM_CPUS:-1}
accel_req=${SRE_OOM_VM_ACCEL:-auto}
probe_s=${SRE_OOM_VM_KVM_PROBE_SECONDS:-20}
boot_timeout=${SRE_OOM_VM_BOOT_TIMEOUT:-600}
say() { echo "vm-up[$name]: $*" >&2; }
die() { echo "vm-up[$name]: ERROR: $*" >&2; exit 1; }

[[ $name =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || die "NAME must be lower-case letters, digits and '-' (a host name)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed (scripts/vm/deps.sh)"
if ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then die "ssh is not installed (scripts/vm/deps.sh)"; fi

state=$vmdir/run/$name
if [ -s "$state/qemu.pid" ] && "$here/down.sh" --check "$name" 2>/dev/null; then
    die "already running (pid $(cat "$state/qemu.pid")); stop it first: scripts/vm/down.sh $name"
fi
mkdir -p "$state"
chmod 700 "$state"
# down.sh NAME, run while this script still starts NAME (Ansible's async job
# detaches it from a Ctrl-C), ends this script first by this pid; the down.sh
# this script runs itself leaves it alone.
echo $$ >"$state/up.pid"
export SRE_OOM_VM_UP_PID=$$
trap 'rm -f "$state/up.pid"' EXIT
image=$("$here/image.sh" "$release")
rm -f "$state/qemu.pid" "$state/vm.env" "$state/serial.log" "$state/disk.qcow2"

key=${SRE_OOM_VM_KEY:-$state/id_ed25519}
if [ ! -s "$key" ]; then
    ssh-keygen -q -t ed25519 -N '' -C "sre-oom-vm-$name" -f "$key"
fi
[ -s "$key.pub" ] || die "no public key $key.pub next to $key"
blob=$(awk '{print $2}' "$key.pub")

qemu-img create -q -f qcow2 -F raw -b "$image/disk.img" "$state/disk.qcow2" \
    || die "qemu-img create failed"

# A free port on 127.0.0.1 (the kernel picks it; QEMU binds it right after).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

host_boot=$(cat /proc/sys/kernel/random/boot_id)
accel_file=$vmdir/run/accel

# probe_kvm: 0 when the image's kernel boots under KVM within probe_s seconds
# as far as user space, or to mounting its root file system (a throw-away QEMU,
# no disk: rdinit names no file, so the kernel goes on to mount a root it does
# not have and panics there). A panic earlier in the boot is no pass. Nested KVM
# here either aborts ("failed to set MSR") or hangs right after the BIOS.
probe_kvm() {
    local log=$state/kvm-probe.log pid deadline rc=1
    : >"$log"
    qemu-system-x86_64 -machine q35,accel=kvm -cpu host -m 256 -nodefaults -no-user-config \
        -display none -vga none -no-reboot \
        -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
        -append "console=ttyS0 panic=-1 rdinit=/sre-oom-kvm-probe" \
        -serial "file:$log" >"$log.err" 2>&1 &
    pid=$!
    # the probe runs before the VM's own traps: an interruption ends it here,
    # then this shell by the same signal (so that the script stops too)
    trap 'kill -KILL "$pid" 2>/dev/null; trap - INT; kill -s INT "$BASHPID"' INT
    trap 'kill -KILL "$pid" 2>/dev/null; trap - TERM; kill -s TERM "$BASHPID"' TERM
    deadline=$((SECONDS + probe_s))
    while [ $SECONDS -lt $deadline ] && kill -0 "$pid" 2>/dev/null; do
        if grep -qa 'Run /init as init process\|Run /sre-oom-kvm-probe\|VFS: Unable to mount root fs' "$log"; then rc=0; break; fi
        sleep 0.5
    done
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    trap - INT TERM
    return $rc
}

decide_accel() {
    case $accel_req in
        kvm|tcg) echo "$accel_req"; return ;;
        auto) ;;
        *) die "SRE_OOM_VM_ACCEL must be auto, kvm or tcg" ;;
    esac
    if [ ! -w /dev/kvm ]; then echo tcg; return; fi
    if [ -s "$accel_file" ] && [ "$(sed -n 2p "$accel_file")" = "$host_boot" ]; then
        sed -n 1p "$accel_file"; return
    fi
    local a=tcg why="the kernel did not reach user space within ${probe_s}s"
    if probe_kvm; then a=kvm; why="passed"; fi
    [ $a = tcg ] && say "KVM probe: $why; using TCG (software emulation)"
    printf '%s\n%s\nKVM probe %s at %s\n' "$a" "$host_boot" "$why" "$(date -u +%FT%TZ)" >"$accel_file"
    echo $a
}

launch() {  # launch ACCEL PORT
    local accel=$1 port=$2 cpu
    if [ "$accel" = kvm ]; then cpu=host; else cpu=max; fi
    qemu-system-x86_64 \
        -name "sre-oom-$name,process=sre-oom-vm-$name" \
        -machine q35,accel="$accel" -cpu "$cpu" -smp "$cpus" -m "$mem" \
        -nodefaults -no-user-config -display none -vga none \
        -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
        -append "root=/dev/vda rw console=ttyS0 psi=1 quiet systemd.hostname=$name sre_oom.ssh_key=$blob" \
        -drive "file=$state/disk.qcow2,format=qcow2,if=virtio,cache=unsafe,discard=unmap" \
        -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:22${SRE_OOM_VM_NETDEV_EXTRA:-}" \
        -device virtio-net-pci,netdev=n0 \
        -device virtio-rng-pci \
        -serial "file:$state/serial.log" \
        -pidfile "$state/qemu.pid" -daemonize 2>"$state/qemu.err"
}

# wait_serial PATTERN SECONDS: 0 when the serial log shows PATTERN in time,
# 2 when QEMU is gone.
wait_serial() {
    local pattern=$1 deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        grep -qa -- "$pattern" "$state/serial.log" 2>/dev/null && return 0
        "$here/down.sh" --check "$name" 2>/dev/null || return 2
        sleep 1
    done
    return 1
}

start=$SECONDS
accel=$(decide_accel)
# From here on, a failure or an interruption stops the VM (by its pid).
up_ok=
trap '[ -n "$up_ok" ] || "$here/down.sh" "$name" >/dev/null 2>&1 || true; rm -f "$state/up.pid"' EXIT
trap 'exit 130' INT TERM
for _ in 1 2 3; do
    port=$(free_port)
    : >"$state/serial.log"
    launch "$accel" "$port" && break
    if grep -qi 'hostfwd\|address already in use\|host forwarding' "$state/qemu.err"; then
        say "port $port taken, trying another"; continue
    fi
    cat "$state/qemu.err" >&2
    die "qemu did not start"
done
[ -s "$state/qemu.pid" ] || die "qemu did not start ($(cat "$state/qemu.err" 2>/dev/null))"
pid=$(cat "$state/qemu.pid")
say "qemu pid $pid, accel $accel, ssh on 127.0.0.1:$port"

ssh_opts=(-i "$key" -p "$port" -o BatchMode=yes -o StrictHostKeyChecking=no
          -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10)
rc=0
wait_serial 'SRE-OOM-VM-READY' "$boot_timeout" || rc=$?
if [ "$rc" != 0 ]; then
    tail -n 40 "$state/serial.log" >&2 || true
    "$here/down.sh" "$name" >/dev/null 2>&1 || true
    [ "$rc" = 2 ] && die "qemu exited during boot (serial log above)"
    die "no ready marker on the serial console within ${boot_timeout}s (serial log above); VM stopped"
fi
deadline=$((SECONDS + 120))
until ssh "${ssh_opts[@]}" root@127.0.0.1 true 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
        "$here/down.sh" "$name" >/dev/null 2>&1 || true
        die "SSH on 127.0.0.1:$port did not answer; VM stopped"
    fi
    sleep 2
done
boot_s=$((SECONDS - start))
up_ok=1
say "up in ${boot_s}s"

{
    echo "name=$name"
    echo "release=$release"
    echo "state=$state"
    echo "ssh_host=127.0.0.1"
    echo "ssh_port=$port"
    echo "ssh_user=root"
    echo "ssh_key=$key"
    echo "pidfile=$state/qemu.pid"
    echo "pid=$pid"
    echo "accel=$accel"
    echo "serial=$state/serial.log"
    echo "boot_seconds=$boot_s"
    echo "image=$image"
} | tee "$state/vm.env"

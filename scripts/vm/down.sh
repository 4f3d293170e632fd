#!/usr/bin/env bash
# Stop VMs of the sre.oom test bed by the pid QEMU wrote, never by name.
#
# usage: scripts/vm/down.sh NAME...        stop these VMs, remove their overlay disks
#        scripts/vm/down.sh --all          every VM with a state dir under <dir>/run
#        scripts/vm/down.sh --check NAME   exit 0 when NAME's QEMU is running
#
# A pid is only signalled when /proc/<pid>/cmdline is that VM's QEMU (its own
# overlay disk on the command line), or that VM's up.sh while it still starts
# it: a stale pidfile never kills a stranger.
# SIGTERM, then SIGKILL after 10 s. Keeps serial.log and vm.env for reading.
#   SRE_OOM_VM_DIR   as for up.sh (default <repo>/build/vm)
#   SRE_OOM_VM_KEEP_DISK=1  keep <state>/disk.qcow2
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
vmdir=${SRE_OOM_VM_DIR:-$repo/build/vm}

# ours NAME: print the pid when NAME's QEMU is running, else fail.
ours() {
    local state=$vmdir/run/$1 pid
    [ -s "$state/qemu.pid" ] || return 1
    pid=$(tr -dc 0-9 <"$state/qemu.pid")
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == *"file=$state/disk.qcow2,"* ]] || return 1
    echo "$pid"
}

# running PID: the process is there and not a zombie (an exited child that its
# parent has not reaped yet is gone for our purpose).
running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# ended PID TRIES: 0 once PID is gone, after SIGTERM and up to TRIES checks 0.2 s apart.
ended() {
    kill -TERM "$1" 2>/dev/null
    for _ in $(seq 1 "$2"); do
        running "$1" || return 0
        sleep 0.2
    done
    ! running "$1"
}

# starting NAME: print the pid of an up.sh still starting NAME, else fail (the
# up.sh that runs this script is not counted: SRE_OOM_VM_UP_PID).
starting() {
    local state=$vmdir/run/$1 pid
    [ -s "$state/up.pid" ] || return 1
    pid=$(tr -dc 0-9 <"$state/up.pid")
    [ -n "$pid" ] && [ "$pid" != "${SRE_OOM_VM_UP_PID:-}" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == *"up.sh $1 "* ]] || return 1
    echo "$pid"
}

stop() {
    local name=$1 state=$vmdir/run/$1 pid
    # An up.sh still starting the VM ends first (SIGTERM: its trap stops what it
    # booted, and it boots nothing after it): else it could boot the VM after this.
    if pid=$(starting "$name") && ! ended "$pid" 150; then
        echo "vm-down[$name]: up.sh (pid $pid) is still in a step; it exits at its end and boots nothing" >&2
    fi
    if pid=$(ours "$name"); then
        if ! ended "$pid" 50; then
            kill -KILL "$pid" 2>/dev/null
            sleep 0.5
        fi
        if running "$pid"; then
            echo "vm-down[$name]: ERROR: pid $pid did not stop" >&2
            return 1
        fi
        echo "vm-down[$name]: stopped pid $pid" >&2
    fi
    rm -f "$state/qemu.pid"
    [ "${SRE_OOM_VM_KEEP_DISK:-0}" = 1 ] || rm -f "$state/disk.qcow2"
    return 0
}

case ${1:-} in
    --check)
        ours "${2:?usage: down.sh --check NAME}" >/dev/null ;;
    --all)
        rc=0
        for d in "$vmdir"/run/*/; do
            [ -d "$d" ] || continue
            stop "$(basename "$d")" || rc=1
        done
        exit $rc ;;
    ''|-*)
        echo "usage: down.sh NAME... | --all | --check NAME" >&2; exit 2 ;;
    *)
        rc=0
        for n in "$@"; do stop "$n" || rc=1; done
        exit $rc ;;
esac

#!/usr/bin/env bash
# Run CMD and always put the host's sysctls back as they were.
#
# usage: molecule/scripts/with-host-sysctls.sh CMD [ARGS...]
#
# vm.* and kernel.panic are not namespaced: a privileged test container writes the
# machine's values (the `default` scenario sets vm.panic_on_oom=1 and kernel.panic=10
# live). systemd booting as PID 1 in a privileged container also raises fs.file-max
# and fs.nr_open, and systemd-sysctl applies its fs.protected_* defaults to the host.
# This records those keys before CMD and, on any exit (including Ctrl-C), writes back
# every one that differs, saying what it restored. Exit status is CMD's.
#
# A run killed before it could restore (SIGKILL, a CI timeout) leaves its record in
# $SRE_OOM_SYSCTL_STATE_DIR (default /run/sre-oom, gone at reboot, when the kernel's
# own values are back anyway): the next run puts those values back first. A record
# holds one `key=value` line per key and is named after the pid that wrote it; the
# record of a run still going is left alone.
set -uo pipefail

[ $# -gt 0 ] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }

keys=(
    vm.panic_on_oom kernel.panic vm.oom_kill_allocating_task vm.oom_dump_tasks
    vm.overcommit_memory vm.overcommit_ratio
    fs.file-max fs.nr_open fs.protected_fifos fs.protected_hardlinks
    fs.protected_regular fs.protected_symlinks kernel.core_pattern kernel.pid_max
)
path() { echo "/proc/sys/${1//.//}"; }

# put_back KEY VALUE [WHY]: write VALUE when the key holds another, saying so.
# A key that cannot be written back (e.g. fs.nr_open below a running process's
# open-file limit) is reported, and the others are still restored.
put_back() {
    local p now
    p=$(path "$1")
    now=$(cat "$p" 2>/dev/null) || return 0
    [ "$now" = "$2" ] && return 0
    if printf '%s\n' "$2" > "$p" 2>/dev/null; then
        echo "with-host-sysctls: restored $1 = $2 (was $now)${3:+ $3}" >&2
    else
        echo "with-host-sysctls: WARNING: could not restore $1 = $2 (now $now)${3:+ $3}" >&2
    fi
}

state_dir=${SRE_OOM_SYSCTL_STATE_DIR:-/run/sre-oom}
record="$state_dir/host-sysctls.$$"

# the records of runs that ended without restoring (their pid is gone)
dead_records() {
    local f
    for f in "$state_dir"/host-sysctls.*; do
        [ -f "$f" ] || continue
        case "${f##*.}" in *[!0-9]*) continue ;; esac
        # a record named after this run's own pid is a dead run's (pid reused)
        if [ "${f##*.}" = "$$" ] || [ ! -e "/proc/${f##*.}" ]; then echo "$f"; fi
    done
}

# Oldest first: the oldest record holds the values from before any of those runs.
mapfile -t dead < <(dead_records | xargs -r ls -1tr 2>/dev/null)
for f in "${dead[@]}"; do
    while IFS= read -r line; do
        k=${line%%=*}
        for known in "${keys[@]}"; do
            [ "$k" = "$known" ] && put_back "$k" "${line#*=}" "(left by killed run ${f##*.})"
        done
    done < "$f"
    rm -f "$f"
done

declare -A saved=()
for k in "${keys[@]}"; do
    p=$(path "$k")
    [ -r "$p" ] && saved[$k]=$(cat "$p")
done

# the record, written whole before CMD starts (a rename)
if mkdir -p "$state_dir" 2>/dev/null; then
    for k in "${keys[@]}"; do
        [ -n "${saved[$k]+x}" ] && printf '%s=%s\n' "$k" "${saved[$k]}"
    done > "$record.tmp" 2>/dev/null && mv -f "$record.tmp" "$record"
fi

restored=0
restore() {
    local k f
    [ "$restored" = 1 ] && return
    restored=1
    for k in "${keys[@]}"; do
        [ -n "${saved[$k]+x}" ] && put_back "$k" "${saved[$k]}"
    done
    # Records of runs that started after this one and were killed (a nested
    # run) hold no older values than this run's: they are done with too.
    if [ -f "$record" ]; then
        while IFS= read -r f; do
            [ "$f" -ot "$record" ] || rm -f "$f"
        done < <(dead_records)
    fi
    rm -f "$record" "$record.tmp"
}
trap restore EXIT
trap 'restore; exit 130' INT
trap 'restore; exit 143' TERM

"$@"
rc=$?
restore
exit "$rc"

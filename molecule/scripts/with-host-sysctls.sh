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
set -uo pipefail

[ $# -gt 0 ] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }

keys=(
    vm.panic_on_oom kernel.panic vm.oom_kill_allocating_task vm.oom_dump_tasks
    vm.overcommit_memory vm.overcommit_ratio
    fs.file-max fs.nr_open fs.protected_fifos fs.protected_hardlinks
    fs.protected_regular fs.protected_symlinks kernel.core_pattern kernel.pid_max
)
path() { echo "/proc/sys/${1//.//}"; }

declare -A saved=()
for k in "${keys[@]}"; do
    p=$(path "$k")
    [ -r "$p" ] && saved[$k]=$(cat "$p")
done

restored=0
restore() {
    local k p now
    [ "$restored" = 1 ] && return
    restored=1
    # A key that cannot be written back (e.g. fs.nr_open below a running
    # process's open-file limit) is reported, and the others still restored.
    for k in "${keys[@]}"; do
        [ -n "${saved[$k]+x}" ] || continue
        p=$(path "$k")
        now=$(cat "$p" 2>/dev/null) || continue
        [ "$now" = "${saved[$k]}" ] && continue
        if printf '%s\n' "${saved[$k]}" > "$p" 2>/dev/null; then
            echo "with-host-sysctls: restored $k = ${saved[$k]} (was $now)" >&2
        else
            echo "with-host-sysctls: WARNING: could not restore $k = ${saved[$k]} (now $now)" >&2
        fi
    done
}
trap restore EXIT
trap 'restore; exit 130' INT
trap 'restore; exit 143' TERM

"$@"
rc=$?
restore
exit "$rc"

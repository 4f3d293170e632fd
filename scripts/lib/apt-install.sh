# shellcheck shell=bash
# Install Debian packages that are missing, one apt at a time on the machine.
# Sourced (not run) by the scripts that make sure a tool is there:
# tests/eda/ensure-deps.sh, bench/oom_facts/ensure-journal-remote.sh,
# scripts/vm/deps.sh.
#
# usage: apt_install_missing WHO PACKAGE...
#   WHO prefixes the messages ("WHO: ..."). Uses apt-get as root, or through
#   `sudo -n` when sudo needs no password; otherwise it says what to install and
#   returns 1 (as it does when there is no apt-get). Every apt-get runs under
#   `flock ${SRE_OOM_APT_LOCK:-/tmp/sre-oom-apt.lock}` (when flock exists). The
#   package lists may be missing or stale on a fresh machine: when the install
#   fails, `apt-get update` once and install again.
#   apt-get's output goes to stderr, or to the file APT_INSTALL_LOG names when
#   it is set (its last lines are shown on stderr when apt-get fails).
#   Nothing is printed on stdout.

apt_install_missing() {
    local who=$1; shift
    [ $# -gt 0 ] || return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            echo "$who: missing $*; install them as root (Debian/Ubuntu: apt-get install $*)" >&2
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "$who: missing $* and no apt-get; install them by hand" >&2
        return 1
    fi
    local lock=(flock "${SRE_OOM_APT_LOCK:-/tmp/sre-oom-apt.lock}")
    command -v flock >/dev/null 2>&1 || lock=()
    local log=${APT_INSTALL_LOG:-}
    _apt_install_run() {
        if [ -n "$log" ]; then
            "${sudo[@]}" "${lock[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@" >>"$log" 2>&1
        else
            "${sudo[@]}" "${lock[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@" >&2
        fi
    }
    [ -z "$log" ] || : >"$log"
    if _apt_install_run install -y -q --no-install-recommends "$@" \
        || { _apt_install_run update -q && _apt_install_run install -y -q --no-install-recommends "$@"; }; then
        return 0
    fi
    [ -z "$log" ] || tail -n 15 "$log" >&2
    echo "$who: apt-get install $* failed${log:+ (log: $log)}" >&2
    return 1
}

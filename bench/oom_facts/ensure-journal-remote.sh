#!/usr/bin/env bash
# Make sure systemd-journal-remote is installed: the journal benchmark
# (bench/oom_facts/journal.py) builds real journal files with it from a generated
# journal export stream (`systemd-journal-remote -o FILE.journal -`).
#
# usage: bench/oom_facts/ensure-journal-remote.sh
#   Prints the path of the binary. Installs Debian's systemd-journal-remote when it
#   is missing and this shell may use apt-get (root, or sudo without a password);
#   otherwise it says what to install and exits 1.
set -euo pipefail

find_remote() {
    local p
    for p in /lib/systemd/systemd-journal-remote /usr/lib/systemd/systemd-journal-remote; do
        if [ -x "$p" ]; then echo "$p"; return 0; fi
    done
    return 1
}

if find_remote; then exit 0; fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "ensure-journal-remote: not found; install it (Debian/Ubuntu: apt-get install systemd-journal-remote)" >&2
        exit 1
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-journal-remote: not found and no apt-get; install systemd-journal-remote" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Machines that share one package database take turns through this lock.
lock=(flock "${SRE_OOM_APT_LOCK:-/tmp/sre-oom-apt.lock}")
command -v flock >/dev/null 2>&1 || lock=()
apt_install() { "${sudo[@]}" "${lock[@]}" apt-get install -y -q --no-install-recommends systemd-journal-remote >&2; }
# The package lists may be missing or stale on a fresh machine: update once and retry.
if ! apt_install; then
    "${sudo[@]}" "${lock[@]}" apt-get update -q >&2
    apt_install
fi
find_remote || { echo "ensure-journal-remote: installed but not found in /lib/systemd" >&2; exit 1; }

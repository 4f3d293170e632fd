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

# shellcheck source=scripts/lib/apt-install.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/apt-install.sh"
apt_install_missing ensure-journal-remote systemd-journal-remote || exit 1
find_remote || { echo "ensure-journal-remote: installed but not found in /lib/systemd" >&2; exit 1; }

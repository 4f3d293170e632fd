#!/usr/bin/env bash
# Make sure what the EDA tests need is installed: a Java 17+ runtime
# (ansible-rulebook's rule engine, drools_jpy, runs in the JVM) and
# systemd-journal-remote (the fleet tests write journals with it, and send them
# with systemd-journal-upload), and nc (the VM fleet test). Used by `make eda-tests`.
#
# usage: tests/eda/ensure-deps.sh
#   Prints the java found. Installs Debian's openjdk-17-jre-headless when no
#   java 17+ is found, and systemd-journal-remote when it is missing, if this
#   shell may use apt-get (root, or sudo without a password); otherwise it says
#   what to install and exits 1.
set -euo pipefail

java_major() {
    # `java -version` prints e.g. 'openjdk version "17.0.15" 2025-04-15' (or "1.8.0_x")
    local v
    v=$("$1" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n1)
    case "$v" in
        1.*) v=${v#1.}; echo "${v%%.*}" ;;
        "") echo 0 ;;
        *) echo "${v%%[.+-]*}" ;;
    esac
}

find_java() {
    local j
    for j in "${JAVA_HOME:+$JAVA_HOME/bin/java}" java; do
        [ -n "$j" ] || continue
        j=$(command -v "$j" 2>/dev/null) || continue
        if [ "$(java_major "$j")" -ge 17 ]; then echo "$j"; return 0; fi
    done
    return 1
}

need=()
find_java >/dev/null || need+=(openjdk-17-jre-headless)
[ -x /lib/systemd/systemd-journal-remote ] || need+=(systemd-journal-remote)
command -v nc >/dev/null 2>&1 || need+=(netcat-openbsd)     # the VM fleet test: QEMU guestfwd to journal-remote
if [ ${#need[@]} -eq 0 ]; then find_java; exit 0; fi

# shellcheck source=scripts/lib/apt-install.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/apt-install.sh"
apt_install_missing ensure-deps "${need[@]}" || exit 1
[ -x /lib/systemd/systemd-journal-remote ] || { echo "ensure-deps: systemd-journal-remote installed but /lib/systemd/systemd-journal-remote is missing" >&2; exit 1; }
find_java || { echo "ensure-deps: openjdk-17-jre-headless installed but no java 17+ on PATH" >&2; exit 1; }

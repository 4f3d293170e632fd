#!/usr/bin/env bash
# Make sure a Java 17+ runtime is installed: ansible-rulebook's rule engine
# (drools_jpy) runs in the JVM. Used by `make eda-tests`.
#
# usage: tests/eda/ensure-java.sh
#   Prints the java found. Installs Debian's openjdk-17-jre-headless when no
#   java 17+ is found and this shell may use apt-get (root, or sudo without a
#   password); otherwise it says what to install and exits 1.
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

if find_java; then exit 0; fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "ensure-java: no Java 17+ found; install one (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)" >&2
        exit 1
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-java: no Java 17+ found and no apt-get; install a Java 17+ runtime or set JAVA_HOME" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() { "${sudo[@]}" apt-get install -y -q --no-install-recommends openjdk-17-jre-headless >&2; }
# The package lists may be missing or stale on a fresh machine: update once and retry.
if ! apt_install; then
    "${sudo[@]}" apt-get update -q >&2
    apt_install
fi
find_java || { echo "ensure-java: openjdk-17-jre-headless installed but no java 17+ on PATH" >&2; exit 1; }

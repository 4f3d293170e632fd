#!/usr/bin/env bash
# Make sure a headless-capable Chromium is installed for the report's
# real-browser check (tests/report/test_report_browser.py).
#
# usage: tests/report/ensure-chromium.sh
#   Prints the path of the browser. Installs Debian's `chromium` package when
#   none is found and this shell may use apt-get (root, or sudo without a
#   password); otherwise it says what to install and exits 1.
#   CHROMIUM=/path/to/browser skips the search.
set -euo pipefail

find_browser() {
    local c
    for c in "${CHROMIUM:-}" chromium chromium-browser google-chrome-stable google-chrome; do
        [ -n "$c" ] || continue
        if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
    done
    return 1
}

if find_browser; then exit 0; fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "ensure-chromium: no Chromium found; install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM=/path" >&2
        exit 1
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: no Chromium found and no apt-get; install Chromium or set CHROMIUM=/path" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() { "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium >&2; }
# The package lists may be missing or stale on a fresh machine: update once
# and retry before giving up.
if ! apt_install; then
    "${sudo[@]}" apt-get update -q >&2
    apt_install
fi
find_browser || { echo "ensure-chromium: chromium installed but not on PATH" >&2; exit 1; }

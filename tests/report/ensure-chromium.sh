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

# shellcheck source=scripts/lib/apt-install.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/apt-install.sh"
if ! apt_install_missing ensure-chromium chromium; then
    echo "ensure-chromium: or set CHROMIUM=/path to a Chromium of your own" >&2
    exit 1
fi
find_browser || { echo "ensure-chromium: chromium installed but not on PATH" >&2; exit 1; }

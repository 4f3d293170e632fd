#!/usr/bin/env bash
# Create (or refresh) a virtualenv for sre.oom's toolchain.
#
# usage: scripts/setup-venv.sh PYTHON VENV REQUIREMENTS CORE_PIN BUNDLE
#   REQUIREMENTS  the pinned toolchain, requirements-dev.txt
#   CORE_PIN  empty: install REQUIREMENTS as pinned (the main .venv).
#             "runtime": only what `make report` needs to run the collection
#             (ansible-core and jinja2, at the versions REQUIREMENTS pins); no
#             test toolchain, no ansible-test preparation.
#             "ansible-core==X.Y.Z": a matrix venv with that core and only the
#             packages sanity and units need, at the versions REQUIREMENTS pins.
#   BUNDLE    empty, or the pinned `ansible` wheel to take community.docker and
#             ansible.posix from (unpacked into the venv's site-packages).
set -euo pipefail
python=${1:?}; venv=${2:?}; req=${3:?}; core=${4:-}; bundle=${5:-}
here=$(cd "$(dirname "$0")" && pwd)

[ -x "$python" ] || { echo "setup-venv: no Python at '$python' (install python3 and python3-venv)" >&2; exit 1; }
if [ ! -x "$venv/bin/python" ] || [ ! -x "$venv/bin/pip" ]; then
    if ! "$python" -m venv "$venv"; then
        # Debian's python3 has no ensurepip without python3-venv: install it, once
        # shellcheck source=scripts/lib/apt-install.sh
        . "$here/lib/apt-install.sh"
        if ! apt_install_missing setup-venv python3-venv || ! "$python" -m venv --clear "$venv"; then
            echo "setup-venv: '$python -m venv' failed (on Debian: apt-get install python3-venv)" >&2
            exit 1
        fi
    fi
fi
pip=("$venv/bin/pip" --disable-pip-version-check --quiet)
if [ -z "$core" ]; then
    "${pip[@]}" install -r "$req"
elif [ "$core" = runtime ]; then
    mapfile -t pins < <(grep -E '^(ansible-core|jinja2)==' "$req")
    [ "${#pins[@]}" = 2 ] || { echo "setup-venv: $req must pin ansible-core and jinja2 (==)" >&2; exit 1; }
    "${pip[@]}" install "${pins[@]}"
else
    # Keep the pins of the packages units need; swap ansible-core.
    mapfile -t pins < <(grep -E '^(jinja2|pytest|pytest-xdist|pytest-mock|hypothesis)==' "$req")
    "${pip[@]}" install "$core" "${pins[@]}"
fi

if [ -n "$bundle" ]; then
    site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    if [ ! -d "$site/ansible_collections/community/docker" ] || [ ! -d "$site/ansible_collections/ansible/posix" ]; then
        cache="${XDG_CACHE_HOME:-$HOME/.cache}/sre-oom/wheels"
        mkdir -p "$cache"
        "${pip[@]}" download --no-deps --only-binary=:all: -d "$cache" "$bundle"
        wheel=$(find "$cache" -maxdepth 1 -name "ansible-${bundle#ansible==}-*.whl" | sort | tail -n1)
        "$venv/bin/python" - "$wheel" "$site" <<'PY'
import sys, zipfile
wheel, site = sys.argv[1:]
keep = ("ansible_collections/community/docker/", "ansible_collections/ansible/posix/")
with zipfile.ZipFile(wheel) as zf:
    zf.extractall(site, [n for n in zf.namelist() if n.startswith(keep)])
PY
    fi
fi
[ "$core" = runtime ] || "$here/prepare-ansible-test.sh" "$venv"

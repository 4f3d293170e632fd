#!/usr/bin/env bash
# Build the collection tarball, install it into an empty collections path, and
# use it from there: ansible-doc renders every module and a module runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sre-oom-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$root"
version=$(awk '/^version:/ {print $2}' galaxy.yml)
ansible-galaxy collection build --force --output-path "$work/dist" . >/dev/null
tarball="$work/dist/sre-oom-$version.tar.gz"
[ -s "$tarball" ] || { echo "check-build: no tarball at $tarball" >&2; exit 1; }
# Nothing of the development tree may ship.
if tar -tzf "$tarball" | grep -E '^(\.venv|build|tests/output|bench/data)/' ; then
    echo "check-build: the tarball ships development files (see above)" >&2; exit 1
fi
# An empty config, so only the installed copy is on the collections path.
printf '[defaults]\ncollections_path = %s\n' "$work/collections" > "$work/ansible.cfg"
export ANSIBLE_CONFIG="$work/ansible.cfg"
ansible-galaxy collection install --force -p "$work/collections" "$tarball" >/dev/null
cd "$work"
for m in $(cd "$root/plugins/modules" && ls *.py | sed 's/\.py$//'); do
    ansible-doc "sre.oom.$m" 2>/dev/null | grep -q "$work/collections/ansible_collections/sre/oom/plugins/modules/$m.py" || { echo "check-build: ansible-doc sre.oom.$m failed" >&2; exit 1; }
done
ansible localhost -e ansible_python_interpreter="$(command -v python3)" -c local \
    -m sre.oom.oom_policy -a "panic_on_oom=0 path=$work/probe.conf apply=never" --check >/dev/null 2>&1
echo "check-build: $tarball ($(du -k "$tarball" | cut -f1) KiB, $(tar -tzf "$tarball" | wc -l) entries) installs; $(ls "$root/plugins/modules"/*.py | wc -l) modules documented; oom_policy runs from it"

#!/usr/bin/env bash
# Run ansible-test on a copy of the collection laid out as ansible-test wants
# it (it refuses symlinks: the files must sit under ansible_collections/sre/oom).
#
# usage: scripts/ansible-test.sh VENV COMMAND [ARGS...]
set -euo pipefail
venv=$(cd "${1:?usage: $0 VENV COMMAND [ARGS...]}" && pwd); shift
cmd=${1:?}; shift
root=$(cd "$(dirname "$0")/.." && pwd)
# A private copy per run, so parallel runs (and the matrix venvs) never collide.
# Outside the checkout: inside it, ansible-test would ask git for the file list
# and find the copy ignored.
work=$(mktemp -d "${TMPDIR:-/tmp}/sre-oom-ansible-test.$(basename "$venv").XXXXXX")
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/sre/oom"
mkdir -p "$dest"
# Copy what git would ship (tracked + untracked-not-ignored); without git, everything
# but the local build products.
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$root" ls-files -z --cached --others --exclude-standard \
        | (cd "$root" && while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done) \
        | tar -C "$root" --null -T - -cf - | tar -C "$dest" -xf -
else
    tar -C "$root" --exclude=./.venv --exclude='./.venv-*' --exclude=./build --exclude=./.git -cf - . \
        | tar -C "$dest" -xf -
fi
"$root/scripts/prepare-ansible-test.sh" "$venv"
cd "$dest"
export PATH="$venv/bin:$PATH"
rc=0
case "$cmd" in
    sanity) ansible-test sanity --color no --requirements "$@" || rc=$? ;;
    units)  ansible-test units --color no --requirements "$@" || rc=$? ;;
    *)      ansible-test "$cmd" "$@" || rc=$? ;;
esac
# Keep the reports where a person can find them after the copy is removed.
if [ -d "$dest/tests/output" ]; then
    mkdir -p "$root/tests/output"
    cp -r "$dest/tests/output/." "$root/tests/output/"
fi
exit $rc

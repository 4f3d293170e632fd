#!/usr/bin/env bash
# Run ansible-test on a copy of the collection laid out as ansible-test wants
# it (it refuses symlinks: the files must sit under ansible_collections/sre/oom).
#
# usage: scripts/ansible-test.sh VENV COMMAND [ARGS...]
set -euo pipefail
venv=$(cd "${1:?usage: $0 VENV COMMAND [ARGS...]}" && pwd); shift
cmd=${1:?}; shift
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/build/ansible-test/$(basename "$venv")/ansible_collections/sre/oom"
rm -rf "$dest"; mkdir -p "$dest"
# Copy what git would ship (tracked + untracked-not-ignored); without git, everything
# but the local build products.
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$root" ls-files -z --cached --others --exclude-standard \
        | (cd "$root" && xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' _) \
        | tar -C "$root" --null -T - -cf - | tar -C "$dest" -xf -
else
    tar -C "$root" --exclude=./.venv --exclude='./.venv-*' --exclude=./build --exclude=./.git -cf - . \
        | tar -C "$dest" -xf -
fi
"$root/scripts/prepare-ansible-test.sh" "$venv"
cd "$dest"
export PATH="$venv/bin:$PATH"
case "$cmd" in
    sanity) exec ansible-test sanity --color no --requirements "$@" ;;
    units)  exec ansible-test units --color no --requirements "$@" ;;
    *)      exec ansible-test "$cmd" "$@" ;;
esac

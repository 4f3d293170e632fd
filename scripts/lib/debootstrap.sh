# shellcheck shell=bash
# What the two debootstrap builds share: scripts/vm/image.sh (the VM images) and
# molecule/scripts/build-image.sh (the container images). Sourced, not run.
#
# debian_mirror
#   Prints the Debian mirror to debootstrap from: SRE_OOM_DEBIAN_MIRROR, else the
#   one apt already uses on this machine (the first URI ending in /debian), else
#   http://deb.debian.org/debian.
# remove_build_tree WHO DIR
#   Unmounts what is mounted under DIR (debootstrap mounts /proc and /sys inside
#   its target), then removes DIR; when a mount stays, warns ("WHO: ...") and
#   leaves DIR in place rather than remove files through it.

_apt_debian_uri() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        # one-line format: deb [opts] URI suite comp...; deb822: "URIs: URI ..."
        sed -nE -e 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' \
                -e 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n'
    done | grep -m1 -E '^https?://[^[:space:]]+/debian/?$'
}

debian_mirror() {
    local m=${SRE_OOM_DEBIAN_MIRROR:-$(_apt_debian_uri || true)}
    echo "${m:-http://deb.debian.org/debian}"
}

remove_build_tree() {
    local who=$1 dir=$2 m
    for m in $(findmnt -rn -o TARGET | grep -F "$dir" | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" || true
    done
    if grep -qF "$dir" <<<"$(findmnt -rn -o TARGET)"; then
        echo "$who: WARNING: mounts left under $dir; not removing it" >&2
    else
        rm -rf --one-file-system "$dir"
    fi
}

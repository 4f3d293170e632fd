# shellcheck shell=bash
# The functions set globals for the caller and read its root and image:
# shellcheck disable=SC2034,SC2154
# What scripts/build-ee.sh and scripts/build-de.sh share: both build an image
# with ansible-builder from a definition in docs/, offline (wheels downloaded on
# the host first), under the docker lock. Sourced, not run; the caller has set
# `root` (the repository) and `image`.
#
# builder_start KIND DEFINITION
#   KIND is ee or de. Sets bin, ctx (build/KIND), lock, version, t0 and the
#   say/die helpers ("build-KIND: ..."); makes a fresh ctx with wheels/, the
#   collection's tarball (ctx/sre-oom.tar.gz) and a copy of DEFINITION.
# builder_create
#   ansible-builder create: the context in ctx/context; sets cf (its
#   Containerfile) and writes ctx/tarball.list (the files of the tarball).
# builder_base_and_wheels PACKAGE...
#   Needs docker and the base image of the definition (sets base); downloads the
#   wheels of PACKAGE... and of ansible-builder's own steps into ctx/wheels.
# builder_lock / builder_unlock
#   Hold / release the docker lock (SRE_OOM_DOCKER_LOCK); sets t_wait, t_locked.
# builder_build
#   ansible-builder build of image:version with no network; removes the image
#   the tag named before (ours only) when it is no longer that tag's.

builder_start() {
    kind=$1
    definition=$(basename "$2")
    bin=$root/.venv/bin
    ctx=$root/build/$kind
    lock=${SRE_OOM_DOCKER_LOCK:-/tmp/sre-oom-molecule.lock}
    t0=$(date +%s)
    cd "$root" || exit 1
    version=$(awk '/^version:/ {print $2}' galaxy.yml)
    rm -rf "$ctx"
    mkdir -p "$ctx/wheels"
    "$bin/ansible-galaxy" collection build --force --output-path "$ctx" . >/dev/null
    mv "$ctx/sre-oom-$version.tar.gz" "$ctx/sre-oom.tar.gz"
    cp "$2" "$ctx/"
}

say() { echo "build-$kind: $*"; }
die() { echo "build-$kind: ERROR: $*" >&2; exit 1; }

builder_create() {
    "$bin/ansible-builder" create -f "$ctx/$definition" -c "$ctx/context" \
        --output-filename Containerfile >/dev/null
    cf=$ctx/context/Containerfile
    tar -tzf "$ctx/context/_build/sre-oom.tar.gz" > "$ctx/tarball.list"
}

builder_base_and_wheels() {
    command -v docker >/dev/null || die "docker is not installed (make molecule-infra)"
    base=$("$bin/python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["images"]["base_image"]["name"])' "$ctx/$definition")
    docker image inspect "$base" >/dev/null 2>&1 || die "no base image $base (make molecule-infra builds it)"
    "$bin/pip" download --disable-pip-version-check --quiet --only-binary=:all: -d "$ctx/wheels" \
        "$@" bindep pyyaml packaging pip
}

builder_lock() {
    t_wait=$(date +%s)
    exec {lockfd}>>"$lock"
    flock "$lockfd"
    t_locked=$(date +%s)
}

builder_unlock() {
    flock -u "$lockfd"
}

builder_build() {
    local old_id new_id
    old_id=$(docker image inspect -f '{{.Id}}' "$image:$version" 2>/dev/null || true)
    "$bin/ansible-builder" build ${SRE_OOM_EE_NO_CACHE:+--no-cache} -f "$ctx/$definition" -c "$ctx/context" \
        --container-runtime docker -t "$image:$version" -v 2 \
        --extra-build-cli-args "--network none --build-arg SRE_OOM_OFFLINE=1" \
        > "$ctx/build.log" 2>&1 || { tail -n 30 "$ctx/build.log" >&2; die "ansible-builder build failed (log: $ctx/build.log)"; }
    new_id=$(docker image inspect -f '{{.Id}}' "$image:$version")
    if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
        docker rmi "$old_id" >/dev/null 2>&1 || true
    fi
}

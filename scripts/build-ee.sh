#!/usr/bin/env bash
# Build the execution environment defined in docs/execution-environment.yml
# (`make ee`), with no network inside the build, then check the image; then the
# decision environment (scripts/build-de.sh, docs/decision-environment.yml).
#
# usage: scripts/build-ee.sh [build|create]
#   create  only the build context (build/ee/context) and its checks: no
#           container engine needed; this is what `make lint` runs.
#   build   also the image localhost/sre-oom-ee:<version> (docker, and the base
#           image from `make molecule-infra`), then smoke-test it.
# Environment: SRE_OOM_EE_IMAGE (default localhost/sre-oom-ee),
#   SRE_OOM_DOCKER_LOCK (default /tmp/sre-oom-molecule.lock: one docker user at a time),
#   SRE_OOM_EE_NO_CACHE=1 (build every layer anew).
set -euo pipefail
mode=${1:-build}
case $mode in build|create) ;; *) echo "usage: $0 [build|create]" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
image=${SRE_OOM_EE_IMAGE:-localhost/sre-oom-ee}
# shellcheck source=scripts/lib/ansible-builder.sh
. "$root/scripts/lib/ansible-builder.sh"
builder_start ee docs/execution-environment.yml

# What pip installs during the build: the EE's ansible-core and ansible-runner
# pins, what ansible-builder's builder stage adds (bindep, pyyaml, packaging),
# its container init (dumb-init) and pip itself, as wheels for this Python
# (the base image's Python is the same 3.11 on the same glibc line).
read -r -a pins < <("$bin/python" - "$ctx/execution-environment.yml" <<'PY'
import sys
from ansible_builder.user_definition import UserDefinition
ee = UserDefinition(sys.argv[1])
ee.validate()
print(ee.ansible_ref_install_list, ee.container_init["package_pip"])
PY
)
init=${pins[-1]}; unset 'pins[-1]'

builder_create
# The context carries the collection and nothing of the toolchain.
grep -qx 'plugins/modules/oom_facts.py' "$ctx/tarball.list" || die "the context's tarball lacks plugins/modules/oom_facts.py"
if grep -E '^(requirements[^/]*\.txt|bindep\.txt|Makefile|scripts/|molecule/)' "$ctx/tarball.list"; then
    die "the context's tarball ships development files (above)"
fi
grep -q 'ansible-galaxy collection install .*-r requirements.yml' "$cf" || die "$cf installs no collection"
grep -q 'sre-oom.tar.gz' "$ctx/context/_build/requirements.yml" || die "requirements.yml does not name the tarball"
grep -qF "ARG ANSIBLE_INSTALL_REFS=\"${pins[*]}\"" "$cf" || die "$cf does not install exactly ${pins[*]}"
# Nothing else is pip-installed into the image but ansible-builder's own steps.
toolchain=$(sed -nE 's/^([A-Za-z0-9_.-]+)(\[[^]]*\])?==.*/\1/p' requirements-dev.txt | grep -vxE 'ansible-core|ansible-runner|jinja2')
for name in $toolchain; do
    if grep -qiE "(^|[^A-Za-z0-9_-])${name}([^A-Za-z0-9_-]|$)" "$cf" "$ctx/context/_build/requirements.yml"; then
        die "the build context mentions the development package $name"
    fi
done
say "context $ctx/context: Containerfile installs ${pins[*]} and sre.oom $version from its tarball ($(wc -l < "$ctx/tarball.list") entries), no toolchain"
# The decision environment (docs/decision-environment.yml) comes after the EE.
[ "$mode" = create ] && exec "$root/scripts/build-de.sh" create

builder_base_and_wheels "${pins[@]}" "$init"
# ansible-builder copies wheels/ into the context when it builds.
say "building $image:$version from $base ($(find "$ctx/wheels" -mindepth 1 -maxdepth 1 | wc -l) wheels, no network)"
# One hold of the docker lock for the build and the checks of the image.
builder_lock
# The wheels were picked for this venv's Python: the base image must run the same minor version.
here_py=$("$bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
base_py=$(docker run --rm --network none --entrypoint /usr/bin/python3 "$base" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[ "$here_py" = "$base_py" ] || die "$base has Python $base_py, the wheels in $ctx/wheels are for $here_py: use a base image with Python $here_py"
builder_build

# The image: sre.oom is installed where AWX looks, a module runs from it, and
# no development package came along.
check() {
    # Through the image's entrypoint, as AWX runs it (it gives uid 1000 a home).
    docker run --rm --network none "$image:$version" bash -c '
        set -e
        ansible-galaxy collection list sre.oom 2>/dev/null | grep -E "^sre\.oom +'"$version"'"
        ansible-doc sre.oom.oom_facts > /tmp/doc.txt && sed -n 1p /tmp/doc.txt
        ansible localhost -c local -m sre.oom.oom_facts -a gather_subset=sysctl 2>&1 | grep -E "\"panic_on_oom\": [0-9]"
        ansible-runner --version
        test ! -e /etc/pip.conf
        python3 -m pip list --format=freeze 2>/dev/null'
}
check > "$ctx/check.log" 2>&1 || { cat "$ctx/check.log" >&2; die "the image fails its smoke test (above)"; }
for name in $toolchain; do
    if grep -qiE "^${name//-/[-_]}==" "$ctx/check.log"; then
        die "the image carries the development package $name (pip list in $ctx/check.log)"
    fi
done
# An AWX-style job in the image: ansible-runner starts the EE as a container
# with the private data dir mounted at /runner, and report.yml runs in it
# against the container itself; the report comes back in the data dir.
job=$ctx/job
mkdir -p "$job/project" "$job/inventory" "$job/env"
cp -r playbooks "$job/project/"
printf 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n      ansible_python_interpreter: /usr/bin/python3\n' \
    > "$job/inventory/hosts.yml"
printf 'oom_report_dir: /runner/report\noom_report_since: -1d\n' > "$job/env/extravars"
printf 'suppress_ansible_output: true\njob_timeout: 600\n' > "$job/env/settings"
env -u ANSIBLE_CONFIG "$bin/ansible-runner" run "$job" -p playbooks/report.yml --ident ee-report \
    --process-isolation --process-isolation-executable docker --container-image "$image:$version" \
    --container-option=--network=none > "$ctx/job.log" 2>&1 || true
status=$(cat "$job/artifacts/ee-report/status" 2>/dev/null || echo none)
if [ "$status" != successful ] || ! "$bin/python" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"].startswith("sre.oom.report/") and r["summary"]["hosts"] == 1, r.get("summary")
' "$job/report/report.json"; then
    tail -n 30 "$job/artifacts/ee-report/stdout" "$ctx/job.log" >&2 2>/dev/null || true
    die "report.yml as an ansible-runner job in $image:$version: status $status (data dir $job)"
fi

size=$(docker image inspect -f '{{.Size}}' "$image:$version")
builder_unlock
t_end=$(date +%s)
say "built and checked $image:$version ($(( size / 1000000 )) MB) in $(( t_end - t_locked ))s holding the docker lock" \
    "($(( t_locked - t_wait ))s waiting for it, $(( t_end - t0 ))s in all): sre.oom $version installed, oom_facts runs in it," \
    "report.yml runs in it as an ansible-runner job, no toolchain"
exec "$root/scripts/build-de.sh" build

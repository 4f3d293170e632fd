#!/usr/bin/env bash
# Build the decision environment defined in docs/decision-environment.yml
# (`make ee`, after the execution environment), with no network inside the
# build, then run a rulebook in it on a fixture kill.
#
# usage: scripts/build-de.sh [build|create]
#   create  only the build context (build/de/context) and its checks: no
#           container engine needed (`make lint`).
#   build   also the image localhost/sre-oom-de:<version> (docker, and the base
#           image from `make molecule-infra`), then the check: ansible-rulebook in
#           the image runs tests/eda/de/rulebook.yml, whose source reads a real
#           kill saved from /dev/kmsg and whose rule runs the playbook
#           sre.oom.eda_oom_kill (installed in the image) to a record.
# Downloads before the build (on the host): the wheels of every Python package
# the build installs (pip), and Debian's openjdk-17-jre-headless with the
# packages it needs that the base image lacks (apt-get --download-only against
# the base image's own dpkg status, under /tmp/sre-oom-apt.lock).
# Environment: SRE_OOM_DE_IMAGE (default localhost/sre-oom-de),
#   SRE_OOM_DOCKER_LOCK (default /tmp/sre-oom-molecule.lock), SRE_OOM_EE_NO_CACHE=1.
set -euo pipefail
mode=${1:-build}
case $mode in build|create) ;; *) echo "usage: $0 [build|create]" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
image=${SRE_OOM_DE_IMAGE:-localhost/sre-oom-de}
# shellcheck source=scripts/lib/ansible-builder.sh
. "$root/scripts/lib/ansible-builder.sh"
builder_start de docs/decision-environment.yml
mkdir -p "$ctx/debs"

# The pins the build installs: ansible-core, ansible-runner, the python list
# (ansible-rulebook), and the container init.
read -r -a pins < <("$bin/python" - "$ctx/decision-environment.yml" <<'PY'
import sys
from ansible_builder.user_definition import UserDefinition
de = UserDefinition(sys.argv[1])
de.validate()
print(de.ansible_ref_install_list, " ".join(de.dependencies["python"]), de.container_init["package_pip"])
PY
)
init=${pins[-1]}; unset 'pins[-1]'
builder_create
# The source, its rulebook and playbook, and the collection's rooms it imports
# (module_utils/_oom: the parser and the naming rule; module_utils/_eda: its readers,
# journal follower and events).
for f in extensions/eda/plugins/event_source/oom_kills.py extensions/eda/rulebooks/oom_kills.yml \
         playbooks/eda_oom_kill.yml plugins/module_utils/_oom/hostnames.py plugins/module_utils/_eda/*.py; do
    grep -qx "$f" "$ctx/tarball.list" || die "the context's tarball lacks $f"
done
grep -q 'ansible-galaxy collection install .*-r requirements.yml' "$cf" || die "$cf installs no collection"
grep -q 'ansible-rulebook==' "$ctx/context/_build/requirements.txt" || die "the context does not install ansible-rulebook"
grep -q 'apt-get install -y --no-install-recommends /tmp/sre-oom-debs/\*.deb' "$cf" || die "$cf does not install Java from debs/"
say "context $ctx/context: Containerfile installs ${pins[*]}, Java from debs/ and sre.oom $version from its tarball"
[ "$mode" = create ] && exit 0

builder_base_and_wheels "${pins[@]}" "$init"
# Java: what apt would install into the base image, decided against the image's own
# package list, downloaded here (Debian's archive is the only network used).
docker run --rm --network none --entrypoint cat "$base" /var/lib/dpkg/status > "$ctx/base-dpkg-status"
mkdir -p "$ctx/debs/partial"
flock /tmp/sre-oom-apt.lock apt-get -q -y --no-install-recommends --download-only \
    -o Dir::State::status="$ctx/base-dpkg-status" -o Dir::Cache::archives="$ctx/debs" \
    -o Debug::NoLocking=1 install openjdk-17-jre-headless > "$ctx/debs.log" 2>&1 \
    || { flock /tmp/sre-oom-apt.lock apt-get update -q >/dev/null 2>&1; \
         flock /tmp/sre-oom-apt.lock apt-get -q -y --no-install-recommends --download-only \
           -o Dir::State::status="$ctx/base-dpkg-status" -o Dir::Cache::archives="$ctx/debs" \
           -o Debug::NoLocking=1 install openjdk-17-jre-headless > "$ctx/debs.log" 2>&1; } \
    || { tail -n 20 "$ctx/debs.log" >&2; die "cannot download openjdk-17-jre-headless for $base"; }
rm -rf "$ctx/debs/partial" "$ctx/debs/lock"
ls "$ctx"/debs/openjdk-17-jre-headless_*.deb >/dev/null 2>&1 || die "no openjdk-17-jre-headless .deb in $ctx/debs"
say "building $image:$version from $base ($(find "$ctx/wheels" -mindepth 1 -maxdepth 1 | wc -l) wheels, $(find "$ctx/debs" -name '*.deb' | wc -l) .deb files, no network)"
builder_lock
builder_build

# The check: ansible-rulebook in the image, no network, on a fixture kill; the
# rule's run_playbook writes a record into /records, then the rulebook shuts down.
run=$ctx/run
mkdir -p "$run/de" "$run/records"
cp tests/eda/de/rulebook.yml tests/eda/de/inventory.yml tests/eda/de/kill.kmsg "$run/de/"
chmod -R a+rwX "$run"
t_rb=$(date +%s)
timeout 300 docker run --rm --network none -v "$run/de:/de:ro" -v "$run/records:/records" "$image:$version" \
    ansible-rulebook -r /de/rulebook.yml -i /de/inventory.yml -v > "$ctx/check.log" 2>&1 \
    || { tail -n 40 "$ctx/check.log" >&2; die "ansible-rulebook in $image:$version failed (log: $ctx/check.log)"; }
t_rb_end=$(date +%s)
record=$(find "$run/records/eda" -name 'localhost-6844-*.json' -print -quit 2>/dev/null || true)
[ -n "$record" ] || { tail -n 40 "$ctx/check.log" >&2; die "no record of the fixture kill (pid 6844) from the playbook"; }
"$bin/python" - "$record" <<'PY' || die "the record of the fixture kill is wrong: $record"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["host"] == "localhost" and r["rule"] == "A kill", r
ev = r["event"]
assert ev["victim"]["pid"] == 6844 and ev["kind"] == "memcg" and ev["source"] == "file", ev
PY
# The whole output, then its first line: `| head -n1` would end the pipe early, and
# under pipefail a SIGPIPE in the writer (exit 141) would fail a good build.
java=$(docker run --rm --network none --entrypoint java "$image:$version" -version 2>&1)
java=${java%%$'\n'*}
size=$(docker image inspect -f '{{.Size}}' "$image:$version")
builder_unlock
t_end=$(date +%s)
say "built and checked $image:$version ($(( size / 1000000 )) MB; $java) in $(( t_end - t_locked ))s holding the docker lock" \
    "($(( t_locked - t_wait ))s waiting, $(( t_end - t0 ))s in all): ansible-rulebook ran the rulebook on the fixture kill" \
    "and the playbook sre.oom.eda_oom_kill recorded it in $(( t_rb_end - t_rb ))s"

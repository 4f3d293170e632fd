#!/usr/bin/env bash
# Build the collection tarball, install it into an empty collections path, and
# check it as its users and the servers that take it see it:
#  - it ships the collection and its tests, none of the development tree;
#  - ansible-doc renders every module and a module runs from it;
#  - `ansible-builder introspect --sanitize` (what an execution environment
#    build installs for it) lists nothing: no toolchain package;
#  - galaxy-importer, the import check of Galaxy and Automation Hub, with its
#    ansible-lint step, passes without a warning.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sre-oom-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
die() { echo "check-build: $*" >&2; exit 1; }
cd "$root"
version=$(awk '/^version:/ {print $2}' galaxy.yml)
ansible-galaxy collection build --force --output-path "$work/dist" . >/dev/null
tarball="$work/dist/sre-oom-$version.tar.gz"
[ -s "$tarball" ] || die "no tarball at $tarball"
tar -tzf "$tarball" > "$work/list"

# Nothing of the development tree may ship; the collection and its tests do.
if grep -E '^(\.venv|build|tests/output|bench|molecule|scripts|inventory|\.ci)/|^(Makefile|requirements[^/]*\.txt|bindep\.txt|ansible\.cfg|\.yamllint|\.ansible-lint|ruff\.toml|docs/DEVELOPING\.md)$' "$work/list"; then
    die "the tarball ships development files (see above)"
fi
for want in MANIFEST.json meta/runtime.yml meta/execution-environment.yml tests/config.yml \
            plugins/modules/oom_facts.py roles/report/tasks/main.yml playbooks/site.yml \
            docs/execution-environment.yml; do
    grep -qx "$want" "$work/list" || die "the tarball lacks $want"
done
grep -q '^tests/unit/.*\.py$' "$work/list" || die "the tarball lacks the unit tests"
# The sanity ignore files are left out of the tarball (Galaxy warns about any);
# that only loses nothing while they are empty, as they must be.
for f in tests/sanity/ignore-*.txt; do
    [ ! -s "$f" ] || die "$f is not empty (sanity ignores are not allowed here)"
done

# An empty config, so only the installed copy is on the collections path.
printf '[defaults]\ncollections_path = %s\n' "$work/collections" > "$work/ansible.cfg"
export ANSIBLE_CONFIG="$work/ansible.cfg"
ansible-galaxy collection install --force -p "$work/collections" "$tarball" >/dev/null
installed="$work/collections/ansible_collections/sre/oom"
cd "$work"
for path in "$root"/plugins/modules/*.py; do
    m=$(basename "$path" .py)
    # The whole output first: `| grep -q` under pipefail fails when grep exits early (SIGPIPE).
    doc=$(ansible-doc "sre.oom.$m" 2>/dev/null) || die "ansible-doc sre.oom.$m failed"
    grep -qF "$installed/plugins/modules/$m.py" <<<"$doc" || die "ansible-doc sre.oom.$m shows another copy of the module"
done
ansible localhost -e ansible_python_interpreter="$(command -v python3)" -c local \
    -m sre.oom.oom_policy -a "panic_on_oom=0 path=$work/probe.conf apply=never" --check >/dev/null 2>&1

# What ansible-builder would install into an execution environment for the
# installed collection: nothing (the report lists packages per collection).
# The same check on a copy that still carries the toolchain at its root (as
# 0.1.0 did) must find it: proof that the check reads the output right.
introspect_names() {  # print the package names introspect lists for $1
    ansible-builder introspect --sanitize "$1" > "$work/introspect.out" 2>&1 \
        || { cat "$work/introspect.out" >&2; die "ansible-builder introspect failed on $1"; }
    python3 - "$work/introspect.out" <<'PY'
import re, sys
import yaml
text = open(sys.argv[1]).read()
doc = yaml.safe_load(text[text.index("---"):])
for kind in ("python", "system"):
    for line in doc.get(kind) or []:
        print(kind, re.split(r"[\s\[<>=!~;#]", line.strip(), maxsplit=1)[0].lower())
PY
}
toolchain=$(sed -nE 's/^([A-Za-z0-9_.-]+)(\[[^]]*\])?==.*/\1/p' "$root/requirements-dev.txt" | tr '[:upper:]' '[:lower:]')
[ -n "$toolchain" ] || die "no pinned package found in requirements-dev.txt"
listed=$(introspect_names "$work/collections")
[ -z "$listed" ] || die "ansible-builder introspect lists dependencies for the installed collection: ${listed//$'\n'/ }"
mkdir -p "$work/control/ansible_collections/sre"
cp -r "$installed" "$work/control/ansible_collections/sre/oom"
rm "$work/control/ansible_collections/sre/oom/meta/execution-environment.yml"
cp "$root/requirements-dev.txt" "$work/control/ansible_collections/sre/oom/requirements.txt"
control=$(introspect_names "$work/control" | awk '{print $2}')
for name in molecule-plugins ruff pytest-mock hypothesis; do
    grep -qx "$name" <<<"$control" || die "introspect's output is not read right: $name missing from the control run (${control//$'\n'/ })"
done
leaked=$(comm -12 <(echo "$toolchain" | sort -u) <(echo "$listed" | awk '{print $2}' | sort -u))
[ -z "$leaked" ] || die "toolchain packages in the execution environment: $leaked"

# galaxy-importer on the tarball, configured like the servers (ansible-lint on,
# offline); any WARNING or ERROR line fails, and the lint step must have run.
GALAXY_IMPORTER_CONFIG="$root/scripts/galaxy-importer.cfg" \
    python3 -m galaxy_importer.main "$tarball" > "$work/importer.log" 2>&1 \
    || { cat "$work/importer.log" >&2; die "galaxy-importer failed"; }
if grep -E '^(WARNING|ERROR|CRITICAL)' "$work/importer.log" || ! grep -q '^Linting collection via ansible-lint' "$work/importer.log" \
   || ! grep -q '^\.\.\.ansible-lint run complete' "$work/importer.log" \
   || ! grep -q '^Importer processing completed successfully' "$work/importer.log"; then
    cat "$work/importer.log" >&2; die "galaxy-importer reports problems (above)"
fi
# requires_ansible names the oldest ansible-core the tests run (make test-matrix).
oldest=$(sed -nE 's/^MATRIX := //p' "$root/Makefile" | tr ' ' '\n' | sort -V | sed -n 1p)
[ -n "$oldest" ] || die "no MATRIX line in the Makefile"
python3 - "$work/importer_result.json" "$version" ">=$oldest.0" <<'PY' || die "galaxy-importer's result is not what the collection declares"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["metadata"]["version"] == sys.argv[2], r["metadata"]["version"]
assert r["requires_ansible"] == sys.argv[3], (r["requires_ansible"], sys.argv[3])
names = {c["name"] for c in r["contents"]}
assert {"oom_facts", "oom_policy", "oom_score_adj", "kernel", "services", "report"} <= names, names
PY

echo "check-build: $tarball ($(du -k "$tarball" | cut -f1) KiB, $(wc -l < "$work/list") entries) installs; $(find "$root/plugins/modules" -maxdepth 1 -name '*.py' | wc -l) modules documented; oom_policy runs from it; introspect lists no dependency; galaxy-importer (ansible-lint on) clean"

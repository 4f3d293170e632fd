#!/usr/bin/env bash
# Container engine and images for sre.oom's Molecule scenarios (`make molecule-infra`).
# Run as root on a fresh Debian machine; quick and changes nothing when all is there.
#
#  1. Debian packages docker.io, iptables, debootstrap (apt-get update once, if missing).
#  2. If the capability bounding set is incomplete (CAP_SYS_RESOURCE is missing on the
#     project's machines), the runc wrapper (molecule/scripts/runc-wrapper) is installed
#     and registered as docker's default runtime in /etc/docker/daemon.json (merged),
#     so that `privileged: true` containers start.
#  3. dockerd, started in the background if it does not answer (log: $DOCKERD_LOG),
#     without touching host sysctls or iptables (--ip-forward=false --iptables=false:
#     the test containers need no network beyond `docker exec`).
#  4. localhost/sre-oom-debian:{bullseye,bookworm,trixie}, built with debootstrap when
#     absent (molecule/scripts/build-image.sh), in parallel; logs under build/molecule-infra/.
#
# Environment: SRE_OOM_SUITES (default "bullseye bookworm trixie"),
#   SRE_OOM_RUNC_WRAPPER=always|auto|never (default auto), SRE_OOM_REBUILD=1 (rebuild images),
#   SRE_OOM_DOCKERD_EXTRA_FLAGS (more flags for a dockerd this script starts).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
suites=${SRE_OOM_SUITES:-bullseye bookworm trixie}
runtime_name=sre-oom-runc
wrapper_dest=/usr/local/libexec/sre-oom/runc-wrapper
daemon_json=/etc/docker/daemon.json
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/sre-oom-dockerd.log}
logdir=$repo/build/molecule-infra
t0=$(date +%s)

say() { echo "molecule-infra: $*"; }
die() { echo "molecule-infra: ERROR: $*" >&2; exit 1; }
sys_python=/usr/bin/python3

PATH=$PATH:/usr/sbin:/sbin
[ "$(id -u)" = 0 ] || die "must run as root (installs packages, starts dockerd, builds images with debootstrap)"

# --- 1. packages -------------------------------------------------------------------
missing=()
for want in dockerd:docker.io docker:docker.io runc:docker.io iptables:iptables debootstrap:debootstrap; do
    command -v "${want%%:*}" >/dev/null 2>&1 || missing+=("${want#*:}")
done
[ -x "$sys_python" ] || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get: install them by hand"
    say "installing ${missing[*]}"
    # Keep package scripts from starting dockerd on their own (with its default
    # flags, which would turn on net.ipv4.ip_forward): we start it below.
    policy_added=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d
        policy_added=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    mkdir -p "$logdir"
    apt_log=$logdir/apt.log
    apt-get update >"$apt_log" 2>&1 || { tail -n 15 "$apt_log" >&2; die "apt-get update failed (log: $apt_log)"; }
    apt-get install -y --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >>"$apt_log" 2>&1 \
        || { tail -n 15 "$apt_log" >&2; die "apt-get install ${missing[*]} failed (log: $apt_log)"; }
    if [ -n "$policy_added" ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
fi
real_runc=$(command -v runc) || die "runc not found after installing docker.io"

# --- 2. runc wrapper ---------------------------------------------------------------
bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
last=$(cat /proc/sys/kernel/cap_last_cap)
full=$(( (1 << (last + 1)) - 1 ))
mode=${SRE_OOM_RUNC_WRAPPER:-auto}
need_wrapper=
case $mode in
    always) need_wrapper=1 ;;
    never) ;;
    auto) if [ $(( 16#$bnd & full )) -ne $full ]; then need_wrapper=1; fi
          # keep it up to date if an earlier run registered it
          if [ -f "$daemon_json" ] && grep -q "\"$runtime_name\"" "$daemon_json"; then need_wrapper=1; fi ;;
    *) die "SRE_OOM_RUNC_WRAPPER must be auto, always or never, not '$mode'" ;;
esac
config_changed=
if [ -n "$need_wrapper" ]; then
    tmp=$(mktemp)
    # The installed copy runs on the system Python (no shim on dockerd's PATH can
    # slow down or break every container start) and execs the runc found here.
    sed -e "1s|.*|#!$sys_python|" -e "s|^RUNC = .*|RUNC = \"$real_runc\"|" "$here/runc-wrapper" > "$tmp"
    if ! cmp -s "$tmp" "$wrapper_dest"; then
        install -D -m 0755 "$tmp" "$wrapper_dest"
        say "installed $wrapper_dest (CapBnd $bnd; wraps $real_runc)"
    fi
    rm -f "$tmp"
    # Merge into daemon.json: add our runtime and make it the default; keep the rest.
    result=$("$sys_python" - "$daemon_json" "$runtime_name" "$wrapper_dest" <<'PY'
import json, os, sys
path, name, wrapper = sys.argv[1:]
try:
    with open(path) as f:
        text = f.read()
    doc = json.loads(text) if text.strip() else {}
except FileNotFoundError:
    doc = None
except ValueError as exc:
    sys.exit("molecule-infra: ERROR: %s is not valid JSON (%s); fix it by hand" % (path, exc))
new = dict(doc or {})
runtimes = dict(new.get("runtimes") or {})
runtimes[name] = {"path": wrapper}
new["runtimes"] = runtimes
current = new.get("default-runtime")
if current not in (None, "runc", name):
    sys.exit("molecule-infra: ERROR: %s sets default-runtime %r; privileged test containers need %r "
             "(the runc wrapper). Set it by hand or run with SRE_OOM_RUNC_WRAPPER=never." % (path, current, name))
new["default-runtime"] = name
if new == doc:
    print("unchanged")
    sys.exit(0)
os.makedirs(os.path.dirname(path), exist_ok=True)
# Keep the user's own file once (not one this script wrote before).
if doc is not None and name not in (doc.get("runtimes") or {}) and not os.path.exists(path + ".sre-oom.orig"):
    with open(path + ".sre-oom.orig", "w") as f:
        f.write(text)
tmp = path + ".sre-oom.tmp"
with open(tmp, "w") as f:
    json.dump(new, f, indent=2, sort_keys=True)
    f.write("\n")
os.chmod(tmp, 0o644)
os.replace(tmp, path)
print("changed")
PY
) || exit 1
    if [ "$result" = changed ]; then
        config_changed=1
        say "registered $runtime_name as docker's default runtime in $daemon_json"
    fi
fi

# --- 3. dockerd --------------------------------------------------------------------
dockerd_pid() {
    local pid
    pid=$(cat /var/run/docker.pid 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = dockerd ] && echo "$pid"
}
wait_docker() {
    local i
    for i in $(seq 1 120); do
        docker info >/dev/null 2>&1 && return 0
        if [ -n "${1:-}" ] && ! kill -0 "$1" 2>/dev/null; then
            tail -n 20 "$DOCKERD_LOG" >&2 || true
            die "dockerd exited during start-up (log: $DOCKERD_LOG)"
        fi
        sleep 0.25
    done
    tail -n 20 "$DOCKERD_LOG" >&2 || true
    die "docker does not answer after 30 s (log: $DOCKERD_LOG)"
}
if docker info >/dev/null 2>&1; then
    if [ -n "$config_changed" ]; then
        pid=$(dockerd_pid) || die "docker answers but no dockerd pid in /var/run/docker.pid: reload it by hand (kill -HUP) to pick up $daemon_json"
        kill -HUP "$pid"
        say "dockerd ($pid) reloaded"
    fi
else
    flags=()
    # Flags that also appear in daemon.json would stop dockerd from starting.
    for kv in ip-forward iptables; do
        grep -q "\"$kv\"" "$daemon_json" 2>/dev/null || flags+=("--$kv=false")
    done
    # shellcheck disable=SC2206 # extra flags are words on purpose
    flags+=(${SRE_OOM_DOCKERD_EXTRA_FLAGS:-})
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    say "starting dockerd ${flags[*]} (log: $DOCKERD_LOG)"
    setsid nohup dockerd "${flags[@]}" >>"$DOCKERD_LOG" 2>&1 </dev/null &
    wait_docker $!
fi
if [ -n "$need_wrapper" ]; then
    for i in $(seq 1 40); do
        [ "$(docker info -f '{{.DefaultRuntime}}' 2>/dev/null)" = "$runtime_name" ] && break
        sleep 0.25
    done
    [ "$(docker info -f '{{.DefaultRuntime}}')" = "$runtime_name" ] \
        || die "docker's default runtime is not $runtime_name after reload; restart dockerd by hand"
fi

# --- 4. images ---------------------------------------------------------------------
mkdir -p "$logdir"
pids=(); names=()
for suite in $suites; do
    if [ -z "${SRE_OOM_REBUILD:-}" ] && docker image inspect "localhost/sre-oom-debian:$suite" >/dev/null 2>&1; then
        continue
    fi
    say "building localhost/sre-oom-debian:$suite (log: $logdir/build-$suite.log)"
    "$here/build-image.sh" "$suite" ${SRE_OOM_REBUILD:+--force} >"$logdir/build-$suite.log" 2>&1 &
    pids+=($!); names+=("$suite")
done
failed=()
for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then
        tail -n 1 "$logdir/build-${names[$i]}.log"
    else
        failed+=("${names[$i]}")
        echo "--- last lines of $logdir/build-${names[$i]}.log:" >&2
        tail -n 15 "$logdir/build-${names[$i]}.log" >&2
    fi
done
[ ${#failed[@]} -eq 0 ] || die "image build failed for: ${failed[*]}"
say "ready in $(( $(date +%s) - t0 ))s: docker $(docker version -f '{{.Server.Version}}'), runtime $(docker info -f '{{.DefaultRuntime}}'), images: $(for s in $suites; do printf 'localhost/sre-oom-debian:%s ' "$s"; done)"

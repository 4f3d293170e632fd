#!/usr/bin/env bash
# Run a command on a VM of the test bed (or log in): scripts/vm/ssh.sh NAME [COMMAND...]
# Reads <dir>/run/NAME/vm.env written by up.sh.  SRE_OOM_VM_DIR as for up.sh.
set -euo pipefail
name=${1:?usage: ssh.sh NAME [COMMAND...]}
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vmdir=${SRE_OOM_VM_DIR:-$(cd "$here/../.." && pwd)/build/vm}
env=$vmdir/run/$name/vm.env
[ -s "$env" ] || { echo "vm-ssh: no $env (is $name up?)" >&2; exit 2; }
port=$(sed -n 's/^ssh_port=//p' "$env")
key=$(sed -n 's/^ssh_key=//p' "$env")
exec ssh -i "$key" -p "$port" -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@127.0.0.1 "$@"

#!/usr/bin/env bash
# Print an Ansible inventory (YAML) for running VMs of the test bed:
#   scripts/vm/inventory.sh NAME... > vms.yml
#   ansible-playbook -i vms.yml playbooks/site.yml
# Each host: ansible_connection ssh to 127.0.0.1 on its forwarded port, as
# root with the VM's key, /usr/bin/python3. SRE_OOM_VM_DIR as for up.sh.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: inventory.sh NAME..." >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vmdir=${SRE_OOM_VM_DIR:-$(cd "$here/../.." && pwd)/build/vm}
echo "all:"
echo "  vars:"
echo "    ansible_connection: ssh"
echo "    ansible_user: root"
echo "    ansible_python_interpreter: /usr/bin/python3"
echo "    ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
echo "    ansible_ssh_pipelining: true"
echo "  hosts:"
for name in "$@"; do
    env=$vmdir/run/$name/vm.env
    [ -s "$env" ] || { echo "vm-inventory: no $env (is $name up?)" >&2; exit 2; }
    echo "    $name:"
    echo "      ansible_host: 127.0.0.1"
    echo "      ansible_port: $(sed -n 's/^ssh_port=//p' "$env")"
    echo "      ansible_ssh_private_key_file: $(sed -n 's/^ssh_key=//p' "$env")"
done

# Copyright: sre.oom maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test double of sre.oom.oom_facts for the report's rendering tests.

Returns `ansible_facts.oom` read from a JSON file, so the report role sees a
real module result (with the same trust marking as the real module's), or
fails with the file's `fail` message.
"""
from __future__ import annotations

import json

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={'path': {'type': 'path', 'required': True}},
                           supports_check_mode=True)
    with open(module.params['path'], encoding='utf-8') as f:
        data = json.load(f)
    if 'fail' in data:
        module.fail_json(msg=data['fail'])
    module.exit_json(changed=False, ansible_facts={'oom': data['oom']})


if __name__ == '__main__':
    main()

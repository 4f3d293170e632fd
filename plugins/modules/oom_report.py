#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: oom_report
short_description: Write the fleet OOM report on the controller from facts Ansible already holds
version_added: 0.2.0
description:
  - Builds the fleet OOM report (C(index.html), C(report.json), C(report.md)) on the
    controller and writes the files into O(dest) as one set, with the textfiles of
    O(textfiles_dir). Every file is first written in full beside its target, then
    all are renamed into place; if any cannot be written, none is changed.
  - For each host it takes the registered result of M(sre.oom.oom_facts) named by
    O(result_var) or, when the host has none, its C(ansible_facts.oom) known to
    Ansible (gathered earlier in the run or read from the fact cache). Hosts with
    neither are listed as having no data.
  - It contacts no host; run it once (C(run_once)). The aggregation is plain
    Python and reads one host at a time, keeping of each only what the pages
    need, so 20,000 hosts take seconds and the controller's memory does not
    grow with the size of each host's facts.
  - From 2,000 hosts on, when the task may run on more than one CPU and the facts
    come from the C(ansible.builtin.jsonfile) or C(ansible.builtin.memory) fact
    cache (or the hosts' variables), contiguous parts of the host list (1,000
    hosts or more each, one per CPU, 4 at most) are read by forked processes
    beside the task's own. The files written are the same, byte for byte, as
    with one process; a process that fails or hangs only costs time, as the
    task then reads its part itself. Other cache plugins, which may hold a
    connection to a server, are always read by the task alone.
  - With the C(ansible.builtin.jsonfile) fact cache it reads the cache files
    itself, read-only, in the layouts of ansible-core 2.17 and 2.18 (and AWX),
    C(<prefix><host>), and of 2.19, C(<prefix>s1_<host>) (the newer file when
    both exist). A cache entry that cannot be read (truncated JSON, invalid UTF-8,
    not an object, not a regular file) lists that host as having no data, with the
    words C(cache entry unreadable) and the reason; the entry is never deleted
    and the report goes on. Other cache plugins are asked through Ansible; an
    error there is reported the same way.
  - One host's malformed data (a time that does not exist, an enormous string,
    missing keys, wrong types) is listed in that host's C(problems) and never stops
    the report for the others.
  - This is an action plugin; it runs on the controller only.
author:
  - sre.oom maintainers (@sre-oom)
options:
  dest:
    description: Directory on the controller for the report files; created if missing.
    type: path
    required: true
  formats:
    description: Which files to write, C(index.html), C(report.json), C(report.md).
    type: list
    elements: str
    choices: [html, json, md]
    default: [html, json, md]
  since:
    description:
      - The window the facts were gathered with (M(sre.oom.oom_facts) O(sre.oom.oom_facts#module:since));
        shown on the page and used for the timeline.
      - Checked as M(sre.oom.oom_facts) checks it; a value it refuses fails the task before
        anything is written. A window that would start before 1970 starts there.
    type: str
    default: "-7d"
  stale_after:
    description:
      - Facts whose C(gathered_at) is older than this are shown as stale. Seconds, or a
        number with C(s), C(m), C(h), C(d) or C(w).
      - Facts without C(gathered_at) (sre.oom 0.1.0) read from the fact cache have an
        unknown age.
    type: raw
    default: 1d
  hosts:
    description: The hosts to report on. Default, every host of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
  result_var:
    description:
      - The name each host's M(sre.oom.oom_facts) result was registered under. An
        empty string ignores registered results and uses the known facts only.
    type: str
    default: __oom_report_result
  textfiles_dir:
    description:
      - When set, also write, for each host with data, the content of its
        node_exporter textfile (C(sre_oom.prom)) into this directory on the
        controller, as C(NAME-SHA1.prom) (NAME the first 100 characters of the
        inventory name with anything but letters, digits, C(_), C(.) and C(-)
        replaced by C(_); SHA1 the first 10 hex digits of the SHA-1 of the whole
        inventory name), so at most 116 bytes whatever the host name. Placing the
        files on the hosts is up to the caller (the role does it with
        M(ansible.builtin.copy)).
      - Files of that form left by an earlier run for hosts that have no data now
        are removed, after the new set is in place.
      - The content is kept in files rather than in the task result, so that a
        fleet of thousands of hosts does not carry every host's text in every
        host's variables.
    type: path
attributes:
  check_mode:
    support: full
    description: In check mode the report is computed and the counts returned, but nothing is written;
      it reports C(changed) as the real run would (the report is written anew on every run).
  diff_mode:
    support: none
    description: The report files are replaced whole; there is no diff.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller; the managed hosts are never contacted.
  action:
    support: full
    description: Runs on the controller only.
notes:
  - The role C(sre.oom.report) gathers the facts and calls this action; its C(README.md)
    in the collection documents the keys of C(report.json).
  - The jsonfile fact cache expires entries after C(fact_caching_timeout) (one day by
    default); expired hosts are reported as having no data (C(the cached facts expired)).
seealso:
  - module: sre.oom.oom_facts
"""

EXAMPLES = r"""
- name: Report from the fact cache, contacting no host
  sre.oom.oom_report:
    dest: /srv/reports/oom
    result_var: ""
  run_once: true

- name: Report from results registered earlier in the play
  sre.oom.oom_report:
    dest: "{{ playbook_dir }}/oom-report"
    since: -24h
    stale_after: 12h
  run_once: true
"""

RETURN = r"""
dest:
  description: The directory the report was written to (absolute).
  returned: always
  type: str
  sample: /srv/reports/oom
files:
  description: The files written (none in check mode).
  returned: always
  type: list
  elements: str
  sample: [/srv/reports/oom/index.html, /srv/reports/oom/report.json, /srv/reports/oom/report.md]
summary:
  description: The integer counts of the report's C(summary) (no string from a host).
  returned: always
  type: dict
  sample: {hosts: 3, hosts_reporting: 2, hosts_without_data: 1, hosts_with_kills: 1, kills: 4,
           events_listed: 4, hosts_flagged: 1, hosts_log_unreadable: 0, hosts_stale: 0,
           hosts_age_unknown: 0, missed_kills: 2, hosts_missed_kills: 1, hosts_missed_unknown: 1,
           hosts_with_problems: 0, policies: 2, unattributed_kills: 1, hosts_unattributed_kills: 1,
           units_over_pressure_limit: 0}
parts:
  description:
    - How many parts the host list was read in, each by its own process (1, the task
      alone, below 2,000 hosts, on one CPU, or with another cache plugin).
  returned: always
  type: int
  sample: 2
textfiles:
  description: How many textfiles were written into O(textfiles_dir) (0 in check mode).
  returned: when O(textfiles_dir) is set
  type: int
  sample: 3
"""

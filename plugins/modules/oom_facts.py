#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: oom_facts
short_description: Gather facts about the Linux OOM killers and the kills they logged
version_added: 0.1.0
description:
  - Returns, under C(ansible_facts.oom), what an operator asks after an out-of-memory
    kill; which process was killed, when, in which cgroup, systemd unit, container
    or Kubernetes pod, who triggered it and how much memory it held; plus the OOM
    sysctls, the kernel's OOM counters beside the kills the log names per unit,
    slice, container and pod, the processes the kernel would kill next in each OOM
    domain (the whole machine and every memory cgroup with a limit), memory
    pressure, and the systemd units with an OOM setting or an OOM-killed last run.
  - Events are parsed from the kernel log of any kernel era (2.6 to 6.x) and in any
    usual log format (raw, C(dmesg -T), C(-x), C(-d) and C(--time-format iso)
    output, also localized, printk caller ids, C(/dev/kmsg) records, RFC 3164 and
    RFC 3339 syslog, busybox syslogd, C(journalctl) short formats, bare messages),
    also with a file name or line number in front (C(grep -H), C(grep -n),
    C(zgrep)). Each line's format is detected by itself.
  - An event is anchored on the kernel's C(Killed process) line, which is never
    rate-limited; the C(invoked oom-killer) header, the C(oom-kill:) summary, the
    older C(Task in ... killed as a result of limit of) and C(Kill process ...
    or sacrifice child) lines and the C(oom_reaper) line add to it when present.
    A header printed after a kill belongs to the next kill.
  - Kills by the userspace OOM killers systemd-oomd, earlyoom and nohang are
    events too (C(kind=userspace), C(killer) says which), read from the journal
    (their units) and from log files, with or without a syslog tag (their own
    output). systemd's own lines about a unit whose process was killed
    (C(A process of this unit has been killed by the OOM killer.),
    C(systemd-oomd killed N process(es\) in this unit.),
    C(Failed with result 'oom-kill')) complete that event (C(unit_oom_logged),
    C(unit_result)); systemd's line about a systemd-oomd kill that no
    systemd-oomd line names (a journal excerpt of the unit) is that kill, its
    C(unit) known and its C(cgroup) not.
  - The same kill seen through two sources (for example C(/var/log/kern.log) and
    C(/var/log/syslog)) is reported once (among the last 32,768 kills read).
  - Log files are streamed in large chunks and only the lines that matter are
    decoded, so memory stays bounded whatever the size of the log. The journal's
    records are parsed as C(journalctl) prints them, within O(journal_timeout).
    Parsing is linear in the size of the input; a line is considered up to 8192
    characters.
  - Changes nothing on the host.
author:
  - sre.oom maintainers (@sre-oom)
extends_documentation_fragment:
  - sre.oom._attributes.facts
  - sre.oom._attributes
attributes:
  platform:
    description: Linux only (C(/proc), C(/sys/fs/cgroup), the kernel log).
options:
  gather_subset:
    description:
      - Which facts to gather, with the grammar of M(ansible.builtin.setup).
        V(all), names, and names prefixed with V(!) to leave them out
        (V(!all) leaves out everything not named).
      - Names are V(sysctl), V(counters), V(events), V(processes), V(services) and
        V(pressure). An unknown name fails the task.
    type: list
    elements: str
    default: [all]
  sources:
    description:
      - Where to read the kernel log from, for the V(events) subset.
      - V(journal) runs C(journalctl -o json) for the kernel's messages, the units
        C(systemd-oomd.service), C(earlyoom.service), C(nohang.service) and
        C(nohang-desktop.service), and PID 1's lines about
        OOM-killed units; V(kmsg) reads C(/dev/kmsg) without blocking; V(dmesg)
        runs C(dmesg); V(file) reads O(path) (kernel, systemd-oomd, earlyoom,
        nohang and systemd lines alike).
      - Event times from the journal come from the kernel's own timestamp of each
        message of the current boot, not from when journald read it (which can be
        much later, for example in a container whose journald replays the ring
        buffer when it starts).
      - V(auto) takes the first that works; the journal when it holds kernel
        messages of the current boot, else C(/dev/kmsg), else C(dmesg), else the
        usual files C(/var/log/kern.log), C(/var/log/messages) and
        C(/var/log/syslog). A source that exists but is empty or cannot be read
        does not count (on a host without systemd C(journalctl -k) finds no
        journal at all).
      - The kills of systemd-oomd, earlyoom and nohang come from the journal (V(journal),
        also when V(auto) chooses it) and from log files (V(file)); with V(auto) on
        a host whose journal is not used, name V(file) (and V(kmsg) or V(dmesg))
        to read them.
      - V(auto) cannot be combined with other sources. Several named sources are
        all read and their events merged.
    type: list
    elements: str
    default: [auto]
  path:
    description:
      - Log files for the V(file) source. Shell wildcards are expanded; rotated
        files compressed with gzip (C(.gz)) are read too. Files are read oldest
        first (by modification time).
      - Only regular files are read. A FIFO, a device or a directory is never
        opened, and, like a corrupt C(.gz), gets an entry in
        RV(ansible_facts.oom.source_errors) while the other files are still read.
      - Needs V(file) in O(sources); given without it, the task fails (a path that would
        not be read). When not given, the usual files are read.
    type: list
    elements: path
  since:
    description:
      - Which events to report.
      - V(boot), the current boot; V(all), everything the sources hold; a relative
        time such as V(-24h), V(-30m), V(-7d) or V(-2w); or an ISO 8601 time such
        as V(2026-11-28T17:00:00Z) (without an offset, the host's local time). The
        date must exist (no V(2026-02-31)) and an offset lie within -14:00 to +14:00.
      - Events whose time the log does not tell (a raw C(dmesg) dump saved to a
        file) are kept.
    type: str
    default: boot
  max_events:
    description:
      - How many events to return, from 0 to 1000 (which keeps the module within
        64 MB of memory); the most recent are kept.
        RV(ansible_facts.oom.event_count) still counts them all.
    type: int
    default: 100
  scope:
    description:
      - Whose kills to report.
      - V(host), every kill the sources hold. The kernel log is machine-wide, so
        inside a container it also holds the kills of the host and of other
        containers.
      - V(container), only the kills in this container's cgroups. The container is
        known by its ids (64 hex digits) in C(/proc/1/cgroup), C(/proc/self/cgroup)
        and the sources of its own mounts in C(/proc/self/mountinfo) (Docker's
        C(/var/lib/docker/containers/ID/hostname), Podman's
        C(overlay-containers/ID)), and by PID 1's cgroup path when no cgroup
        namespace hides it. An event is the container's when its cgroup path
        (C(memcg), else C(oom_memcg)) names one of those ids (C(/docker/ID/...),
        C(.../docker-ID.scope), C(.../cri-containerd-ID.scope), a Kubernetes
        C(.../podUID/ID)), or lies under that cgroup path. An event without a
        cgroup path belongs to no container.
      - V(auto), V(container) when the module runs in a container (C(/.dockerenv),
        C(/run/.containerenv), a C(container) environment variable of PID 1 or of
        the module, or a container runtime's cgroup in C(/proc/1/cgroup)), else
        V(host). When the container's ids cannot be found from inside, V(auto)
        falls back to V(host) with a warning.
      - RV(ansible_facts.oom.scope) says which scope was used.
    type: str
    choices: [auto, host, container]
    default: auto
  top_processes:
    description:
      - How many of the processes most likely to be killed next to return, in
        RV(ansible_facts.oom.processes) and per domain in RV(ansible_facts.oom.next_victims).
    type: int
    default: 10
  top_cgroups:
    description:
      - Bounds the cgroup lists, largest counts first - C(cgroups) (most kills) and
        C(subtrees) (most kills, log or counter) in RV(ansible_facts.oom.counters), and each
        unit's C(oomd_candidates) in RV(ansible_facts.oom.pressure).
        C(cgroup_count) and C(subtree_count) still count them all.
    type: int
    default: 50
  journal_timeout:
    description:
      - Seconds the V(journal) source may take in all, from 1 to 86400.
        The output of C(journalctl) is read and parsed as it arrives, so a large journal
        needs no more memory, only time.
      - When the time is up, C(journalctl) is killed, the kills read until then are
        kept, RV(ansible_facts.oom.source_errors) has C(journal; timed out after N s)
        (with a colon) and a warning is given, also with O(sources=auto); the other
        sources are still read, and V(auto) goes on to the next source as after any
        other journal error. A C(journalctl) that never ends cannot hang the module.
    type: int
    default: 60
notes:
  - Syslog lines in RFC 3164 carry no year; the year is the latest one that does not
    put the line more than a day after the file's modification time.
  - Times without an offset (RFC 3164, C(dmesg -T)) are read in the host's local
    time zone. C(dmesg -T) month names are known in English, German, French, Spanish,
    Italian, Portuguese, Dutch, Polish, Czech, Russian, Chinese, Japanese and Korean;
    with another locale the event's C(time) is null. Uptimes are turned into times only for the current boot
    (C(/dev/kmsg), C(dmesg)).
  - A log file of kernel lines only (C(/var/log/kern.log), saved C(dmesg) or
    C(journalctl -k) output) is not searched for the lines of systemd-oomd,
    earlyoom, nohang and systemd, which are not logged with the kernel facility;
    C(/var/log/syslog) and C(/var/log/messages) are. A file is judged on its first
    256 KiB and again on the last lines of each MiB, so one that starts with kernel
    lines only (a firewall's flood, a boot) is searched from where other lines appear.
  - systemd-oomd's C(Considered N cgroups for killing) dump lists candidates; it is
    not a kill. systemd-oomd v247 logs no killed cgroup and is not read.
  - C(next_victims) follows the kernel's C(oom_badness()) of the running kernel's
    era (scaled points before 3.8; pages with a 3% root bonus and a floor of 1
    up to 4.16; the floor alone up to 5.8; plain pages since 5.9). What it
    cannot see from C(/proc) - a task in C(vfork), one the OOM reaper already
    skipped, C(oom_score_adj) -1000 shared through a memory map, which task of a
    tie the kernel scans last - can make the kernel's choice differ.
  - C(kernel.dmesg_restrict=1) makes C(/dev/kmsg) and C(dmesg) need CAP_SYSLOG;
    without it they appear in RV(ansible_facts.oom.source_errors) as V(dmesg_restrict).
  - Sources that fail in V(auto) mode are listed in RV(ansible_facts.oom.source_errors)
    without a warning (except a journal that timed out, see O(journal_timeout)); a
    warning is given when a source named in O(sources) fails, or when no source at
    all could be read.
seealso:
  - module: ansible.builtin.setup
"""

EXAMPLES = r"""
- name: Gather OOM facts (events of the current boot, sysctls, counters, processes, services)
  sre.oom.oom_facts:

- name: Show what the OOM killer killed
  ansible.builtin.debug:
    msg: "{{ item.time }} {{ item.victim.comm }} ({{ item.victim.pid }}) in {{ item.unit | default('-', true) }}"
  loop: "{{ ansible_facts.oom.events }}"

- name: OOM kills of the last 7 days from the rotated kernel logs
  sre.oom.oom_facts:
    gather_subset: [events]
    sources: [file]
    path:
      - /var/log/kern.log*
    since: -7d

- name: Everything but the process table and the systemd units
  sre.oom.oom_facts:
    gather_subset: ['!processes', '!services']

- name: Fail when a host killed something in the last day
  ansible.builtin.assert:
    that: ansible_facts.oom.event_count == 0
    fail_msg: "{{ ansible_facts.oom.event_count }} OOM kill(s), last: {{ ansible_facts.oom.last_event.victim.comm }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: complex
  contains:
    oom:
      description: Everything this module gathers; subsets not gathered are absent.
      returned: always
      type: dict
      contains:
        gather_subset:
          description: The subsets gathered, after resolving O(gather_subset).
          returned: always
          type: list
          elements: str
          sample: [counters, events, pressure, processes, services, sysctl]
        gathered_at:
          description: When the module ran, ISO 8601 UTC.
          returned: always
          type: str
          sample: "2026-11-29T10:15:00Z"
        scope:
          description: The scope the events were selected with, V(host) or V(container) (see O(scope)).
          returned: when events is gathered
          type: str
          sample: host
        sysctl:
          description: OOM-related sysctls as integers; null where unreadable.
          returned: when sysctl is gathered
          type: dict
          sample: {panic_on_oom: 0, panic: 0, oom_kill_allocating_task: 0, oom_dump_tasks: 1,
                   overcommit_memory: 0, overcommit_ratio: 50}
        counters:
          description:
            - C(oom_kill), the kernel's count of OOM kills since boot (C(/proc/vmstat);
              null on kernels without it).
            - C(cgroups), the memory cgroups with a non-zero count, at most
              O(top_cgroups) (the most kills; sorted by path); cgroup v2
              C(memory.events) (C(oom), C(oom_kill), C(oom_group_kill); these
              counts include descendants since kernel 5.2 - C(hierarchical) true -
              and are the cgroup's own before 5.2 or on a mount with
              C(memory_localevents) - C(hierarchical) false) and cgroup v1
              C(memory.oom_control) (C(oom_kill); C(oom) and C(oom_group_kill) are
              null; C(hierarchical) false). C(path) is
              relative to the cgroup mount (a mount point listed more than once in
              C(/proc/self/mounts) is read once); C(unit) is the systemd unit it names,
              or null. C(local) has the cgroup's own counts (v2
              C(memory.events.local); where the counts are the cgroup's own, the
              same as them); C(under_oom) is v1's flag (null on v2);
              C(oomd_ooms) and C(oomd_kill) are systemd-oomd's xattrs
              C(user.oomd_ooms) (its kills of that cgroup) and C(user.oomd_kill)
              (processes killed), null when absent. C(cgroup_count) counts them all.
            - C(subtrees), per unit, slice, container and pod the log names (at most
              O(top_cgroups), most kills first) - C(kind) (V(unit), V(slice),
              V(container), V(pod)), C(name), C(cgroup) (the subtree's path),
              C(log_kills) (the kernel's kills of this boot in that subtree found in
              the log, all sources read, before O(scope)), C(userspace_kills)
              (systemd-oomd's, earlyoom's and nohang's), C(counter_kills) (v2, the subtree's
              C(memory.events) C(oom_kill), which keeps the kills of removed child
              cgroups; where the counts are each cgroup's own - v1, and v2 with
              C(hierarchical) false - the sum over the subtree's existing cgroups,
              C(counter_complete) false; null when no cgroup is there any more;
              v1 kernels from 5.2 without the May 2020 fix of inconsistent OOM
              event counting count a child's kills in its parents too, and the sum
              counts them twice)
              and C(unattributed) (C(counter_kills) minus C(log_kills) when larger,
              else 0; null without a counter). C(subtree_count) counts them all.
            - C(attributed), the kernel kills of this boot in the log that name a
              unit, slice, container or pod, and C(unattributed), C(oom_kill)
              minus that (in the root cgroup, or lost from the log). Every kill the
              kernel counted is in one of the two.
            - C(parsed_since_boot), the kernel kills of the current boot found in
              the log (before O(scope) selects events), and C(missed), C(oom_kill)
              minus that count (kills the log no longer holds, for example a ring
              buffer that wrapped). These, C(subtrees), C(subtree_count),
              C(attributed) and C(unattributed) are null unless the events subset was
              gathered over the whole boot (O(since) V(boot), V(all) or a time before
              the boot) from a source of this boot (journal, kmsg or dmesg).
          returned: when counters is gathered
          type: dict
          sample:
            oom_kill: 3
            parsed_since_boot: 3
            missed: 0
            attributed: 3
            unattributed: 0
            cgroup_count: 2
            cgroups:
              - {path: /system.slice, version: 2, oom: 3, oom_kill: 3, oom_group_kill: 0, hierarchical: true,
                 unit: null, local: {oom: 0, oom_kill: 0, oom_group_kill: 0}, under_oom: null, oomd_ooms: null,
                 oomd_kill: null}
              - {path: /system.slice/hog.service, version: 2, oom: 1, oom_kill: 1, oom_group_kill: 0,
                 hierarchical: true, unit: hog.service, local: {oom: 1, oom_kill: 1, oom_group_kill: 0}, under_oom: null,
                 oomd_ooms: null, oomd_kill: null}
            subtree_count: 3
            subtrees:
              - {kind: slice, name: system.slice, cgroup: /system.slice, log_kills: 3, userspace_kills: 0,
                 counter_kills: 3, counter_complete: true, unattributed: 0}
              - {kind: unit, name: gone.service, cgroup: /system.slice/gone.service, log_kills: 2,
                 userspace_kills: 0, counter_kills: null, counter_complete: null, unattributed: null}
              - {kind: unit, name: hog.service, cgroup: /system.slice/hog.service, log_kills: 1,
                 userspace_kills: 0, counter_kills: 1, counter_complete: true, unattributed: 0}
        events:
          description:
            - The OOM kills found, oldest first, at most O(max_events) (the most recent).
            - Fields the log does not give are null. C(time) is ISO 8601 UTC;
              C(uptime) is in seconds since boot. C(kind) is one of V(memcg),
              V(global), V(cpuset), V(mempolicy) or V(unknown) for the kernel's
              kills, V(userspace) for the others. C(killer) is V(kernel),
              V(systemd-oomd), V(earlyoom) or V(nohang). C(memcg) is the killed task's memory
              cgroup, C(oom_memcg) the cgroup whose limit was hit (for
              systemd-oomd, the cgroup whose pressure was too high). C(unit),
              C(container_id) and C(pod_uid) come from the cgroup path. C(invoker)
              is the task whose allocation started the OOM (C(oom_adj) from 2.6
              kernels' header); null fields for userspace kills.
            - C(victim) also has C(rss_kb) (earlyoom's and nohang's VmRSS; null
              otherwise). nohang's C(cgroup) is the victim's cgroup v2 path when it
              logs it.
              systemd-oomd kills a whole cgroup, named in C(cgroup), and its
              C(victim) fields are null.
            - C(reason) is V(memory_pressure) or V(swap) (systemd-oomd),
              V(low_memory) (earlyoom, nohang), null for the kernel and for a
              systemd-oomd kill known from systemd's line only. C(signal) is the
              signal sent (V(SIGKILL) for the kernel and systemd-oomd; earlyoom's
              and nohang's V(SIGTERM) or V(SIGKILL), null when its log does not
              say).
            - C(unit_oom_logged) is true when systemd logged that a process of the
              event's unit was killed by the OOM killer; C(unit_result) is
              V(oom-kill) when systemd logged that the unit failed with that
              result, else null.
            - C(group) is set on the kernel's kills of a C(memory.oom.group) sweep
              (the kernel's C(Tasks in <cgroup> are going to be killed due to
              memory.oom.group set), systemd's C(OOMPolicy=kill)). Its C(cgroup) is
              the cgroup killed as a whole, C(pids) the pids killed in that sweep,
              sorted (the lowest 100), and C(count) how many there are. Every kill of the sweep is
              an event with the same C(group), and carries the first kill's C(kind),
              C(constraint), C(oom_memcg) and C(invoker); its C(memcg) is the first
              kill's when that was the group's cgroup, else the group's cgroup (the
              task's own lies at or below it). systemd's lines about the unit
              (C(unit_result), C(unit_oom_logged)) complete every kill of the sweep.
              A task's kill line printed twice (the victim's, again in the sweep) is
              one event. C(group) is null for any other kill.
            - C(source) names where the event was read (several, comma-separated,
              when seen in more than one).
          returned: when events is gathered
          type: list
          elements: dict
          sample:
            - time: "2026-11-28T19:01:23.562773Z"
              uptime: 383.562773
              kind: memcg
              constraint: CONSTRAINT_MEMCG
              killer: kernel
              victim: {pid: 6999, comm: "my (weird) hog", uid: 0, total_vm_kb: 540860, anon_rss_kb: 65280,
                       file_rss_kb: 6688, shmem_rss_kb: 0, pgtables_kb: 192, oom_score_adj: 0, rss_kb: null}
              memcg: /system.slice/hog.service
              oom_memcg: /system.slice/hog.service
              unit: hog.service
              container_id: null
              pod_uid: null
              invoker: {comm: "my (weird) hog", pid: 6999, gfp_mask: "0xcc0(GFP_KERNEL)", order: 0, oom_score_adj: 0,
                        oom_adj: null}
              reaped: false
              reason: null
              signal: SIGKILL
              cgroup: null
              unit_oom_logged: true
              unit_result: oom-kill
              group: null
              source: kmsg
        event_count:
          description: How many events were found (after O(since) and O(scope)), also those beyond O(max_events).
          returned: when events is gathered
          type: int
          sample: 1
        killer_counts:
          description: C(event_count) split by killer.
          returned: when events is gathered
          type: dict
          sample: {kernel: 1, systemd-oomd: 0, earlyoom: 0, nohang: 0}
        last_event:
          description: The most recent event (same fields as in C(events); C(killer) says which killer), or null.
          returned: when events is gathered
          type: dict
          sample: null
        source:
          description: The sources that were read, comma-separated (V(journal), V(kmsg), V(dmesg), V(file)); null when none could be.
          returned: when events is gathered
          type: str
          sample: kmsg
        source_errors:
          description:
            - Sources that could not be read and why; the key is the source name
              (C(file:PATH) for a file), the value one of V(missing), V(permission),
              V(dmesg_restrict), V(empty), C(timed out after N s) (the journal,
              see O(journal_timeout)), or C(error; ...) with the detail
              (for a file, for example, C(error; not a regular file) and its
              type, or C(error; corrupt gzip file) and the detail; the text
              reads with a colon after C(error)).
          returned: when events is gathered
          type: dict
          sample: {journal: missing, dmesg: dmesg_restrict}
        processes:
          description:
            - The O(top_processes) processes with the highest C(oom_score), most
              likely killed next. C(rss_kb) is the resident set; C(unit) the
              systemd unit of the process's cgroup.
          returned: when processes is gathered
          type: list
          elements: dict
          sample: [{pid: 812, comm: java, oom_score: 688, oom_score_adj: 0, rss_kb: 5523300, unit: app.service}]
        next_victims:
          description:
            - Who the kernel's OOM killer would kill next, per OOM domain - the whole
              machine (C(domain) V(global)) and every memory cgroup with a limit
              (cgroup v2 C(memory.max), v1 C(memory.limit_in_bytes); C(domain) is its
              path as in C(counters.cgroups); a cgroup below another limited one is
              its own domain, listed once, and its processes are in both).
            - Ranked as the kernel's C(oom_badness()) does for that domain - resident
              pages (anon, file, shmem) + swap entries + page tables, plus
              C(oom_score_adj) times the domain's pages / 1000 (the machine's RAM +
              swap; the cgroup's limit + the swap it may use). The same
              C(oom_score_adj) weighs far less inside a small cgroup, so the order
              differs from C(processes) (machine-wide C(oom_score)).
            - C(oom_score_adj) -1000, kernel threads and the machine's init are left
              out; run in a container with its own pid namespace, its pid 1 is listed,
              as the kernel kills a container's init like any other task. A task
              with SIGKILL pending (C(exiting) true) keeps its place by points, as in
              the kernel since 4.7; when it is itself an OOM victim still exiting, the
              kernel waits for it and kills no one, which C(/proc) cannot tell apart.
              Ties go to the higher pid (the task scanned last) from kernel 5.3, to
              the lower pid before. A process whose main thread has exited while its
              other threads run is ranked by the memory of those threads, as the
              kernel does.
            - Only the processes that can matter are read in full - those whose
              C(/proc/PID/oom_score) (the kernel's own whole-machine badness, rounded)
              can place them in the first O(top_processes), and those in a limited
              cgroup; for V(global), C(eligible) counts the others by a non-zero
              C(oom_score), and an exiting task among them is not seen.
            - Each domain has C(version) (1 or 2, null for V(global)), C(limit_kb)
              (null for V(global)), C(total_kb) (the pages the adj is scaled by, in
              kB; null for V(global) when C(/proc/meminfo) has no C(MemTotal), with a
              warning - its candidates are then in the order of C(oom_score) and
              their C(points) are null), C(eligible) (how many could be chosen),
              C(oom_kill_disable) (true for a cgroup v1 domain with
              C(memory.oom_control) C(oom_kill_disable 1) - the kernel kills no one
              there, its tasks wait for memory, and C(candidates) is empty) and
              C(candidates), the first O(top_processes) - C(pid), C(comm), C(points) (the kernel's
              badness in pages), C(oom_score_adj), C(rss_kb), C(swap_kb),
              C(pgtables_kb), C(exiting), C(unit), C(cgroup), and C(group) - on
              cgroup v2 with C(memory.oom.group) set on the candidate's cgroup or
              an ancestor up to the domain, the cgroup killed whole with it
              (C(cgroup), C(pids) (at most 100), C(count)), else null.
          returned: when processes is gathered
          type: list
          elements: dict
          sample:
            - domain: global
              version: null
              limit_kb: null
              total_kb: 24683772
              eligible: 42
              oom_kill_disable: false
              candidates:
                - {pid: 812, comm: java, points: 1380825, oom_score_adj: 0, rss_kb: 5523300, swap_kb: 0,
                   pgtables_kb: 11000, exiting: false, unit: app.service, cgroup: /system.slice/app.service,
                   group: null}
            - domain: /system.slice/hog.service
              version: 2
              limit_kb: 262144
              total_kb: 262144
              eligible: 3
              oom_kill_disable: false
              candidates:
                - {pid: 6999, comm: hog, points: 74044, oom_score_adj: 900, rss_kb: 61440, swap_kb: 0,
                   pgtables_kb: 176, exiting: false, unit: hog.service, cgroup: /system.slice/hog.service,
                   group: {cgroup: /system.slice/hog.service, pids: [6999, 7001], count: 2}}
        protected:
          description: Processes with C(oom_score_adj) -1000, which the OOM killer never picks.
          returned: when processes is gathered
          type: list
          elements: dict
          sample: [{pid: 412, comm: sshd, oom_score: 0, oom_score_adj: -1000, rss_kb: 7420, unit: ssh.service}]
        services:
          description:
            - systemd units (services, scopes and slices) with an C(OOMScoreAdjust) other
              than 0, an C(OOMPolicy) other than the default, a systemd-oomd setting
              other than the default (C(ManagedOOMMemoryPressure=kill),
              C(ManagedOOMSwap=kill), a C(ManagedOOMMemoryPressureLimit), a
              C(ManagedOOMPreference) of V(avoid) or V(omit)), or whose last
              C(Result) was V(oom-kill).
            - Each has C(unit), C(oom_score_adjust), C(oom_policy), C(result), the
              effective C(managed_oom_memory_pressure), C(managed_oom_memory_pressure_limit)
              (percent, V(60%); null when systemd does not report it),
              C(managed_oom_swap), C(managed_oom_preference) (null before systemd 248),
              and C(memory_oom_group) - the cgroup v2 C(memory.oom.group) of the unit's
              cgroup as a boolean, null where it cannot be read (cgroup v1, a unit
              without a cgroup).
          returned: when services is gathered
          type: list
          elements: dict
          sample:
            - unit: postgresql.service
              oom_score_adjust: -900
              oom_policy: stop
              result: success
              managed_oom_memory_pressure: kill
              managed_oom_memory_pressure_limit: 60%
              managed_oom_swap: auto
              managed_oom_preference: avoid
              memory_oom_group: false
        pressure:
          description:
            - C(memory), the machine's memory pressure from C(/proc/pressure/memory) -
              C(some) and C(full), each with C(avg10), C(avg60), C(avg300) (percent)
              and C(total) (microseconds), each null when it is no finite number;
              null without PSI.
            - C(units), each unit or slice with C(ManagedOOMMemoryPressure=kill) or
              C(ManagedOOMSwap=kill) - C(unit), C(cgroup) (V(/) for C(-.slice), the root
              cgroup; null for a unit without a cgroup now), C(managed_oom_memory_pressure),
              C(managed_oom_swap), C(managed_oom_memory_pressure_limit) (as systemd
              reports it, null when unset), C(effective_limit) (V(60%), systemd-oomd's
              default, when unset or 0), C(memory_pressure) (its cgroup's
              C(memory.pressure), same form as C(memory); null without cgroup v2),
              C(over_limit) (C(full) C(avg10) above C(effective_limit), for pressure
              only; systemd-oomd also waits C(DefaultMemoryPressureDurationSec=)), and
              C(oomd_candidates) - systemd-oomd's kill order below it (at most
              O(top_cgroups)) beside the kernel's C(next_victims) - the leaf cgroups
              and those with C(memory.oom.group) 1 (a candidate whole, as with
              C(OOMPolicy=kill)), those whose own cgroup is marked C(user.oomd_omit)
              left out (the mark is not inherited), C(user.oomd_avoid) ones last (a
              cgroup's marks count when root owns it, or the owner of the managed
              cgroup for pressure, as systemd-oomd reads them),
              then for pressure the most page scanning (the cumulative C(pgscan) of
              C(memory.stat); systemd-oomd uses its rate between two readings) and the
              most memory, for swap the most swap; each with C(cgroup), C(unit),
              C(memory_current_kb), C(swap_current_kb), C(pgscan), C(preference).
          returned: when pressure is gathered
          type: dict
          sample:
            memory:
              some: {avg10: 12.5, avg60: 1.5, avg300: 0.2, total: 123456}
              full: {avg10: 8.25, avg60: 0.75, avg300: 0.1, total: 65432}
            units:
              - unit: batch.slice
                cgroup: /batch.slice
                managed_oom_memory_pressure: kill
                managed_oom_swap: auto
                managed_oom_memory_pressure_limit: 60%
                effective_limit: 60%
                memory_pressure:
                  some: {avg10: 90.0, avg60: 1.5, avg300: 0.2, total: 123456}
                  full: {avg10: 71.0, avg60: 0.75, avg300: 0.1, total: 65432}
                over_limit: true
                oomd_candidates:
                  - {cgroup: /batch.slice/b.service, unit: b.service, memory_current_kb: 102400,
                     swap_current_kb: 51200, pgscan: 900, preference: null}
        services_error:
          description: Why units could not be listed (no systemd as init, C(systemctl) failed), or null.
          returned: when services is gathered
          type: str
          sample: null
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.sre.oom.plugins.module_utils import _host
from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup as _cgroup
from ansible_collections.sre.oom.plugins.module_utils._oom import collector as _collector
from ansible_collections.sre.oom.plugins.module_utils._oom import formats as _formats
from ansible_collections.sre.oom.plugins.module_utils._oom import journal as _journal
from ansible_collections.sre.oom.plugins.module_utils._oom import since as _since
from ansible_collections.sre.oom.plugins.module_utils._oom import sources as _sources

# The events (and the options' checks) are imported above. The code of the other
# subsets is imported by the function that gathers each, so that a run that leaves
# a subset out does not load it: on the host, Python compiles every file it imports
# from the module's payload anew on each run (gather_subset: [events] starts 25 ms
# sooner without _sysctl, _services, _victims, _pressure and what they import).

SUBSETS = ("sysctl", "counters", "events", "processes", "services", "pressure")
SOURCES = ("auto", "journal", "kmsg", "dmesg", "file")
SCOPES = ("auto", "host", "container")
# More events than this would take the module past 64 MB of memory and make the
# returned facts (and the fact cache) heavy; event_count still counts them all.
MAX_EVENTS_LIMIT = 1000
# journal_timeout: at least a second, at most a day.
JOURNAL_TIMEOUT_LIMITS = (1, 86400)


# ---------------------------------------------------------------------------
# Options

def resolve_subset(requested):
    """setup's gather_subset grammar -> sorted list of subset names; ValueError on bad names."""
    include, exclude = set(), set()
    positive = False
    exclude_all = False
    for raw in requested:
        item = str(raw).strip()
        neg = item.startswith("!")
        name = item[1:].strip() if neg else item
        if name == "all":
            if neg:
                exclude_all = True
            else:
                positive = True
                include.update(SUBSETS)
            continue
        if name not in SUBSETS:
            raise ValueError("gather_subset: unknown subset %r; valid: all, %s (prefix with ! to leave one out)"
                             % (item, ", ".join(SUBSETS)))
        if neg:
            exclude.add(name)
        else:
            positive = True
            include.add(name)
    if not positive and not exclude_all:
        include.update(SUBSETS)
    return sorted(include - exclude)


def validate(params, now, boot_time):
    """Check every option; return (subsets, sources, since_mode, since_epoch) or raise ValueError."""
    subsets = resolve_subset(params["gather_subset"] or ["all"])
    sources = [str(s).strip() for s in (params["sources"] or ["auto"])]
    bad = [s for s in sources if s not in SOURCES]
    if bad:
        raise ValueError("sources: unknown source(s) %s; valid: %s" % (", ".join(bad), ", ".join(SOURCES)))
    if "auto" in sources and len(sources) > 1:
        raise ValueError("sources: auto cannot be combined with other sources (got %s)" % ", ".join(sources))
    if len(set(sources)) != len(sources):
        raise ValueError("sources: a source is listed twice (%s)" % ", ".join(sources))
    if params["path"] and "file" not in sources:
        raise ValueError("path is only read by the file source; add file to sources (sources: [file])")
    if not 0 <= params["max_events"] <= MAX_EVENTS_LIMIT:
        raise ValueError("max_events must be between 0 and %d, got %d" % (MAX_EVENTS_LIMIT, params["max_events"]))
    if params["top_processes"] < 0:
        raise ValueError("top_processes must be 0 or more, got %d" % params["top_processes"])
    if params["top_cgroups"] < 0:
        raise ValueError("top_cgroups must be 0 or more, got %d" % params["top_cgroups"])
    low, high = JOURNAL_TIMEOUT_LIMITS
    if not low <= params["journal_timeout"] <= high:
        raise ValueError("journal_timeout must be between %d and %d seconds, got %d"
                         % (low, high, params["journal_timeout"]))
    if params["scope"] not in SCOPES:
        raise ValueError("scope: %r is not one of %s" % (params["scope"], ", ".join(SCOPES)))
    mode, epoch = _since.parse_since(params["since"], now, boot_time)
    return subsets, sources, mode, epoch


# ---------------------------------------------------------------------------
# Subsets

def _int_or_none(text):
    if text is None:
        return None
    try:
        return int(text.strip().split()[0])
    except (ValueError, IndexError):
        return None


def gather_sysctl(host):
    """The six OOM sysctls, named as oom_policy's options (one list for the collection)."""
    from ansible_collections.sre.oom.plugins.module_utils import _sysctl
    return {option: _int_or_none(host.read_text(_sysctl.key_to_proc_path(key)))
            for option, key, _kind, _rule in _sysctl.OPTIONS}


def _cgroup_mounts(host):
    """[(mount point, version)] of cgroup2 mounts and cgroup v1 memory mounts."""
    from ansible_collections.sre.oom.plugins.module_utils._oom import victims as _victims
    return _victims.memory_mounts(host.read_text("/proc/self/mounts"))


def gather_counters(host, top):
    from ansible_collections.sre.oom.plugins.module_utils._oom import counters as _counters
    from ansible_collections.sre.oom.plugins.module_utils._oom import victims as _victims
    vmstat = host.read_text("/proc/vmstat") or ""
    oom_kill = None
    for line in vmstat.splitlines():
        if line.startswith("oom_kill "):
            oom_kill = _int_or_none(line[9:])
    mounts_text = host.read_text("/proc/self/mounts")
    entries = _counters.read_cgroups(host, _victims.memory_mounts(mounts_text), _cgroup.cgroup_unit,
                                     _counters.local_events_mounts(mounts_text))
    return {"oom_kill": oom_kill, "cgroups": _counters.top_cgroups(entries, top), "cgroup_count": len(entries),
            "subtrees": None, "subtree_count": None, "attributed": None, "unattributed": None}, entries


def attribute(counters, entries, tally, top):
    """counters.subtrees and attributed/unattributed from the log's kills of this boot
    (only when the events read cover the whole boot: see reconcile)."""
    if counters.get("parsed_since_boot") is None:
        return
    from ansible_collections.sre.oom.plugins.module_utils._oom import counters as _counters
    rows, count = _counters.subtrees(tally, entries, _cgroup.cgroup_unit, _cgroup.cgroup_container_id,
                                     _cgroup.cgroup_pod_uid, top)
    counters["subtrees"] = rows
    counters["subtree_count"] = count
    counters["attributed"] = _counters.attributed(tally, _cgroup.cgroup_unit, _cgroup.cgroup_container_id,
                                                  _cgroup.cgroup_pod_uid)
    if counters.get("oom_kill") is not None:
        counters["unattributed"] = max(counters["oom_kill"] - counters["attributed"], 0)


def _page_kb():
    try:
        return os.sysconf("SC_PAGE_SIZE") // 1024
    except (ValueError, OSError, AttributeError):
        return 4


def gather_pressure(host, services, control_groups, top):
    """The memory PSI of the machine and of each unit or slice systemd-oomd manages."""
    from ansible_collections.sre.oom.plugins.module_utils import _services
    from ansible_collections.sre.oom.plugins.module_utils._oom import pressure as _pressure
    if services is None:
        services, _error = _services.gather_services(host, control_groups)
    managed = [{"unit": u["unit"], "cgroup": control_groups.get(u["unit"]),
                "memory_pressure": u["managed_oom_memory_pressure"], "swap": u["managed_oom_swap"],
                "limit": u["managed_oom_memory_pressure_limit"]}
               for u in services if "kill" in (u["managed_oom_memory_pressure"], u["managed_oom_swap"])]
    v2_root = None
    for mount, version in _cgroup_mounts(host):
        if version == 2 and host.exists(mount.rstrip("/") + "/cgroup.controllers"):
            v2_root = mount
            break
    return _pressure.gather(host, managed, v2_root, _cgroup.cgroup_unit, top)


def _proc_unit(host, pid):
    text = host.read_text("/proc/%s/cgroup" % pid) or ""
    paths = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            if parts[0] == "0" and parts[1] == "":
                paths["v2"] = parts[2]
            elif "name=systemd" in parts[1].split(","):
                paths["systemd"] = parts[2]
            elif "memory" in parts[1].split(","):
                paths["memory"] = parts[2]
    for key in ("systemd", "v2", "memory"):
        unit = _cgroup.cgroup_unit(paths.get(key))
        if unit:
            return unit
    return None


def gather_processes(host, top):
    page_kb = _page_kb()
    procs = []
    for name in host.listdir("/proc"):
        if not _formats.is_digits(name):
            continue
        statm = host.read_text("/proc/%s/statm" % name)
        if not statm:
            continue
        fields = statm.split()
        rss_kb = int(fields[1]) * page_kb if len(fields) > 1 and _formats.is_digits(fields[1]) else 0
        if rss_kb == 0:
            continue   # kernel threads have no memory of their own
        score = _int_or_none(host.read_text("/proc/%s/oom_score" % name))
        adj = _int_or_none(host.read_text("/proc/%s/oom_score_adj" % name))
        if score is None:
            continue
        comm = (host.read_text("/proc/%s/comm" % name) or "").rstrip("\n")
        procs.append({"pid": int(name), "comm": comm, "oom_score": score, "oom_score_adj": adj,
                      "rss_kb": rss_kb, "unit": None})
    procs.sort(key=lambda p: (-p["oom_score"], -p["rss_kb"], p["pid"]))
    chosen = procs[:top]
    protected = sorted((p for p in procs if p["oom_score_adj"] == -1000), key=lambda p: p["pid"])
    for p in chosen + protected:
        if p["unit"] is None:
            p["unit"] = _proc_unit(host, p["pid"])
    return chosen, protected


# ---------------------------------------------------------------------------
# Events

def gather_events(host, sources, paths, since_mode, since_epoch, max_events, boot_time, keep=None,
                  journal_timeout=_journal.DEFAULT_TIMEOUT):
    """Return (facts dict, warnings, read) where read says which sources were read."""
    cutoff = since_epoch if since_mode in ("boot", "time") else None
    collector = _collector.EventCollector(max_events=max_events, since=cutoff, boot_time=boot_time, keep=keep)
    errors = {}
    used = []
    warnings = []
    auto = sources == ["auto"]
    order = ["journal", "kmsg", "dmesg", "file"] if auto else sources

    for src in order:
        if auto and used:
            break
        try:
            if src == "journal":
                _journal.read_journal(host, collector, since_mode, since_epoch, check_boot=auto, boot_time=boot_time,
                                      timeout=journal_timeout)
                used.append(src)
            elif src == "kmsg":
                _sources.read_kmsg(host, collector, boot_time)
                used.append(src)
            elif src == "dmesg":
                _sources.read_dmesg(host, collector, boot_time)
                used.append(src)
            elif src == "file":
                files = _sources.expand_paths(host, paths or list(_sources.DEFAULT_FILES))
                ok = False
                if not files:
                    errors["file"] = "missing"
                for path in files:
                    try:
                        _sources.read_file(host, collector, path)
                        ok = True
                    except _sources.SourceError as e:
                        errors["file:" + path] = e.reason
                if ok:
                    used.append(src)
        except _sources.SourceError as e:
            errors[src] = e.reason
    if not auto:
        for key, reason in sorted(errors.items()):
            warnings.append("oom_facts: source %s could not be read: %s" % (key, reason))
    elif not used:
        warnings.append("oom_facts: no kernel log source could be read (%s)"
                        % ", ".join("%s: %s" % kv for kv in sorted(errors.items())))
    elif errors.get("journal", "").startswith("timed out"):
        # not the usual absence of a journal: one that hangs, or is too big to read in time
        warnings.append("oom_facts: source journal could not be read: %s; events read from %s"
                        % (errors["journal"], ", ".join(used)))
    events = collector.events()
    return {
        "events": events,
        "event_count": collector.count,
        "killer_counts": dict(collector.killer_counts),
        "last_event": events[-1] if events else None,
        "source": ",".join(used) if used else None,
        "source_errors": errors,
    }, warnings, {"used": used, "kernel_since_boot": collector.kernel_since_boot}


def reconcile(counters, read, since_mode, since_epoch, boot_time):
    """counters.missed / parsed_since_boot: /proc/vmstat's count of kernel kills this
    boot against the kernel kills parsed for this boot, when the events read cover
    the whole boot (since boot or all, or a time before the boot, and a source of
    this boot: journal, kmsg or dmesg)."""
    whole_boot = boot_time is not None and (
        since_mode in ("boot", "all") or (since_mode == "time" and since_epoch <= boot_time))
    this_boot = any(s in ("journal", "kmsg", "dmesg") for s in read["used"])
    if not (whole_boot and this_boot):
        counters["parsed_since_boot"] = None
        counters["missed"] = None
        return
    parsed = read["kernel_since_boot"]
    counters["parsed_since_boot"] = parsed
    counters["missed"] = max(counters["oom_kill"] - parsed, 0) if counters.get("oom_kill") is not None else None


# ---------------------------------------------------------------------------

def run_module(module, host):
    params = module.params
    now = host.now()
    boot_time = _sources.boot_time_of(host)
    try:
        subsets, sources, since_mode, since_epoch = validate(params, now, boot_time)
    except ValueError as e:
        module.fail_json(msg=str(e))
    facts = {"gather_subset": subsets, "gathered_at": _formats.iso_utc(int(now))}
    if "sysctl" in subsets:
        facts["sysctl"] = gather_sysctl(host)
    if "counters" in subsets:
        facts["counters"], cgroup_entries = gather_counters(host, params["top_cgroups"])
        facts["counters"]["parsed_since_boot"] = None
        facts["counters"]["missed"] = None
    if "events" in subsets:
        scope, keep, warning = _cgroup.resolve_scope(host, params["scope"])
        if warning:
            module.warn(warning)
        facts["scope"] = scope
        tally = None
        if "counters" in subsets:
            from ansible_collections.sre.oom.plugins.module_utils._oom import counters as _counters
            keep = tally = _counters.KillTally(boot_time, then=keep)
        ev, warnings, read = gather_events(host, sources, params["path"], since_mode, since_epoch,
                                           params["max_events"], boot_time, keep, params["journal_timeout"])
        facts.update(ev)
        for w in warnings:
            module.warn(w)
        if "counters" in subsets:
            reconcile(facts["counters"], read, since_mode, since_epoch, boot_time)
            attribute(facts["counters"], cgroup_entries, tally, params["top_cgroups"])
    if "processes" in subsets:
        from ansible_collections.sre.oom.plugins.module_utils._oom import victims as _victims
        facts["processes"], facts["protected"] = gather_processes(host, params["top_processes"])
        warnings = []
        facts["next_victims"] = _victims.gather(host, params["top_processes"], _cgroup.cgroup_unit, _page_kb(),
                                                warnings)
        for w in warnings:
            module.warn(w)
    control_groups = {}
    if "services" in subsets:
        from ansible_collections.sre.oom.plugins.module_utils import _services
        facts["services"], facts["services_error"] = _services.gather_services(host, control_groups)
    if "pressure" in subsets:
        facts["pressure"] = gather_pressure(host, facts.get("services"), control_groups, params["top_cgroups"])
    module.exit_json(changed=False, ansible_facts={"oom": facts})


def main():
    module = AnsibleModule(
        argument_spec=dict(
            gather_subset=dict(type="list", elements="str", default=["all"]),
            sources=dict(type="list", elements="str", default=["auto"]),
            path=dict(type="list", elements="path"),
            since=dict(type="str", default="boot"),
            max_events=dict(type="int", default=100),
            top_processes=dict(type="int", default=10),
            top_cgroups=dict(type="int", default=50),
            scope=dict(type="str", default="auto", choices=list(SCOPES)),
            journal_timeout=dict(type="int", default=_journal.DEFAULT_TIMEOUT),
        ),
        supports_check_mode=True,
    )
    run_module(module, _host.Host(module))


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright: sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Internal to sre.oom: the options oom_unit and oom_score_adj share (one flow,
# module_utils/_unit_spec, whose common_argument_spec() is their argument spec). Not an
# interface for other collections; it may change in any release.

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  dropin:
    description:
      - The drop-in file name inside C(<unit_dir>/<unit>.d/), the same for every unit.
      - The whole name must match C([A-Za-z0-9_.@-]+\.conf), not start with C(.) (systemd
        ignores hidden files), and be at most 255 bytes. Name it so that it sorts after the
        drop-ins it must override.
    type: str
    default: 50-oom-score-adj.conf
  unit_dir:
    description:
      - Where the drop-in directories go. V(/etc/systemd/system) persists;
        V(/run/systemd/system) lasts until the next reboot.
      - Either may also be given below another root directory, for example
        C(/mnt/image/etc/systemd/system) to prepare an image. Files are then written and
        checked for shadowing inside that tree only, and nothing is reloaded, applied live
        or restarted (the result's C(systemd_running) is V(false)); setting names are those
        of the systemd on the host that runs the module.
    type: path
    default: /etc/systemd/system
  daemon_reload:
    description:
      - Run C(systemctl daemon-reload) once per task when a drop-in changed, or when one
        of the units reports C(NeedDaemonReload=yes). Only where systemd runs as PID 1.
      - In the second case nothing is known to need a reload until C(systemctl show) has
        answered, so C(systemctl show) runs once more after that reload to read the new
        values; otherwise a task runs it once.
      - With V(false), systemd keeps using the old values until something reloads it; the
        result's C(effective) values are then the old ones and a warning says so.
    type: bool
    default: true
  apply_live:
    description:
      - Also write the C(oom_score_adj) value to C(/proc/<pid>/oom_score_adj) of every
        process now in each unit's cgroup (sub-cgroups included), since systemd applies
        C(OOMScoreAdjust=) only when it starts a process. Processes already at the value
        are left alone.
      - Skipped for a unit whose C(OOMScoreAdjust=) is overridden by another drop-in (see
        the result's C(shadowed_by)), without a value, with state V(absent), for templates,
        and where systemd is not PID 1.
      - A process can refuse the write - it exited, or the kernel answers EACCES because a
        value below the process's minimum needs C(CAP_SYS_RESOURCE), which many containers
        lack. Each refusal is reported per pid in the result's C(live.failed) of the unit
        and as a warning; it does not fail the task, since the drop-in is in place.
    type: bool
    default: true
  restart:
    description:
      - Restart the units whose drop-in changed, after the reload, in one command for all
        units. V(never) leaves them running with their processes' current values (see
        O(apply_live)); V(if_running) restarts those that are active (C(systemctl
        try-restart)); V(always) restarts them even when stopped (C(systemctl restart)).
        Slices are never restarted (systemd-oomd reads their settings after the reload).
    type: str
    choices: [never, if_running, always]
    default: never
  force:
    description:
      - Overwrite a file at the drop-in path that does not carry the sre.oom marker.
        Without it, such a file fails the task before anything is written.
      - State V(absent) never removes such a file, forced or not.
    type: bool
    default: false
"""

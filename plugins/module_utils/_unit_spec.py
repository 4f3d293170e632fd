# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: the OOM settings a unit's drop-in can carry. Not a public API.

Phase 1 of the units flow (module_utils/_units runs the others), pure: the table of
settings (option, drop-in key, unit types, first systemd version), the options
sre.oom.oom_unit and sre.oom.oom_score_adj share, every input checked and names
normalised into ``UnitSpec``s, and the keys and values a given systemd takes.
"""

from __future__ import annotations

import collections
import re

from ansible_collections.sre.oom.plugins.module_utils import _systemctl, _systemd, _values

DROPIN_RE = re.compile(r"[A-Za-z0-9_.@-]+\.conf")
DROPIN_MAX_BYTES = 255
EXEC_TYPES = ("service", "socket", "mount", "swap")
CGROUP_TYPES = ("service", "socket", "mount", "swap", "slice")

# One row per setting: the option, the drop-in key (systemd 248+ name), the unit
# types it applies to, the first systemd version that knows it, and its choices
# (None: an integer or a percentage).
Setting = collections.namedtuple("Setting", "option key types since choices")
SETTINGS = (
    Setting("oom_score_adj", "OOMScoreAdjust", EXEC_TYPES, 0, None),
    Setting("oom_policy", "OOMPolicy", ("service",), 243, ("continue", "stop", "kill")),
    Setting("managed_oom_memory_pressure", "ManagedOOMMemoryPressure", CGROUP_TYPES, 247,
            ("auto", "kill")),
    Setting("managed_oom_memory_pressure_limit", "ManagedOOMMemoryPressureLimit", CGROUP_TYPES, 247,
            None),
    Setting("managed_oom_swap", "ManagedOOMSwap", CGROUP_TYPES, 247, ("auto", "kill")),
    Setting("managed_oom_preference", "ManagedOOMPreference", CGROUP_TYPES, 248,
            ("none", "avoid", "omit")),
)
BY_OPTION = {s.option: s for s in SETTINGS}
OPTIONS = tuple(s.option for s in SETTINGS)
LIMIT = "managed_oom_memory_pressure_limit"
# systemd 247 spells the limit ManagedOOMMemoryPressureLimitPercent= and takes whole
# percents only (renamed in 248, which also added ManagedOOMPreference=).
LEGACY_LIMIT_KEY = "ManagedOOMMemoryPressureLimitPercent"
LEGACY_LIMIT_BEFORE = 248


def common_argument_spec():
    """The options oom_unit and oom_score_adj share (documented once, in the
    sre.oom._units doc fragment)."""
    return dict(
        dropin=dict(type="str", default="50-oom-score-adj.conf"),
        unit_dir=dict(type="path", default="/etc/systemd/system"),
        daemon_reload=dict(type="bool", default=True),
        apply_live=dict(type="bool", default=True),
        restart=dict(type="str", default="never", choices=["never", "if_running", "always"]),
        force=dict(type="bool", default=False),
    )


class UnitsError(Exception):
    """A failure the module reports with fail_json(msg, **extra)."""

    def __init__(self, msg, **extra):
        Exception.__init__(self, msg)
        self.msg = msg
        self.extra = extra


UnitSpec = collections.namedtuple("UnitSpec", "index unit state settings where")
# where: how messages name the entry, e.g. "units[3] (foo.service)".
# settings: tuple of (option, value) in SETTINGS order, only the managed ones;
# the limit's value is a permyriad (60% -> 6000).


def validate_dropin(name):
    """Raise UnitsError unless ``name`` is a safe drop-in file name."""
    ok = (isinstance(name, str) and DROPIN_RE.fullmatch(name) is not None
          and not name.startswith(".") and len(name.encode("utf-8")) <= DROPIN_MAX_BYTES)
    if not ok:
        raise UnitsError("dropin must be a file name matching [A-Za-z0-9_.@-]+\\.conf as a whole, not "
                         "starting with '.', at most %d bytes, got %r" % (DROPIN_MAX_BYTES, name))


def strict_int(value, what, low, high):
    """An int from an int or a decimal string; booleans and anything else refused."""
    if isinstance(value, bool):
        raise UnitsError("%s must be an integer from %d to %d, not a boolean (%r)" % (what, low, high, value))
    num = _values.integer(value)
    if num is None:
        raise UnitsError("%s must be an integer from %d to %d, got %r" % (what, low, high, value))
    if not low <= num <= high:
        raise UnitsError("%s must be between %d and %d, got %d" % (what, low, high, num))
    return num


_BARE_PERCENT_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?")


def limit_permyriad(text):
    """The limit option's text -> permyriad, or None: a percentage as systemd takes
    it ("60%", "55.5%", "605\u2030", "6050\u2031") or a number of percent ("60",
    "55.55"). Full match only."""
    if not isinstance(text, str):
        return None
    if _BARE_PERCENT_RE.fullmatch(text):
        text += "%"
    return _systemctl.parse_percent(text)


def parse_limit(value, what):
    """A percentage ("60%", "55.5%", 60) -> permyriad; booleans refused."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise UnitsError("%s must be a percentage such as '60%%' (0 to 100, at most two decimals), "
                         "got %r" % (what, value))
    permyriad = limit_permyriad(str(value))
    if permyriad is None:
        raise UnitsError("%s must be a percentage such as '60%%' (0 to 100, at most two decimals), "
                         "got %r" % (what, value))
    return permyriad


def validate_entries(entries):
    """Check every entry of ``units``; return a tuple of UnitSpec. Raises UnitsError."""
    specs = []
    seen = {}
    for index, entry in enumerate(entries or []):
        where = "units[%d]" % index
        name = entry.get("name")
        try:
            unit = _systemd.normalize_unit(name, CGROUP_TYPES)
        except _systemd.UnitNameError as e:
            raise UnitsError("%s.name: %r is not a valid unit name: %s" % (where, name, e))
        where = "%s (%s)" % (where, unit)
        state = entry.get("state") or "present"
        if state not in ("present", "absent"):
            raise UnitsError("%s: state must be present or absent, got %r" % (where, state))
        settings = []
        # with state=absent the settings are ignored, as documented (the entry of
        # a unit being retired keeps them): not checked either
        for setting in SETTINGS if state == "present" else ():
            value = entry.get(setting.option)
            if value is None:
                continue
            what = "%s: %s" % (where, setting.option)
            if setting.option == "oom_score_adj":
                value = strict_int(value, what, -1000, 1000)
            elif setting.option == LIMIT:
                value = parse_limit(value, what)
            elif value not in setting.choices:
                raise UnitsError("%s must be one of %s, got %r" % (what, ", ".join(setting.choices), value))
            if _systemd.unit_type(unit) not in setting.types:
                raise UnitsError("%s applies to %s units only" % (
                    what, ", ".join("." + t for t in setting.types)))
            settings.append((setting.option, value))
        if state == "present" and not settings:
            raise UnitsError("%s: state=present needs at least one of %s" % (where, ", ".join(OPTIONS)))
        spec = UnitSpec(index, unit, state, tuple(settings), where)
        if unit in seen:
            if seen[unit][1:4] != spec[1:4]:
                raise UnitsError("%s: the unit is also given as units[%d] with other settings"
                                 % (where, seen[unit].index))
            continue
        seen[unit] = spec
        specs.append(spec)
    if not specs:
        raise UnitsError("units: give at least one unit")
    return tuple(specs)


def key_for(setting, version):
    if setting.option == LIMIT and version is not None and version < LEGACY_LIMIT_BEFORE:
        return LEGACY_LIMIT_KEY
    return setting.key


def render_value(option, value):
    if option == LIMIT:
        return _systemctl.format_percent(value)
    if option == "oom_score_adj":
        return "%d" % value
    return value


def settings_for_version(spec, version):
    """((option, key, text), ...) to write and (option, why) the host lacks."""
    written, unsupported = [], []
    for option, value in spec.settings:
        setting = BY_OPTION[option]
        if version is not None and version < setting.since:
            unsupported.append((option, "needs systemd %d or newer, this host runs systemd %d"
                                % (setting.since, version)))
            continue
        key = key_for(setting, version)
        if key == LEGACY_LIMIT_KEY and value % 100:
            unsupported.append((option, "systemd %d takes whole percents only (%s), got %s"
                                % (version, LEGACY_LIMIT_KEY, _systemctl.format_percent(value))))
            continue
        written.append((option, key, render_value(option, value)))
    return tuple(written), tuple(unsupported)

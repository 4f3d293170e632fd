# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: systemd unit names, drop-ins and cgroups. Not a public API."""

from __future__ import annotations

import os
import re
import stat
import string

from ansible_collections.sre.oom.plugins.module_utils import _managed
from ansible_collections.sre.oom.plugins.module_utils._host import join_root

UNIT_NAME_MAX = 255

# Every unit type systemd knows, so that "foo.timer" is recognised as a timer (and
# refused) instead of becoming "foo.timer.service".
UNIT_TYPES = ("service", "socket", "target", "device", "mount", "automount", "swap",
              "timer", "path", "slice", "scope")

# The unit types whose units run processes, and the section that carries
# OOMScoreAdjust= in each (systemd.exec(5) options live in the type's own section).
SECTIONS = {
    "service": "Service",
    "socket": "Socket",
    "mount": "Mount",
    "swap": "Swap",
}

# Every unit type a drop-in of this collection may target, with its section:
# the ones above plus slices, which carry the systemd-oomd settings
# (ManagedOOM*=, systemd.resource-control(5)) but run no processes themselves.
ALL_SECTIONS = dict(SECTIONS, slice="Slice")

# OOMPolicy= is a [Service] setting.
OOM_POLICY_TYPES = ("service",)
OOM_POLICIES = ("continue", "stop", "kill")

# Characters systemd accepts in a unit name before the type suffix (unit-name.c);
# "@" separates template and instance.
_VALID_CHARS = frozenset(string.ascii_letters + string.digits + ":-_.\\")

# The system manager's unit search path, highest priority first, as
# `systemd-analyze unit-paths` prints it on Debian (which keeps /lib before /usr/lib).
SEARCH_PATH = (
    "/etc/systemd/system.control",
    "/run/systemd/system.control",
    "/run/systemd/transient",
    "/run/systemd/generator.early",
    "/etc/systemd/system",
    "/etc/systemd/system.attached",
    "/run/systemd/system",
    "/run/systemd/system.attached",
    "/run/systemd/generator",
    "/usr/local/lib/systemd/system",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/run/systemd/generator.late",
)

# The directories the module may write drop-ins under.
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system")

# Written into a drop-in when sre.oom created its "<unit>.d" directory, so that
# state=absent knows it may remove the directory once it is empty (no extra file).
DIR_FLAG = "# sre.oom created this drop-in directory and removes it once it is empty."

KEY_ADJ = "OOMScoreAdjust"
KEY_POLICY = "OOMPolicy"


class UnitNameError(ValueError):
    """A unit name that systemd (or this collection) does not accept."""


# ---------------------------------------------------------------------------
# Unit names
# ---------------------------------------------------------------------------

def normalize_unit(name, types=None):
    """Return the full unit name for ``name`` or raise UnitNameError.

    A name without a known unit-type suffix gets ".service" (as systemctl does);
    a name ending in "." is refused rather than turned into "foo..service".
    ``types`` is the collection of accepted unit types (default: those whose
    units run processes, SECTIONS). The rules are systemd's (ASCII letters,
    digits and ``:-_.\\``, at most one "@", at most 255 characters) plus two of
    our own that keep the name safe as a path component: no ".." and no leading
    ".".
    """
    if types is None:
        types = SECTIONS
    if not isinstance(name, str) or name == "":
        raise UnitNameError("the name is empty")
    for ch in name:
        if ord(ch) < 32 or ord(ch) == 127:
            raise UnitNameError("control characters are not allowed")
    if ".." in name:
        raise UnitNameError("'..' is not allowed")
    if "/" in name:
        raise UnitNameError("'/' is not allowed")
    if name.startswith("."):
        raise UnitNameError("a unit name cannot start with '.'")
    if name.endswith("."):
        raise UnitNameError("a unit name cannot end with '.' (give the type, e.g. 'foo.service', or none)")
    if name.count("@") > 1:
        raise UnitNameError("at most one '@' is allowed (template@instance)")
    full = name
    dot = name.rfind(".")
    if dot < 0 or name[dot + 1:] not in UNIT_TYPES:
        full = name + ".service"
        dot = len(name)
    utype = full[dot + 1:]
    if utype not in types:
        why = "runs no processes" if types is SECTIONS else "is not accepted here"
        raise UnitNameError(
            "unit type .%s %s; accepted suffixes are %s"
            % (utype, why, ", ".join("." + t for t in types)))
    if len(full) > UNIT_NAME_MAX:
        raise UnitNameError("it is longer than %d characters" % UNIT_NAME_MAX)
    stem = full[:dot]
    if stem == "":
        raise UnitNameError("the name before the suffix is empty")
    at = stem.find("@")
    if at == 0:
        raise UnitNameError("a unit name cannot start with '@'")
    if at > 0 and utype == "slice":
        raise UnitNameError("slices cannot be templates or instances")
    bad = sorted({ch for ch in stem if ch not in _VALID_CHARS and ch != "@"})
    if bad:
        raise UnitNameError(
            "invalid character(s) %s; allowed are ASCII letters, digits, ':', '-', '_', '.', "
            "'\\' and one '@' before the instance" % ", ".join(repr(c) for c in bad))
    return full


def unit_type(unit):
    """The type of a full unit name ("service" for "foo.service")."""
    return unit.rsplit(".", 1)[1]


def section_for(unit):
    """The drop-in section that holds the unit's settings ("Slice" for a slice)."""
    return ALL_SECTIONS[unit_type(unit)]


def is_template(unit):
    """True for "foo@.service" (a template, not an instance)."""
    stem = unit.rsplit(".", 1)[0]
    return stem.endswith("@")


def is_instance(unit):
    stem = unit.rsplit(".", 1)[0]
    at = stem.find("@")
    return at > 0 and at < len(stem) - 1


def template_of(unit):
    """"foo@3.service" -> "foo@.service"."""
    stem, utype = unit.rsplit(".", 1)
    return stem[:stem.find("@") + 1] + "." + utype


# ---------------------------------------------------------------------------
# Drop-in files
# ---------------------------------------------------------------------------

def render_dropin(unit, value=None, oom_policy=None, created_dir=False):
    """Return the text of the managed drop-in of sre.oom.oom_score_adj for ``unit``."""
    pairs = []
    if value is not None:
        pairs.append((KEY_ADJ, "%d" % value))
    if oom_policy is not None:
        pairs.append((KEY_POLICY, oom_policy))
    return render_settings(unit, pairs, created_dir, "sre.oom.oom_score_adj")


def render_settings(unit, pairs, created_dir=False, what="sre.oom.oom_unit"):
    """Return a managed drop-in for ``unit`` setting each (key, value) of ``pairs``."""
    lines = [_managed.header(what).rstrip("\n")]
    if created_dir:
        lines.append(DIR_FLAG)
    lines.append("[%s]" % section_for(unit))
    for key, val in pairs:
        lines.append("%s=%s" % (key, val))
    return "\n".join(lines) + "\n"


def has_dir_flag(text):
    """True when a managed drop-in says sre.oom created its directory."""
    if text is None:
        return False
    for line in text.splitlines()[:6]:
        if line.strip() == DIR_FLAG:
            return True
    return False


def parse_dropin(text):
    """Parse unit-file syntax into {section: {key: last value}} (see assignments())."""
    result = {}
    for section, key, val in assignments(text):
        values = result.setdefault(section, {})
        if key is not None:
            values[key] = val
    return result


def assignments(text):
    """The ``(section, key, value)`` assignments of a file in systemd's unit-file
    syntax (units, drop-ins, oomd.conf), in order; a section header is
    ``(section, None, None)``.

    Comments (# and ;), blank lines and backslash continuations are handled the way
    systemd reads them; an empty assignment ("Key=") is kept as "" because it, too,
    overrides whatever came before. Lines outside a section are ignored.
    """
    result = []
    section = None
    pending = ""
    for raw in (text or "").splitlines():
        line = raw.strip()
        if pending:
            if line.startswith(("#", ";")):
                continue
            line = pending + " " + line
            pending = ""
        elif not line or line.startswith(("#", ";")):
            continue
        if line.endswith("\\"):
            pending = line[:-1].rstrip()
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            result.append((section, None, None))
            continue
        if "=" not in line or section is None:
            continue
        key, val = line.split("=", 1)
        result.append((section, key.strip(), val.strip()))
    if pending and section is not None and "=" in pending:
        key, val = pending.split("=", 1)
        result.append((section, key.strip(), val.strip()))
    return result


# ---------------------------------------------------------------------------
# Drop-in resolution: which file wins for a key
# ---------------------------------------------------------------------------

def _dash_prefix_names(unit):
    """The names systemd also searches for a dashed unit, most specific first.

    "foo-bar-baz.service" -> ["foo-bar-.service", "foo-.service"]; instances keep
    their instance ("a-b@3.service" -> "a-@3.service"). Mirrors systemd's
    unit_file_find_dirs() walk.
    """
    stem, utype = unit.rsplit(".", 1)
    at = stem.find("@")
    prefix = stem if at < 0 else stem[:at]
    instance = None
    if at >= 0 and at < len(stem) - 1:
        instance = stem[at + 1:]
    chopped = False
    while True:
        dash = prefix.rfind("-")
        if dash <= 0:
            return []
        if dash != len(prefix) - 1 or chopped:
            prefix = prefix[:dash + 1]
            break
        prefix = prefix[:dash]
        chopped = True
    if instance is not None:
        built = "%s@%s.%s" % (prefix, instance, utype)
    else:
        built = "%s.%s" % (prefix, utype)
    return [built]


def _names_for_dir(unit):
    """Drop-in directory names for ``unit`` within one search-path entry, in order."""
    names = [unit]
    if is_instance(unit):
        names.extend(_names_for_dir(template_of(unit)))
    for parent in _dash_prefix_names(unit):
        names.extend(_names_for_dir(parent))
    return names


def dropin_dirs(unit, root="/"):
    """Every candidate drop-in directory for ``unit``, in systemd's order.

    For each search-path entry: the unit's own "<unit>.d", its template's, then its
    dash prefixes'; after all entries, the top-level "<type>.d" ("service.d") of each
    entry, which is the most generic. Directories are returned whether they exist or
    not; paths are below ``root``.
    """
    dirs = []
    for base in SEARCH_PATH:
        for name in _names_for_dir(unit):
            dirs.append(join_root(root, base, name + ".d"))
    utype = unit_type(unit)
    for base in SEARCH_PATH:
        dirs.append(join_root(root, base, utype + ".d"))
    return dirs


def _masks_to_null(path):
    try:
        return os.path.islink(path) and os.path.realpath(path) == "/dev/null"
    except OSError:
        return False


def resolve_dropins(dirs, assume=()):
    """Return the drop-ins systemd applies from ``dirs``, in application order.

    Files must end in ".conf" and not be hidden. A basename found in several
    directories comes from the first directory in ``dirs`` (higher priority); the
    winners are then applied sorted by basename, regardless of directory, so a later
    basename overrides an earlier one. Returns a list of (basename, path, masked)
    where ``masked`` is True for a symlink to /dev/null (it applies nothing).
    Directories reached twice through symlinks (/lib -> /usr/lib) count once.
    Paths in ``assume`` count as present (a file about to be written).
    """
    chosen = {}
    seen_real = set()
    assumed = {}
    for path in assume:
        assumed.setdefault(os.path.dirname(path), []).append(os.path.basename(path))
    for d in dirs:
        real = os.path.realpath(d)
        if real in seen_real:
            continue
        entries = list(assumed.get(d, []))
        if os.path.isdir(d):
            seen_real.add(real)
            try:
                entries.extend(os.listdir(d))
            except OSError:
                pass
        elif not entries:
            continue
        for entry in entries:
            if entry.startswith(".") or not entry.endswith(".conf") or entry in chosen:
                continue
            path = os.path.join(d, entry)
            if entry not in assumed.get(d, []) and not (
                    os.path.isfile(path) or _masks_to_null(path)):
                continue
            chosen[entry] = path
    return [(b, chosen[b], _masks_to_null(chosen[b])) for b in sorted(chosen)]


def shadowed_by(own_path, keys, unit, resolved):
    """Paths of drop-ins that defeat ``own_path`` for any of ``keys``.

    ``resolved`` is resolve_dropins() output (computed with ``own_path`` assumed
    present). A same-named file that won from a higher-priority directory shadows
    ours whatever it contains; a file whose name sorts after ours is applied after
    ours and shadows it when it sets one of ``keys`` in the unit's section.
    """
    base = os.path.basename(own_path)
    section = section_for(unit)
    result = []
    for name, path, masked in resolved:
        if name == base:
            if path != own_path:
                result.append(path)
            continue
        if name < base or masked:
            continue
        settings = parse_dropin(_managed.read_text(path) or "").get(section, {})
        if any(k in settings for k in keys):
            result.append(path)
    return result


def unit_file_exists(unit, root="/"):
    """True when a unit file (or the template of an instance) is on disk."""
    names = [unit]
    if is_instance(unit):
        names.append(template_of(unit))
    for base in SEARCH_PATH:
        for n in names:
            if os.path.lexists(join_root(root, base, n)):
                return True
    return False


def split_unit_dir(unit_dir):
    """Split ``unit_dir`` into (root, standard dir) or return None.

    "/etc/systemd/system" -> ("/", "/etc/systemd/system");
    "/mnt/img/run/systemd/system" -> ("/mnt/img", "/run/systemd/system").
    """
    norm = os.path.normpath(unit_dir)
    if not os.path.isabs(norm) or norm != unit_dir.rstrip("/") or ".." in unit_dir.split("/"):
        return None
    for std in UNIT_DIRS:
        if norm == std:
            return ("/", std)
        if norm.endswith(std) and len(norm) > len(std):
            return (norm[:-len(std)], std)
    return None


# ---------------------------------------------------------------------------
# systemctl show
# ---------------------------------------------------------------------------

def show_argv(systemctl, props, units):
    argv = [systemctl, "show"]
    for p in props:
        argv.extend(["-p", p])
    argv.append("--")
    argv.extend(units)
    return argv


def parse_show(text, count=None):
    """Split `systemctl show` output into property dicts, one per unit.

    systemctl prints one block per unit, in the order given, separated by a blank
    line. With ``count``, raises ValueError when the number of blocks differs.
    """
    blocks = []
    current = None
    for line in (text or "").splitlines():
        if line.strip() == "":
            current = None
            continue
        if current is None:
            current = {}
            blocks.append(current)
        if "=" in line:
            key, val = line.split("=", 1)
            current[key] = val
    if count is not None and len(blocks) != count:
        raise ValueError("expected %d blocks of properties, got %d" % (count, len(blocks)))
    return blocks


def parse_show_int(val):
    try:
        return int(val)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------
# Processes and cgroups
# ---------------------------------------------------------------------------

def systemd_is_pid1(host):
    """True when systemd runs as PID 1 (the sd_booted() test plus /proc/1/comm)."""
    try:
        if not stat.S_ISDIR(host.stat("/run/systemd/system").st_mode):
            return False
    except OSError:
        return False
    comm = host.read_text("/proc/1/comm")
    return comm is not None and comm.strip() == "systemd"


def cgroup_dirs(control_group, host):
    """Candidate directories of a unit's cgroup (the host's paths), best first.

    cgroup v2 (unified at /sys/fs/cgroup), hybrid (unified at /sys/fs/cgroup/unified),
    then cgroup v1's named "systemd" hierarchy.
    """
    cg = control_group.lstrip("/")
    base = "/sys/fs/cgroup"
    candidates = []
    if host.exists(base + "/cgroup.controllers"):
        candidates.append(os.path.join(base, cg))
    candidates.append(os.path.join(base, "unified", cg))
    candidates.append(os.path.join(base, "systemd", cg))
    return candidates


def cgroup_pids(control_group, host):
    """PIDs of every process in the unit's cgroup and its sub-cgroups, sorted.

    Returns None when no hierarchy holds the cgroup.
    """
    if not control_group or control_group == "/":
        return None
    for d in cgroup_dirs(control_group, host):
        if not host.exists(os.path.join(d, "cgroup.procs")):
            continue
        pids = set()
        for dirpath, _dirnames, filenames in host.walk(d):
            if "cgroup.procs" not in filenames:
                continue
            text = host.read_text(os.path.join(dirpath, "cgroup.procs")) or ""
            for tok in text.split():
                if tok.isdigit():
                    pids.add(int(tok))
        return sorted(pids)
    return None


def has_cap_sys_resource(host):
    """True/False from CapEff in /proc/self/status, None when unreadable."""
    text = host.read_text("/proc/self/status")
    if text is None:
        return None
    for line in text.splitlines():
        if line.startswith("CapEff:"):
            try:
                return bool(int(line.split(":", 1)[1].strip(), 16) & (1 << 24))
            except ValueError:
                return None
    return None


# ---------------------------------------------------------------------------
# systemd versions and the systemd-oomd limit
# ---------------------------------------------------------------------------

_VERSION_RE = re.compile(r"systemd ([0-9]{1,5})\b")
# ManagedOOMMemoryPressureLimit= is a uint32 fraction of this on D-Bus and in
# `systemctl show` (systemd 248+): 60% -> 2576980377.
UINT32_MAX = 4294967295
# systemd's parse_permyriad(): a percentage with up to two decimals, permille with
# one, or permyriad. Full match: callers strip blanks where systemd's parser does.
_PERCENT_RE = re.compile(r"([0-9]{1,3})(?:\.([0-9]{1,2}))?%\Z")
_PERMILLE_RE = re.compile(u"([0-9]{1,4})(?:\\.([0-9]))?\u2030\\Z")
_PERMYRIAD_RE = re.compile(u"([0-9]{1,5})\u2031\\Z")


def parse_version(text):
    """The major version from `systemctl --version` output, or None."""
    first = (text or "").strip().split("\n", 1)[0]
    m = _VERSION_RE.match(first)
    return int(m.group(1)) if m else None


def parse_percent(text):
    """A percentage as systemd parses it (parse_permyriad) -> permyriad, or None.

    ``"60%"``/``"55.55%"`` (at most two decimals), permille ``"605\u2030"``/``"60.5\u2030"``,
    permyriad ``"6050\u2031"``; from 0 to 100%. Full match only (no blanks).
    """
    if not isinstance(text, str):
        return None
    m = _PERCENT_RE.match(text)
    if m:
        n = int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))
    else:
        m = _PERMILLE_RE.match(text)
        if m:
            n = int(m.group(1)) * 10 + int(m.group(2) or "0")
        else:
            m = _PERMYRIAD_RE.match(text)
            if not m:
                return None
            n = int(m.group(1))
    return n if n <= 10000 else None


def systemd_version(host, warnings):
    """The host's systemd major version from one `systemctl --version`, or None.

    ``host`` is the host seam (module_utils/_host.Host); why the version is unknown
    goes to ``warnings``.
    """
    systemctl = host.which("systemctl")
    if not systemctl:
        warnings.append("systemctl not found: cannot tell the systemd version; writing the "
                        "setting names of systemd 248 and newer")
        return None
    rc, out, err = host.run([systemctl, "--version"])
    version = parse_version(out) if rc == 0 else None
    if version is None:
        warnings.append("cannot tell the systemd version from `systemctl --version` (rc=%d: %s); "
                        "writing the setting names of systemd 248 and newer"
                        % (rc, (err or out).strip()[:200]))
    return version


def format_percent(permyriad):
    """6000 -> "60%", 5550 -> "55.5%", 5555 -> "55.55%"."""
    whole, frac = divmod(permyriad, 100)
    if frac == 0:
        return "%d%%" % whole
    return ("%d.%02d" % (whole, frac)).rstrip("0") + "%"


def limit_from_show(val, legacy=False):
    """The limit as `systemctl show` reports it, as a permyriad, or None.

    systemd 248+ prints ManagedOOMMemoryPressureLimit as a fraction of 2^32 - 1;
    systemd 247 prints ManagedOOMMemoryPressureLimitPercent as "61%".
    """
    if val is None or val == "":
        return None
    if legacy or val.endswith("%"):
        return parse_percent(val)
    if not val.isdigit():
        return None
    return (int(val) * 10000 + UINT32_MAX // 2) // UINT32_MAX


# ---------------------------------------------------------------------------
# The units with an OOM setting (oom_facts' services)
# ---------------------------------------------------------------------------

def gather_services(host, control_groups=None):
    """The units oom_facts lists under ``services``: (list of unit dicts, error or None).

    Services, scopes and slices with an OOM setting other than the default, or whose
    last result was oom-kill; read through the host seam (module_utils/_host.Host:
    exists, which, run, read_text). ``control_groups``, when given, gets each listed
    unit's ControlGroup (oom_facts' pressure subset reads their cgroups)."""
    if not host.exists("/run/systemd/system"):
        return [], "systemd is not the init system here (no /run/systemd/system)"
    systemctl = host.which("systemctl")
    if not systemctl:
        return [], "systemctl not found"
    rc, out, err = host.run([systemctl, "show", "-p", "DefaultOOMPolicy"])
    default_policy = "stop"
    if rc == 0:
        for blk in parse_show(out):
            default_policy = blk.get("DefaultOOMPolicy") or default_policy
    rc, out, err = host.run([systemctl, "list-units", "--all", "--type=service,scope,slice", "--no-legend",
                             "--no-pager", "--plain"])
    if rc != 0:
        return [], "systemctl list-units failed (rc=%d): %s" % (rc, (err or out).strip())
    units = []
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0].endswith((".service", ".scope", ".slice")):
            units.append(parts[0])
    # systemctl show leaves out properties its systemd does not know: the limit is
    # ManagedOOMMemoryPressureLimitPercent ("61%") on 247 and ManagedOOMMemoryPressureLimit
    # (a fraction of 2^32) from 248, which also added ManagedOOMPreference.
    props = ("Id", "OOMScoreAdjust", "OOMPolicy", "Delegate", "Result", "ManagedOOMMemoryPressure",
             "ManagedOOMMemoryPressureLimit", "ManagedOOMMemoryPressureLimitPercent", "ManagedOOMSwap",
             "ManagedOOMPreference", "ControlGroup")
    found = []
    for i in range(0, len(units), 200):
        batch = units[i:i + 200]
        rc, out, err = host.run(show_argv(systemctl, props, batch))
        if rc != 0:
            return found, "systemctl show failed (rc=%d): %s" % (rc, (err or out).strip())
        for blk in parse_show(out):
            unit = blk.get("Id")
            if not unit:
                continue
            adj = parse_show_int(blk.get("OOMScoreAdjust")) or 0
            policy = blk.get("OOMPolicy") or None
            result = blk.get("Result") or None
            pressure = blk.get("ManagedOOMMemoryPressure") or None
            swap = blk.get("ManagedOOMSwap") or None
            preference = blk.get("ManagedOOMPreference") or None
            limit = limit_from_show(blk.get("ManagedOOMMemoryPressureLimit"))
            if limit is None:
                limit = limit_from_show(blk.get("ManagedOOMMemoryPressureLimitPercent"), legacy=True)
            usual = {default_policy}
            if blk.get("Delegate") == "yes":
                usual.add("continue")
            oomd = (pressure == "kill" or swap == "kill" or bool(limit)
                    or preference in ("avoid", "omit"))
            if not (adj != 0 or (policy is not None and policy not in usual) or result == "oom-kill" or oomd):
                continue
            group = None
            cgroup = (blk.get("ControlGroup") or "").strip("/")
            if control_groups is not None:
                control_groups[unit] = "/" + cgroup if cgroup else None
            if cgroup and ".." not in cgroup.split("/"):
                for base in ("/sys/fs/cgroup/", "/sys/fs/cgroup/unified/"):
                    text = host.read_text(base + cgroup + "/memory.oom.group")
                    if text is not None and text.strip() in ("0", "1"):
                        group = text.strip() == "1"
                        break
            found.append({"unit": unit, "oom_score_adjust": adj, "oom_policy": policy, "result": result,
                          "managed_oom_memory_pressure": pressure,
                          "managed_oom_memory_pressure_limit": (
                              None if limit is None else format_percent(limit)),
                          "managed_oom_swap": swap, "managed_oom_preference": preference,
                          "memory_oom_group": group})
    found.sort(key=lambda u: u["unit"])
    return found, None

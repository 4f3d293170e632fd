# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: systemd unit names and drop-ins. Not a public API.

What systemctl reports is ``_systemctl``; the host's units and their processes,
``_services``.
"""

from __future__ import annotations

import os
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

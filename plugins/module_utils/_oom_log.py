# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: kernel OOM-kill log parser. Not a public API."""

from __future__ import annotations

import calendar
import collections
import re
import time

# This file is pure: text or bytes in, event dicts out. No host access happens here
# apart from reading a file object handed in by the caller.

KINDS = ("memcg", "global", "cpuset", "mempolicy", "unknown")
_CONSTRAINT_KIND = {
    "CONSTRAINT_NONE": "global",
    "CONSTRAINT_MEMCG": "memcg",
    "CONSTRAINT_CPUSET": "cpuset",
    "CONSTRAINT_MEMORY_POLICY": "mempolicy",
}

# ---------------------------------------------------------------------------
# Message patterns (applied to the kernel message, after its prefix is removed).
# A task name (comm) is matched by the literal that follows it, never by [^)]+,
# because comm may hold spaces, parentheses and slashes.

_KILLED_RE = re.compile(
    r"Killed process (?P<pid>\d+)"
    r"(?:, UID (?P<uid_el6>\d+),)?"
    r" \((?P<comm>.*)\)"
    r"(?:, UID (?P<uid_el7>\d+),)?"
    r" (?:total-vm|vsz):(?P<total_vm>\d+)kB, anon-rss:(?P<anon>\d+)kB, file-rss:(?P<file>\d+)kB"
    r"(?:, shmem-rss:(?P<shmem>\d+)kB)?"
    r"(?:,? UID:(?P<uid>\d+) pgtables:(?P<pgtables>\d+)kB oom_score_adj:(?P<adj>-?\d+))?"
)
# Oldest kernels print only "Killed process N (comm)".
_KILLED_BARE_RE = re.compile(
    r"Killed process (?P<pid>\d+)(?:, UID (?P<uid_el6>\d+),)? \((?P<comm>.*)\)(?:, UID (?P<uid_el7>\d+))?\.?\s*$"
)
_HEADER_RE = re.compile(
    r"^(?P<comm>.*?) invoked oom-killer: gfp_mask=(?P<gfp>0x[0-9a-fA-F]+(?:\([^)]*\))?)(?P<rest>.*)$"
)
_ORDER_RE = re.compile(r"\border=(-?\d+)")
_HDR_ADJ_RE = re.compile(r"\boom_score_adj=(-?\d+)")
_SUMMARY_RE = re.compile(
    r"oom-kill:constraint=(?P<constraint>[^,]*),(?P<mid>.*),task=(?P<task>.*),pid=(?P<pid>\d+),uid=(?P<uid>\d+)\s*$"
)
_OOM_MEMCG_RE = re.compile(r"(?:^|,)oom_memcg=(.*?),task_memcg=")
_TASK_MEMCG_RE = re.compile(r"(?:^|,)task_memcg=(.*)$")
_TASK_IN_RE = re.compile(r"Task in (?P<memcg>.*) killed as a result of limit of (?P<limit>.*?)\s*$")
_KILL_PROCESS_RE = re.compile(
    r"(?:(?P<prefix>Memory cgroup out of memory|Out of memory(?: \([^)]*\))?): )?"
    r"[Kk]ill process (?P<pid>\d+) \((?P<comm>.*)\) score (?P<score>\d+) or (?:sacrifice|a) child"
)
_REAPER_RE = re.compile(r"oom_reaper: reaped process (?P<pid>\d+) \((?P<comm>.*)\), now anon-rss:")
_CPU_RE = re.compile(r"(?:\bPID: (?P<pid>\d+) Comm: |^Pid: (?P<pid26>\d+), comm: )(?P<rest>.*)$")

# ---------------------------------------------------------------------------
# Line prefixes. Each line's format is detected by itself.

_KMSG_RE = re.compile(r"^(?P<prio>\d{1,4}),(?P<seq>\d+),(?P<usec>\d+),(?P<flags>[^;]*);(?P<msg>.*)$")
_PRI_RE = re.compile(r"^<\d{1,4}>")
_FACLEV_RE = re.compile(
    r"^(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|res0|res1|res2|res3|local[0-7])\s*:"
    r"\s*(?:emerg|alert|crit|err|warn|notice|info|debug)\s*: "
)
_UPTIME_RE = re.compile(r"^\[\s*(?P<up>\d+\.\d+)\](?:\s?\[\s*(?P<caller>[TC]\d+)\])? ?")
_DMESG_T_RE = re.compile(
    r"^\[(?P<wday>[^\s\]]+)\s+(?P<mon>[^\s\]]+)\s+(?P<day>\d{1,2})\s+(?P<H>\d{1,2}):(?P<M>\d{2}):(?P<S>\d{2})"
    r"\s+(?P<Y>\d{4})\](?:\s?\[\s*(?P<caller>[TC]\d+)\])? ?"
)
_ISO_RE = re.compile(
    r"^(?P<Y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})[T ](?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?P<frac>\.\d+)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?\s+"
)
_FULL_RE = re.compile(
    r"^[A-Za-z]{3} (?P<Y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2}) (?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?P<frac>\.\d+)?"
    r" (?P<tzname>[A-Za-z][A-Za-z0-9_/+\-]*) "
)
_BSD_RE = re.compile(
    r"^(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?P<d>\d{1,2}) "
    r"(?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?P<frac>\.\d+)?\s+"
)
# The commonest file line, /var/log/kern.log with the kernel's stamp, in one match.
_BSD_KERNEL_RE = re.compile(
    r"^(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?P<d>\d{1,2}) "
    r"(?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?P<frac>\.\d+)? (?:[^\s\[\]:]+ )?kernel: "
    r"(?:\[\s*(?P<up>\d+\.\d+)\](?:\s?\[\s*(?P<caller>[TC]\d+)\])? ?)?"
)
_IDENT_RE = re.compile(r"^[^\s\[\]:]+(?:\[\d+\])?: ")
_HEX_ESC_RE = re.compile(rb"\\x([0-9a-fA-F]{2})")

_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Month abbreviations as `dmesg -T` prints them under other locales (strftime %b),
# lower-cased and without a trailing dot.
_MONTHS = {}
for _i, _names in enumerate((
        "jan janv ene gen sty led januar jänner янв",
        "feb févr fév fev lut úno февр фев",
        "mar mär märz mrz mars bře мар",
        "apr avr abr kwi dub апр",
        "may mai mag mei maj kvě мая май",
        "jun juin giu cze čen июн",
        "jul juil lug lip čec июл",
        "aug août ago sie srp авг",
        "sep sept set wrz zář сен",
        "oct okt ott out paź paz říj окт",
        "nov lis лис ноя",
        "dec déc dic dez gru pro дек")):
    for _n in _names.split():
        _MONTHS.setdefault(_n, _i + 1)
_NUM_MONTH_RE = re.compile(r"^(\d{1,2})(?:月|월)?$")


def month_number(name):
    """Month number (1-12) of a month name or abbreviation in a few locales, else None."""
    key = name.strip().rstrip(".").lower()
    if key in _MONTHS:
        return _MONTHS[key]
    if key[:3] in _MONTHS and key[:3] in _EN_MONTHS:
        return _MONTHS[key[:3]]
    m = _NUM_MONTH_RE.match(key)
    if m and 1 <= int(m.group(1)) <= 12:
        return int(m.group(1))
    return None


# ---------------------------------------------------------------------------
# Time helpers

def iso_utc(epoch):
    """ISO 8601 UTC text ('2024-01-07T17:53:49.053424Z') of an epoch, or None."""
    if epoch is None:
        return None
    try:
        whole = int(epoch // 1)
        tm = time.gmtime(whole)
    except (OverflowError, OSError, ValueError):
        return None
    text = "%04d-%02d-%02dT%02d:%02d:%02d" % tm[:6]
    micro = int(round((epoch - whole) * 1e6))
    if micro >= 1000000:
        return iso_utc(whole + 1)
    if micro:
        text += ".%06d" % micro
    return text + "Z"


_EPOCH_CACHE = {}


def _epoch_local(year, mon, day, hour, minute, sec, frac, utc_offset):
    """Epoch of a wall-clock time: in the host's local zone when utc_offset is None."""
    key = (year, mon, day, hour, utc_offset)
    base = _EPOCH_CACHE.get(key)
    if base is None:
        try:
            if utc_offset is None:
                # the zone's offset can change only on the hour (DST), so one
                # mktime per hour is enough
                base = time.mktime((year, mon, day, hour, 0, 0, 0, 0, -1))
            else:
                base = calendar.timegm((year, mon, day, hour, 0, 0, 0, 0, 0)) - utc_offset
        except (OverflowError, ValueError):
            return None
        if len(_EPOCH_CACHE) > 4096:
            _EPOCH_CACHE.clear()
        _EPOCH_CACHE[key] = base
    if not (0 <= minute < 60 and 0 <= sec < 62):
        return None
    return base + minute * 60 + sec + frac


def _year_of(epoch):
    key = int(epoch // 86400)
    year = _EPOCH_CACHE.get(("year", key))
    if year is None:
        year = time.gmtime(epoch).tm_year
        _EPOCH_CACHE[("year", key)] = year
    return year


def _frac(text):
    return float(text) if text else 0.0


def _tz_seconds(tz):
    if not tz or tz == "Z":
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4]) * 60)


_SINCE_REL_RE = re.compile(r"^-\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)$")
_SINCE_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_SINCE_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_since(value, now, boot_time=None, utc_offset=None):
    """Turn the `since` option into (mode, epoch).

    mode is 'boot', 'all' or 'time'; epoch is the cut-off (None for 'all', the boot
    time for 'boot' when known). Raises ValueError with a message for bad input.
    """
    text = str(value).strip()
    if text in ("", "boot"):
        return "boot", boot_time
    if text == "all":
        return "all", None
    m = _SINCE_REL_RE.match(text)
    if m:
        return "time", now - float(m.group(1)) * _SINCE_UNITS[m.group(2)]
    m = _SINCE_ISO_RE.match(text)
    if m:
        year, mon, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        hour = int(m.group(4) or 0)
        minute = int(m.group(5) or 0)
        sec = int(m.group(6) or 0)
        if not (1 <= mon <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and sec < 61):
            raise ValueError("since: %r is not a valid date/time" % text)
        if m.group(8):
            epoch = calendar.timegm((year, mon, day, hour, minute, sec, 0, 0, 0)) - _tz_seconds(m.group(8))
            return "time", epoch + _frac(m.group(7))
        epoch = _epoch_local(year, mon, day, hour, minute, sec, _frac(m.group(7)), utc_offset)
        if epoch is None:
            raise ValueError("since: %r is not a valid date/time" % text)
        return "time", epoch
    raise ValueError(
        "since: %r is not understood; use 'boot', 'all', a relative time such as '-24h', '-30m' "
        "or '-7d', or an ISO 8601 time such as '2026-11-28T17:00:00Z'" % text)


# ---------------------------------------------------------------------------
# cgroup paths

_CONTAINER_RES = (
    re.compile(r"^(?:docker|cri-containerd|crio|libpod|containerd)-([0-9a-f]{64})\.scope$"),
    re.compile(r"^([0-9a-f]{64})$"),
    re.compile(r"^(?:docker|cri-containerd|crio|libpod)-([0-9a-f]{64})$"),
)
_POD_RE = re.compile(
    r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}|[0-9a-f]{32})(?:\.slice)?$"
)


def cgroup_unit(path):
    """The innermost systemd unit (*.service or *.scope) named in a cgroup path, or None."""
    if not path:
        return None
    for part in reversed(path.split("/")):
        if part.endswith((".service", ".scope")):
            if len(part) > 8 and not part.startswith("crio-conmon-"):
                return part
            if part.startswith("crio-conmon-"):
                return part
    return None


def cgroup_container_id(path):
    """The container id (64 hex) of docker, containerd, cri-o or podman in a cgroup path, or None."""
    if not path:
        return None
    for part in reversed(path.split("/")):
        if part.startswith("crio-conmon-"):
            continue
        for rx in _CONTAINER_RES:
            m = rx.match(part)
            if m:
                return m.group(1)
    return None


def cgroup_pod_uid(path):
    """The Kubernetes pod UID (dashed form) in a cgroupfs or systemd-slice layout, or None."""
    if not path:
        return None
    for part in reversed(path.split("/")):
        m = _POD_RE.search(part)
        if m and (part.startswith("pod") or "-pod" in part):
            uid = m.group(1).replace("_", "-")
            return uid
    return None


# ---------------------------------------------------------------------------
# Prefix parsing

_JOURNALISH = ("syslog", "rfc3339", "journal-full", "journal-monotonic")


class Line(object):
    """One log line split into its prefix facts and the kernel message.

    The absolute time is worked out only when asked for (``epoch``): most lines
    fed to the parser never need it.
    """

    __slots__ = ("fmt", "stamp", "uptime", "caller", "msg", "kernel", "ref", "off")

    def __init__(self, fmt, stamp, uptime, caller, msg, kernel, ref=None, off=None):
        self.fmt = fmt          # kmsg, dmesg, dmesg-T, syslog, rfc3339, journal-*, bare
        self.stamp = stamp      # the regex match of a wall-clock stamp, or None
        self.uptime = uptime    # seconds since boot or None
        self.caller = caller    # printk caller id ('T123' / 'C1') or None
        self.msg = msg
        self.kernel = kernel    # False when a syslog/journal tag names another program
        self.ref = ref          # reference time for the year of RFC 3164 stamps
        self.off = off          # UTC offset (seconds) for zone-less stamps; None: local

    @property
    def epoch(self):
        """Absolute time of the line (epoch seconds) or None."""
        m = self.stamp
        if m is None:
            return None
        fmt = self.fmt
        if fmt == "dmesg-T":
            mon = month_number(m.group("mon"))
            if not mon:
                return None
            return _epoch_local(int(m.group("Y")), mon, int(m.group("day")), int(m.group("H")),
                                int(m.group("M")), int(m.group("S")), 0.0, self.off)
        if fmt == "syslog":
            mon_s, day_s, hour_s, minute_s, sec_s, frac_s = m.group("mon", "d", "H", "M", "S", "frac")
            ref = self.ref if self.ref is not None else time.time()
            key = ("bsd", mon_s, day_s, hour_s, ref, self.off)
            base = _EPOCH_CACHE.get(key)
            if base is None:
                mon = _EN_MONTHS.index(mon_s.lower()) + 1
                year = _year_of(ref)
                args = (mon, int(day_s), int(hour_s), 0, 0, 0.0, self.off)
                base = _epoch_local(year, *args)
                # RFC 3164 has no year: take the latest year that does not put the
                # line more than a day after the reference time (file mtime or now).
                if base is not None and base > ref + 86400:
                    base = _epoch_local(year - 1, *args)
                if base is None:
                    return None
                _EPOCH_CACHE[key] = base
            minute, sec = int(minute_s), int(sec_s)
            if minute > 59 or sec > 61:
                return None
            return base + minute * 60 + sec + (float(frac_s) if frac_s else 0.0)
        args = (int(m.group("Y")), int(m.group("m")), int(m.group("d")),
                int(m.group("H")), int(m.group("M")), int(m.group("S")))
        frac = _frac(m.group("frac"))
        tz = m.groupdict().get("tz")
        if tz or m.groupdict().get("tzname") in ("UTC", "GMT", "Z"):
            try:
                return calendar.timegm(args + (0, 0, 0)) - _tz_seconds(tz) + frac
            except (OverflowError, ValueError):
                return None
        return _epoch_local(args[0], args[1], args[2], args[3], args[4], args[5], frac, self.off)


def _kmsg_unescape(text):
    if "\\x" not in text:
        return text
    raw = text.encode("latin-1", "replace")
    raw = _HEX_ESC_RE.sub(lambda m: bytes((int(m.group(1), 16),)), raw)
    return raw.decode("utf-8", "replace")


def _inner(msg):
    """Strip a dmesg '[uptime][caller]' stamp inside a syslog/journal message."""
    if msg[:1] != "[":
        return None, None, msg
    m = _UPTIME_RE.match(msg)
    if not m:
        return None, None, msg
    return float(m.group("up")), m.group("caller"), msg[m.end():]


def _ident(rest):
    """Split 'host kernel: msg' / 'kernel: msg' / 'host prog[1]: msg'.

    Returns (is_kernel, msg); is_kernel is None when no tag is recognised.
    """
    if rest.startswith("kernel:"):
        return True, rest[8:] if rest.startswith("kernel: ") else rest[7:]
    sp = rest.find(" ")
    if sp > 0:
        after = rest[sp + 1:]
        if after.startswith("kernel:"):
            return True, after[8:] if after.startswith("kernel: ") else after[7:]
        if _IDENT_RE.match(after):
            return False, after
    if _IDENT_RE.match(rest):
        return False, rest
    return None, rest


def _stamped(fmt, m, rest, reference_time, utc_offset):
    """A Line for a time-stamped line (syslog, RFC 3339, journal) whose stamp ``m`` matched."""
    kernel, msg = _ident(rest)
    up, caller, msg = _inner(msg)
    return Line(fmt, m, up, caller, msg, kernel is not False, reference_time, utc_offset)


def split_prefix(line, reference_time=None, utc_offset=None):
    """Detect the line's own format and return a Line."""
    first = line[:1]
    if first.isdigit():
        # /dev/kmsg record: prio,seq,usec,flags;message
        m = _KMSG_RE.match(line)
        if m:
            caller = None
            flags = m.group("flags")
            if "caller=" in flags:
                caller = flags.split("caller=", 1)[1].split(",", 1)[0] or None
            return Line("kmsg", None, int(m.group("usec")) / 1e6, caller, _kmsg_unescape(m.group("msg")), True)
        m = _ISO_RE.match(line)
        if m:
            return _stamped("rfc3339", m, line[m.end():], reference_time, utc_offset)
    if first == "<":
        m = _PRI_RE.match(line)
        if m:
            line = line[m.end():]
            first = line[:1]
    elif first.isalpha():
        m = _BSD_KERNEL_RE.match(line)
        if m:
            up = m.group("up")
            return Line("syslog", m, float(up) if up else None, m.group("caller"), line[m.end():], True,
                        reference_time, utc_offset)
        m = _BSD_RE.match(line)
        if m:
            return _stamped("syslog", m, line[m.end():], reference_time, utc_offset)
        m = _FACLEV_RE.match(line)
        if m:
            line = line[m.end():]
            first = line[:1]
        else:
            m = _FULL_RE.match(line)
            if m:
                return _stamped("journal-full", m, line[m.end():], reference_time, utc_offset)
    if first == "[":
        m = _UPTIME_RE.match(line)
        if m:
            rest = line[m.end():]
            # journalctl -o short-monotonic: "[ 12.34] host kernel: msg"
            if "kernel:" in rest[:80]:
                kernel, msg = _ident(rest)
                if kernel is True:
                    return Line("journal-monotonic", None, float(m.group("up")), m.group("caller"), msg, True)
            return Line("dmesg", None, float(m.group("up")), m.group("caller"), rest, True)
        m = _DMESG_T_RE.match(line)
        if m:
            return Line("dmesg-T", m, None, m.group("caller"), line[m.end():], True, reference_time, utc_offset)
    return Line("bare", None, None, None, line, True)


# ---------------------------------------------------------------------------
# Events

def new_event():
    """An event with every documented key, all unknown."""
    return {
        "time": None,
        "uptime": None,
        "kind": "unknown",
        "constraint": None,
        "victim": {
            "pid": None, "comm": None, "uid": None, "total_vm_kb": None, "anon_rss_kb": None,
            "file_rss_kb": None, "shmem_rss_kb": None, "pgtables_kb": None, "oom_score_adj": None,
        },
        "memcg": None,
        "oom_memcg": None,
        "unit": None,
        "container_id": None,
        "pod_uid": None,
        "invoker": {"comm": None, "pid": None, "gfp_mask": None, "order": None, "oom_score_adj": None},
        "reaped": False,
        "source": None,
    }


def _int(text):
    return int(text) if text is not None else None


def _killed_prefix(before):
    """The "Out of memory..." / "Memory cgroup out of memory" prefix ending ``before``, or None."""
    if not before.endswith(": "):
        return None
    if before.endswith("Memory cgroup out of memory: "):
        return "Memory cgroup out of memory"
    k = before.rfind("Out of memory")
    if k >= 0 and (k == 0 or before[k - 1] == " ") and (
            before.endswith("Out of memory: ") or before[k + 13:k + 15] == " ("):
        return before[k:-2]
    return None


def _prefix_kind(prefix):
    if not prefix:
        return None
    if prefix.startswith("Memory cgroup"):
        return "memcg"
    return "global"


# A header more than this many seconds before a kill was not that kill's header.
_HEADER_MAX_AGE = 120.0


def _stale(at, info):
    """True when the header line ``at`` is too long before the kill line ``info``."""
    if at.uptime is not None and info.uptime is not None:
        return not (0 <= info.uptime - at.uptime <= _HEADER_MAX_AGE)
    if at.stamp is not None and info.stamp is not None:
        then, now = at.epoch, info.epoch
        if then is not None and now is not None:
            return not (-1 <= now - then <= _HEADER_MAX_AGE)
    return False


class OomLogParser(object):
    """Streaming state machine: feed lines (or a binary file), receive events.

    ``sink`` is called with each event dict as soon as its "Killed process" line is
    seen; an ``oom_reaper`` line seen later sets ``reaped`` on that same dict.
    ``boot_time`` (epoch) turns uptimes into times; give it only for sources that
    hold the current boot (kmsg, dmesg). ``reference_time`` anchors the year of RFC
    3164 stamps. ``utc_offset`` (seconds) replaces the host's zone for wall-clock
    stamps without an offset (tests).
    """

    def __init__(self, sink, source=None, boot_time=None, reference_time=None, utc_offset=None):
        self.sink = sink
        self.source = source
        self.boot_time = boot_time
        self.reference_time = reference_time if reference_time is not None else time.time()
        self.utc_offset = utc_offset
        self.lines = 0             # lines fed to the state machine
        self.bytes = 0             # bytes read by feed_file
        self.errors = 0            # lines dropped because of a parser bug (tests assert 0)
        self._pending = {}
        self._await_pid = 0
        self._recent = collections.deque(maxlen=256)
        self._held = None          # Line waiting for its continuation lines
        self._held_kind = None     # 'kmsg', 'journal' or None

    # -- line mode ---------------------------------------------------------

    def feed(self, raw):
        """Feed one line (str or bytes, with or without its newline)."""
        try:
            self._feed(raw)
        except Exception:  # pylint: disable=broad-except
            # A parser bug must never fail a fact gathering: drop the line.
            self.errors += 1
            self._held = None

    def _feed(self, raw):
        if isinstance(raw, (bytes, bytearray)):
            raw = bytes(raw).decode("utf-8", "replace")
        line = raw.rstrip("\r\n")
        self.lines += 1
        if "\x00" in line:
            line = line.replace("\x00", "")
        if line[:1] in (" ", "\t") and self._held_kind is not None:
            if self._held_kind == "journal" and self._held is not None:
                # journalctl indents the continuation of a multi-line message
                self._held.msg = self._held.msg + " " + line.strip()
            return   # kmsg: " KEY=value" dictionary lines carry no message text
        self.flush()
        info = split_prefix(line, self.reference_time, self.utc_offset)
        if info.fmt == "kmsg":
            self._held_kind = "kmsg"
        elif info.fmt in _JOURNALISH:
            self._held_kind = "journal"
        else:
            self._held_kind = None
        self._held = info if info.kernel else None

    def _feed_whole(self, raw):
        """Feed one complete message line (continuations already joined)."""
        self.flush()
        self._held_kind = None
        self.lines += 1
        try:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if "\x00" in line:
                line = line.replace("\x00", "")
            info = split_prefix(line, self.reference_time, self.utc_offset)
            if info.kernel:
                self._message(info)
        except Exception:  # pylint: disable=broad-except
            self.errors += 1

    def flush(self):
        """Process the held line (call at the end of input)."""
        held, self._held = self._held, None
        if held is not None:
            try:
                self._message(held)
            except Exception:  # pylint: disable=broad-except
                self.errors += 1

    close = flush

    # -- message handling -------------------------------------------------

    def _time_of(self, info):
        epoch = info.epoch
        if epoch is not None:
            return epoch
        if info.uptime is not None and self.boot_time is not None:
            return self.boot_time + info.uptime
        return None

    def _message(self, info):
        msg = info.msg
        at = msg.find("Killed process ")
        if at >= 0:
            m = _KILLED_RE.match(msg, at) or _KILLED_BARE_RE.match(msg, at)
            if m:
                self._killed(m, info, _killed_prefix(msg[:at]))
                return
        at = msg.find(" invoked oom-killer: gfp_mask=")
        if at >= 0:
            m = _HEADER_RE.match(msg)
            if m:
                self._header(m, info)
                return
        if "oom-kill:" in msg:
            m = _SUMMARY_RE.search(msg)
            if m:
                self._pending["summary"] = m
                return
        if "reaped process" in msg:
            m = _REAPER_RE.search(msg)
            if m:
                pid = int(m.group("pid"))
                for ev in reversed(self._recent):
                    if ev["victim"]["pid"] == pid:
                        ev["reaped"] = True
                        break
                return
        if "sacrifice child" in msg or " or a child" in msg:
            m = _KILL_PROCESS_RE.search(msg)
            if m:
                self._pending["kill"] = m
                return
        if "killed as a result of limit of" in msg:
            m = _TASK_IN_RE.search(msg)
            if m:
                self._pending["task_in"] = m
                return
        if self._await_pid:
            self._await_pid -= 1
            m = _CPU_RE.search(msg)
            if m:
                inv = self._pending.get("invoker")
                if inv is not None and inv.get("pid") is None:
                    comm = inv.get("comm") or ""
                    if m.group("rest").startswith(comm):
                        inv["pid"] = int(m.group("pid") or m.group("pid26"))
                self._await_pid = 0

    def _header(self, m, info):
        rest = m.group("rest")
        order = _ORDER_RE.search(rest)
        adj = _HDR_ADJ_RE.search(rest)
        pid = None
        if info.caller and info.caller.startswith("T"):
            try:
                pid = int(info.caller[1:])
            except ValueError:
                pid = None
        # A header opens a new OOM: whatever context was pending is dropped.
        self._pending = {"at": info, "invoker": {
            "comm": m.group("comm").strip() or None,
            "pid": pid,
            "gfp_mask": m.group("gfp"),
            "order": int(order.group(1)) if order else None,
            "oom_score_adj": int(adj.group(1)) if adj else None,
        }}
        self._await_pid = 6

    def _killed(self, m, info, prefix):
        ev = new_event()
        pending, self._pending = self._pending, {}
        if "at" in pending and _stale(pending["at"], info):
            # a header long before this kill was an OOM that killed nothing
            pending = {k: v for k, v in pending.items() if k not in ("invoker", "task_in")}
        self._await_pid = 0
        v = ev["victim"]
        gd = m.groupdict()
        v["pid"] = int(gd["pid"])
        v["comm"] = gd["comm"]
        get = gd.get
        for key, group in (("total_vm_kb", "total_vm"), ("anon_rss_kb", "anon"), ("file_rss_kb", "file"),
                           ("shmem_rss_kb", "shmem"), ("pgtables_kb", "pgtables"), ("oom_score_adj", "adj")):
            text = get(group)
            if text is not None:
                v[key] = int(text)
        uid = get("uid") or get("uid_el6") or get("uid_el7")
        if uid is not None:
            v["uid"] = int(uid)
        kind = _prefix_kind(prefix)

        kill = pending.get("kill")
        if kill is not None:
            kind = kind or _prefix_kind(kill.group("prefix"))
        task_in = pending.get("task_in")
        if task_in is not None:
            ev["memcg"] = task_in.group("memcg")
            ev["oom_memcg"] = task_in.group("limit")
            kind = "memcg"
        summary = pending.get("summary")
        if summary is not None and int(summary.group("pid")) == v["pid"]:
            constraint = summary.group("constraint")
            ev["constraint"] = constraint or None
            kind = _CONSTRAINT_KIND.get(constraint, kind)
            mid = summary.group("mid")
            tm = _TASK_MEMCG_RE.search(mid)
            if tm:
                ev["memcg"] = tm.group(1)
            om = _OOM_MEMCG_RE.search(mid)
            ev["oom_memcg"] = om.group(1) if om else None
            if v["uid"] is None:
                v["uid"] = int(summary.group("uid"))
        ev["kind"] = kind or "unknown"
        inv = pending.get("invoker")
        if inv is not None:
            ev["invoker"].update(inv)
        # time, unit, container_id and pod_uid are derived in public(), for the
        # events that are kept only
        ev["uptime"] = info.uptime
        ev["_epoch"] = self._time_of(info)
        ev["source"] = self.source
        self._recent.append(ev)
        self.sink(ev)

    # -- fast path for files ------------------------------------------------

    def feed_file(self, fileobj, chunk_size=8 << 20):
        """Parse a binary file object without decoding every line.

        The file is read in large chunks into one reused buffer; the lines that can
        matter are located with fast literal searches and only those are decoded
        and fed to the state machine, in file order. Memory stays bounded by
        ``chunk_size`` whatever the size of the file (a longer line is cut).
        """
        buf = bytearray(chunk_size)
        view = memoryview(buf)
        readinto = getattr(fileobj, "readinto", None)
        have = 0
        try:
            while True:
                if have == len(buf):
                    # one line longer than the buffer: scan what we have of it
                    self._scan(buf, 0, have)
                    have = 0
                if readinto is not None:
                    n = readinto(view[have:])
                else:
                    data = fileobj.read(len(buf) - have)
                    n = len(data)
                    buf[have:have + n] = data
                if not n:
                    break
                self.bytes += n
                total = have + n
                cut = buf.rfind(b"\n", have, total)
                if cut < 0:
                    have = total
                    continue
                self._scan(buf, 0, cut + 1)
                rest = total - cut - 1
                if rest:
                    buf[0:rest] = buf[cut + 1:total]
                have = rest
            if have:
                self._scan(buf, 0, have)
        finally:
            view.release()
        self.flush()

    # A "Killed process" line anchors each event and a "reaped process" line may
    # follow it: one search for their common tail finds both.
    _ANCHOR = b"ed process"
    _LOOKBACK = 4 << 20        # how far before a kill its OOM header may sit
    _NEAR = 4096               # how far before a kill its summary / "Kill process" line may sit

    def _context(self, buf, lo, hi, out, tail=False, first=False):
        """Add the starts of the lines in buf[lo:hi] that describe the next kill.

        Right before a kill that came with an OOM report sits the end of that
        report: the summary (5.0+), the "Kill process ... child" line (older) or
        the header itself in a filtered log. Only then is the header looked for
        further back; a rate-limited kill costs a few small searches. ``tail``
        (the end of a chunk, whose kill is in the next chunk) always looks back;
        ``first`` (the first kill of a chunk) may complete a header seen in the
        previous chunk.
        """
        find, rfind = buf.find, buf.rfind
        near = max(lo, hi - self._NEAR)
        found = []
        t = rfind(b"oom-kill:", near, hi)
        if t >= 0:
            found.append(t)
        t = rfind(b" child", near, hi)   # "... or sacrifice child" / "... or a child"
        if t >= 0:
            found.append(t)
        h = rfind(b"invoked oom-killer", near, hi)
        if h < 0 and (found or tail):
            h = rfind(b"invoked oom-killer", max(lo, hi - self._LOOKBACK), near + 32)
        task_from = None
        if h >= 0:
            hs = max(rfind(b"\n", lo, h) + 1, lo)
            out.append(hs)
            # the stack dump's "CPU: .. PID: .. Comm:" line follows the header
            nl = find(b"\n", h, hi)
            if nl >= 0:
                self._pid_line(buf, nl + 1, hi, out)
            task_from = hs
            found = [t for t in found if t > hs]
        elif first and "invoker" in self._pending:
            task_from = lo
        if task_from is not None:
            t = find(b"killed as a result of limit", task_from, hi)
            if t >= 0:
                out.append(max(rfind(b"\n", lo, t) + 1, lo))
        for t in found:
            out.append(max(rfind(b"\n", lo, t) + 1, lo))

    def _pid_line(self, buf, p, hi, out):
        """Add the first "PID: .. Comm:" line among the 6 lines from p."""
        find = buf.find
        for _dummy in range(6):
            if p >= hi:
                return
            q = find(b"\n", p, hi)
            q = hi if q < 0 else q
            if find(b"PID: ", p, q) >= 0 or find(b"Pid: ", p, q) >= 0:
                out.append(p)
                return
            p = q + 1

    def _scan(self, buf, start, end):
        """Find and feed the interesting lines of buf[start:end] (whole lines)."""
        find, rfind = buf.find, buf.rfind
        anchor = self._ANCHOR
        starts = []
        prev = start
        if self._await_pid:
            # a header at the very end of the previous chunk
            self._pid_line(buf, start, end, starts)
        first = True
        pos = find(anchor, start, end)
        while pos >= 0:
            ls = rfind(b"\n", start, pos) + 1 or start
            ls = max(ls, start)
            le = find(b"\n", pos, end)
            le = end if le < 0 else le
            last = buf[pos - 1] if pos > start else 0
            if last == 108 and buf[pos - 4:pos] == b"Kill":        # 108: "l"
                self._context(buf, prev, ls, starts, first=first)
                first = False
                starts.append(ls)
                prev = le + 1
            elif last == 112 and buf[pos - 4:pos] == b"reap":     # 112: "p"
                starts.append(ls)
            pos = find(anchor, le, end)
        # Context after the last kill belongs to a kill in the next chunk.
        if prev < end:
            self._context(buf, prev, end, starts, tail=True, first=first)
        if not starts:
            return
        done = start     # lines before this offset were fed already (joined continuations)
        for ls in sorted(set(starts)):
            if ls < done:
                continue
            le = find(b"\n", ls, end)
            le = end if le < 0 else le
            if buf[ls] in (32, 9) and ls > start:
                # Indented: the continuation of a journal message that began on an
                # earlier line, or just an indented bare line.
                ps = ls
                while ps > start and ls - ps < 65536:
                    ps = max(rfind(b"\n", start, ps - 1) + 1, start)
                    if buf[ps] not in (32, 9):
                        break
                first_end = find(b"\n", ps, end)
                if ps < ls and split_prefix(bytes(buf[ps:first_end]).decode("utf-8", "replace")).fmt in _JOURNALISH:
                    ls = ps
            # a journal message continues on the indented lines that follow it
            nxt = le + 1
            if nxt < end and buf[nxt] in (32, 9) and buf[ls] not in (32, 9):
                first_line = bytes(buf[ls:le]).decode("utf-8", "replace")
                if split_prefix(first_line).fmt in _JOURNALISH:
                    while nxt < end and buf[nxt] in (32, 9) and nxt - ls < 65536:
                        q = find(b"\n", nxt, end)
                        le = end if q < 0 else q
                        nxt = le + 1
            done = le + 1
            raw = bytes(buf[ls:le])
            if b"\n" in raw:
                # joined as journalctl's reader would: one space per line break
                parts = raw.split(b"\n")
                raw = b" ".join([parts[0].rstrip()] + [p.strip() for p in parts[1:]])
            self._feed_whole(raw)


# ---------------------------------------------------------------------------
# Collecting events from one or more sources


def _close(a, b):
    """True when two events with the same victim key are one kill seen twice."""
    ua, ub = a.get("uptime"), b.get("uptime")
    if ua is not None and ub is not None:
        return abs(ua - ub) <= 2
    ta, tb = a.get("_epoch"), b.get("_epoch")
    if ta is not None and tb is not None:
        return abs(ta - tb) <= 600
    return True


def _merge(into, other):
    for key, value in other.items():
        if isinstance(value, dict):
            sub = into.setdefault(key, {})
            for k, v in value.items():
                if sub.get(k) is None and v is not None:
                    sub[k] = v
        elif key == "reaped":
            into[key] = bool(into.get(key)) or bool(value)
        elif key == "kind":
            if into.get(key) in (None, "unknown") and value not in (None, "unknown"):
                into[key] = value
        elif into.get(key) is None and value is not None:
            into[key] = value


class EventCollector(object):
    """Keeps the ``max_events`` most recent events, counts all, drops duplicates.

    ``since`` (epoch or None) drops events older than it; events without a known
    time are kept. Duplicate detection remembers the keys of the last
    ``dedupe_window`` events.
    """

    def __init__(self, max_events=100, since=None, dedupe_window=50000):
        self.max_events = max_events
        self.since = since
        self.count = 0
        self.duplicates = 0
        self._events = collections.deque(maxlen=max_events if max_events > 0 else 0)
        self._seen = collections.OrderedDict()
        self._window = dedupe_window

    def __call__(self, ev):
        self.add(ev)

    def add(self, ev):
        epoch = ev.get("_epoch")
        if self.since is not None and epoch is not None and epoch < self.since:
            return
        v = ev["victim"]
        key = (v["pid"], v["comm"], v["total_vm_kb"], v["anon_rss_kb"])
        seen = self._seen.get(key)
        if seen is not None:
            for old in seen:
                if _close(old, ev):
                    _merge(old, ev)
                    if ev.get("source") and old.get("source") and ev["source"] not in old["source"].split(","):
                        old["source"] = old["source"] + "," + ev["source"]
                    self.duplicates += 1
                    return
            seen.append(ev)
        else:
            self._seen[key] = [ev]
            if len(self._seen) > self._window:
                self._seen.popitem(last=False)
        self.count += 1
        self._events.append(ev)

    def events(self):
        """Retained events, oldest first, without internal keys."""
        evs = list(self._events)
        if evs and all(e.get("_epoch") is not None for e in evs):
            evs.sort(key=lambda e: e["_epoch"])
        return [public(e) for e in evs]


def public(ev):
    """A copy of an event without the parser's private keys, its derived fields filled."""
    out = {k: v for k, v in ev.items() if not k.startswith("_")}
    if out.get("time") is None:
        out["time"] = iso_utc(ev.get("_epoch"))
    path = out.get("memcg") or out.get("oom_memcg")
    if path:
        out["unit"] = cgroup_unit(path)
        out["container_id"] = cgroup_container_id(path)
        out["pod_uid"] = cgroup_pod_uid(path)
    return out


def parse_lines(lines, **kwargs):
    """Convenience: all events of an iterable of lines (tests, small inputs)."""
    out = []
    parser = OomLogParser(out.append, **kwargs)
    for line in lines:
        parser.feed(line)
    parser.flush()
    return [public(e) for e in out]


def parse_bytes_file(fileobj, chunk_size=8 << 20, **kwargs):
    """Convenience: all events of a binary file object, through the fast path."""
    out = []
    parser = OomLogParser(out.append, **kwargs)
    parser.feed_file(fileobj, chunk_size=chunk_size)
    return [public(e) for e in out]

# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: log line prefixes, line formats and time helpers."""

from __future__ import annotations

import calendar
import re
import time

# Longest line the parsers consider (characters). A kernel printk record is at most
# 1024 bytes; journal messages joined from continuation lines and userspace lines
# with long cgroup paths stay well under this. Longer lines are cut, which bounds
# the work any single line can cost.
MAX_LINE = 8192
# A line longer than this (bytes) is cut before it is decoded.
MAX_LINE_BYTES = MAX_LINE * 4


def is_digits(text):
    """True when ``text`` is one or more ASCII digits 0-9: the one check before a
    host's or a log's text is turned into a number (``str.isdigit()`` alone also
    takes digits such as '\u00b2', which ``int()`` refuses)."""
    return text.isascii() and text.isdigit()


# ---------------------------------------------------------------------------
# Line prefixes. Each line's format is detected by itself. Every pattern is
# anchored at the start of the line and has no nested or adjacent unbounded
# repeats that could match the same text (linear time).

_KMSG_RE = re.compile(r"^(?P<prio>\d{1,4}),(?P<seq>\d{1,20}),(?P<usec>\d{1,20}),(?P<flags>[^;]{0,200});")
_PRI_RE = re.compile(r"^<\d{1,4}>")
_FACLEV_RE = re.compile(
    r"^(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|res0|res1|res2|res3|local[0-7]) {0,8}:"
    r" {0,8}(?:emerg|alert|crit|err|warn|notice|info|debug) {0,8}: "
)
# `dmesg -d` and `journalctl -o short-delta` print the time since the line before
# inside the brackets, "[  123.456789 <    0.000010>]"
_UPTIME_RE = re.compile(
    r"^\[ {0,12}(?P<up>\d{1,12}\.\d{1,9})(?: {0,4}<[ \d.]{1,24}>)?\](?: ?\[ {0,12}(?P<caller>[TC]\d{1,10})\])? ?")
_DMESG_T_RE = re.compile(
    r"^\[(?P<wday>[^\s\]]{1,20}) {1,4}(?P<mon>[^\s\]]{1,20}) {1,4}(?P<day>\d{1,2}) {1,4}(?P<H>\d{1,2}):(?P<M>\d{2})"
    r":(?P<S>\d{2}) {1,4}(?P<Y>\d{4})(?: {0,4}<[ \d.]{1,24}>)?\](?: ?\[ {0,12}(?P<caller>[TC]\d{1,10})\])? ?"
)
# `dmesg -t` on a kernel that records the caller (CONFIG_PRINTK_CALLER): "[  T4242] "
_CALLER_RE = re.compile(r"^\[ {0,12}(?P<caller>[TC]\d{1,10})\] ?")
_ISO_RE = re.compile(
    r"^(?P<Y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})[T ](?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?P<frac>\.\d{1,9})?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})? {1,4}"
)
# `dmesg --time-format iso`: a comma before the microseconds, an offset, then the
# message itself (no host, no tag).
_DMESG_ISO_RE = re.compile(
    r"^(?P<Y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})T(?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2}),(?P<frac>\d{1,9})"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2}) ?(?:\[ {0,12}(?P<caller>[TC]\d{1,10})\] ?)?"
)
# `journalctl -o short-unix`: seconds since the epoch, with microseconds
_UNIX_RE = re.compile(r"^(?P<epoch>\d{9,12}\.\d{6}) ")
_FULL_RE = re.compile(
    r"^[A-Za-z]{3} (?P<Y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2}) (?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?P<frac>\.\d{1,9})?"
    r" (?P<tzname>[A-Za-z][A-Za-z0-9_/+\-]{0,40}) "
)
_BSD_RE = re.compile(
    r"^(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?P<d>\d{1,2}) "
    r"(?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?P<frac>\.\d{1,9})? {1,4}"
)
# The commonest file line, /var/log/kern.log with the kernel's stamp, in one match.
_BSD_KERNEL_RE = re.compile(
    r"^(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?P<d>\d{1,2}) "
    r"(?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?P<frac>\.\d{1,9})? (?:[^\s\[\]:]{1,255} )?kernel: "
    r"(?:\[ {0,12}(?P<up>\d{1,12}\.\d{1,9})\](?: ?\[ {0,12}(?P<caller>[TC]\d{1,10})\])? ?)?"
)
# Python's logging "%(asctime)s: " (nohang's own log file, /var/log/nohang/nohang.log).
_PYLOG_RE = re.compile(
    r"^(?P<Y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2}) (?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2}),(?P<frac>\d{3}): ")
# A line number in front of a line: `grep -n` ("12:"; "12-" for context lines),
# `cat -n` / `nl` (blanks, the number, a tab), or a number and a space; and the
# blanks after it.
_LINENO_RE = re.compile(r"^\d{1,12}(?::|\t|-(?=[A-Za-z0-9\[<])| (?=[A-Za-z0-9\[<]))[ \t]{0,64}")
# busybox syslogd (Alpine's /var/log/messages) writes "<facility>.<level>" between
# the host and the tag: "Apr 18 00:37:34 host kern.warn kernel: ..."; a line
# tagged kernel at another facility was written by a program, not the kernel
_FACDOT_RE = re.compile(r"^(?P<fac>[a-z]{2,8}[0-7]?)\.[a-z]{3,7} ")
# Blanks in front of a line (an indented paste): stripped when a stamp follows.
_BLANKS_RE = re.compile(r"^[ \t]{1,64}")
# A syslog tag: program name, optional [pid], colon, space.
_IDENT_RE = re.compile(r"^(?P<name>[^\s\[\]:]{1,255})(?:\[\d{1,10}\])?: ")
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


def epoch_local(year, mon, day, hour, minute, sec, frac):
    """Epoch of a wall-clock time in the host's local zone."""
    key = (year, mon, day, hour)
    base = _EPOCH_CACHE.get(key)
    if base is None:
        try:
            # the zone's offset can change only on the hour (DST), so one
            # mktime per hour is enough
            base = time.mktime((year, mon, day, hour, 0, 0, 0, 0, -1))
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


def frac_seconds(text):
    """Seconds of a fraction written '.123' (or '' / None)."""
    return float(text) if text else 0.0


def tz_seconds(tz):
    """Offset in seconds of 'Z', '+02:00', '-0530' (no validation: callers match the shape)."""
    if not tz or tz == "Z":
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4]) * 60)


# ---------------------------------------------------------------------------
# Prefix parsing

JOURNALISH = ("syslog", "rfc3339", "journal-full", "journal-monotonic", "journal-unix")


class Line(object):
    """One log line split into its prefix facts and the message.

    The absolute time is worked out only when asked for (``epoch``): most lines
    fed to the parser never need it. ``ident`` is the syslog tag's program name
    (``kernel``, ``systemd-oomd``, ``earlyoom``, ``systemd``...) when the line
    has one, else None; ``kernel`` is False when that tag names another program.
    """

    __slots__ = ("fmt", "stamp", "uptime", "caller", "msg", "kernel", "ref", "ident")

    def __init__(self, fmt, stamp, uptime, caller, msg, kernel, ref=None, ident=None):
        self.fmt = fmt          # kmsg, dmesg, dmesg-T, dmesg-iso, syslog, rfc3339, journal-*, bare
        self.stamp = stamp      # the regex match of a wall-clock stamp, or None
        self.uptime = uptime    # seconds since boot or None
        self.caller = caller    # printk caller id ('T123' / 'C1') or None
        self.msg = msg
        self.kernel = kernel
        self.ref = ref          # reference time for the year of RFC 3164 stamps
        self.ident = ident

    @property
    def epoch(self):
        """Absolute time of the line (epoch seconds) or None."""
        m = self.stamp
        if m is None:
            return None
        fmt = self.fmt
        if fmt == "journal-unix":
            return float(m.group("epoch"))
        if fmt == "dmesg-T":
            mon = month_number(m.group("mon"))
            if not mon:
                return None
            return epoch_local(int(m.group("Y")), mon, int(m.group("day")), int(m.group("H")),
                               int(m.group("M")), int(m.group("S")), 0.0)
        if fmt == "syslog":
            mon_s, day_s, hour_s, minute_s, sec_s, frac_s = m.group("mon", "d", "H", "M", "S", "frac")
            ref = self.ref if self.ref is not None else time.time()
            key = ("bsd", mon_s, day_s, hour_s, ref)
            base = _EPOCH_CACHE.get(key)
            if base is None:
                mon = _EN_MONTHS.index(mon_s.lower()) + 1
                year = _year_of(ref)
                args = (mon, int(day_s), int(hour_s), 0, 0, 0.0)
                base = epoch_local(year, *args)
                # RFC 3164 has no year: take the latest year that does not put the
                # line more than a day after the reference time (file mtime or now).
                if base is not None and base > ref + 86400:
                    base = epoch_local(year - 1, *args)
                if base is None:
                    return None
                _EPOCH_CACHE[key] = base
            minute, sec = int(minute_s), int(sec_s)
            if minute > 59 or sec > 61:
                return None
            return base + minute * 60 + sec + (float(frac_s) if frac_s else 0.0)
        args = (int(m.group("Y")), int(m.group("m")), int(m.group("d")),
                int(m.group("H")), int(m.group("M")), int(m.group("S")))
        frac_s = m.group("frac")
        if fmt in ("dmesg-iso", "pylog"):
            frac = float("0." + frac_s)
        else:
            frac = frac_seconds(frac_s)
        gd = m.groupdict()
        tz = gd.get("tz")
        if tz or gd.get("tzname") in ("UTC", "GMT", "Z"):
            try:
                return calendar.timegm(args + (0, 0, 0)) - tz_seconds(tz) + frac
            except (OverflowError, ValueError):
                return None
        return epoch_local(args[0], args[1], args[2], args[3], args[4], args[5], frac)


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

    Returns (ident, msg): ident is 'kernel', another program's name (msg is then
    what follows its tag) or None when no tag is recognised (msg unchanged).
    """
    if rest.startswith("kernel:"):
        return "kernel", rest[8:] if rest.startswith("kernel: ") else rest[7:]
    sp = rest.find(" ", 0, 257)
    if sp > 0:
        after = rest[sp + 1:]
        m = _FACDOT_RE.match(after)
        if m:
            after = after[m.end():]
            if m.group("fac") != "kern" and after.startswith("kernel:"):
                return "kernel@" + m.group("fac"), after[7:].lstrip(" ")
        if after.startswith("kernel:"):
            return "kernel", after[8:] if after.startswith("kernel: ") else after[7:]
        m = _IDENT_RE.match(after)
        if m:
            return m.group("name"), after[m.end():]
    m = _IDENT_RE.match(rest)
    if m:
        return m.group("name"), rest[m.end():]
    return None, rest


def _may_be_read_tag(rest):
    """False when ``_ident(rest)`` can name neither the kernel nor a program the
    parsers read: none of their names is where it looks for a tag (the start, or
    after the first blank). A cheap test before it, for dmesg lines such as
    "CPU: 1 PID: 42 Comm: x" or "oom_reaper: reaped process ..."."""
    return rest.startswith(_READ_TAGS) or rest.startswith(_READ_TAGS, rest.find(" ", 0, 257) + 1)


def _stamped(fmt, m, rest, reference_time):
    """A Line for a time-stamped line (syslog, RFC 3339, journal) whose stamp ``m`` matched."""
    ident, msg = _ident(rest)
    if ident is None or ident == "kernel":
        up, caller, msg = _inner(msg)
        return Line(fmt, m, up, caller, msg, True, reference_time, ident)
    return Line(fmt, m, None, None, msg, False, reference_time, ident)


def split_prefix(line, reference_time=None):
    """Detect the line's own format and return a Line.

    Blanks before the line's stamp (an indented copy), a line number in front of
    it (``grep -n``, ``cat -n``) and a file name (``grep -H``, ``grep -r``,
    ``zgrep`` over several files) are not part of the line: when the line without
    them has a known stamp, that is the line.
    """
    info = _split(line, reference_time)
    if info.fmt != "bare":
        return info
    if line[:1] in _LEADERS:
        rest = line
        for prefix in (_BLANKS_RE, _LINENO_RE):     # blanks, then a line number (and its blanks)
            m = prefix.match(rest)
            if m:
                rest = rest[m.end():]
                inner = _split(rest, reference_time)
                if inner.fmt != "bare":
                    return inner
    inner = _after_file_name(line, reference_time)
    return info if inner is None else inner


_LEADERS = frozenset(" \t0123456789")
# What a stamp starts with: a digit, "[", "<", or a month's or a day's name.
_STAMP_STARTS = frozenset("0123456789[<ADFJMNOSTW")
_MAX_FILE_NAME_TRIES = 8


def _after_file_name(line, reference_time):
    """The line after a file name and its separator, "kern.log.1:" (a match of
    ``grep -H``) or "syslog.2.gz-" (a context line), and a line number after it
    ("kern.log:166233:"); None when no stamp follows any of them. The name is
    the line's first word: each ':' or '-' in it followed by what a stamp starts
    with is tried, at most a few."""
    head = line.find(" ", 0, 4097)
    head = min(len(line), 4096) if head < 0 else head
    tries = 0
    # the next ':' and '-' in the name, each searched for again only once passed
    colon, dash = line.find(":", 0, head), line.find("-", 0, head)
    while tries < _MAX_FILE_NAME_TRIES:
        if colon < 0 and dash < 0:
            return None
        if dash < 0 or 0 <= colon < dash:
            p, colon = colon + 1, line.find(":", colon + 1, head)
        else:
            p, dash = dash + 1, line.find("-", dash + 1, head)
        if line[p:p + 1] not in _STAMP_STARTS:
            continue
        tries += 1
        rest = line[p:]
        inner = _split(rest, reference_time)
        if inner.fmt == "bare" and rest[:1].isdigit():
            m = _LINENO_RE.match(rest)
            if m:
                inner = _split(rest[m.end():], reference_time)
        if inner.fmt != "bare":
            return inner
    return None


def is_continuation(line):
    """True when an indented line continues the one before it (journalctl's
    multi-line messages, /dev/kmsg's dictionary): not when the blanks are
    followed by a stamp or a line number."""
    if line[:1] not in (" ", "\t"):
        return False
    rest = line.lstrip(" \t")
    first = rest[:1]
    if first == "[":
        return not (_UPTIME_RE.match(rest) or _DMESG_T_RE.match(rest))
    if first.isdigit():
        return _LINENO_RE.match(rest) is None and _ISO_RE.match(rest) is None
    if first.isalpha():
        return _BSD_RE.match(rest) is None and _FULL_RE.match(rest) is None
    return True


def _split(line, reference_time):
    first = line[:1]
    if first.isdigit():
        # /dev/kmsg record: prio,seq,usec,flags;message
        m = _KMSG_RE.match(line)
        if m:
            caller = None
            flags = m.group("flags")
            if "caller=" in flags:
                caller = flags.split("caller=", 1)[1].split(",", 1)[0] or None
            # facility 0 is the kernel's own: a record written to /dev/kmsg from user
            # space has another (the kernel gives it LOG_USER unless it names one)
            kernel = int(m.group("prio")) >> 3 == 0
            return Line("kmsg", None, int(m.group("usec")) / 1e6, caller, _kmsg_unescape(line[m.end():]), kernel)
        m = _ISO_RE.match(line)
        if m:
            return _stamped("rfc3339", m, line[m.end():], reference_time)
        m = _DMESG_ISO_RE.match(line)
        if m:
            return Line("dmesg-iso", m, None, m.group("caller"), line[m.end():], True, reference_time)
        m = _PYLOG_RE.match(line)
        if m:
            return Line("pylog", m, None, None, line[m.end():], False, reference_time)
        m = _UNIX_RE.match(line)
        if m:
            return _stamped("journal-unix", m, line[m.end():], reference_time)
    if first == "<":
        # a syslog priority ("<4>"): what follows is read as a line of its own
        m = _PRI_RE.match(line)
        if m:
            line = line[m.end():]
            first = line[:1]
    if first.isalpha():
        m = _BSD_KERNEL_RE.match(line)
        if m:
            up = m.group("up")
            return Line("syslog", m, float(up) if up else None, m.group("caller"), line[m.end():], True,
                        reference_time, "kernel")
        m = _BSD_RE.match(line)
        if m:
            return _stamped("syslog", m, line[m.end():], reference_time)
        m = _FACLEV_RE.match(line)
        if m:
            line = line[m.end():]
            first = line[:1]
            if first.isdigit():
                # dmesg -x --time-format iso
                m = _DMESG_ISO_RE.match(line)
                if m:
                    return Line("dmesg-iso", m, None, m.group("caller"), line[m.end():], True, reference_time)
        else:
            m = _FULL_RE.match(line)
            if m:
                return _stamped("journal-full", m, line[m.end():], reference_time)
    if first == "[":
        m = _UPTIME_RE.match(line)
        if m:
            rest = line[m.end():]
            up, caller = m.group("up", "caller")
            # journalctl -o short-monotonic: "[ 12.34] host kernel: msg" (at most
            # one blank before the tag's colon, and a tag the parsers read)
            colon = rest.find(": ", 0, 300)
            if colon > 0 and rest.count(" ", 0, colon) <= 1 and _may_be_read_tag(rest):
                ident, msg = _ident(rest)
                if ident == "kernel":
                    return Line("journal-monotonic", None, float(up), caller, msg, True, ident=ident)
                if ident is not None and ident in USERSPACE_IDENTS:
                    return Line("journal-monotonic", None, float(up), None, msg, False, ident=ident)
            return Line("dmesg", None, float(up), caller, rest, True)
        m = _DMESG_T_RE.match(line)
        if m:
            return Line("dmesg-T", m, None, m.group("caller"), line[m.end():], True, reference_time)
        m = _CALLER_RE.match(line)
        if m:
            return Line("dmesg", None, None, m.group("caller"), line[m.end():], True)
    return Line("bare", None, None, None, line, True)


# Programs whose lines the userspace parsers read.
USERSPACE_IDENTS = ("systemd-oomd", "earlyoom", "systemd", "nohang")
# How the tags of the kernel's and those programs' lines start.
_READ_TAGS = ("kernel",) + USERSPACE_IDENTS
# Formats whose lines may be a program's output without a syslog tag (earlyoom's
# or nohang's own output): their untagged lines are also read as those programs'.
UNTAGGED_FORMATS = ("bare", "rfc3339", "syslog", "journal-full", "pylog")

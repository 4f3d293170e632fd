# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/_host.Stream, the streaming command reader of the host seam, on real
processes: small shell scripts in a temporary directory stand for a journalctl that
never exits, prints 100 MB, prints one endless line, or floods its error output.

Each case runs under a SIGALRM deadline (``within``) far above what it needs: a
reader that waits for the end of a command that never ends, or that holds its
whole output, fails here instead of hanging the test run. Memory is measured with
tracemalloc (allocations of this process, the reader's buffers and lines).
"""

from __future__ import annotations

import os
import signal
import time
import tracemalloc

import pytest

from ansible_collections.sre.oom.plugins.module_utils import _host


def script(tmp_path, body, name="journalctl"):
    """An executable /bin/sh script ``name`` in tmp_path; its path."""
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


def gone(pid):
    """True when no process has this pid any more (killed and reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_lines_exit_status_and_error_output(tmp_path, within):
    cmd = script(tmp_path, "printf 'one\\n\\nthree\\nlast'\necho 'journal broken' >&2\nexit 3")
    with within(20):
        with _host.Host().stream([cmd], 10) as out:
            lines = list(out)
    assert lines == ["one", "", "three", "last"]
    assert out.rc == 3 and out.err == "journal broken\n" and out.cut == 0
    assert gone(out.pid)


def test_no_shell_the_c_locale_and_undecodable_bytes(tmp_path, within):
    # the argument list reaches the command as it is: nothing is expanded or split
    cmd = script(tmp_path, 'printf "%s\\n" "$@"\necho "LC_ALL=$LC_ALL"\nprintf "caf\\303\\251 \\377\\n"')
    odd = "a; echo pwned $(id) `id` | cat > /dev/null && *"
    with within(20):
        with _host.Host().stream([cmd, odd, "two words"], 10) as out:
            lines = list(out)
    assert lines == [odd, "two words", "LC_ALL=C", "caf\u00e9 \ufffd"]
    assert out.rc == 0


def test_a_command_that_cannot_start_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        _host.Host().stream([str(tmp_path / "nope")], 10).start()
    (tmp_path / "noexec").write_text("#!/bin/sh\n")
    with pytest.raises(OSError):
        with _host.Host().stream([str(tmp_path / "noexec")], 10) as out:
            list(out)


def test_a_command_that_never_exits_is_killed_at_the_time_out(tmp_path, within):
    cmd = script(tmp_path, "exec sleep 100000")
    start = time.monotonic()
    with within(20):
        with pytest.raises(_host.CommandTimeout) as exc:
            with _host.Host().stream([cmd], 0.5) as out:
                list(out)
    took = time.monotonic() - start
    assert str(exc.value) == "timed out after 0.5 s" and exc.value.timeout == 0.5
    assert 0.5 <= took < 10
    assert out.rc == -signal.SIGKILL and gone(out.pid)


def test_lines_arrive_as_they_are_printed_then_the_time_out_ends_a_silent_command(tmp_path, within):
    # prints a record, then hangs with its output still open: the record is handed
    # over at once, long before the time-out ends the command
    cmd = script(tmp_path, 'echo \'{"MESSAGE":"first"}\'\nexec sleep 100000')
    start = time.monotonic()
    seen = []
    with within(20):
        with pytest.raises(_host.CommandTimeout):
            with _host.Host().stream([cmd], 3) as out:
                for line in out:
                    seen.append((line, time.monotonic() - start))
    assert [line for line, _t in seen] == ['{"MESSAGE":"first"}']
    assert seen[0][1] < 2.5
    assert gone(out.pid)


def test_output_closed_but_process_still_running_is_timed_out(tmp_path, within):
    cmd = script(tmp_path, "echo done\nexec >&- 2>&-\nexec sleep 100000")
    with within(20):
        with pytest.raises(_host.CommandTimeout):
            with _host.Host().stream([cmd], 1) as out:
                assert list(out) == ["done"]
    assert out.rc == -signal.SIGKILL and gone(out.pid)


def test_stopping_early_kills_the_command(tmp_path, within):
    cmd = script(tmp_path, "exec yes '{\"MESSAGE\":\"endless\"}'")
    with within(20):
        with _host.Host().stream([cmd], 30) as out:
            for n, _line in enumerate(out):
                if n == 1000:
                    break
    assert out.rc in (-signal.SIGKILL, -signal.SIGPIPE) and gone(out.pid)


def test_100_mb_of_output_streams_in_bounded_memory(tmp_path, within):
    # 100 MB of 1 KiB lines through the real reader: the reader never holds more
    # than one read (1 MiB), its text and lines, and one unfinished line: a few
    # MiB, whatever the size of the output
    cmd = script(tmp_path, "yes \"$(head -c 1023 /dev/zero | tr '\\0' x)\" | head -c 104857600")
    count = size = 0
    tracemalloc.start()
    try:
        with within(120):
            with _host.Host().stream([cmd], 100) as out:
                for line in out:
                    count += 1
                    size += len(line) + 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (count, size, out.rc) == (102400, 104857600, 0)
    assert peak < 8 * 1024 * 1024, peak


def test_an_endless_line_is_cut_and_memory_stays_bounded(tmp_path, within):
    # 20 MB without a newline, then a normal line: the long one is cut at max_line,
    # the rest of it dropped, and the next line read as usual
    cmd = script(tmp_path, "head -c 20971520 /dev/zero | tr '\\0' x\nprintf '\\nnext\\n'")
    tracemalloc.start()
    try:
        with within(60):
            with _host.Stream([cmd], 60, max_line=100000) as out:
                lines = [(len(line), line[:4]) for line in out]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert lines == [(100000, "xxxx"), (4, "next")]
    assert out.cut == 1 and out.rc == 0
    assert peak < 8 * 1024 * 1024, peak


def test_long_lines_within_one_read_are_cut_too(tmp_path):
    cmd = script(tmp_path, "printf 'aaaaaaaaaa\\nbb\\nccccccccccccccc'")
    with _host.Stream([cmd], 10, max_line=5) as out:
        assert list(out) == ["aaaaa", "bb", "ccccc"]
    assert out.cut == 2


def test_error_output_is_read_alongside_and_bounded(tmp_path, within):
    # 4 MB on stderr while stdout is written: no dead lock, the first 64 KiB kept
    cmd = script(tmp_path, "head -c 4194304 /dev/zero | tr '\\0' e >&2\necho out\nexit 1")
    with within(30):
        with _host.Host().stream([cmd], 30) as out:
            assert list(out) == ["out"]
    assert out.rc == 1 and out.err == "e" * _host.STREAM_MAX_ERR

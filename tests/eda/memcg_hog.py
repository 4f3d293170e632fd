# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real memory-cgroup OOM kill on this machine (cgroup v1 memory controller).

A child cgroup /sys/fs/cgroup/memory/sre-oom-eda-<our pid>-<n> gets a small
limit; a Python process we spawn joins it before it allocates more than the
limit, and the kernel's OOM killer kills it. The cgroup is removed afterwards
whatever happens. No sysctl is touched.
"""

import itertools
import os
import signal
import subprocess
import sys
import time

MEMCG_ROOT = "/sys/fs/cgroup/memory"
_counter = itertools.count(1)


def available():
    """None when a memcg OOM can be provoked here, else the reason why not."""
    if os.geteuid() != 0:
        return "needs root (creates a memory cgroup)"
    if not os.path.isfile(os.path.join(MEMCG_ROOT, "memory.limit_in_bytes")):
        return "no cgroup v1 memory controller at %s" % MEMCG_ROOT
    if not os.access("/dev/kmsg", os.R_OK):
        return "/dev/kmsg is not readable"
    with open("/proc/sys/vm/panic_on_oom") as f:
        if f.read().strip() == "2":     # the kernel panics on every OOM, memory cgroups too
            return "vm.panic_on_oom is 2: a memory-cgroup OOM would panic this machine (set it to 0 or 1)"
    return None


class Hog(object):
    """One OOM-killed process: ``pid``, ``cgroup`` (kernel's memcg path), ``killed_at``."""

    def __init__(self, limit_mb=32, alloc_mb=256):
        self.name = "sre-oom-eda-%d-%d" % (os.getpid(), next(_counter))
        self.cgroup = "/" + self.name
        self.path = os.path.join(MEMCG_ROOT, self.name)
        self.limit_mb = limit_mb
        self.alloc_mb = alloc_mb
        self.pid = None
        self.returncode = None
        self.killed_at = None      # time.time() when we saw it die

    def __enter__(self):
        os.mkdir(self.path)
        try:
            with open(os.path.join(self.path, "memory.limit_in_bytes"), "w") as f:
                f.write(str(self.limit_mb << 20))
        except BaseException:
            os.rmdir(self.path)
            raise
        return self

    def run(self, timeout=30):
        """Spawn the hog in the cgroup and wait for its death; returns its returncode."""
        procs = os.path.join(self.path, "cgroup.procs")
        # The hog moves itself into the cgroup, then allocates: b"x" * n writes
        # every page (bytearray(n) would map zero pages only).
        program = ("import os\nwith open(%r, 'w') as f:\n    f.write(str(os.getpid()))\nx = b'x' * (%d << 20)\n"
                   % (procs, self.alloc_mb))
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed argv
            [sys.executable, "-c", program],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pid = proc.pid
        try:
            self.returncode = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        self.killed_at = time.time()
        return self.returncode

    @property
    def oom_killed(self):
        return self.returncode == -signal.SIGKILL

    def __exit__(self, *exc):
        for _dummy in range(50):
            try:
                os.rmdir(self.path)
                return False
            except FileNotFoundError:
                return False
            except OSError:
                time.sleep(0.1)    # the killed task is still being torn down
        os.rmdir(self.path)
        return False

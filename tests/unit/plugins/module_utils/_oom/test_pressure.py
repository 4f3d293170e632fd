# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_oom.pressure: PSI parsing and systemd-oomd's view, on a faked host (one seam)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup as _cgroup
from ansible_collections.sre.oom.plugins.module_utils._oom import pressure

PSI = ("some avg10=%s avg60=1.50 avg300=0.20 total=123456\n"
       "full avg10=%s avg60=0.75 avg300=0.10 total=65432\n")
R = "/sys/fs/cgroup"


@pytest.mark.parametrize("text,expected", [
    (PSI % ("2.00", "1.00"), {"some": {"avg10": 2.0, "avg60": 1.5, "avg300": 0.2, "total": 123456},
                              "full": {"avg10": 1.0, "avg60": 0.75, "avg300": 0.1, "total": 65432}}),
    # kernels before 5.13 have no 'full' line for the cpu; memory always has both
    ("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
     {"some": {"avg10": 0.0, "avg60": 0.0, "avg300": 0.0, "total": 0}, "full": None}),
    ("", None), (None, None), ("garbage\n", None),
], ids=["both", "some-only", "empty", "missing", "garbage"])
def test_parse_psi(text, expected):
    assert pressure.parse_psi(text) == expected


def leaf(files, path, current_mb, swap_mb=0, pgscan=0):
    files[R + path + "/memory.current"] = "%d\n" % (current_mb << 20)
    files[R + path + "/memory.swap.current"] = "%d\n" % (swap_mb << 20)
    files[R + path + "/memory.stat"] = "anon 1\npgscan %d\npgsteal 0\n" % pgscan
    files[R + path + "/memory.pressure"] = PSI % ("0.00", "0.00")


@pytest.fixture
def oomd_host(dict_host):
    files = {"/proc/pressure/memory": PSI % ("12.50", "8.25"),
             R + "/batch.slice/memory.pressure": PSI % ("90.00", "71.00"),
             R + "/batch.slice/memory.current": "1\n"}
    leaf(files, "/batch.slice/a.service", 300, swap_mb=5, pgscan=10)
    leaf(files, "/batch.slice/b.service", 100, swap_mb=50, pgscan=900)
    leaf(files, "/batch.slice/c.service", 900, swap_mb=1, pgscan=0)
    leaf(files, "/batch.slice/idle.service", 0, pgscan=0)
    leaf(files, "/batch.slice/keep.service", 800, swap_mb=80, pgscan=5000)
    leaf(files, "/batch.slice/skip.slice/x.service", 999, swap_mb=99, pgscan=9999)
    xattrs = {(R + "/batch.slice/keep.service", "user.oomd_avoid"): b"1",
              (R + "/batch.slice/skip.slice/x.service", "user.oomd_omit"): b"1"}
    return dict_host(files, xattrs)


def test_managed_slice_pressure_beside_its_limit_and_oomds_order(oomd_host):
    managed = [{"unit": "batch.slice", "cgroup": "/batch.slice", "memory_pressure": "kill", "swap": None,
                "limit": "60%"},
               {"unit": "swapper.slice", "cgroup": "/batch.slice", "memory_pressure": None, "swap": "kill",
                "limit": None}]
    out = pressure.gather(oomd_host, managed, R, _cgroup.cgroup_unit, 10)
    assert out["memory"]["some"]["avg10"] == 12.5 and out["memory"]["full"]["avg10"] == 8.25
    batch, swapper = out["units"]
    assert batch["memory_pressure"]["full"]["avg10"] == 71.0
    assert batch["managed_oom_memory_pressure_limit"] == "60%" and batch["effective_limit"] == "60%"
    assert batch["over_limit"] is True
    # pressure: the most scanning first, avoid last, omit and idle left out
    assert [c["unit"] for c in batch["oomd_candidates"]] == [
        "b.service", "a.service", "c.service", "keep.service"]
    assert batch["oomd_candidates"][0] == {"cgroup": "/batch.slice/b.service", "unit": "b.service",
                                           "memory_current_kb": 102400, "swap_current_kb": 51200,
                                           "pgscan": 900, "preference": None}
    assert batch["oomd_candidates"][-1]["preference"] == "avoid"
    # swap: the most swap first, avoid last; no limit given: oomd's default 60%, not compared
    assert [c["unit"] for c in swapper["oomd_candidates"]] == [
        "b.service", "a.service", "c.service", "keep.service"]
    assert swapper["over_limit"] is None and swapper["effective_limit"] == "60%"


def test_oom_group_cgroups_are_candidates_whole_and_omit_is_not_inherited(oomd_host):
    # recursively_get_cgroup_context(): a cgroup with memory.oom.group 1 is one
    # candidate and what is below it is not looked at; oomd reads user.oomd_omit on
    # the candidate's own cgroup only
    files = oomd_host.files
    leaf(files, "/batch.slice/grp.service", 500, pgscan=700)
    files[R + "/batch.slice/grp.service/memory.oom.group"] = "1\n"
    leaf(files, "/batch.slice/grp.service/w1", 300, pgscan=99999)
    leaf(files, "/batch.slice/grp.service/w2", 200, pgscan=1)
    files[R + "/batch.slice/skip.slice/y.service/memory.oom.group"] = "0\n"
    leaf(files, "/batch.slice/skip.slice/y.service", 10, pgscan=50)
    oomd_host.xattrs[(R + "/batch.slice/skip.slice", "user.oomd_omit")] = b"1"
    oomd_host.xattrs[(R + "/batch.slice/a.service", "user.oomd_omit")] = b"no"     # parse_boolean: false
    managed = [{"unit": "batch.slice", "cgroup": "/batch.slice", "memory_pressure": "kill", "swap": None,
                "limit": "60%"}]
    (unit,) = pressure.gather(oomd_host, managed, R, _cgroup.cgroup_unit, 10)["units"]
    assert [c["cgroup"] for c in unit["oomd_candidates"]] == [
        "/batch.slice/b.service", "/batch.slice/grp.service", "/batch.slice/skip.slice/y.service",
        "/batch.slice/a.service", "/batch.slice/c.service", "/batch.slice/keep.service"]


def test_marks_are_read_only_on_cgroups_of_a_trusted_owner(oomd_host):
    # oomd_fetch_cgroup_oom_preference(): a cgroup owned by root or by the managed
    # cgroup's owner (for swap: root's); a user's marks under root's slice are not read
    owners = {R + "/batch.slice/keep.service": 1000, R + "/batch.slice/skip.slice/x.service": 1000}

    def stat(path):
        return os.stat_result((0, 0, 0, 1, owners.get(path, 0), 0, 0, 0, 0, 0))
    oomd_host.stat = stat
    managed = [{"unit": "batch.slice", "cgroup": "/batch.slice", "memory_pressure": "kill", "swap": None,
                "limit": "60%"}]
    (unit,) = pressure.gather(oomd_host, managed, R, _cgroup.cgroup_unit, 10)["units"]
    assert [(c["unit"], c["preference"]) for c in unit["oomd_candidates"]][:3] == [
        ("x.service", None), ("keep.service", None), ("b.service", None)]
    # the managed cgroup owned by the same user: its marks count again
    owners[R + "/batch.slice"] = 1000
    (unit,) = pressure.gather(oomd_host, managed, R, _cgroup.cgroup_unit, 10)["units"]
    assert [c["unit"] for c in unit["oomd_candidates"]] == ["b.service", "a.service", "c.service", "keep.service"]
    # for swap systemd-oomd compares with the root's owner: the user's marks are not read
    swapper = [{"unit": "batch.slice", "cgroup": "/batch.slice", "memory_pressure": None, "swap": "kill",
                "limit": None}]
    (unit,) = pressure.gather(oomd_host, swapper, R, _cgroup.cgroup_unit, 10)["units"]
    assert [c["unit"] for c in unit["oomd_candidates"]][:2] == ["x.service", "keep.service"]


def test_without_cgroup_v2_only_the_machine_pressure(oomd_host):
    managed = [{"unit": "batch.slice", "cgroup": "/batch.slice", "memory_pressure": "kill", "swap": None,
                "limit": "80%"}]
    out = pressure.gather(oomd_host, managed, None, _cgroup.cgroup_unit, 10)
    assert out["units"][0]["memory_pressure"] is None and out["units"][0]["over_limit"] is None
    assert out["units"][0]["oomd_candidates"] == [] and out["units"][0]["effective_limit"] == "80%"
    assert out["memory"]["full"]["total"] == 65432


def test_top_bounds_the_candidates(oomd_host):
    managed = [{"unit": "batch.slice", "cgroup": "/batch.slice", "memory_pressure": "kill", "swap": None,
                "limit": "99.5%"}]
    out = pressure.gather(oomd_host, managed, R, _cgroup.cgroup_unit, 1)
    assert [c["unit"] for c in out["units"][0]["oomd_candidates"]] == ["b.service"]
    assert out["units"][0]["over_limit"] is False


def test_psi_values_that_are_no_finite_number_are_null(oomd_host):
    # float() takes nan and inf; JSON has no such numbers
    psi = pressure.parse_psi("some avg10=nan avg60=inf avg300=-inf total=1\nfull avg10=1e999 avg60=0 avg300=x total=2\n")
    assert psi == {"some": {"avg10": None, "avg60": None, "avg300": None, "total": 1},
                   "full": {"avg10": None, "avg60": 0.0, "avg300": None, "total": 2}}
    assert pressure.percent_of("inf%") is None and pressure.percent_of("nan%") is None
    oomd_host.files[R + "/batch.slice/memory.pressure"] = PSI % ("90.00", "inf")
    managed = [{"unit": "batch.slice", "cgroup": "/batch.slice", "memory_pressure": "kill", "swap": None,
                "limit": "nan%"}]
    (unit,) = pressure.gather(oomd_host, managed, R, _cgroup.cgroup_unit, 10)["units"]
    assert unit["memory_pressure"]["full"]["avg10"] is None and unit["over_limit"] is None
    assert unit["effective_limit"] == "60%"


def test_the_root_slice_has_the_roots_pressure_and_every_leaf(oomd_host):
    # -.slice (ControlGroup=/) with ManagedOOMSwap=kill, Fedora's default
    oomd_host.files[R + "/memory.pressure"] = PSI % ("1.00", "0.50")
    oomd_host.files[R + "/user.slice/u.scope/memory.current"] = "%d\n" % (10 << 20)
    oomd_host.files[R + "/user.slice/u.scope/memory.swap.current"] = "%d\n" % (60 << 20)
    managed = [{"unit": "-.slice", "cgroup": "/", "memory_pressure": None, "swap": "kill", "limit": None}]
    (unit,) = pressure.gather(oomd_host, managed, R + "/", _cgroup.cgroup_unit, 3)["units"]
    assert unit["cgroup"] == "/" and unit["memory_pressure"]["full"]["avg10"] == 0.5
    assert [c["cgroup"] for c in unit["oomd_candidates"]] == [
        "/user.slice/u.scope", "/batch.slice/b.service", "/batch.slice/a.service"]

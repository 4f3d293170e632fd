# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which container am I (from /proc as seen inside), and is a kill mine?"""

from __future__ import annotations

import pytest

from ansible_collections.sre.oom.plugins.module_utils._oom import cgroup
from ansible_collections.sre.oom.tests.unit.plugins.module_utils._oom.oomlog import (
    HEX_A, HEX_B, L)

A = "66a033308c7ab1ed2bd4ec69e0fd3ce9fe42dc71753e1120640aae4ca3a39f94"
B = "d502ffdbb77ea1205aa5a56fc16bc4c7cedb5f552b4d34696b75ff6ca18842ec"
# Real lines of a Docker 20.10 container with a private cgroup namespace on this
# project's test machine (cgroup v1 hybrid): /proc/1/cgroup says "/" everywhere,
# the id shows only in the sources of Docker's bind mounts.
PRIVATE_NS_CGROUP = "9:name=systemd:/\n8:pids:/\n0::/\n"
DOCKER_MOUNTINFO = (
    "91 74 254:0 /var/lib/docker/containers/%s/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw\n"
    "92 74 254:0 /var/lib/docker/containers/%s/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw\n" % (A, A))

IDENTITY_ROWS = [
    ("docker-private-cgroupns", PRIVATE_NS_CGROUP, PRIVATE_NS_CGROUP, DOCKER_MOUNTINFO, [A], []),
    ("docker-host-cgroupns-v1", "12:memory:/docker/%s\n1:name=systemd:/docker/%s\n" % (A, A), None, "",
     [A], ["/docker/%s" % A]),
    ("systemd-in-docker-host-cgroupns", "0::/docker/%s/init.scope\n" % A, None, "", [A], ["/docker/%s" % A]),
    ("docker-systemd-driver", "0::/system.slice/docker-%s.scope\n" % A, None, "", [A],
     ["/system.slice/docker-%s.scope" % A]),
    ("podman-mountinfo", PRIVATE_NS_CGROUP, None,
     "700 600 0:50 /containers/storage/overlay-containers/%s/userdata/hostname /etc/hostname rw - tmpfs x rw\n" % A,
     [A], []),
    ("lxc-path-only", "0::/lxc.payload.web\n", None, "", [], ["/lxc.payload.web"]),
    ("host", "0::/init.scope\n", "0::/user.slice/user-0.slice/session-1.scope\n", "", [], []),
    ("nothing-readable", None, None, None, [], []),
]


@pytest.mark.parametrize("rid,proc1,self_cg,mountinfo,ids,paths", IDENTITY_ROWS, ids=[r[0] for r in IDENTITY_ROWS])
def test_container_identity(rid, proc1, self_cg, mountinfo, ids, paths):
    assert cgroup.container_identity(proc1, self_cg, mountinfo) == (ids, paths)


def ev(memcg=None, oom_memcg=None, cg=None):
    return {"memcg": memcg, "oom_memcg": oom_memcg, "cgroup": cg}


SCOPE_ROWS = [
    ("systemd-in-docker-unit", ev("/docker/%s/system.slice/hog.service" % A), [A], [], True),
    ("other-container", ev("/docker/%s/system.slice/hog.service" % B), [A], [], False),
    ("docker-systemd-driver", ev("/system.slice/docker-%s.scope" % A), [A], [], True),
    ("k8s-containerd", ev("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1_2_3_4_5.slice/"
                          "cri-containerd-%s.scope" % A), [A], [], True),
    ("k8s-cgroupfs", ev("/kubepods/burstable/pod0f5eb28f-6722-4cf5-ab0f-b62748c018d4/%s" % A), [A], [], True),
    ("host-unit", ev("/system.slice/hog.service"), [A], [], False),
    ("no-path", ev(), [A], [], False),
    ("oom-memcg-only", ev(None, "/docker/%s" % A), [A], [], True),
    ("oomd-cgroup", ev(None, None, "/docker/%s/user.slice/x.scope" % A), [A], [], True),
    ("path-prefix", ev("/lxc.payload.web/system.slice/a.service"), [], ["/lxc.payload.web"], True),
    ("path-prefix-is-a-component", ev("/lxc.payload.web2/a.service"), [], ["/lxc.payload.web"], False),
    ("nested-container-outer-id", ev("/docker/%s/docker/%s" % (A, B)), [A], [], True),
    ("nested-container-inner-only", ev("/docker/%s/docker/%s" % (B, A)), [A], [], True),
    ("id-lookalike-in-unit-name", ev("/system.slice/%s-backup.service" % A), [A], [], False),
]


@pytest.mark.parametrize("rid,event,ids,paths,mine", SCOPE_ROWS, ids=[r[0] for r in SCOPE_ROWS])
def test_in_container_scope(rid, event, ids, paths, mine):
    assert cgroup.in_container_scope(event, ids, paths) is mine


# ---------------------------------------------------------------------------
# cgroup paths (real paths from the fixtures and public excerpts)

CGROUP_ROWS = [
    ("systemd-service", "/system.slice/pm2-root.service", "pm2-root.service", None, None),
    ("session-scope", "/user.slice/user-0.slice/session-1.scope", "session-1.scope", None, None),
    ("user-manager-scope-with-parens", "/user.slice/user-1000.slice/user@1000.service/app.slice/"
     "app-org.kde.konsole-10418.scope/tab(2336326).scope", "tab(2336326).scope", None, None),
    ("docker-cgroupfs", "/docker/" + HEX_A, None, HEX_A, None),
    ("docker-systemd-driver", "/system.slice/docker-%s.scope" % HEX_B, "docker-%s.scope" % HEX_B, HEX_B, None),
    ("systemd-in-docker", "/docker/%s/system.slice/hog.service" % HEX_A, "hog.service", HEX_A, None),
    ("k8s-cgroupfs-dash", "/kubepods/burstable/pod0f5eb28f-6722-4cf5-ab0f-b62748c018d4/"
     "0dc1822caf9e150de25daa1cf572418426ce6b72757b5efdff52acef348368a3", None,
     "0dc1822caf9e150de25daa1cf572418426ce6b72757b5efdff52acef348368a3", "0f5eb28f-6722-4cf5-ab0f-b62748c018d4"),
    ("k8s-cgroupfs-guaranteed", "/kubepods/pod3759885e-2d2e-45f6-a100-a1230831cbac/"
     "f0c2b1129c1c7ce74e8eff9633b31cc4d564a18b6fc5a1416a305df811420242", None,
     "f0c2b1129c1c7ce74e8eff9633b31cc4d564a18b6fc5a1416a305df811420242", "3759885e-2d2e-45f6-a100-a1230831cbac"),
    ("k8s-systemd-docker", "/kubepods.slice/kubepods-pod9eb0e64e_6e1a_43e4_b372_2603a3cc2941.slice/"
     "docker-663f6287c450aea2f849b82a30d1409059497b5de62846a286e55971d61e2650.scope",
     "docker-663f6287c450aea2f849b82a30d1409059497b5de62846a286e55971d61e2650.scope",
     "663f6287c450aea2f849b82a30d1409059497b5de62846a286e55971d61e2650", "9eb0e64e-6e1a-43e4-b372-2603a3cc2941"),
    ("k8s-systemd-containerd", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-"
     "podef91e487_dec5_4613_800b_eb23e1a1617d.slice/cri-containerd-"
     "100093783c22a3ae1a42e21dd887b7c26eef52d56ba44c7273ef54507b6efe7c.scope",
     "cri-containerd-100093783c22a3ae1a42e21dd887b7c26eef52d56ba44c7273ef54507b6efe7c.scope",
     "100093783c22a3ae1a42e21dd887b7c26eef52d56ba44c7273ef54507b6efe7c", "ef91e487-dec5-4613-800b-eb23e1a1617d"),
    ("k8s-systemd-crio", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5a6b7c8d_9e0f_4a1b_8c2d_"
     "3e4f5a6b7c8d.slice/crio-%s.scope" % HEX_A, "crio-%s.scope" % HEX_A, HEX_A,
     "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"),
    ("k8s-pod-slice-only", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-"
     "podef91e487_dec5_4613_800b_eb23e1a1617d.slice", None, None, "ef91e487-dec5-4613-800b-eb23e1a1617d"),
    ("crio-conmon-is-not-the-container", "/kubepods.slice/crio-conmon-%s.scope" % HEX_A,
     "crio-conmon-%s.scope" % HEX_A, None, None),
    ("short-scope", "/system.slice/db.scope", "db.scope", None, None),
    ("one-letter-scope-in-a-user-service", "/user.slice/user-1000.slice/user@1000.service/app.slice/a.scope",
     "a.scope", None, None),
    ("bare-suffix-is-no-unit", "/system.slice/.scope", None, None, None),
    ("root", "/", None, None, None),
    ("none", None, None, None, None),
]


@pytest.mark.parametrize("rid,path,unit,cid,pod", CGROUP_ROWS, ids=[r[0] for r in CGROUP_ROWS])
def test_cgroup_paths(rid, path, unit, cid, pod):
    assert L.cgroup_unit(path) == unit
    assert L.cgroup_container_id(path) == cid
    assert L.cgroup_pod_uid(path) == pod


@pytest.mark.hostile
def test_container_identity_keeps_each_id_once_in_order_over_many_mounts(within):
    # root in a container can bind-mount 100,000 times; each line cost a scan of
    # the ids found before it
    ids = ["%064x" % i for i in range(60000)]
    mountinfo = "".join("%d 1 0:1 /var/lib/docker/containers/%s/hosts /etc/h%d rw - ext4 /dev/sda1 rw\n"
                        % (i, cid, i) for i, cid in enumerate(ids + ids[:10]))
    with within(10):
        got, paths = cgroup.container_identity(None, None, mountinfo)
    assert got == ids and paths == []

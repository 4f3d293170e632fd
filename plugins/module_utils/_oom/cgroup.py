# -*- coding: utf-8 -*-
# Copyright (c) 2026, sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal to the sre.oom collection: cgroup paths to unit, container and pod; container scope.

The functions that take ``host`` read through the host seam (module_utils/_host.Host);
the others are pure."""

from __future__ import annotations

import re

_CONTAINER_RES = (
    re.compile(r"^(?:docker|cri-containerd|crio|libpod|containerd)-([0-9a-f]{64})\.scope$"),
    re.compile(r"^([0-9a-f]{64})$"),
    re.compile(r"^(?:docker|cri-containerd|crio|libpod)-([0-9a-f]{64})$"),
)
_POD_RE = re.compile(
    r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}|[0-9a-f]{32})(?:\.slice)?$"
)
# Container ids in the paths of a container's own mounts (/proc/self/mountinfo):
# Docker bind-mounts /var/lib/docker/containers/<id>/{hostname,hosts,resolv.conf};
# Podman's are under .../overlay-containers/<id>/userdata/; containerd/CRI-O
# under .../sandboxes/<id>/ or .../containers/<id>/.
_MOUNT_ID_RE = re.compile(r"/(?:containers|overlay-containers|sandboxes)/([0-9a-f]{64})/")


def cgroup_unit(path):
    """The innermost systemd unit (*.service or *.scope) named in a cgroup path, or None."""
    if not path:
        return None
    for part in reversed(path.split("/")):
        for suffix in (".service", ".scope"):
            if part.endswith(suffix) and len(part) > len(suffix):
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


def cgroup_container_ids(path):
    """Every container id in a cgroup path, innermost last (a container in a container has two)."""
    out = []
    if not path:
        return out
    for part in path.split("/"):
        if part.startswith("crio-conmon-"):
            continue
        for rx in _CONTAINER_RES:
            m = rx.match(part)
            if m:
                out.append(m.group(1))
                break
    return out


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
# Container scope
#
# The kernel log is machine-wide and names cgroups by their path on the HOST
# (`/docker/<id>/system.slice/hog.service`, `/system.slice/docker-<id>.scope`,
# `/kubepods/.../<id>`). Inside a container with its own cgroup namespace,
# /proc/self/cgroup says `/` or `/init.scope`: the host path is not visible. So
# the rule compares identities, not paths:
#   1. the container's ids: 64-hex ids in /proc/1/cgroup and /proc/self/cgroup
#      (without a cgroup namespace they show the host path), and in the sources
#      of the container's own mounts (/proc/self/mountinfo: Docker's
#      /var/lib/docker/containers/<id>/hostname, Podman's overlay-containers/<id>);
#   2. the container's own cgroup paths from /proc/1/cgroup when they are not the
#      namespace root (`/` or `/init.scope`);
# An event is this container's when one of the container ids found in its cgroup
# path (memcg, else oom_memcg) is one of the container's ids, or when its path
# is one of the container's own cgroup paths or below it. An event without a
# cgroup path is not this container's.


def container_identity(proc1_cgroup, self_cgroup, mountinfo):
    """(ids, paths) of the container this runs in, from the texts of /proc/1/cgroup,
    /proc/self/cgroup and /proc/self/mountinfo (each may be None)."""
    ids, paths = {}, {}          # insertion-ordered sets: a line costs the same however many came before
    for text in (proc1_cgroup, self_cgroup):
        for line in (text or "").splitlines():
            parts = line.split(":", 2)
            if len(parts) != 3:
                continue
            path = parts[2].strip()
            for cid in cgroup_container_ids(path):
                ids.setdefault(cid)
            if text is proc1_cgroup and path not in ("", "/", "/init.scope"):
                # PID 1's cgroup seen without a cgroup namespace is the container's root
                paths.setdefault(path[:-len("/init.scope")] if path.endswith("/init.scope") else path)
    for line in (mountinfo or "").splitlines():
        fields = line.split(" ")
        if len(fields) > 4:
            m = _MOUNT_ID_RE.search(fields[3] + "/")
            if m:
                ids.setdefault(m.group(1))
    return list(ids), list(paths)


def in_container_scope(event, ids, paths):
    """True when ``event`` (a parsed event dict) happened in the container with these
    ``ids`` (a set, for one look-up per id of the path) and cgroup ``paths`` (see
    container_identity)."""
    path = event.get("memcg") or event.get("oom_memcg") or event.get("cgroup")
    if not path:
        return False
    for cid in cgroup_container_ids(path):
        if cid in ids:
            return True
    for own in paths:
        if own and own != "/" and (path == own or path.startswith(own.rstrip("/") + "/")):
            return True
    return False


# ---------------------------------------------------------------------------
# Whether this runs in a container, and the scope oom_facts uses (through the host seam)

_CONTAINER_CGROUP_RE = re.compile(r"/(?:docker|kubepods|lxc|libpod|machine\.slice/libpod|containerd|crio|actions_job)"
                                  r"[/-]")


def in_container(host):
    """True when the module runs in a container (Docker, Podman, LXC, Kubernetes...)."""
    if host.exists("/.dockerenv") or host.exists("/run/.containerenv"):
        return True
    if host.environ("container"):
        return True
    environ = host.read_text("/proc/1/environ") or ""
    if "\0container=" in "\0" + environ:
        return True
    for name in ("/proc/1/cgroup", "/proc/self/cgroup"):
        if _CONTAINER_CGROUP_RE.search(host.read_text(name) or ""):
            return True
    return False


def container_scope(host):
    """(ids, paths) of this container, read through the host seam: see container_identity."""
    return container_identity(host.read_text("/proc/1/cgroup"), host.read_text("/proc/self/cgroup"),
                              host.read_text("/proc/self/mountinfo"))


def resolve_scope(host, requested):
    """(scope used, keep function or None, warning or None) for the scope option."""
    if requested == "host" or (requested == "auto" and not in_container(host)):
        return "host", None, None
    ids, paths = container_scope(host)
    if not ids and not paths:
        if requested == "auto":
            return "host", None, ("oom_facts: running in a container whose cgroup cannot be told from inside "
                                  "(no container id in /proc/1/cgroup or /proc/self/mountinfo): events of the "
                                  "whole host are reported (scope: host)")
        return "container", (lambda ev: False), ("oom_facts: scope container: this container's cgroup cannot "
                                                 "be told from inside; no event can be attributed to it")
    ids = frozenset(ids)
    return "container", (lambda ev: in_container_scope(ev, ids, paths)), None

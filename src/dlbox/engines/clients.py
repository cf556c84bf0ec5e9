"""Docker and Podman client binaries: which are on this machine, their versions and what BuildKit
they can do (cached until the binary or its plugin folders change). Nothing here asks a daemon."""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from dlbox import paths, process
from dlbox.engines.docker import BuildKitSupport
from dlbox.errors import ProcessError

PING_TIMEOUT = 15.0
# Where Docker CLI plugins (buildx) live: a change there can change what a client can do.
PLUGIN_DIRS = (
    "~/.docker/cli-plugins",
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
)
_VERSION = re.compile(r"version\s+v?(\d+)\.(\d+)(?:\.(\d+))?([^\s,]*)", re.IGNORECASE)


@dataclass(frozen=True)
class ClientProbe:
    path: str
    version: str
    major: int
    buildkit: BuildKitSupport

    @property
    def is_podman(self) -> bool:
        return self.buildkit.mode == "native"


def parse_client_version(text: str) -> tuple[str, int]:
    m = _VERSION.search(text)
    if not m:
        return "", 0
    version = f"{m.group(1)}.{m.group(2)}" + (f".{m.group(3)}" if m.group(3) else "") + m.group(4)
    return version, int(m.group(1))


def buildkit_support(
    path: str, version_text: str, has_buildx: bool, is_podman: bool
) -> BuildKitSupport:
    """What a client can do. Docker 23+ clients need the buildx plugin for BuildKit; older ones
    build with BuildKit when DOCKER_BUILDKIT=1. Podman builds with Buildah, which supports cache
    and secret mounts natively."""
    if is_podman:
        return BuildKitSupport("native", "podman build (Buildah) supports cache and secret mounts")
    if has_buildx:
        return BuildKitSupport("buildx", f"{path} has the buildx plugin")
    _, major = parse_client_version(version_text)
    if 18 <= major < 23:
        return BuildKitSupport(
            "env", f"{path} ({major}.x) builds with BuildKit via DOCKER_BUILDKIT=1"
        )
    return BuildKitSupport(
        "none",
        f"{path} (version {major}) has no buildx plugin; clients from 23.0 on need it for BuildKit",
    )


def _probe_key(path: str) -> str:
    """What a client's capabilities depend on: the binary itself and its CLI plugin folders."""
    parts = [path]
    for item in (path, *PLUGIN_DIRS):
        try:
            st = os.stat(os.path.expanduser(item))
            parts.append(f"{st.st_mtime_ns}:{st.st_size}")
        except OSError:
            parts.append("-")
    return "|".join(parts)


def _probe_cache() -> Path:
    return paths.state_dir() / "client-probes.json"


def _cached_probe(key: str) -> ClientProbe | None:
    try:
        data = json.loads(_probe_cache().read_text()).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        return ClientProbe(
            data["path"],
            data["version"],
            int(data["major"]),
            BuildKitSupport(data["mode"], data["detail"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _store_probe(key: str, probe: ClientProbe) -> None:
    if not paths.writes_allowed():
        return
    cache = _probe_cache()
    try:
        data = json.loads(cache.read_text()) if cache.is_file() else {}
        if not isinstance(data, dict):
            data = {}
        data[key] = {
            "path": probe.path,
            "version": probe.version,
            "major": probe.major,
            "mode": probe.buildkit.mode,
            "detail": probe.buildkit.detail,
        }
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(cache)
    except OSError:
        pass  # a cache only: probing again next time is fine


def probe_client(path: str, *, use_cache: bool = True) -> ClientProbe | None:
    """The client's version and BuildKit support (`--version`, `buildx version`), cached until
    the binary or its plugin folders change."""
    key = _probe_key(path)
    if use_cache:
        cached = _cached_probe(key)
        if cached is not None:
            return cached
    try:
        done = process.run([path, "--version"], timeout=PING_TIMEOUT, check=False)
    except ProcessError:
        return None
    if done.returncode != 0:
        return None
    is_podman = "podman" in done.stdout.lower()
    has_buildx = False
    if not is_podman:
        try:
            bx = process.run([path, "buildx", "version"], timeout=PING_TIMEOUT, check=False)
            has_buildx = bx.returncode == 0
        except ProcessError:
            has_buildx = False
    version, major = parse_client_version(done.stdout)
    probe = ClientProbe(
        path, version, major, buildkit_support(path, done.stdout, has_buildx, is_podman)
    )
    _store_probe(key, probe)
    return probe


def candidate_clients(kind: str, explicit: str | None = None) -> list[str]:
    if explicit:
        return [explicit]
    found: list[str] = []
    on_path = shutil.which(kind)
    if on_path:
        found.append(os.path.realpath(on_path))
    if kind == "docker":
        for extra in ("/usr/bin/docker", "/usr/local/bin/docker"):
            if os.path.exists(extra) and os.path.realpath(extra) not in found:
                found.append(os.path.realpath(extra))
    return found

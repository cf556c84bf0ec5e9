"""Finding a working engine: which client binary, whether its daemon answers, what BuildKit it has.

`engine = auto` picks Docker if its daemon answers, then Podman, then the local (no-container)
engine. The choice comes back with the reason, so `up`, `doctor` and `config show` can say why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dlbox import paths, process
from dlbox.engines.docker import BuildKitSupport, DockerEngine
from dlbox.errors import EngineUnavailable, ProcessError

PING_TIMEOUT = 15.0
# Where Docker CLI plugins (buildx) live: a change there can change what a client can do.
PLUGIN_DIRS = (
    "~/.docker/cli-plugins",
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
)
ENGINE_CHOICES = ("auto", "docker", "podman", "local")
_VERSION = re.compile(r"version\s+v?(\d+)\.(\d+)(?:\.(\d+))?([^\s,]*)", re.IGNORECASE)


@dataclass(frozen=True)
class ClientProbe:
    path: str
    version: str
    major: int
    buildkit: BuildKitSupport


@dataclass
class EngineChoice:
    engine: DockerEngine | None
    name: str
    reason: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"engine": self.name, "reason": self.reason, "notes": self.notes}
        if self.engine is not None:
            data.update(self.engine.describe())
        return data


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


def _ping(path: str) -> tuple[bool, str, str, str]:
    """(answers, server version, server arch, why not) in one round trip."""
    try:
        done = process.run(
            [path, "version", "--format", "{{.Server.Version}}|{{.Server.Arch}}"],
            timeout=PING_TIMEOUT,
            check=False,
        )
    except ProcessError as exc:
        return False, "", "", exc.message
    out = done.stdout.strip()
    if done.returncode == 0 and out:
        version, _, arch = out.partition("|")
        return True, version, arch, ""
    return False, "", "", (done.stderr.strip().splitlines() or ["no answer"])[-1]


def unreachable_hint(kind: str, why: str) -> str:
    low = why.lower()
    if "permission denied" in low:
        return (
            f"Your user may not use the {kind} socket: add it to the 'docker' group "
            "(`sudo usermod -aG docker $USER`, then log in again) or use rootless mode."
        )
    if kind == "podman":
        return "Start Podman's service (`podman machine start` on macOS/Windows) and retry."
    return (
        "Start the Docker daemon (`sudo systemctl start docker`, or Docker Desktop), "
        "or use `--engine local` to run without containers."
    )


def find_docker_like(kind: str, explicit: str | None = None) -> tuple[DockerEngine | None, str]:
    """The best client of this kind whose daemon answers, preferring one with BuildKit."""
    reasons: list[str] = []
    probes: list[ClientProbe] = []
    for path in candidate_clients(kind, explicit):
        probe = probe_client(path)
        if probe is None:
            reasons.append(f"{path} does not run")
        else:
            probes.append(probe)
    # Ask the daemon through the best client first (BuildKit-capable, then PATH order) and stop
    # at the first that answers: one round trip in the common case.
    probes.sort(key=lambda p: not p.buildkit.available)
    usable: list[tuple[ClientProbe, str, str]] = []
    for probe in probes:
        answers, server, arch, why_not = _ping(probe.path)
        if answers:
            usable.append((probe, server, arch))
            break
        reasons.append(f"{probe.path}: daemon not reachable ({why_not})")
    if not usable:
        return None, "; ".join(reasons) or f"no `{kind}` client found on PATH"
    probe, server, arch = usable[0]
    engine = DockerEngine(
        probe.path,
        probe.buildkit,
        name=kind,
        client_version=probe.version,
        server_version=server,
        server_arch=arch,
    )
    why = f"{kind} daemon {server} answers via {probe.path}"
    first = candidate_clients(kind, explicit)[0]
    if not probe.buildkit.available:
        why += " (no client here can do BuildKit builds)"
    elif probe.path != first and any(p.path == first for p in probes):
        why += f" (chosen over {first}: that client has no BuildKit)"
    return engine, why


def select_engine(
    preference: str = "auto",
    docker_client: str | None = None,
    kinds: Sequence[str] = ("docker", "podman"),
) -> EngineChoice:
    if preference not in ENGINE_CHOICES:
        raise EngineUnavailable(
            f"Unknown engine {preference!r}.", f"Choose one of: {', '.join(ENGINE_CHOICES)}."
        )
    if preference == "local":
        return EngineChoice(None, "local", "asked for the local engine (no containers)")
    wanted = kinds if preference == "auto" else (preference,)
    notes: list[str] = []
    for kind in wanted:
        engine, why = find_docker_like(kind, docker_client if kind == "docker" else None)
        if engine is not None:
            return EngineChoice(engine, kind, why, notes)
        notes.append(f"{kind}: {why}")
        if preference != "auto":
            raise EngineUnavailable(
                f"The {kind} engine is not usable: {why}.", unreachable_hint(kind, why)
            )
    return EngineChoice(
        None, "local", "no container engine answers (" + "; ".join(notes) + ")", notes
    )

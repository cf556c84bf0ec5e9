"""Finding a working engine: which client binary, whether its daemon answers, what BuildKit it has.

`engine = auto` picks Docker if its daemon answers, then Podman, then the local (no-container)
engine. The choice comes back with the reason, so `up`, `doctor` and `config show` can say why.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field

from dlbox import process
from dlbox.engines.docker import BuildKitSupport, DockerEngine
from dlbox.errors import EngineUnavailable, ProcessError

PING_TIMEOUT = 15.0
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


def probe_client(path: str) -> ClientProbe | None:
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
    return ClientProbe(
        path, version, major, buildkit_support(path, done.stdout, has_buildx, is_podman)
    )


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


def _ping(path: str) -> tuple[bool, str, str]:
    """(answers, server version, why not)."""
    try:
        done = process.run(
            [path, "version", "--format", "{{.Server.Version}}"], timeout=PING_TIMEOUT, check=False
        )
    except ProcessError as exc:
        return False, "", exc.message
    if done.returncode == 0 and done.stdout.strip():
        return True, done.stdout.strip(), ""
    return False, "", (done.stderr.strip().splitlines() or ["no answer"])[-1]


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
    usable: list[tuple[ClientProbe, str]] = []
    for path in candidate_clients(kind, explicit):
        probe = probe_client(path)
        if probe is None:
            reasons.append(f"{path} does not run")
            continue
        answers, server, why = _ping(path)
        if not answers:
            reasons.append(f"{path}: daemon not reachable ({why})")
            continue
        usable.append((probe, server))
    if not usable:
        return None, "; ".join(reasons) or f"no `{kind}` client found on PATH"
    usable.sort(key=lambda item: not item[0].buildkit.available)  # stable: PATH order otherwise
    probe, server = usable[0]
    engine = DockerEngine(
        probe.path, probe.buildkit, name=kind, client_version=probe.version, server_version=server
    )
    why = f"{kind} daemon {server} answers via {probe.path}"
    if len(usable) > 1 or reasons:
        skipped = [p.path for p, _ in usable[1:]]
        if skipped and not usable[0][0].buildkit.available:
            why += " (no client here can do BuildKit builds)"
        elif probe.path != candidate_clients(kind, explicit)[0]:
            first = candidate_clients(kind, explicit)[0]
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

"""Finding a working engine: which client binary, whether its daemon answers, what BuildKit it has,
and the engine mode (Docker or Podman, rootful or rootless).

`engine = auto` picks Docker if its daemon answers, then Podman, then the local (no-container)
engine; Podman first when the user's `docker` is Podman (a symlink or wrapper) or DOCKER_HOST
points at Podman's socket. Podman is always driven by its own CLI. The choice comes back with the
reason, so `up`, `doctor` and `config show` can say why.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from dlbox import process
from dlbox.engines.base import Engine
from dlbox.engines.clients import (
    PING_TIMEOUT,
    PLUGIN_DIRS,
    ClientProbe,
    buildkit_support,
    candidate_clients,
    parse_client_version,
    probe_client,
)
from dlbox.engines.docker import DockerEngine, EngineInfo, gpu_facts_from_info
from dlbox.engines.local import LocalEngine
from dlbox.engines.podman import PodmanEngine, parse_info
from dlbox.errors import EngineUnavailable, ProcessError

ENGINE_CHOICES = ("auto", "docker", "podman", "local")
__all__ = [
    "PLUGIN_DIRS",
    "ClientProbe",
    "EngineChoice",
    "buildkit_support",
    "candidate_clients",
    "parse_client_version",
    "probe_client",
    "select_engine",
]


@dataclass
class EngineChoice:
    """The engine dlbox uses and why: always an engine (the local one when no container engine is
    used, with the reason); `container` is the container engine, when there is one."""

    container: DockerEngine | None
    name: str
    reason: str
    notes: list[str] = field(default_factory=list)

    @property
    def engine(self) -> Engine:
        return self.container if self.container is not None else LocalEngine()

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"engine": self.name, "reason": self.reason, "notes": self.notes}
        if self.container is not None:
            data.update(self.container.describe())
        return data


@dataclass(frozen=True)
class Server:
    """What a Docker client's daemon says about itself in one `docker version` round trip."""

    version: str
    arch: str
    is_podman: bool  # Podman's Docker-compatible socket (DOCKER_HOST pointing at it)


def parse_server(text: str) -> Server | None:
    """`docker version --format '{{json .Server}}'`; Podman's socket lists a 'Podman Engine'."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    names = [str(c.get("Name", "")) for c in data.get("Components") or [] if isinstance(c, dict)]
    return Server(
        str(data.get("Version", "")),
        str(data.get("Arch", "")),
        any("podman" in n.lower() for n in names),
    )


def _ping(path: str) -> tuple[Server | None, str]:
    """(the daemon's answer, or None and why not) in one round trip."""
    try:
        done = process.run(
            [path, "version", "--format", "{{json .Server}}"], timeout=PING_TIMEOUT, check=False
        )
    except ProcessError as exc:
        return None, exc.message
    server = parse_server(done.stdout.strip()) if done.returncode == 0 else None
    if server is not None and server.version:
        return server, ""
    return None, (done.stderr.strip().splitlines() or ["no answer"])[-1]


def docker_info(path: str) -> EngineInfo:
    """Rootless or not (`docker info` security options list name=rootless), storage driver and
    where images live."""
    endpoint = os.environ.get("DOCKER_HOST", "")
    try:
        done = process.run(
            [path, "info", "--format", "{{json .}}"], timeout=PING_TIMEOUT, check=False
        )
        data = json.loads(done.stdout or "{}") if done.returncode == 0 else {}
    except (ProcessError, ValueError):
        return EngineInfo(endpoint=endpoint)
    if not isinstance(data, dict) or not data:
        return EngineInfo(endpoint=endpoint)
    options = data.get("SecurityOptions") or []
    rootless = any("name=rootless" in str(o) for o in options)
    return EngineInfo(
        rootless,
        str(data.get("Driver") or ""),
        str(data.get("DockerRootDir") or ""),
        endpoint,
        # The GPU probe's cache key needs these too: one `docker info` serves both.
        tuple(sorted(gpu_facts_from_info(data).items())),
    )


def unreachable_hint(kind: str, why: str) -> str:
    low = why.lower()
    if "permission denied" in low:
        return (
            f"Your user may not use the {kind} socket: add it to the 'docker' group "
            "(`sudo usermod -aG docker $USER`, then log in again) or use rootless mode."
        )
    if kind == "podman":
        import platform

        if platform.system() in ("Darwin", "Windows"):
            return "Start Podman's virtual machine (`podman machine start`) and retry."
        return (
            "Install Podman (`sudo apt-get install podman catatonit uidmap slirp4netns "
            "fuse-overlayfs`) and check `podman info` works for your user."
        )
    return (
        "Start the Docker daemon (`sudo systemctl start docker`, or Docker Desktop), "
        "or use `--engine local` to run without containers."
    )


@dataclass
class Search:
    """What one detection learnt on the way: Podman posing as Docker is Podman."""

    docker_is_podman: list[str] = field(default_factory=list)  # `docker` clients that are Podman
    socket_is_podman: str = ""  # DOCKER_HOST (or the default socket) when it is Podman's


DEFAULT_DOCKER_SOCKET = "unix:///var/run/docker.sock"


def _socket_words(url: str) -> str:
    """DOCKER_HOST=URL, or the default socket (podman-docker links it to Podman's)."""
    return f"DOCKER_HOST={url}" if os.environ.get("DOCKER_HOST") else f"the Docker socket ({url})"


def find_docker(
    explicit: str | None = None, search: Search | None = None
) -> tuple[DockerEngine | None, str]:
    """The best Docker client whose daemon answers, preferring one with BuildKit."""
    search = search if search is not None else Search()
    reasons: list[str] = []
    probes: list[ClientProbe] = []
    for path in candidate_clients("docker", explicit):
        probe = probe_client(path)
        if probe is None:
            reasons.append(f"{path} does not run")
        elif probe.is_podman:
            search.docker_is_podman.append(path)
            reasons.append(f"{path} is Podman, not Docker")
        else:
            probes.append(probe)
    # Ask the daemon through the best client first (BuildKit-capable, then PATH order) and stop
    # at the first that answers: one round trip in the common case.
    probes.sort(key=lambda p: not p.buildkit.available)
    for probe in probes:
        server, why_not = _ping(probe.path)
        if server is None:
            reasons.append(f"{probe.path}: daemon not reachable ({why_not})")
            continue
        if server.is_podman:
            search.socket_is_podman = os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_SOCKET
            reasons.append(
                f"{_socket_words(search.socket_is_podman)} is Podman's Docker-compatible socket "
                f"(Podman {server.version}), not Docker; Docker's BuildKit cannot build against it"
            )
            break
        return _docker_engine(probe, server), ""
    return None, "; ".join(reasons) or "no `docker` client found on PATH"


def _docker_engine(probe: ClientProbe, server: Server) -> DockerEngine:
    from dlbox.engines.docker_api import api_from_env

    return DockerEngine(
        probe.path,
        probe.buildkit,
        client_version=probe.version,
        server_version=server.version,
        server_arch=server.arch,
        info=docker_info(probe.path),
        api=api_from_env(),
    )


def _docker_reason(engine: DockerEngine, explicit: str | None) -> str:
    why = f"{engine.title} answers via {engine.client}"
    if engine.info.endpoint:
        why += f" (DOCKER_HOST={engine.info.endpoint})"
    first = (candidate_clients("docker", explicit) or [engine.client])[0]
    if not engine.buildkit.available:
        why += " (no client here can do BuildKit builds)"
    elif engine.client != first:
        first_probe = probe_client(first)
        if first_probe is not None and not first_probe.is_podman:
            why += f" (chosen over {first}: that client has no BuildKit)"
    return why


def _podman_info(path: str, url: str = "") -> tuple[dict[str, object] | None, str]:
    """`podman info` as JSON (of the service at `url`, when given), or None and why not."""
    argv = [path, *(("--url", url) if url else ()), "info", "--format", "json"]
    try:
        done = process.run(argv, timeout=PING_TIMEOUT, check=False)
    except ProcessError as exc:
        return None, exc.message
    if done.returncode != 0:
        return None, (done.stderr.strip().splitlines() or ["no answer"])[-1]
    try:
        data = json.loads(done.stdout)
    except ValueError:
        return None, "podman info printed no JSON"
    return (data, "") if isinstance(data, dict) else (None, "podman info printed no JSON")


def _elsewhere(socket: str, data: dict[str, object]) -> bool:
    """DOCKER_HOST names another service than this podman's own, and CONTAINER_HOST is unset."""
    own = _own_socket(data).removeprefix("unix://")
    return (
        bool(own) and socket.removeprefix("unix://") != own and not os.environ.get("CONTAINER_HOST")
    )


def _service_url(search: Search, data: dict[str, object]) -> str:
    """The Podman service DOCKER_HOST names, when the podman CLI would not reach it by itself:
    a local socket (unix://) that is not this podman's own, and no CONTAINER_HOST to say
    otherwise. Podman ignores DOCKER_HOST on purpose (it may be Docker's); dlbox asked that
    socket and it is Podman's, so it points the CLI there with `--url`, as CONTAINER_HOST would
    (podman-py's from_env() reads DOCKER_HOST the same way)."""
    wanted = search.socket_is_podman
    return wanted if wanted.startswith("unix://") and _elsewhere(wanted, data) else ""


def find_podman(search: Search | None = None) -> tuple[PodmanEngine | None, str]:
    """Podman through its own CLI: `podman info` says its arch, storage and whether it is
    rootless."""
    search = search if search is not None else Search()
    paths_ = candidate_clients("podman")
    for shim in search.docker_is_podman:
        if shim not in paths_:
            paths_.append(shim)
    if not paths_:
        return None, "no `podman` client found on PATH"
    reasons = []
    for path in paths_:
        probe = probe_client(path)
        if probe is None or not probe.is_podman:
            reasons.append(f"{path} does not run as podman")
            continue
        data, why_not = _podman_info(path)
        if data is None:
            reasons.append(f"{path}: podman does not answer ({why_not})")
            continue
        url = _service_url(search, data) if search.socket_is_podman else ""
        note = ""
        if url:
            service, why_not = _podman_info(path, url)
            if service is not None:
                data = service
            else:
                note = (
                    f" (`podman --url {url}` does not answer: {why_not}; set "
                    f"CONTAINER_HOST={url} once it does)"
                )
                url = ""
        endpoint = url or os.environ.get("CONTAINER_HOST", "")
        version, arch, info = parse_info(data, endpoint)
        engine = PodmanEngine(
            path,
            client_version=probe.version,
            server_version=version,
            server_arch=arch,
            info=info,
            url=url,
        )
        why = f"{engine.title} answers via {path} ({info.storage_driver} storage)"
        if search.docker_is_podman:
            why += f"; your `docker` is Podman ({', '.join(search.docker_is_podman)})"
        if search.socket_is_podman:
            why += (
                f"; {_socket_words(search.socket_is_podman)} is Podman's socket, so dlbox uses the "
                "podman CLI (podman build), never the Docker client against it"
            )
            if url:
                why += f" (`podman --url {url}`, as CONTAINER_HOST={url} would)"
            elif not note and _elsewhere(search.socket_is_podman, data):
                note = (
                    f" (that socket is not this podman's own {_own_socket(data)}: set "
                    f"CONTAINER_HOST={search.socket_is_podman} to use that service)"
                )
            why += note
        return engine, why
    return None, "; ".join(reasons)


def _own_socket(data: object) -> str:
    """The socket of the Podman service this podman CLI talks to (`podman info`)."""
    host = data.get("host") if isinstance(data, dict) else None
    remote = host.get("remoteSocket") if isinstance(host, dict) else None
    return str(remote.get("path", "")) if isinstance(remote, dict) else ""


def find_docker_like(kind: str, explicit: str | None = None) -> tuple[DockerEngine | None, str]:
    """The engine of this kind whose daemon answers, and why it was chosen (or why none was)."""
    if kind == "podman":
        return find_podman()
    engine, why = find_docker(explicit)
    return (engine, _docker_reason(engine, explicit)) if engine is not None else (None, why)


APPLE_SILICON_REASON = (
    "on Apple silicon, auto picks the local engine: PyTorch uses the Mac's GPU (MPS) there, while "
    "containers under Docker Desktop have no GPU (`--engine docker` uses Docker anyway)"
)


def is_apple_silicon(system: str | None = None, machine: str | None = None) -> bool:
    import platform

    system = platform.system() if system is None else system
    machine = platform.machine() if machine is None else machine
    return system == "Darwin" and machine in ("arm64", "aarch64")


def select_engine(
    preference: str = "auto",
    docker_client: str | None = None,
    kinds: Sequence[str] = ("docker", "podman"),
    apple_silicon: bool | None = None,
) -> EngineChoice:
    """The engine to use and why. apple_silicon: None asks this machine (tests pass a value)."""
    if preference not in ENGINE_CHOICES:
        raise EngineUnavailable(
            f"Unknown engine {preference!r}.", f"Choose one of: {', '.join(ENGINE_CHOICES)}."
        )
    if preference == "local":
        return EngineChoice(None, "local", "asked for the local engine (no containers)")
    if preference == "auto" and (is_apple_silicon() if apple_silicon is None else apple_silicon):
        return EngineChoice(None, "local", APPLE_SILICON_REASON)
    wanted = list(kinds) if preference == "auto" else [preference]
    search = Search()
    notes: list[str] = []
    docker: DockerEngine | None = None
    if "docker" in wanted:
        docker, why = find_docker(docker_client, search)
        podman_first = bool(search.docker_is_podman or search.socket_is_podman)
        if docker is not None and not podman_first:
            return EngineChoice(docker, "docker", _docker_reason(docker, docker_client), notes)
        if preference == "docker":
            hint = (
                "Use `--engine podman` (dlbox drives Podman with its own CLI)."
                if podman_first
                else unreachable_hint("docker", why)
            )
            raise EngineUnavailable(f"The docker engine is not usable: {why}.", hint)
        notes.append(f"docker: {why}" if docker is None else f"docker: also {docker.title}")
    if "podman" in wanted:
        podman, why = find_podman(search)
        if podman is not None:
            return EngineChoice(podman, "podman", why, notes)
        if preference == "podman":
            raise EngineUnavailable(
                f"The podman engine is not usable: {why}.", unreachable_hint("podman", why)
            )
        notes.append(f"podman: {why}")
    if "docker" in wanted and docker is not None:  # Podman posed as Docker but does not answer
        return EngineChoice(docker, "docker", _docker_reason(docker, docker_client), notes)
    return EngineChoice(
        None, "local", "no container engine answers (" + "; ".join(notes) + ")", notes
    )

"""An engine for the sessions a session folder names, made without asking any daemon first
(`dlbox ps`, `stop`, `logs`): Docker answers through its API socket (its CLI when the socket is
not usable), Podman through its CLI, the local engine from its records. Detection (detect.py)
probes clients and daemons; listing the sessions of an engine that is known needs none of that."""

from __future__ import annotations

from dlbox.engines.base import Engine
from dlbox.engines.clients import candidate_clients
from dlbox.engines.docker import BuildKitSupport, DockerEngine

NOT_PROBED = BuildKitSupport("none", "not probed: this engine lists and stops sessions only")


def session_engine(kind: str, docker_client: str | None = None) -> Engine | None:
    """The engine of this kind ("docker", "podman", "local"); None when no client of it is
    installed or the kind is unknown."""
    if kind == "local":
        from dlbox.engines.local import LocalEngine

        return LocalEngine()
    if kind not in ("docker", "podman"):
        return None
    clients = candidate_clients(kind, docker_client if kind == "docker" else None)
    if not clients:
        return None
    if kind == "podman":
        from dlbox.engines.podman import PodmanEngine, docker_host_service

        return PodmanEngine(clients[0], url=docker_host_service())
    from dlbox.engines.docker_api import api_from_env

    return DockerEngine(clients[0], NOT_PROBED, api=api_from_env())

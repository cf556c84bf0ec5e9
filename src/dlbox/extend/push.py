"""`dlbox build --push REF`: tag the built image as REF and push it, with a failure that names
the fix (log in, reach the registry, name it right) instead of the engine's raw output."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlbox import process
from dlbox.engines.docker import DockerEngine
from dlbox.errors import DlboxError, ProcessError, UsageError

PUSH_TIMEOUT = 3600.0
# [registry[:port]/]path[:tag][@digest], path components lowercase.
_REF = re.compile(
    r"^(?:(?P<registry>[A-Za-z0-9.-]+(?::[0-9]+)?)/)?"
    r"(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?$"
)


class PushError(DlboxError):
    """The registry refused the image or could not be reached."""


@dataclass(frozen=True)
class PushResult:
    ref: str
    registry: str
    source: str

    def to_dict(self) -> dict[str, object]:
        return {"ref": self.ref, "registry": self.registry, "source": self.source}


def registry_of(ref: str) -> str:
    """The registry host a reference points at (Docker Hub when the first part is no host)."""
    first, sep, _ = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def check_ref(ref: str) -> str:
    first = ref.split("/", 1)[0]
    if not _REF.match(ref) or (registry_of(ref) == "docker.io" and not first.islower()):
        raise UsageError(
            f"--push {ref!r} is not an image reference.",
            "Use REGISTRY/NAME:TAG in lowercase, e.g. ghcr.io/you/fastai-env:1 or "
            "localhost:5000/fastai-env:latest.",
        )
    return ref


def push_hint(stderr: str, ref: str) -> str:
    """The one thing to do, from what `docker push` said."""
    registry = registry_of(ref)
    low = stderr.lower()
    if any(w in low for w in ("denied", "unauthorized", "authentication required", "forbidden")):
        extra = (
            " On Docker Hub the name must start with your user name (docker.io/USER/NAME)."
            if registry == "docker.io"
            else ""
        )
        return f"Log in with `docker login {registry}` and check you may push to {ref}.{extra}"
    if "http response to https client" in low:
        return (
            f"{registry} speaks plain HTTP: add it to the engine's insecure-registries "
            "(/etc/docker/daemon.json) and restart the engine, or serve it with TLS."
        )
    if any(
        w in low
        for w in (
            "no such host",
            "connection refused",
            "dial tcp",
            "i/o timeout",
            "network is unreachable",
            "timeout",
            "tls",
            "certificate",
        )
    ):
        return (
            f"The registry {registry} cannot be reached from this machine: check its address "
            "and the network (a local test registry: `docker run -d -p 5000:5000 registry:2`, "
            "then --push localhost:5000/NAME:TAG)."
        )
    if "invalid reference format" in low or "repository name must be lowercase" in low:
        return "Use REGISTRY/NAME:TAG in lowercase."
    return f"Read the engine's message above; then push again with `docker push {ref}`."


def push_image(engine: DockerEngine, source: str, ref: str) -> PushResult:
    """`docker tag SOURCE REF` then `docker push REF`."""
    check_ref(ref)
    try:
        process.run([*engine.command, "tag", source, ref], timeout=60)
    except ProcessError as exc:
        raise PushError(
            f"Could not tag {source} as {ref}: {exc.stderr_tail.strip() or exc.message}.",
            push_hint(exc.stderr_tail, ref),
        ) from exc
    try:
        process.run([*engine.command, "push", ref], timeout=PUSH_TIMEOUT)
    except ProcessError as exc:
        said = (exc.stderr_tail.strip().splitlines() or [exc.message])[-1]
        raise PushError(
            f"Pushing {ref} to {registry_of(ref)} failed: {said}",
            push_hint(exc.stderr_tail, ref),
        ) from exc
    return PushResult(ref, registry_of(ref), source)

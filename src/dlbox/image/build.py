"""`dlbox build`: make sure the environment image for a spec exists, building it only if needed."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from dlbox import paths
from dlbox.engines.base import BuildRequest, Engine, EnvironmentRequest, ProvidesEnvironment
from dlbox.engines.docker import DockerEngine
from dlbox.environment.lockset import normalize_arch
from dlbox.errors import BuildError, EngineUnavailable
from dlbox.image.ca import CaBundle
from dlbox.image.context import BuildContext, build_context
from dlbox.image.render import CA_SECRET_ID
from dlbox.image.spec import EnvSpec

RELEVANT_LINES = 12
_ERROR_MARKERS = (
    "error",
    "failed",
    "no matching distribution",
    "hash mismatch",
    "unable to",
    "not found",
    "could not",
    "because",
    "conflict",
    "denied",
    "no space left",
)


@dataclass(frozen=True)
class BuildOptions:
    spec: EnvSpec = field(default_factory=EnvSpec)
    ca: CaBundle = field(default_factory=lambda: CaBundle(None, "none"))
    network: str | None = "host"
    rebuild: bool = False
    no_cache: bool = False


@dataclass(frozen=True)
class BuildResult:
    tag: str
    spec_hash: str
    built: bool  # False: the image already existed (no-op)
    seconds: float
    log_path: Path | None
    versions: dict[str, str]
    ca_source: str
    image_id: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "tag": self.tag,
            "spec_hash": self.spec_hash,
            "built": self.built,
            "seconds": round(self.seconds, 2),
            "log_path": str(self.log_path) if self.log_path else None,
            "versions": self.versions,
            "ca_source": self.ca_source,
            "image_id": self.image_id,
        }


def relevant_lines(log_lines: list[str], limit: int = RELEVANT_LINES) -> list[str]:
    """The few lines of a failed BuildKit log that say why: error-looking lines near the end."""
    tail = log_lines[-200:]
    picked = [ln for ln in tail if any(m in ln.lower() for m in _ERROR_MARKERS)]
    if not picked:
        picked = tail[-limit:]
    return [ln[:300] for ln in picked[-limit:]]


def failure_hint(lines: list[str], ca: CaBundle, cli: str = "docker") -> str:
    text = "\n".join(lines).lower()
    if "certificate" in text or "ssl" in text or "tls" in text:
        hint = "HTTPS failed inside the build: pass your proxy's CA with --ca-bundle PATH"
        return hint + (f" (dlbox used {ca.path} from {ca.source})." if ca.path else ".")
    if "temporary failure in name resolution" in text or "could not resolve" in text:
        return (
            "The build could not reach the network: build with host networking "
            "(`dlbox config set build_network host`, the default; `dlbox build --network host`)."
        )
    if "no space left" in text:
        return f"The engine ran out of disk: free space (`{cli} system prune`) and retry."
    if (
        "pull access denied" in text
        or "not found: manifest unknown" in text
        or "failed to resolve source metadata" in text
    ):
        return "The base image is not present and cannot be pulled: load or import it first."
    return "Read the full log named above; rerun with --rebuild once the cause is fixed."


def resolve_spec(engine: DockerEngine, spec: EnvSpec) -> EnvSpec:
    """Fill in what only the engine knows: its CPU architecture and the base image's ID."""
    arch = normalize_arch(engine.architecture())
    base_id = engine.image_id(spec.base_image) or ""
    return replace(spec, arch=arch, base_image_id=base_id)


def plan(engine: DockerEngine, spec: EnvSpec) -> BuildContext:
    return build_context(resolve_spec(engine, spec))


def ensure_image(
    engine: DockerEngine,
    options: BuildOptions,
    on_line: Callable[[str], None] = lambda _line: None,
) -> BuildResult:
    start = time.monotonic()
    context = plan(engine, options.spec)
    existing = None if options.rebuild else engine.image_id(context.tag)
    if existing is not None:
        return BuildResult(
            context.tag,
            context.spec_hash,
            False,
            time.monotonic() - start,
            None,
            context.versions,
            options.ca.source,
            existing,
        )
    if not engine.buildkit.available:
        raise EngineUnavailable(
            f"Cannot build: {engine.buildkit.detail}. dlbox needs BuildKit (cache and secret "
            "mounts); a legacy build would silently drop the CA secret.",
            "Install the buildx plugin (Debian/Ubuntu: `apt-get install docker-buildx`, or "
            "docker-buildx-plugin from Docker's repository), or point dlbox at a client that has "
            "it with `--docker-client PATH`.",
        )
    log_path = paths.logs_dir() / f"build-{context.spec_hash}-{int(time.time())}.log"
    secrets = ((CA_SECRET_ID, options.ca.path),) if options.ca.path else ()
    tail: list[str] = []

    def collect(line: str) -> None:
        tail.append(line)
        if len(tail) > 400:
            del tail[:200]
        on_line(line)

    with tempfile.TemporaryDirectory(prefix="dlbox-build-") as tmp:
        request = BuildRequest(
            context_dir=context.write(Path(tmp)),
            tag=context.tag,
            secrets=secrets,
            network=options.network,
            no_cache=options.no_cache,
        )
        code = engine.build(request, collect, log_path)
    if code != 0:
        lines = relevant_lines(tail)
        raise BuildError(
            f"Building {context.tag} failed (exit code {code}).",
            relevant=lines,
            log_path=log_path,
            hint=failure_hint(lines, options.ca, engine.name),
        )
    return BuildResult(
        context.tag,
        context.spec_hash,
        True,
        time.monotonic() - start,
        log_path,
        context.versions,
        options.ca.source,
        engine.image_id(context.tag),
    )


def environment_request(options: BuildOptions) -> EnvironmentRequest:
    """The build options as an engine that makes its own environment (a venv) sees them."""
    extras = options.spec.extras
    return EnvironmentRequest(
        pip=extras.pip,
        extra_index_urls=extras.extra_index_urls,
        container_only_extras=bool(extras.apt or extras.dockerfile),
        rebuild=options.rebuild,
        ca_file=options.ca.path,
        cuda_line=options.spec.cuda_line,
    )


def planned_environment(engine: Engine, options: BuildOptions) -> tuple[str, bool]:
    """(tag, present): what `ensure_environment` would give, without building anything."""
    if isinstance(engine, ProvidesEnvironment):
        return engine.planned_environment(environment_request(options))
    if not isinstance(engine, DockerEngine):  # pragma: no cover - every other engine is one
        raise TypeError(f"engine {engine.name!r} can neither build images nor make a venv")
    context = plan(engine, options.spec)
    return context.tag, engine.image_id(context.tag) is not None


def ensure_environment(
    engine: Engine,
    options: BuildOptions,
    on_line: Callable[[str], None] = lambda _line: None,
) -> BuildResult:
    """The environment `up`/`run` start from: the image for container engines, the venv for the
    local engine. The result's tag is what ContainerSpec.image names either way."""
    if isinstance(engine, ProvidesEnvironment):
        made = engine.prepare_environment(environment_request(options), on_line)
        return BuildResult(
            tag=made.ref,
            spec_hash=made.digest,
            built=made.built,
            seconds=made.seconds,
            log_path=made.log_path,
            versions=made.versions,
            ca_source=options.ca.source,
            image_id=made.digest,
        )
    if not isinstance(engine, DockerEngine):  # pragma: no cover - every other engine is one
        raise TypeError(f"engine {engine.name!r} can neither build images nor make a venv")
    return ensure_image(engine, options, on_line)

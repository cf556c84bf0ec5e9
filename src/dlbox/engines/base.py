"""The small protocol every engine implements, and the plain data that crosses it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from dlbox.gpu.lines import DEFAULT_LINE


@dataclass(frozen=True)
class Mount:
    source: Path
    target: str
    read_only: bool = False


@dataclass(frozen=True)
class PortBinding:
    host_ip: str
    host_port: int
    container_port: int


@dataclass(frozen=True)
class GpuRequest:
    """Which GPUs a container gets, and through which mechanism (chosen by a probe)."""

    mode: str = "none"  # "none" | "gpus" (docker --gpus) | "cdi" | "runtime"
    devices: tuple[str, ...] = ()  # () means all

    @property
    def enabled(self) -> bool:
        return self.mode != "none"


@dataclass(frozen=True)
class ContainerSpec:
    """Everything needed to start one environment container; engines turn it into their argv."""

    name: str
    image: str
    command: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    ports: tuple[PortBinding, ...] = ()
    user: str | None = None  # "UID:GID"
    workdir: str | None = None
    shm_size_bytes: int | None = None
    ipc_host: bool = False
    gpu: GpuRequest = field(default_factory=GpuRequest)
    init: bool = True
    detach: bool = True
    remove: bool = False
    interactive: bool = False
    network: str | None = None


@dataclass(frozen=True)
class BuildRequest:
    context_dir: Path
    tag: str
    secrets: tuple[tuple[str, Path], ...] = ()  # (id, host file)
    network: str | None = None
    no_cache: bool = False
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class EnvironmentRequest:
    """What an engine that makes its own environment (the local engine) is asked for: the
    image's build options, reduced to what a venv can honour."""

    pip: tuple[str, ...] = ()  # the project's extra pip packages
    extra_index_urls: tuple[str, ...] = ()  # more package indexes for them
    container_only_extras: bool = False  # apt packages or Dockerfile lines were asked for
    rebuild: bool = False
    ca_file: Path | None = None
    cuda_line: str = DEFAULT_LINE  # which CUDA line's lock (macOS: always the default line's)


@dataclass(frozen=True)
class PreparedEnvironment:
    """The environment an engine made (or found): `ref` is what ContainerSpec.image names."""

    ref: str
    digest: str
    built: bool  # False: it existed already
    seconds: float
    log_path: Path | None
    versions: dict[str, str]


@dataclass(frozen=True)
class ContainerInfo:
    name: str
    id: str
    image: str
    state: str  # running | exited | created | dead ...
    labels: dict[str, str]
    started_at: str = ""

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass(frozen=True)
class ImageInfo:
    """One image in an engine's store, as every engine reports it (Podman's `localhost/` prefix
    for unqualified names is removed, so refs compare equal across engines)."""

    repository: str
    tag: str
    id: str
    size: int | None = None

    @property
    def ref(self) -> str:
        return f"{self.repository}:{self.tag}"


@dataclass(frozen=True)
class UserMapping:
    """How an engine makes what the container writes in /code and /data the invoking user's on
    the host: the run flags, whether processes are uid 0 inside (Jupyter then needs --allow-root,
    though that root is the host user, not real root), and the rule in words (--explain)."""

    argv: tuple[str, ...]
    root_inside: bool
    explanation: str


@dataclass(frozen=True)
class ProbeOutcome:
    """One GPU probe container: did this mode expose a GPU, and what did the engine say."""

    mode: str
    ok: bool
    gpus: tuple[str, ...] = ()
    message: str = ""
    transient: bool = False  # e.g. the probe timed out: says nothing lasting, never cached


class Engine(Protocol):
    """What dlbox needs from a container engine. Callers never branch on the engine's name."""

    name: str

    @property
    def probe_modes(self) -> tuple[str, ...]:
        """The GPU mechanisms this engine probes for, in order (gpus.MODE_FLAGS, host modes)."""
        ...

    def describe(self) -> dict[str, object]: ...

    def image_exists(self, ref: str) -> bool: ...

    def image_id(self, ref: str) -> str | None: ...

    def architecture(self) -> str: ...

    def run_argv(self, spec: ContainerSpec) -> list[str]: ...

    def user_mapping(self, user: str | None) -> UserMapping:
        """This engine mode's rule for running as the host user `user` ("UID:GID")."""
        ...

    def start(self, spec: ContainerSpec) -> str: ...

    def run_streaming(
        self,
        spec: ContainerSpec,
        on_line: Callable[[str], None],
        log_path: Path | None,
        timeout: float | None,
    ) -> int:
        """Run spec in the foreground to its end, each output line to on_line; the exit code."""
        ...

    def run_interactive(self, spec: ContainerSpec) -> int:
        """Run spec attached to the user's terminal (`dlbox run`); the exit code."""
        ...

    def environment_path(self, path: str, spec: ContainerSpec) -> str:
        """Where a path of the environment (/code, /data, a mount target) is for the processes
        started from spec: the same path inside a container, the host folder without one."""
        ...

    def limitations(self, spec: ContainerSpec) -> list[str]:
        """What of spec this engine cannot honour, in words (nothing, for container engines)."""
        ...

    def containers(self, labels: Sequence[str]) -> list[ContainerInfo]: ...

    def inspect_container(self, name: str) -> ContainerInfo | None: ...

    def remove(self, name: str) -> None: ...

    def logs_argv(self, name: str, follow: bool, tail: int | None) -> list[str]: ...

    def logs(self, name: str, tail: int | None = None) -> str: ...

    def exec_argv(
        self, name: str, command: Sequence[str], user: str | None, tty: bool
    ) -> list[str]: ...

    def probe_gpus(self, image: str) -> list[ProbeOutcome]: ...

    def gpu_facts(self) -> dict[str, object]:
        """What besides the driver decides the GPU probe's answer (the engine's runtimes, its
        CDI folders): part of the probe cache's key."""
        ...


@runtime_checkable
class BuildsImages(Protocol):
    """Building images is its own small interface: Docker and Podman have it (with BuildKit or
    Buildah), the local engine does not (it makes a venv: ProvidesEnvironment)."""

    name: str

    def architecture(self) -> str: ...

    def image_id(self, ref: str) -> str | None: ...

    def build(
        self, request: BuildRequest, on_line: Callable[[str], None], log_path: Path
    ) -> int: ...


@runtime_checkable
class ProvidesEnvironment(Protocol):
    """An engine that makes its own environment instead of building an image (the local engine:
    a venv from the lock). `ensure_environment` asks it; image engines get `ensure_image`."""

    def prepare_environment(
        self, request: EnvironmentRequest, on_line: Callable[[str], None]
    ) -> PreparedEnvironment: ...

    def planned_environment(self, request: EnvironmentRequest) -> tuple[str, bool]:
        """(the environment's name, whether it exists already), building nothing."""
        ...

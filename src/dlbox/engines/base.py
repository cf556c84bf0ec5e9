"""The small protocol every engine implements, and the plain data that crosses it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from dlbox.image.build import BuildOptions, BuildResult


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

    def describe(self) -> dict[str, object]: ...

    def image_exists(self, ref: str) -> bool: ...

    def image_id(self, ref: str) -> str | None: ...

    def architecture(self) -> str: ...

    def build(
        self, request: BuildRequest, on_line: Callable[[str], None], log_path: Path
    ) -> int: ...

    def run_argv(self, spec: ContainerSpec) -> list[str]: ...

    def start(self, spec: ContainerSpec) -> str: ...

    def run_to_completion(self, spec: ContainerSpec, timeout: float) -> tuple[int, str]: ...

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

    def inspect_container(self, name: str) -> dict[str, object] | None: ...

    def remove(self, name: str) -> None: ...

    def logs_argv(self, name: str, follow: bool, tail: int | None) -> list[str]: ...

    def logs(self, name: str, tail: int | None = None) -> str: ...

    def exec_argv(
        self, name: str, command: Sequence[str], user: str | None, tty: bool
    ) -> list[str]: ...

    def probe_gpus(self, image: str) -> list[ProbeOutcome]: ...


@runtime_checkable
class ProvidesEnvironment(Protocol):
    """An engine that makes its own environment instead of building an image (the local engine:
    a venv from the lock). `ensure_environment` asks it; image engines get `ensure_image`."""

    def prepare_environment(
        self, options: BuildOptions, on_line: Callable[[str], None]
    ) -> BuildResult: ...

    def planned_environment(self, options: BuildOptions) -> tuple[str, bool]:
        """(the environment's name, whether it exists already), building nothing."""
        ...

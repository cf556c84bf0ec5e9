"""Everything the doctor's checks learn from the outside world comes through a `Facts` object:
the environment, the settings, the engine choice, subprocesses, files, ports, disks and HTTP.
Tests replace any of these seams with fakes. Lookups several checks share (settings, the engine,
the driver, the image plan) run once, even when checks run concurrently."""

from __future__ import annotations

import os
import platform
import shutil
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar, cast

from dlbox import process
from dlbox.config import Settings, load_settings
from dlbox.engines import detect
from dlbox.engines.base import ImageInfo
from dlbox.engines.detect import ClientProbe, EngineChoice
from dlbox.engines.docker import DockerEngine
from dlbox.gpu.driver import read_text_or_none, run_unchecked
from dlbox.image.context import BuildContext
from dlbox.image.spec import IMAGE_REPOSITORY, EnvSpec
from dlbox.launch.ports import PortStatus, port_status
from dlbox.launch.shm import host_memory_bytes

T = TypeVar("T")
RunFn = Callable[[Sequence[str], float], process.Completed]
WSL_NVIDIA_SMI = "/usr/lib/wsl/lib/nvidia-smi"


def _disk_usage(path: Path) -> tuple[int, int, int]:
    usage = shutil.disk_usage(path)
    return usage.total, usage.used, usage.free


def _http_get(url: str, timeout: float, ca_file: Path | None) -> int:
    """HTTP status of a GET (proxies from the environment, the CA bundle when given)."""
    import httpx

    verify: ssl.SSLContext | bool = True
    if ca_file is not None:
        verify = ssl.create_default_context(cafile=str(ca_file))
    with httpx.Client(timeout=timeout, verify=verify, trust_env=True) as client:
        return client.get(url, follow_redirects=True).status_code


def _session_ports(engine: DockerEngine | None) -> dict[int, str]:
    """Host port -> name of this user's running dlbox sessions (the container engine's and the
    local engine's), so that the port check does not mistake dlbox's own Jupyter for a stranger."""
    from dlbox.engines.local import LocalEngine
    from dlbox.errors import DlboxError
    from dlbox.launch.sessions import list_sessions

    found: dict[int, str] = {}
    for each in (engine, LocalEngine()):
        if each is None:
            continue
        try:
            found.update({s.port: s.name for s in list_sessions(each) if s.running and s.port})
        except (DlboxError, OSError):
            continue
    return found


def _probe_clients(kind: str, explicit: str | None) -> list[tuple[str, ClientProbe | None]]:
    return [(path, detect.probe_client(path)) for path in detect.candidate_clients(kind, explicit)]


@dataclass
class Facts:
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    flags: Mapping[str, object] = field(default_factory=dict)
    cwd: Path | None = None
    system: str = field(default_factory=platform.system)
    machine: str = field(default_factory=platform.machine)
    release: str = field(default_factory=platform.release)
    run: RunFn = run_unchecked
    read_text: Callable[[Path], str | None] = read_text_or_none
    disk_usage: Callable[[Path], tuple[int, int, int]] = _disk_usage
    http_get: Callable[[str, float, Path | None], int] = _http_get
    memory_bytes: Callable[[], int] = host_memory_bytes
    port_status: Callable[[str, int], PortStatus] = port_status
    session_ports: Callable[[DockerEngine | None], dict[int, str]] = _session_ports
    choose_engine: Callable[[str, str | None], EngineChoice] = detect.select_engine
    probe_clients: Callable[[str, str | None], list[tuple[str, ClientProbe | None]]] = (
        _probe_clients
    )
    load: Callable[[Mapping[str, object], Mapping[str, str], Path | None], Settings] = field(
        default=lambda flags, environ, cwd: load_settings(flags, environ=environ, cwd=cwd)
    )
    _memo: dict[str, tuple[bool, Any]] = field(default_factory=dict, init=False, repr=False)
    _locks: dict[str, threading.Lock] = field(default_factory=dict, init=False, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    # -- sharing ---------------------------------------------------------------------------------
    def once(self, key: str, compute: Callable[[], T]) -> T:
        """compute() the first time `key` is asked for; later (and concurrent) askers wait for and
        get the same value, or the same exception raised again."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                try:
                    self._memo[key] = (True, compute())
                except Exception as exc:  # replayed to every asker
                    self._memo[key] = (False, exc)
            ok, value = self._memo[key]
        if not ok:
            raise cast(Exception, value)
        return cast(T, value)

    def which(self, name: str) -> str | None:
        return shutil.which(name, path=self.environ.get("PATH", os.defpath))

    # -- shared lookups --------------------------------------------------------------------------
    def settings(self) -> Settings:
        return self.once("settings", lambda: self.load(self.flags, self.environ, self.cwd))

    def engine_preference(self) -> tuple[str, str | None]:
        try:
            cfg = self.settings()
        except Exception:  # the config check reports it; engines use defaults
            return "auto", None
        return str(cfg["engine"]), (str(cfg["docker_client"]) or None)

    def engine_choice(self) -> EngineChoice:
        return self.once("engine", lambda: self.choose_engine(*self.engine_preference()))

    def engine(self) -> DockerEngine | None:
        try:
            return self.engine_choice().container
        except Exception:  # the engine check reports why
            return None

    @property
    def is_wsl(self) -> bool:
        text = self.read_text(Path("/proc/version")) or ""
        return self.system == "Linux" and "microsoft" in text.lower()

    def nvidia_smi(self) -> str | None:
        found = self.which("nvidia-smi")
        if found is None and self.is_wsl and os.path.exists(WSL_NVIDIA_SMI):
            found = WSL_NVIDIA_SMI
        return found

    def env_spec(self) -> EnvSpec:
        from dlbox.extend.project_image import env_spec

        return env_spec(self.settings())

    def build_context(self) -> BuildContext:
        """What `dlbox build`/`up` would build now (from the lock, extras and the base image)."""

        def compute() -> BuildContext:
            from dlbox.image.build import plan

            engine = self.engine()
            if engine is None:
                raise RuntimeError("no container engine")
            return plan(engine, self.env_spec())

        return self.once("plan", compute)

    def current_tag(self) -> str:
        return self.build_context().tag

    def dlbox_images(self) -> list[ImageInfo]:
        def compute() -> list[ImageInfo]:
            engine = self.engine()
            return engine.images(IMAGE_REPOSITORY) if engine else []

        return self.once("images", compute)

    def current_image_present(self) -> bool:
        try:
            tag = self.current_tag()
        except Exception:
            return False
        return any(i.ref == tag for i in self.dlbox_images())

    def with_changes(self, **changes: Any) -> Facts:
        """A copy with some seams replaced and nothing shared yet (tests)."""
        return replace(self, **changes)

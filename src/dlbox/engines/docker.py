"""The Docker CLI engine, rootful or rootless (the base of the Podman engine, whose CLI takes the
same run/ps/inspect/logs/exec commands).

Only argv lists, through dlbox.process. Each engine owns its own GPU and user flags, and its raw
JSON: callers get ContainerInfo, ImageInfo and EngineInfo.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dlbox import process
from dlbox.engines.base import (
    BuildRequest,
    ContainerInfo,
    ContainerSpec,
    ImageInfo,
    ProbeOutcome,
    UserMapping,
)
from dlbox.engines.gpus import PROBE_MODES, classify_probe_failure, gpu_argv, parse_gpu_list
from dlbox.errors import EngineError, ProcessError

if TYPE_CHECKING:
    from dlbox.engines.docker_api import DockerApi

INSPECT_TIMEOUT = 30.0
RUN_TIMEOUT = 120.0
PROBE_TIMEOUT = 60.0


@dataclass(frozen=True)
class BuildKitSupport:
    """How this client does BuildKit builds: 'buildx', 'env' (DOCKER_BUILDKIT=1) or 'none'."""

    mode: str
    detail: str

    @property
    def available(self) -> bool:
        return self.mode != "none"


@dataclass(frozen=True)
class EngineInfo:
    """What the daemon says about itself (learnt once, when the engine is found)."""

    rootless: bool = False
    storage_driver: str = ""
    store_root: str = ""  # where images live, on the engine's host
    endpoint: str = ""  # DOCKER_HOST or Podman's socket/URL; "" for the default
    # The facts the GPU probe's cache key needs (runtimes, default runtime, CDI spec folders),
    # read by the same `docker info` call; None when not read (gpu_facts() asks then).
    gpu: tuple[tuple[str, object], ...] | None = field(default=None, hash=False, compare=False)
    api_socket: str = ""  # Podman: its Docker-compatible API service's socket, when it exists

    @property
    def mode(self) -> str:
        return "rootless" if self.rootless else "rootful"


def gpu_facts_from_info(data: object) -> dict[str, object]:
    """The GPU-relevant part of `docker info --format '{{json .}}'` (Podman's too)."""
    if not isinstance(data, dict):
        return {}
    host = data.get("host") if isinstance(data.get("host"), dict) else {}
    oci = host.get("ociRuntime") if isinstance(host, dict) else None
    runtimes = data.get("Runtimes")
    return {
        "runtimes": sorted(runtimes) if isinstance(runtimes, dict) else [],
        "default_runtime": data.get("DefaultRuntime")
        or (oci.get("name") if isinstance(oci, dict) else None),
        "cdi_spec_dirs": data.get("CDISpecDirs"),
    }


def shm_flag(size: int) -> str:
    """Docker's --shm-size value: whole MiB when exact, else bytes."""
    mib = 1024 * 1024
    return f"{size // mib}m" if size % mib == 0 else f"{size}b"


class DockerEngine:
    """A container engine driven through a Docker-compatible CLI binary."""

    kind = "Docker"
    # GPU mechanisms this CLI has, in the order a probe tries them.
    probe_modes: tuple[str, ...] = PROBE_MODES
    remove_args: tuple[str, ...] = ("rm", "--force", "--volumes")
    # Why GPUs cannot be given through this engine's Docker API (the hub's DockerSpawner); "" when
    # they can (Docker: device requests).
    api_gpu_gap: str = ""

    def __init__(
        self,
        client: str,
        buildkit: BuildKitSupport,
        *,
        name: str = "docker",
        client_version: str = "",
        server_version: str = "",
        server_arch: str = "",
        info: EngineInfo | None = None,
        global_args: tuple[str, ...] = (),
        api: DockerApi | None = None,
    ):
        self.client = client
        # Options before the subcommand, on every call (Podman: `--url` for a service that
        # DOCKER_HOST names).
        self.global_args = global_args
        self.buildkit = buildkit
        self.name = name
        self.client_version = client_version
        self.server_version = server_version
        self.server_arch = server_arch
        self.info = info or EngineInfo()
        # The Engine API on the unix socket this client talks to (docker_api.py): containers are
        # listed and inspected through it, a few ms instead of a CLI process. None: the CLI.
        self.api = api

    def _api_failed(self) -> None:
        """The socket did not answer (permission, gone): the CLI answers from now on."""
        self.api = None

    @property
    def command(self) -> list[str]:
        """The client and its global options: what every engine call starts with."""
        return [self.client, *self.global_args]

    # -- facts ---------------------------------------------------------------------------------
    @property
    def title(self) -> str:
        """The engine mode in words: 'rootless Podman 4.3.1'."""
        return f"{self.info.mode} {self.kind} {self.server_version}".strip()

    def describe(self) -> dict[str, object]:
        return {
            "engine": self.name,
            "mode": self.info.mode,
            "rootless": self.info.rootless,
            "title": self.title,
            "client": self.client,
            "client_version": self.client_version,
            "server_version": self.server_version,
            "storage_driver": self.info.storage_driver,
            "endpoint": self.info.endpoint,
            "buildkit": self.buildkit.mode,
            "buildkit_detail": self.buildkit.detail,
        }

    def docker_api(self) -> str:
        """The Docker API that Docker-API clients (the hub's DockerSpawner) use for this engine:
        DOCKER_HOST, or "" for the client's default socket."""
        return self.info.endpoint

    def _run(
        self,
        args: Sequence[str],
        timeout: float = INSPECT_TIMEOUT,
        check: bool = True,
        input_text: str | None = None,
    ) -> process.Completed:
        return process.run(
            [*self.command, *args],
            timeout=timeout,
            check=check,
            input_text=input_text,
            error_type=EngineError,
        )

    def image_id(self, ref: str) -> str | None:
        api = self.api
        if api is not None:
            from dlbox.engines.docker_api import ApiUnavailable

            try:
                return api.image_id(ref)
            except ApiUnavailable:
                self._api_failed()
        done = self._run(["image", "inspect", "--format", "{{.Id}}", ref], check=False)
        return done.stdout.strip() or None if done.returncode == 0 else None

    def image_exists(self, ref: str) -> bool:
        return self.image_id(ref) is not None

    def image_labels(self, ref: str) -> dict[str, str]:
        done = self._run(
            ["image", "inspect", "--format", "{{json .Config.Labels}}", ref], check=False
        )
        if done.returncode != 0:
            return {}
        return json.loads(done.stdout.strip() or "{}") or {}

    def image_size(self, ref: str) -> int | None:
        done = self._run(["image", "inspect", "--format", "{{.Size}}", ref], check=False)
        text = done.stdout.strip()
        return int(text) if done.returncode == 0 and text.isdigit() else None

    def images(self, repository: str) -> list[ImageInfo]:
        """Docker prints one JSON object a line (Repository, Tag, ID)."""
        done = self._run(["image", "ls", repository, "--format", "{{json .}}"])
        found = []
        for line in done.stdout.splitlines():
            if line.strip():
                item = json.loads(line)
                found.append(ImageInfo(item["Repository"], item["Tag"], item.get("ID", "")))
        return found

    def architecture(self) -> str:
        """The daemon's CPU architecture (known from the ping that found the engine)."""
        if not self.server_arch:
            done = self._run(["version", "--format", "{{.Server.Arch}}"])
            self.server_arch = done.stdout.strip()
        return self.server_arch

    def gpu_facts(self) -> dict[str, object]:
        """What decides whether containers get a GPU, besides the driver: the OCI runtimes the
        engine has (nvidia: the toolkit), its default one, and where it reads CDI specs. Part of
        the GPU probe's cache key, so installing or removing the toolkit is noticed."""
        if self.info.gpu is not None:  # read with the engine's other facts: no second call
            return dict(self.info.gpu)
        try:
            done = self._run(["info", "--format", "{{json .}}"], check=False)
            data = json.loads(done.stdout or "{}")
        except (ProcessError, ValueError) as exc:
            return {"error": str(exc)[:200]}
        return gpu_facts_from_info(data)

    # -- build ---------------------------------------------------------------------------------
    def build_argv(self, request: BuildRequest) -> tuple[list[str], dict[str, str]]:
        """The build command and the environment it needs (argv snapshots test this)."""
        if self.buildkit.mode == "buildx":
            argv = [*self.command, "buildx", "build", "--load"]
            env: dict[str, str] = {}
        else:
            argv = [*self.command, "build"]
            env = {"DOCKER_BUILDKIT": "1"}
        return [*argv, *build_flags(request)], env

    def build(self, request: BuildRequest, on_line: Callable[[str], None], log_path: Path) -> int:
        argv, env = self.build_argv(request)
        return process.stream(argv, on_line=on_line, log_path=log_path, env=env)

    # -- containers ----------------------------------------------------------------------------
    def run_argv(self, spec: ContainerSpec) -> list[str]:
        argv = [*self.command, "run"]
        if spec.detach:
            argv.append("--detach")
        if spec.remove:
            argv.append("--rm")
        if spec.interactive:
            argv += ["--interactive", "--tty"]
        argv += ["--name", spec.name]
        if spec.init:
            argv.append("--init")
        argv += self.user_mapping(spec.user).argv
        if spec.workdir:
            argv += ["--workdir", spec.workdir]
        if spec.ipc_host:
            argv += ["--ipc", "host"]
        elif spec.shm_size_bytes:
            argv += ["--shm-size", shm_flag(spec.shm_size_bytes)]
        if spec.network:
            argv += ["--network", spec.network]
        argv += gpu_argv(spec.gpu)
        for port in spec.ports:
            ip = f"[{port.host_ip}]" if ":" in port.host_ip else port.host_ip  # Podman needs []
            argv += ["--publish", f"{ip}:{port.host_port}:{port.container_port}"]
        for mount in spec.mounts:
            opt = f"type=bind,source={mount.source},target={mount.target}"
            argv += ["--mount", opt + (",readonly" if mount.read_only else "")]
        for key, value in spec.env:
            argv += ["--env", f"{key}={value}"]
        for key, value in spec.labels:
            argv += ["--label", f"{key}={value}"]
        argv.append(spec.image)
        argv += list(spec.command)
        return argv

    def user_mapping(self, user: str | None) -> UserMapping:
        if self.info.rootless and user:
            # --user UID:GID here is a subordinate id on the host ("Permission denied" in /code),
            # and so is the image's own non-root user: run as container root, which is you.
            return UserMapping(
                ("--user", "0:0"),
                True,
                "rootless Docker: root in the container is you on the host (the daemon's user "
                "namespace maps uid 0 to your uid), so files made in /code and /data are yours",
            )
        if not user:
            return UserMapping((), False, "the image's default user")
        return UserMapping(
            ("--user", user),
            user.split(":", 1)[0] == "0",
            f"--user {user}: the container runs as you, so files it makes are yours",
        )

    def start(self, spec: ContainerSpec) -> str:
        done = self._run(self.run_argv(spec)[len(self.command) :], timeout=RUN_TIMEOUT)
        return done.stdout.strip()

    def run_streaming(
        self,
        spec: ContainerSpec,
        on_line: Callable[[str], None],
        log_path: Path | None,
        timeout: float | None,
    ) -> int:
        return process.stream(
            self.run_argv(spec), on_line=on_line, log_path=log_path, timeout=timeout
        )

    def run_interactive(self, spec: ContainerSpec) -> int:
        return process.interactive(self.run_argv(spec))

    def environment_path(self, path: str, spec: ContainerSpec) -> str:
        return path  # the container sees its own paths

    def limitations(self, spec: ContainerSpec) -> list[str]:
        return []

    def containers(self, labels: Sequence[str]) -> list[ContainerInfo]:
        api = self.api
        if api is not None:
            from dlbox.engines.docker_api import ApiUnavailable

            try:
                found = (api.inspect(i) for i in api.container_ids(labels))
                return [self._container(item) for item in found if item is not None]
            except ApiUnavailable:
                self._api_failed()
        args = ["ps", "--all", "--quiet", "--no-trunc"]
        for label in labels:
            args += ["--filter", f"label={label}"]
        ids = self._run(args).stdout.split()
        if not ids:
            return []
        done = self._run(["inspect", *ids], check=False)
        return [self._container(item) for item in json.loads(done.stdout or "[]")]

    def _container(self, item: dict[str, object]) -> ContainerInfo:
        config = item.get("Config")
        state = item.get("State")
        config = config if isinstance(config, dict) else {}
        state = state if isinstance(state, dict) else {}
        return ContainerInfo(
            name=str(item.get("Name", "")).lstrip("/"),
            id=str(item.get("Id", "")),
            image=self._image_name(str(config.get("Image", ""))),
            state=str(state.get("Status", "")),
            labels=dict(config.get("Labels") or {}),
            started_at=str(state.get("StartedAt", "")),
        )

    def _image_name(self, name: str) -> str:
        return name

    def inspect_container(self, name: str) -> ContainerInfo | None:
        api = self.api
        if api is not None:
            from dlbox.engines.docker_api import ApiUnavailable

            try:
                item = api.inspect(name)
                return None if item is None else self._container(item)
            except ApiUnavailable:
                self._api_failed()
        done = self._run(["inspect", "--type", "container", name], check=False)
        if done.returncode != 0:
            return None
        items = json.loads(done.stdout)
        return self._container(items[0]) if items else None

    def remove(self, name: str) -> None:
        self._run([*self.remove_args, name], check=False)

    def logs_argv(self, name: str, follow: bool, tail: int | None) -> list[str]:
        argv = [*self.command, "logs"]
        if follow:
            argv.append("--follow")
        if tail is not None:
            argv += ["--tail", str(tail)]
        return [*argv, name]

    def logs(self, name: str, tail: int | None = None) -> str:
        done = process.run(self.logs_argv(name, False, tail), check=False, timeout=INSPECT_TIMEOUT)
        return done.stdout + done.stderr

    def exec_argv(
        self, name: str, command: Sequence[str], user: str | None, tty: bool
    ) -> list[str]:
        # stdin always reaches the command (`echo CMD | dlbox shell` runs CMD, as the local
        # engine's bash does); a terminal gets a tty too.
        argv = [*self.command, "exec", "--interactive"]
        if tty:
            argv.append("--tty")
        mapped = self.user_mapping(user).argv
        if "--user" in mapped:  # the same user as the session (keep-id is fixed at run)
            argv += ["--user", mapped[mapped.index("--user") + 1]]
        return [*argv, name, *command]

    # -- GPUs ----------------------------------------------------------------------------------
    def probe_gpus(self, image: str) -> list[ProbeOutcome]:
        """Start a tiny container per GPU mode; a mode works if the container lists a GPU."""
        from dlbox.engines.base import GpuRequest

        outcomes = []
        for mode in self.probe_modes:
            spec = ContainerSpec(
                # Unique per call: concurrent `up`s must not collide on a probe's name.
                name=f"dlbox-gpu-probe-{mode}-{secrets.token_hex(4)}",
                image=image,
                # A shell inside the probe container (not on the host): nvidia-smi is injected by
                # the NVIDIA runtime hook; without it, the device nodes still tell.
                command=(
                    "sh",
                    "-c",
                    "nvidia-smi -L 2>/dev/null || ls /dev/nvidia[0-9]* 2>/dev/null",
                ),
                gpu=GpuRequest(mode=mode),
                detach=False,
                remove=True,
                init=False,
            )
            argv = self.run_argv(spec)
            argv.insert(argv.index("run") + 1, "--entrypoint=")
            try:
                done = process.run(argv, timeout=PROBE_TIMEOUT, check=False)
            except ProcessError as exc:
                # A timeout says nothing about GPUs: reported, but never cached.
                outcomes.append(ProbeOutcome(mode, False, (), exc.message, transient=True))
                continue
            finally:
                self._run([*self.remove_args, spec.name], check=False)
            gpus = parse_gpu_list(done.stdout)
            if done.returncode == 0 and gpus:
                outcomes.append(ProbeOutcome(mode, True, gpus, "GPU visible in the container"))
            else:
                outcomes.append(
                    ProbeOutcome(
                        mode, False, (), classify_probe_failure(mode, done.stderr, done.stdout)
                    )
                )
        return outcomes


def build_flags(request: BuildRequest) -> list[str]:
    """What follows `build` for Docker's BuildKit and for Podman's Buildah alike: plain progress,
    the tag, secrets (never a layer), network, --no-cache, labels, then the context folder."""
    argv = ["--progress", "plain", "--tag", request.tag]
    for secret_id, src in request.secrets:
        argv += ["--secret", f"id={secret_id},src={src}"]
    if request.network:
        argv += ["--network", request.network]
    if request.no_cache:
        argv.append("--no-cache")
    for key, value in request.labels:
        argv += ["--label", f"{key}={value}"]
    argv.append(str(request.context_dir))
    return argv

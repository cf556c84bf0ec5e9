"""The Docker CLI engine (also drives Docker-compatible CLIs such as Podman's).

Only argv lists, through dlbox.process. Each engine owns its own GPU and user flags.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dlbox import process
from dlbox.engines.base import BuildRequest, ContainerInfo, ContainerSpec, ProbeOutcome
from dlbox.engines.gpus import PROBE_MODES, classify_probe_failure, gpu_argv, parse_gpu_list
from dlbox.errors import EngineError, ProcessError

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


def shm_flag(size: int) -> str:
    """Docker's --shm-size value: whole MiB when exact, else bytes."""
    mib = 1024 * 1024
    return f"{size // mib}m" if size % mib == 0 else f"{size}b"


class DockerEngine:
    """A container engine driven through a Docker-compatible CLI binary."""

    def __init__(
        self,
        client: str,
        buildkit: BuildKitSupport,
        *,
        name: str = "docker",
        client_version: str = "",
        server_version: str = "",
        server_arch: str = "",
    ):
        self.client = client
        self.buildkit = buildkit
        self.name = name
        self.client_version = client_version
        self.server_version = server_version
        self.server_arch = server_arch

    # -- facts ---------------------------------------------------------------------------------
    def describe(self) -> dict[str, object]:
        return {
            "engine": self.name,
            "client": self.client,
            "client_version": self.client_version,
            "server_version": self.server_version,
            "buildkit": self.buildkit.mode,
            "buildkit_detail": self.buildkit.detail,
        }

    def _run(
        self,
        args: Sequence[str],
        timeout: float = INSPECT_TIMEOUT,
        check: bool = True,
        input_text: str | None = None,
    ) -> process.Completed:
        return process.run(
            [self.client, *args],
            timeout=timeout,
            check=check,
            input_text=input_text,
            error_type=EngineError,
        )

    def image_id(self, ref: str) -> str | None:
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

    def images(self, repository: str) -> list[dict[str, str]]:
        done = self._run(["image", "ls", repository, "--format", "{{json .}}"])
        return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]

    def architecture(self) -> str:
        """The daemon's CPU architecture (known from the ping that found the engine)."""
        if not self.server_arch:
            done = self._run(["version", "--format", "{{.Server.Arch}}"])
            self.server_arch = done.stdout.strip()
        return self.server_arch

    def info(self) -> dict[str, object]:
        done = self._run(["info", "--format", "{{json .}}"])
        data: dict[str, object] = json.loads(done.stdout)
        return data

    # -- build ---------------------------------------------------------------------------------
    def build_argv(self, request: BuildRequest) -> tuple[list[str], dict[str, str]]:
        """The build command and the environment it needs (argv snapshots test this)."""
        if self.buildkit.mode == "buildx":
            argv = [self.client, "buildx", "build", "--load"]
            env: dict[str, str] = {}
        else:
            argv = [self.client, "build"]
            env = {"DOCKER_BUILDKIT": "1"}
        argv += ["--progress", "plain", "--tag", request.tag]
        for secret_id, src in request.secrets:
            argv += ["--secret", f"id={secret_id},src={src}"]
        if request.network:
            argv += ["--network", request.network]
        if request.no_cache:
            argv.append("--no-cache")
        for key, value in request.labels:
            argv += ["--label", f"{key}={value}"]
        argv.append(str(request.context_dir))
        return argv, env

    def build(self, request: BuildRequest, on_line: Callable[[str], None], log_path: Path) -> int:
        argv, env = self.build_argv(request)
        return process.stream(argv, on_line=on_line, log_path=log_path, env=env)

    # -- containers ----------------------------------------------------------------------------
    def run_argv(self, spec: ContainerSpec) -> list[str]:
        argv = [self.client, "run"]
        if spec.detach:
            argv.append("--detach")
        if spec.remove:
            argv.append("--rm")
        if spec.interactive:
            argv += ["--interactive", "--tty"]
        argv += ["--name", spec.name]
        if spec.init:
            argv.append("--init")
        if spec.user:
            argv += ["--user", spec.user]
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
            argv += ["--publish", f"{port.host_ip}:{port.host_port}:{port.container_port}"]
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

    def start(self, spec: ContainerSpec) -> str:
        done = self._run(self.run_argv(spec)[1:], timeout=RUN_TIMEOUT)
        return done.stdout.strip()

    def run_streaming(
        self,
        spec: ContainerSpec,
        on_line: Callable[[str], None],
        log_path: Path | None,
        timeout: float | None,
    ) -> int:
        return process.stream(self.run_argv(spec), on_line=on_line, log_path=log_path,
                              timeout=timeout)

    def run_interactive(self, spec: ContainerSpec) -> int:
        return process.interactive(self.run_argv(spec))

    def environment_path(self, path: str, spec: ContainerSpec) -> str:
        return path  # the container sees its own paths

    def limitations(self, spec: ContainerSpec) -> list[str]:
        return []

    def run_to_completion(self, spec: ContainerSpec, timeout: float) -> tuple[int, str]:
        argv = self.run_argv(spec)
        done = process.run(argv, timeout=timeout, check=False, error_type=EngineError)
        return done.returncode, done.stdout + done.stderr

    def containers(self, labels: Sequence[str]) -> list[ContainerInfo]:
        args = ["ps", "--all", "--quiet", "--no-trunc"]
        for label in labels:
            args += ["--filter", f"label={label}"]
        ids = self._run(args).stdout.split()
        if not ids:
            return []
        done = self._run(["inspect", *ids], check=False)
        found = []
        for item in json.loads(done.stdout or "[]"):
            found.append(
                ContainerInfo(
                    name=item["Name"].lstrip("/"),
                    id=item["Id"],
                    image=item["Config"]["Image"],
                    state=item["State"]["Status"],
                    labels=item["Config"].get("Labels") or {},
                    started_at=item["State"].get("StartedAt", ""),
                )
            )
        return found

    def inspect_container(self, name: str) -> dict[str, object] | None:
        done = self._run(["inspect", "--type", "container", name], check=False)
        if done.returncode != 0:
            return None
        items: list[dict[str, object]] = json.loads(done.stdout)
        return items[0] if items else None

    def remove(self, name: str) -> None:
        self._run(["rm", "--force", "--volumes", name], check=False)

    def logs_argv(self, name: str, follow: bool, tail: int | None) -> list[str]:
        argv = [self.client, "logs"]
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
        argv = [self.client, "exec"]
        if tty:
            argv += ["--interactive", "--tty"]
        if user:
            argv += ["--user", user]
        return [*argv, name, *command]

    def exec(
        self,
        name: str,
        command: Sequence[str],
        user: str | None = None,
        timeout: float = INSPECT_TIMEOUT,
    ) -> process.Completed:
        return process.run(
            self.exec_argv(name, command, user, False),
            timeout=timeout,
            check=False,
            error_type=EngineError,
        )

    # -- GPUs ----------------------------------------------------------------------------------
    def probe_gpus(self, image: str) -> list[ProbeOutcome]:
        """Start a tiny container per GPU mode; a mode works if the container lists a GPU."""
        from dlbox.engines.base import GpuRequest

        outcomes = []
        for mode in PROBE_MODES:
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
            argv.insert(2, "--entrypoint=")
            try:
                done = process.run(argv, timeout=PROBE_TIMEOUT, check=False)
            except ProcessError as exc:
                # A timeout says nothing about GPUs: reported, but never cached.
                outcomes.append(ProbeOutcome(mode, False, (), exc.message, transient=True))
                continue
            finally:
                self._run(["rm", "--force", spec.name], check=False)
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

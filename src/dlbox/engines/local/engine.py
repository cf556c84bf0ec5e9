"""The local engine: the same environment without a container engine (macOS, no-Docker hosts).

It answers the same protocol as DockerEngine. The "image" is the venv folder built by uv from the
committed lock (venvs.py); a "container" is a host process group started in its own session,
found through a session record (processes.py). The ContainerSpec is translated: its mounts table
maps container paths (/code, /data, /home/dlbox, /run/dlbox/token) to the host folders, used in
place; what the image's start script does (fastai config, data link) is done here in Python.
"""

from __future__ import annotations

import platform
import shlex
import shutil
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from dlbox import paths, process
from dlbox.engines.base import (
    ContainerInfo,
    ContainerSpec,
    EnvironmentRequest,
    PreparedEnvironment,
    ProbeOutcome,
    UserMapping,
)
from dlbox.engines.gpus import parse_gpu_list
from dlbox.engines.local import processes, venvs
from dlbox.engines.local.host import host_env, setup_course, translate
from dlbox.environment.lockset import normalize_arch
from dlbox.errors import DlboxError, ProcessError
from dlbox.names import check_name

ENV_PROGRAM = "/usr/bin/env"
# Change into the working folder, then become the command (no shell involved).
CHDIR_EXEC = "import os,sys; os.chdir(sys.argv[1]); os.execvp(sys.argv[2], sys.argv[2:])"
PROBE_TIMEOUT = 30.0
JUPYTER_MODES = ("lab", "notebook")


def _info(record: processes.SessionRecord) -> ContainerInfo:
    state = "running" if processes.alive(record) else "exited"
    return ContainerInfo(
        record.name, str(record.pid), record.image, state, dict(record.labels), record.started_at
    )


class LocalEngine:
    """Sessions as host processes in a uv-made venv; no container engine involved."""

    name = "local"

    @property
    def probe_modes(self) -> tuple[str, ...]:
        return ("mps",) if sys.platform == "darwin" and platform.machine() == "arm64" else ("host",)

    # -- facts ---------------------------------------------------------------------------------
    def describe(self) -> dict[str, object]:
        try:
            uv = " ".join(venvs.find_uv())
        except DlboxError:
            uv = "missing (pip install uv)"
        try:
            plat = venvs.host_platform()
        except DlboxError as exc:
            plat = f"unsupported ({exc.message})"
        return {
            "engine": self.name,
            "platform": plat,
            "uv": uv,
            "venvs": str(venvs.venvs_dir()),
        }

    def architecture(self) -> str:
        return normalize_arch(platform.machine())

    def image_id(self, ref: str) -> str | None:
        if not venvs.venv_complete(Path(ref)):
            return None
        return str(venvs.read_marker(Path(ref)).get("lock_hash", "")) or None

    def image_exists(self, ref: str) -> bool:
        return self.image_id(ref) is not None

    # -- the environment -----------------------------------------------------------------------
    def prepare_environment(
        self, request: EnvironmentRequest, on_line: Callable[[str], None]
    ) -> PreparedEnvironment:
        """The venv for the lock (built once, reused while the lock is unchanged)."""
        if request.container_only_extras:
            raise DlboxError(
                "This project's dlbox.toml adds apt packages or Dockerfile lines, which need a "
                "container; the local engine can only add pip packages.",
                "Use `--engine docker` (or podman), or move those extras to [extras] pip.",
            )
        result = venvs.ensure_venv(
            _pip_args(request),
            on_line,
            rebuild=request.rebuild,
            ca_file=request.ca_file,
            line=request.cuda_line,
        )
        return PreparedEnvironment(
            ref=str(result.path),
            digest=result.lock_hash,
            built=not result.reused,
            seconds=result.seconds,
            log_path=result.log_path,
            versions=result.versions,
        )

    def planned_environment(self, request: EnvironmentRequest) -> tuple[str, bool]:
        venv = venvs.plan_venv(_pip_args(request), line=request.cuda_line)
        return str(venv.path), venvs.venv_complete(venv.path)

    # -- sessions ------------------------------------------------------------------------------
    def _venv(self, spec: ContainerSpec) -> Path:
        venv = Path(spec.image)
        if not venvs.venv_complete(venv):
            raise DlboxError(
                f"The local environment {venv} is missing or incomplete.",
                "Run `dlbox up --engine local` to create it again.",
            )
        return venv

    def _command(self, spec: ContainerSpec, venv: Path) -> list[str]:
        command = [translate(arg, spec.mounts) for arg in spec.command] or ["lab"]
        if command[0] not in JUPYTER_MODES:
            return command
        env = dict(spec.env)
        code = translate(env.get("DLBOX_CODE_DIR", "/code"), spec.mounts)
        ports = spec.ports
        ip = ports[0].host_ip if ports else "127.0.0.1"
        port = str(ports[0].host_port) if ports else env.get("DLBOX_PORT", "8888")
        return [
            str(venvs.venv_python(venv)),
            "-m",
            "jupyter",
            command[0],
            f"--ip={ip}",
            f"--port={port}",
            "--ServerApp.port_retries=0",  # dlbox chose the port; never drift
            "--no-browser",
            f"--ServerApp.root_dir={code}",
            f"--ServerApp.preferred_dir={self._workdir(spec)}",
            *command[1:],
        ]

    def _workdir(self, spec: ContainerSpec) -> str:
        return translate(spec.workdir or "/code", spec.mounts)

    def run_argv(self, spec: ContainerSpec) -> list[str]:
        """The host command: env (venv first on PATH, host paths), then chdir and exec."""
        venv = Path(spec.image)
        pairs = host_env(spec, venv)
        python = str(venvs.venv_python(venv))
        return [
            ENV_PROGRAM,
            "-u",
            "PYTHONPATH",
            "-u",
            "PYTHONHOME",
            *(f"{k}={v}" for k, v in pairs),
            python,
            "-c",
            CHDIR_EXEC,
            self._workdir(spec),
            *self._command(spec, venv),
        ]

    def _prepare(self, spec: ContainerSpec) -> Path:
        venv = self._venv(spec)
        env = dict(host_env(spec, venv))
        data = Path(env.get("DLBOX_DATA_DIR", translate("/data", spec.mounts)))
        setup_course(Path(self._workdir(spec)), data, Path(env["FASTAI_HOME"]))
        return venv

    def start(self, spec: ContainerSpec) -> str:
        self._prepare(spec)
        log_path = session_log(spec.name)
        argv = self.run_argv(spec)
        with open(log_path, "w", encoding="utf-8") as log:
            log.write(f"$ {shlex.join(argv[argv.index('-c') + 3 :])}\n")
        proc = process.spawn(argv, log_path=log_path)
        ident = processes.identity(proc.pid) or ""
        port = spec.ports[0] if spec.ports else None
        processes.write_record(
            processes.SessionRecord(
                name=spec.name,
                pid=proc.pid,
                pgid=proc.pid,
                identity=ident,
                port=port.host_port if port else 0,
                host=port.host_ip if port else "",
                image=spec.image,
                started_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                log_path=str(log_path),
                workdir=self._workdir(spec),
                argv=argv,
                env=host_env(spec, Path(spec.image)),
                labels=dict(spec.labels),
            )
        )
        return str(proc.pid)

    def run_streaming(
        self,
        spec: ContainerSpec,
        on_line: Callable[[str], None],
        log_path: Path | None,
        timeout: float | None,
    ) -> int:
        self._prepare(spec)
        return process.stream(
            self.run_argv(spec), on_line=on_line, log_path=log_path, timeout=timeout
        )

    def run_interactive(self, spec: ContainerSpec) -> int:
        self._prepare(spec)  # fastai config and the data link, as the container's start script
        return process.interactive(self.run_argv(spec))

    def environment_path(self, path: str, spec: ContainerSpec) -> str:
        return translate(path, spec.mounts)

    def limitations(self, spec: ContainerSpec) -> list[str]:
        notes = []
        if spec.network:
            notes.append(
                f"the local engine has no container, so `--network {spec.network}` has no "
                "equivalent: its processes share the host's network"
            )
        return notes

    def containers(self, labels: Sequence[str]) -> list[ContainerInfo]:
        return [
            _info(record)
            for record in processes.all_records()
            if all(_matches(record.labels, want) for want in labels)
        ]

    def inspect_container(self, name: str) -> ContainerInfo | None:
        record = processes.read_record(name)
        return None if record is None else _info(record)

    def user_mapping(self, user: str | None) -> UserMapping:
        return UserMapping((), False, "no container: Jupyter runs as you, on the host")

    def remove(self, name: str) -> None:
        """Stop the session's whole process tree and forget its record (the log stays)."""
        record = processes.read_record(name)
        if record is not None:
            processes.terminate(record)
        processes.delete_record(name)

    def logs_argv(self, name: str, follow: bool, tail: int | None) -> list[str]:
        argv = ["tail", "-n", str(tail) if tail is not None else "+1"]
        if follow:
            argv.append("-f")
        return [*argv, str(session_log(name))]

    def logs(self, name: str, tail: int | None = None) -> str:
        try:
            lines = session_log(name).read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-tail:] if tail else lines) + "\n"

    def exec_argv(
        self, name: str, command: Sequence[str], user: str | None, tty: bool
    ) -> list[str]:
        """A command (or, for `shell`, bash with the venv activated) beside a running session."""
        record = processes.read_record(name)
        if record is None:
            raise DlboxError(f"No local session named {name}.", "`dlbox ps` lists the sessions.")
        venv = Path(record.image)
        argv = list(command)
        if argv == ["bash", "-l"]:  # a login shell would let profile scripts reorder PATH
            rc = _shell_rc(name, venv, record.workdir)
            argv = ["bash", "--rcfile", str(rc), "-i"] if tty else ["bash"]
        return [
            ENV_PROGRAM,
            "-u",
            "PYTHONPATH",
            "-u",
            "PYTHONHOME",
            *(f"{k}={v}" for k, v in record.env if k != "JUPYTER_TOKEN_FILE"),
            str(venvs.venv_python(venv)),
            "-c",
            CHDIR_EXEC,
            record.workdir,
            *argv,
        ]

    # -- GPUs ----------------------------------------------------------------------------------
    def gpu_facts(self) -> dict[str, object]:
        """No container runtime: the host driver (in the probe's cache key already) decides."""
        return {}

    def probe_gpus(self, image: str) -> list[ProbeOutcome]:
        """CUDA when the host's nvidia-smi lists GPUs, Metal (MPS) on Apple silicon, else none."""
        if sys.platform == "darwin" and self.architecture() == "aarch64":
            return [
                ProbeOutcome(
                    "mps",
                    True,
                    ("GPU 0: Apple silicon (Metal, torch 'mps')",),
                    "Apple GPU through PyTorch's MPS backend",
                )
            ]
        smi = shutil.which("nvidia-smi")
        if smi is None:
            return [ProbeOutcome("host", False, (), "no NVIDIA driver here (nvidia-smi not found)")]
        try:
            done = process.run([smi, "-L"], timeout=PROBE_TIMEOUT, check=False)
        except ProcessError as exc:
            return [ProbeOutcome("host", False, (), exc.message)]
        gpus = parse_gpu_list(done.stdout)
        if done.returncode == 0 and gpus:
            return [ProbeOutcome("host", True, gpus, "GPUs listed by the host's nvidia-smi")]
        why = (done.stderr or done.stdout).strip().splitlines()
        return [ProbeOutcome("host", False, (), why[-1][:200] if why else "nvidia-smi saw no GPU")]


def _pip_args(request: EnvironmentRequest) -> tuple[str, ...]:
    """The pip extras for uv, after the extra indexes they may come from (dlbox.toml)."""
    if not request.pip:
        return ()
    index = tuple(arg for url in request.extra_index_urls for arg in ("--extra-index-url", url))
    return (*index, *request.pip)


def _matches(labels: dict[str, str], want: str) -> bool:
    key, sep, value = want.partition("=")
    return key in labels and (not sep or labels[key] == value)


def session_log(name: str) -> Path:
    return paths.logs_dir() / f"session-{check_name('session', name)}.log"


def _shell_rc(name: str, venv: Path, workdir: str) -> Path:
    rc = paths.session_dir(name) / "bashrc"
    rc.parent.mkdir(parents=True, exist_ok=True)
    rc.write_text(
        '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n'
        f". {shlex.quote(str(venv / 'bin' / 'activate'))}\n"
        f"cd {shlex.quote(workdir)}\n"
    )
    return rc

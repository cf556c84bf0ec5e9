"""`dlbox up`: from settings to running Jupyter sessions, and its dry run.

The flow reads top to bottom in `up`: the project (course, lessons, datasets), the engine, the
environment (image or venv, built when missing), then the sessions (started or reused, each
waited for until Jupyter answers). `dry_run` shows the same engine commands and changes nothing.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from pathlib import Path

from dlbox import paths
from dlbox.config import Settings
from dlbox.engines.base import Engine
from dlbox.engines.detect import EngineChoice
from dlbox.errors import UsageError
from dlbox.extend.project_image import build_options
from dlbox.gpu.choice import cuda_choice
from dlbox.gpu.lines import LineChoice
from dlbox.image.build import planned_environment
from dlbox.launch.environment import EnvPlan
from dlbox.launch.explain_flags import ExplainedCommand, session_commands
from dlbox.launch.launcher import UpResult, start_sessions
from dlbox.launch.options import UpOptions, up_options
from dlbox.secretfile import write_secret
from dlbox.usecases.engines import environment_engine
from dlbox.usecases.environment import ensure_environment_for
from dlbox.usecases.prepare import PrepareResult, prepare_project
from dlbox.usecases.reporting import SILENT, Reporter


@dataclass(frozen=True)
class SessionFlags:
    """The flags `up` and `run` share; None leaves the setting as configured."""

    code_dir: Path | None = None
    data_dir: Path | None = None
    port: int | None = None
    host: str | None = None
    gpus: str | None = None
    shm_size: str | None = None
    ipc: str | None = None  # host or private
    engine: str | None = None
    cuda: str | None = None

    def overrides(self) -> dict[str, object]:
        """The settings these flags override (config.load_settings' top layer)."""
        if self.ipc not in (None, "host", "private"):
            raise UsageError(
                f"--ipc {self.ipc} is not supported.", "Use --ipc host, or leave it out."
            )
        return {
            "code_dir": str(self.code_dir) if self.code_dir else None,
            "data_dir": str(self.data_dir) if self.data_dir else None,
            "port": self.port,
            "host": self.host,
            "gpus": self.gpus,
            "shm_size": self.shm_size,
            "ipc_host": None if self.ipc is None else self.ipc == "host",
            "engine": self.engine,
            "cuda": self.cuda,
        }


@dataclass(frozen=True)
class UpRequest:
    """What `up` was asked for beyond the settings (which carry folders, port, GPUs, engine)."""

    per_gpu: bool = False
    name: str | None = None
    open_browser: bool = False
    foreground: bool = False
    refresh_gpu_probe: bool = False
    fetch_data: bool = True
    explain: bool = False

    def options(self, cfg: Settings) -> UpOptions:
        return up_options(
            cfg,
            per_gpu=self.per_gpu,
            open_browser=self.open_browser,
            foreground=self.foreground,
            name=self.name,
            refresh_gpu_probe=self.refresh_gpu_probe,
        )


@dataclass
class UpOutcome:
    engine: Engine
    cuda: LineChoice
    project: PrepareResult
    launch: UpResult
    explained: list[ExplainedCommand] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        data = {
            **self.launch.to_dict(),
            # The engine mode in words and fields: "rootless Podman 4.3.1", rootless, storage.
            "engine_details": self.engine.describe(),
            "cuda": self.cuda.to_dict(),
            "project": self.project.to_dict(),
        }
        if self.explained:
            data["explain"] = [c.to_dict() for c in self.explained]
        return data


def up(cfg: Settings, request: UpRequest, reporter: Reporter = SILENT) -> UpOutcome:
    """Start (or reuse) this project's Jupyter sessions and wait until they answer."""
    cuda = cuda_choice(cfg)  # the CUDA line (locked environment) for this machine's driver
    options = request.options(cfg)  # bad flags fail here, before any work

    # 1. The project: the course cloned, the lesson notebooks copied, the datasets present.
    if cfg["course"]:
        reporter.info(f"course: {cfg['course']}")
    with reporter.downloading() as events:
        project = prepare_project(cfg, fetch_data=request.fetch_data, events=events)
    if project.course_subdir != options.env.course_subdir:
        options = replace(options, env=replace(options.env, course_subdir=project.course_subdir))

    # 2. The engine: a container engine when one answers (or is asked for), else the local one.
    engine, choice = environment_engine(cfg)
    reporter.info(f"engine: {choice.name} ({choice.reason})")

    # 3. The environment: the image (or the venv) for the lock and the project's extras.
    environment = ensure_environment_for(engine, build_options(cfg, line=cuda), reporter)
    if environment.built:
        reporter.success(f"built {environment.tag} in {environment.seconds:.0f} s")

    # 4. `--explain`: the exact engine commands, before they run.
    explained: list[ExplainedCommand] = []
    if request.explain:
        _plan, explained = session_commands(engine, environment.tag, options, dry_run=False)
        reporter.explained(explained, cuda)

    # 5. The sessions: started or reused, each waited for until Jupyter answers.
    launched = start_sessions(engine, environment.tag, options, environment)
    return UpOutcome(engine, cuda, project, launched, explained)


@dataclass(frozen=True)
class DryRunResult:
    engine: EngineChoice
    image: str
    image_present: bool
    plan: EnvPlan
    cuda: LineChoice
    commands: list[ExplainedCommand]

    def to_dict(self) -> dict[str, object]:
        return {
            "dry_run": True,
            "engine": self.engine.to_dict(),
            "image": self.image,
            "image_present": self.image_present,
            "gpus": self.plan.gpu.reason,
            "user_mapping": self.plan.mapping.explanation,
            "cuda": self.cuda.to_dict(),
            "explain": [c.to_dict() for c in self.commands],
        }


def dry_run(cfg: Settings, request: UpRequest) -> DryRunResult:
    """What `up` would run, changing nothing: no build, no clone, no download, no folders, no
    container (not even a GPU probe: only its cached answer counts), no state file."""
    options = request.options(cfg)
    with paths.no_writes():
        engine, choice = environment_engine(cfg)
        cuda = cuda_choice(cfg)
        build = build_options(cfg, line=cuda)
        tag, present = planned_environment(engine, build)
        # Without the image, the GPU probe runs in the base image (nothing is built for a dry run).
        probe_image = None if present else build.spec.base_image
        plan, commands = session_commands(
            engine, tag, options, dry_run=True, probe_image=probe_image
        )
    return DryRunResult(choice, tag, present, plan, cuda, commands)


def browser_page(name: str, url: str) -> Path:
    """A private page (0600, in the session's state folder) that sends the browser on to the
    tokened URL. `up --open` opens this file, never the URL itself: a browser's argv is readable
    by every local user in /proc/PID/cmdline (Jupyter's own `jpserver-*-open.html` does so too)."""
    target = html.escape(url, quote=True)
    page = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0; url={target}">'
        "<title>dlbox: opening Jupyter</title></head>"
        f'<body><p><a href="{target}">Open JupyterLab</a></p></body></html>\n'
    )
    return write_secret(paths.session_dir(name) / "open.html", page)

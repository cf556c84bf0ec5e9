"""`dlbox run -- CMD`: a one-off command in the environment with the same mounts as a session;
and following a session's log (`up --foreground`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from dlbox import process
from dlbox.config import Settings
from dlbox.engines.base import Engine
from dlbox.errors import UsageError
from dlbox.launch.environment import environment_container, labels_for, plan_environment
from dlbox.launch.options import env_options
from dlbox.usecases.engines import environment_engine
from dlbox.usecases.environment import ensure_environment_for
from dlbox.usecases.reporting import SILENT, Reporter


@dataclass(frozen=True)
class RunRequest:
    command: tuple[str, ...]
    interactive: bool = False  # attach the user's terminal (stdin is a TTY)


def run_once(cfg: Settings, request: RunRequest, reporter: Reporter = SILENT) -> int:
    """Run the command in the environment (built first if missing); its exit code."""
    if not request.command:
        raise UsageError("No command given.", "Example: dlbox run -- python -c 'import fastai'")
    engine, _choice = environment_engine(cfg)
    environment = ensure_environment_for(engine, cfg, reporter)
    if environment.built:
        reporter.success(f"built {environment.tag} in {environment.seconds:.0f} s")
    image = environment.tag
    plan = plan_environment(engine, image, env_options(cfg))
    if plan.gpu.warning:
        reporter.warn(plan.gpu.warning)
    spec = environment_container(
        plan,
        image,
        name=f"dlbox-run-{secrets.token_hex(4)}",
        command=list(request.command),
        labels=labels_for("run", plan),
        detach=False,
        remove=True,
        interactive=request.interactive,
    )
    return engine.run_interactive(spec)


def follow_logs(engine: Engine, name: str) -> int:
    """A session's log on the user's terminal until it ends or the user stops it."""
    return process.interactive(engine.logs_argv(name, True, None))

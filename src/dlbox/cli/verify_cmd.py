"""`dlbox verify`: run notebooks (default: the shipped lesson 1 ports) in the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, environment_engine, guarded, settings
from dlbox.config import Settings
from dlbox.engines.base import Engine, GpuRequest
from dlbox.errors import UsageError
from dlbox.verify import VerifyOptions, VerifyResult, run_verify
from dlbox.verify.model import DEFAULT_CELL_TIMEOUT, PROFILES

STATUS_STYLE = {"passed": "green", "failed": "red", "timeout": "yellow", "not run": "dim"}


def _image(engine: Engine, cfg: Settings, image: str | None, quiet: bool) -> str:
    """The image (container engines) or venv (local engine) to verify: --image, else the one
    `dlbox build` / `dlbox up` makes (made now if missing)."""
    if image:
        if not engine.image_exists(image):
            raise UsageError(f"The environment {image} is not present in the {engine.name} engine.",
                             "Make it with `dlbox build` (or `dlbox up`), or leave out --image.")
        return image
    from dlbox.cli.up_cmd import prepare_environment

    return prepare_environment(engine, cfg, quiet).tag


def _options(engine: Engine, cfg: Settings, image: str, notebooks: list[Path], profile: str,
             timeout: float) -> VerifyOptions:
    if profile == "smoke":  # offline, CPU, synthetic data in a scratch folder
        return VerifyOptions(notebooks=tuple(notebooks), image=image, profile=profile,
                             cell_timeout=timeout)
    from dlbox.launch.environment import plan_environment
    from dlbox.launch.options import env_options

    plan = plan_environment(engine, image, env_options(cfg))
    gpu: GpuRequest = plan.gpu.request
    return VerifyOptions(notebooks=tuple(notebooks), image=image, profile=profile,
                         cell_timeout=timeout, code_dir=plan.options.code_dir,
                         data_dir=plan.options.data_dir, gpu=gpu, gpus=plan.gpu.gpus,
                         shm_bytes=plan.options.shm_bytes, ipc_host=plan.options.ipc_host)


class _Live:
    """Turns the runner's events into a one-line live status."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.task = progress.add_task("starting the environment", total=None)
        self.cells: dict[str, int] = {}
        self.done = 0

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "device":
            self._show(f"device: {event.get('device') or event.get('error')}")
        elif kind == "seed_start":
            self._show("seeding the offline smoke data")
        elif kind == "notebook_start":
            self.cells[event["notebook"]] = int(event.get("cells", 0))
            self.done = 0
            self._show(f"{event['notebook']}: starting the kernel")
        elif kind == "cell_start":
            self.done += 1
            total = self.cells.get(event["notebook"], 0)
            self._show(f"{event['notebook']} cell {self.done}/{total}: {event.get('source', '')}")
        elif kind == "notebook_end":
            status = event.get("status", "")
            style = STATUS_STYLE.get(status, "white")
            self.progress.console.print(
                f"[{style}]{status:>7}[/{style}] {escape(event['notebook'])} "
                f"({float(event.get('seconds', 0)):.0f} s)")

    def _show(self, text: str) -> None:
        self.progress.update(self.task, description=escape(text[:90]))


def render(result: VerifyResult) -> None:
    table = Table(title=f"dlbox verify ({result.profile} profile, {result.image})")
    for column in ("notebook", "status", "cells", "seconds", "failing cell"):
        table.add_column(column, justify="right" if column in ("cells", "seconds") else "left")
    for nb in result.notebooks:
        failing = ""
        if nb.failing is not None:
            failing = f"cell {nb.failing.index}: {nb.failing.reason}"[:70]
        style = STATUS_STYLE.get(nb.status, "white")
        table.add_row(escape(nb.name), f"[{style}]{nb.status}[/{style}]",
                      f"{nb.cells_run}/{nb.code_cells}", f"{nb.seconds:.1f}", escape(failing))
    console.out.print(table)
    device = result.device.get("device") or result.device.get("error") or "unknown"
    console.info(f"engine: {result.engine}; device: {device}; "
                 f"executed notebooks and report.json: {result.out_dir}")
    for note in result.notes:
        console.info(f"note: {note}")
    for nb in result.notebooks:
        if nb.failing is None:
            continue
        console.err.print(f"\n[bold red]{escape(nb.name)}[/bold red] failed in cell "
                          f"{nb.failing.index} ({escape(nb.failing.reason)}):")
        console.err.print(escape("\n".join("  " + ln for ln in nb.failing.source.splitlines()[:8])))
        trace = nb.failing.traceback.strip().splitlines()[-8:]
        if trace:
            console.err.print(escape("\n".join("  | " + ln for ln in trace)))
    if result.error:
        console.err.print(f"[bold red]error:[/bold red] {escape(result.error)}")


def register(app: typer.Typer) -> None:
    @app.command()
    def verify(
        notebooks: list[Path] = typer.Argument(
            None, help="Notebooks to run (default: the shipped fast.ai lesson 1 notebooks)."
        ),
        profile: str = typer.Option(
            "smoke", "--profile",
            help="smoke: offline, CPU, synthetic data and stand-in weights (minutes); "
                 "full: your data folder, real downloads, GPUs as configured.",
        ),
        timeout: float = typer.Option(
            DEFAULT_CELL_TIMEOUT, "--timeout", help="Seconds any one cell may run."
        ),
        image: str | None = typer.Option(
            None, "--image", help="Image to run in (default: the one `dlbox build` makes)."
        ),
        engine_name: str | None = typer.Option(
            None, "--engine",
            help="auto (default), docker, podman or local (a venv, no containers).",
        ),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Run notebooks cell by cell inside the environment and report what passed."""

        def body() -> VerifyResult:
            if profile not in PROFILES:
                raise UsageError(f"Unknown profile {profile!r}.",
                                 f"Use one of: {', '.join(PROFILES)}.")
            if timeout <= 0:
                raise UsageError("--timeout must be a positive number of seconds.")
            cfg = settings({"engine": engine_name})
            engine, _choice = environment_engine(cfg)
            tag = _image(engine, cfg, image, as_json)
            options = _options(engine, cfg, tag, list(notebooks or []), profile, timeout)
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                          console=console.err, transient=True, disable=as_json) as progress:
                result = run_verify(engine, options, _Live(progress))
            if as_json:
                console.print_json(result.to_dict())
            else:
                render(result)
            return result

        result = guarded(body, as_json)
        if not result.ok:
            raise typer.Exit(1)

"""`dlbox verify`: run notebooks (default: the shipped lesson 1 ports) in the environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded, settings
from dlbox.cli.progress import ConsoleReporter, hidden
from dlbox.cli.verify_view import coloured, result_lines
from dlbox.usecases import verify as verify_case
from dlbox.usecases.reporting import OnEvent
from dlbox.usecases.verify import VerifyOutcome
from dlbox.verify import VerifyResult
from dlbox.verify.model import DEFAULT_CELL_TIMEOUT

STATUS_STYLE = {"passed": "green", "failed": "red", "timeout": "yellow", "not run": "dim"}


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
                f"({float(event.get('seconds', 0)):.0f} s)"
            )

    def _show(self, text: str) -> None:
        self.progress.update(self.task, description=escape(text[:90]))


class _VerifyReporter(ConsoleReporter):
    """Builds as everywhere; the notebook run as a one-line live status."""

    @contextmanager
    def running_notebooks(self) -> Iterator[OnEvent]:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console.err,
            transient=True,
            disable=hidden(self.quiet),
        ) as progress:
            yield _Live(progress)


def _render_outcome(outcome: VerifyOutcome) -> None:
    cuda_note = None
    if outcome.cuda is not None:
        where = "on the GPU" if outcome.on_gpu else "on the CPU"
        cuda_note = f"ran {where}; CUDA {outcome.cuda.line} line: {outcome.cuda.reason}"
    for line in result_lines(outcome.result, cuda_note):
        console.out.print(coloured(line))


def register(app: typer.Typer) -> None:
    @app.command()
    def verify(
        notebooks: list[Path] = typer.Argument(
            None, help="Notebooks to run (default: the shipped fast.ai lesson 1 notebooks)."
        ),
        profile: str = typer.Option(
            "smoke",
            "--profile",
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
            None,
            "--engine",
            help="auto (default), docker, podman, or local (no containers).",
        ),
        cuda: str | None = typer.Option(
            None, "--cuda", help="CUDA line 12 or 13 (default: from the driver)."
        ),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Run notebooks headless in the environment and report what passed.

        The default smoke profile runs the shipped lesson 1 notebooks offline with synthetic
        data and stand-in weights (minutes), on the GPU when dlbox finds one, else on the CPU.
        --profile full runs them on your data folder with the real downloads and your GPUs."""

        def body() -> VerifyResult:
            cfg = settings({"engine": engine_name, "cuda": cuda})
            request = verify_case.VerifyRequest(tuple(notebooks or []), profile, timeout, image)
            outcome = verify_case.verify(cfg, request, _VerifyReporter(quiet=as_json))
            if as_json:
                console.print_result(outcome, ok=None)
            else:
                _render_outcome(outcome)
            return outcome.result

        result = guarded(body, as_json)
        if not result.ok:
            raise typer.Exit(1)

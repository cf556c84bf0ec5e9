"""The live one-line status while dlbox builds the image or the local venv."""

from __future__ import annotations

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from dlbox.cli import console
from dlbox.engines.base import Engine, ProvidesEnvironment
from dlbox.image.build import BuildOptions, BuildResult, ensure_environment


def step_description(line: str) -> str | None:
    """What a build output line says is happening, if anything: BuildKit's plain progress
    ("#12 [stage-0 8/12] RUN ...") names its step; the local engine reports "[venv] ..."."""
    if line.startswith("[venv] "):
        return line[7:70]
    if line.startswith("#") and "] " in line and "[" in line:
        step = line.split("] ", 1)[0].split("[", 1)[-1]
        return f"[{step}] {line.split('] ', 1)[1][:60]}"
    return None


def ensure_with_progress(eng: Engine, options: BuildOptions, quiet: bool) -> BuildResult:
    what = (
        "local environment (venv)" if isinstance(eng, ProvidesEnvironment) else "environment image"
    )
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]building[/bold] {task.description}"),
        TimeElapsedColumn(),
        console=console.err,
        transient=True,
        disable=quiet,
    ) as progress:
        task = progress.add_task(what, total=None)

        def on_line(line: str) -> None:
            described = step_description(line)
            if described:
                progress.update(task, description=described)

        return ensure_environment(eng, options, on_line)

"""Live progress on stderr: the one-line build status, the download bars, and the Reporter the
use cases call (dlbox.usecases.reporting) drawn with them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.markup import escape

from dlbox.cli import console, help_text
from dlbox.cli.progress_text import human
from dlbox.datasets.download import Events
from dlbox.usecases.reporting import OnLine, Reporter

if TYPE_CHECKING:  # annotations only: `dlbox data get` need not import the launch planner
    from rich.progress import Progress, TaskID

    from dlbox.gpu.lines import LineChoice
    from dlbox.launch.explain_flags import ExplainedCommand


def hidden(quiet: bool) -> bool:
    """No live display when asked for none, or when stderr is not a terminal: there it would
    leave a stray blank line (or its last frame) in a log instead of a progress line."""
    return quiet or not console.err.is_terminal


def step_description(line: str) -> str | None:
    """What a build output line says is happening, if anything: BuildKit's plain progress
    ("#12 [stage-0 8/12] RUN ...") names its step; the local engine reports "[venv] ..."."""
    if line.startswith("[venv] "):
        return line[7:70]
    if line.startswith("#") and "] " in line and "[" in line:
        step = line.split("] ", 1)[0].split("[", 1)[-1]
        return f"[{step}] {line.split('] ', 1)[1][:60]}"
    return None


class ProgressEvents(Events):
    """Rich progress bar (bytes, rate, ETA) on stderr; notes for waits and retries."""

    def __init__(self, progress: Progress | None):
        self.progress = progress  # None: no live display (rich.progress is not even imported)
        self.task: TaskID | None = None

    def waiting(self, name: str) -> None:
        console.info(f"waiting: another dlbox process is getting {name}")

    def retry(self, attempt: int, retries: int, reason: str, delay: float) -> None:
        console.warn(f"{escape(reason)}; retry {attempt} of {retries} in {delay:.0f} s")

    def download_start(self, name: str, url: str, total: int | None, have: int) -> None:
        if self.progress is None:
            pass
        elif self.task is None:
            self.task = self.progress.add_task(name, total=total, completed=have)
        else:
            self.progress.reset(self.task, total=total, completed=have, description=name)
        if have:
            console.info(f"resuming {escape(name)} at {human(have)}")

    def download_progress(self, nbytes: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task, nbytes)

    def download_end(self) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None

    def extracting(self, name: str) -> None:
        console.info(f"unpacking {escape(name)}")


@contextmanager
def download_bars(quiet: bool) -> Iterator[ProgressEvents]:
    if hidden(quiet):  # nothing live to draw: the messages only
        yield ProgressEvents(None)
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console.err,
        transient=True,
    ) as progress:
        yield ProgressEvents(progress)


def print_explained(commands: list[ExplainedCommand], brief: bool) -> None:
    """Each engine command; unless brief, each flag with why dlbox chose it."""
    for command in commands:
        for line in help_text.shell_lines(command.argv):
            console.out.print(line, markup=False, highlight=False)
        if brief:
            continue
        console.out.print()
        for item in command.flags:
            shown = escape(f"{item.flag} {item.value}".strip())
            console.out.print(f"  [bold]{shown}[/bold]")
            for line in help_text.wrap(item.why, " " * 6):
                console.out.print(line, markup=False, highlight=False)


def print_cuda(line: LineChoice) -> None:
    """Which CUDA line (locked environment) the image holds, and why."""
    console.out.print(f"[bold]CUDA {line.line} line[/bold] (CUDA {line.spec.cuda})")
    console.out.print(f"      {escape(line.reason)}")
    if line.warning:
        console.warn(line.warning)


class ConsoleReporter(Reporter):
    """The use cases' progress on the terminal. quiet: only warnings (and no live progress)."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    # The use cases report plain text: escaped, so "[extras]" or a path with brackets prints as is.
    def info(self, message: str) -> None:
        if not self.quiet:
            console.info(escape(message))

    def success(self, message: str) -> None:
        if not self.quiet:
            console.success(escape(message))

    def warn(self, message: str) -> None:
        console.warn(escape(message))

    @contextmanager
    def building(self, what: str) -> Iterator[OnLine]:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(
            SpinnerColumn(),
            TextColumn("[bold]building[/bold] {task.description}"),
            TimeElapsedColumn(),
            console=console.err,
            transient=True,
            disable=hidden(self.quiet),
        ) as progress:
            task = progress.add_task(what, total=None)

            def on_line(line: str) -> None:
                described = step_description(line)
                if described:
                    progress.update(task, description=escape(described))

            yield on_line

    @contextmanager
    def downloading(self) -> Iterator[Events | None]:
        with download_bars(self.quiet) as events:
            yield events

    def explained(self, commands: list[ExplainedCommand], cuda: LineChoice) -> None:
        if not self.quiet:
            print_cuda(cuda)
            print_explained(commands, brief=False)

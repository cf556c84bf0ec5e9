"""How a use case tells its caller what is happening while it works. The use cases never print:
they call a Reporter. The base class ignores everything (JSON output, a Python caller); the CLI
subclasses it to draw progress and messages (dlbox.cli.reporter)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlbox.datasets.download import Events
    from dlbox.gpu.lines import LineChoice
    from dlbox.launch.explain_flags import ExplainedCommand

OnLine = Callable[[str], None]
OnEvent = Callable[[dict[str, Any]], None]


class Reporter:
    """Every hook is optional: the defaults do nothing."""

    def info(self, message: str) -> None:
        """A one-line note (which engine, which course)."""

    def success(self, message: str) -> None:
        """A step finished (built the image in N s)."""

    def warn(self, message: str) -> None:
        """Something the user should know, which does not stop the use case."""

    @contextmanager
    def building(self, what: str) -> Iterator[OnLine]:
        """Around a build of the image or the venv; yields the callback for its output lines."""
        yield lambda _line: None

    @contextmanager
    def working(self, label: str) -> Iterator[OnLine]:
        """Around a long step whose output lines tell its progress (git clone, git pull)."""
        yield lambda _line: None

    @contextmanager
    def downloading(self) -> Iterator[Events | None]:
        """Around the dataset downloads; yields their progress events (None: no progress)."""
        yield None

    @contextmanager
    def running_notebooks(self) -> Iterator[OnEvent]:
        """Around `verify`'s notebook run; yields the callback for the runner's events."""
        yield lambda _event: None

    def explained(self, commands: list[ExplainedCommand], cuda: LineChoice) -> None:
        """`up --explain`: the CUDA line and the engine commands about to run, each flag
        explained."""


SILENT = Reporter()

"""`dlbox course list|get|update`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.markup import escape

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded, settings
from dlbox.cli.course_view import course_lines, footer_lines
from dlbox.cli.progress import ConsoleReporter
from dlbox.course.repos import CourseResult
from dlbox.redact import without_userinfo
from dlbox.usecases import course as course_case
from dlbox.usecases.reporting import OnLine


@contextmanager
def git_progress(label: str, quiet: bool) -> Iterator[Callable[[str], None]]:
    """A one-line Rich status showing git's latest progress line."""
    if quiet:
        yield lambda _line: None
        return
    with console.err.status(f"{label} ...") as status:

        def on_line(line: str) -> None:
            status.update(f"{label}: {escape(line.strip()[:70])}")

        yield on_line


class _GitReporter(ConsoleReporter):
    @contextmanager
    def working(self, label: str) -> Iterator[OnLine]:
        with git_progress(label, self.quiet) as on_line:
            yield on_line


def report(result: CourseResult) -> None:
    verb = {
        "cloned": "cloned",
        "present": "already cloned (reused as it is)",
        "updated": "updated",
        "unchanged": "already up to date",
    }.get(result.action, result.action)
    where = f" at {result.path}" if result.path else ""
    console.success(
        f"{escape(result.name)}: {verb}{escape(where)}"
        + (f" ({result.head})" if result.head else "")
    )
    if result.local_changes:
        console.info(
            f"  {len(result.local_changes)} local change(s) kept: "
            + escape(", ".join(c.strip() for c in result.local_changes[:5]))
        )
    if result.warning:
        console.warn(escape(result.warning))
    console.info(f"  Jupyter opens in {escape(str(result.notebook_dir))}")


def register(app: typer.Typer) -> None:
    course_app = typer.Typer(
        help="Get and update course notebooks (git repos) in the code folder.", no_args_is_help=True
    )
    app.add_typer(course_app, name="course")

    @course_app.command("list")
    def list_(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
        """Known courses and other clones in the code folder, cloned or not."""

        def body() -> None:
            cfg = settings()
            entries = course_case.listing(cfg)
            if as_json:
                console.print_result(courses=[e.to_dict() for e in entries])
                return
            for line in course_lines(entries):
                console.out.print(line, markup=False)
            for line in footer_lines(entries, Path(cfg["code_dir"])):
                console.info(escape(line))

        guarded(body, as_json)

    @course_app.command("get")
    def get(
        name: str = typer.Argument(..., help="Course name (see `dlbox course list`) or git URL."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Clone a course repo into the code folder; an existing one is reused.

        The clone is shallow (the latest commit only)."""

        def body() -> None:
            cfg = settings()
            result = course_case.get(cfg, name, _GitReporter(quiet=as_json))
            if as_json:
                console.print_result(result)
                return
            report(result)
            if str(cfg["course"]).strip() != name.strip():
                plain = escape(without_userinfo(name.strip()))
                console.info(
                    f"Make it the course `dlbox up` opens: `dlbox config set course {plain}`"
                )

        guarded(body, as_json)

    @course_app.command("update")
    def update(
        name: str | None = typer.Argument(
            None,
            help="Course to update (default: the configured "
            "course, else every clone in the code folder).",
        ),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Fast-forward course clones; refuses when you changed files.

        Runs `git pull --ff-only` in each clone."""

        def body() -> None:
            outcome = course_case.update(settings(), name, _GitReporter(quiet=as_json))
            if as_json:
                console.print_result(outcome, ok=outcome.ok)
            else:
                for result in outcome.courses:
                    report(result)
                for problem in outcome.errors:
                    console.error(problem)
            if not outcome.ok:
                raise typer.Exit(1)

        guarded(body, as_json)

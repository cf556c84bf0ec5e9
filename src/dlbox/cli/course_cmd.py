"""`dlbox course list|get|update`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded, settings
from dlbox.config.edit import validate_folders
from dlbox.course.repos import (
    CourseEntry,
    CourseResult,
    get_course,
    list_courses,
    resolve_course,
    update_course,
    update_targets,
)
from dlbox.errors import DlboxError


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


def courses_table(entries: list[CourseEntry]) -> Table:
    table = Table(title="course repos", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("source")
    table.add_column("opens in")
    table.add_column("state")
    for entry in entries:
        name = entry.repo.name + (" [green](configured)[/green]" if entry.configured else "")
        state = f"cloned at {entry.path}" if entry.cloned else "[dim]not cloned[/dim]"
        table.add_row(name, escape(entry.repo.url), escape(entry.repo.open_in or "."), state)
    return table


def report(result: CourseResult) -> None:
    verb = {"cloned": "cloned", "present": "already cloned (reused as it is)",
            "updated": "updated", "unchanged": "already up to date"}.get(result.action,
                                                                        result.action)
    where = f" at {result.path}" if result.path else ""
    console.success(f"{escape(result.name)}: {verb}{escape(where)}"
                    + (f" ({result.head})" if result.head else ""))
    if result.local_changes:
        console.info(f"  {len(result.local_changes)} local change(s) kept: "
                     + escape(", ".join(c.strip() for c in result.local_changes[:5])))
    if result.warning:
        console.warn(escape(result.warning))
    console.info(f"  Jupyter opens in {escape(str(result.notebook_dir))}")


def register(app: typer.Typer) -> None:
    course_app = typer.Typer(help="Get and update course notebooks (git repos) in the code "
                             "folder.", no_args_is_help=True)
    app.add_typer(course_app, name="course")

    @course_app.command("list")
    def list_(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
        """The known courses (and any other clone in the code folder), and which are cloned."""

        def body() -> None:
            entries = list_courses(settings())
            if as_json:
                console.print_json({"ok": True, "courses": [e.to_dict() for e in entries]})
                return
            console.out.print(courses_table(entries))
            console.info("Clone one with `dlbox course get NAME` (or a git URL).")

        guarded(body, as_json)

    @course_app.command("get")
    def get(
        name: str = typer.Argument(..., help="Course name (see `dlbox course list`) or git URL."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Clone a course repo into the code folder (shallow); an existing clone is reused."""

        def body() -> None:
            cfg = settings()
            repo = resolve_course(name)
            validate_folders(cfg)
            with git_progress(f"cloning {repo.name}", as_json) as on_line:
                result = get_course(repo, Path(cfg["code_dir"]), on_line)
            if as_json:
                console.print_json({"ok": True, **result.to_dict()})
                return
            report(result)
            if str(cfg["course"]).strip() != name.strip():
                console.info(f"Make it the course `dlbox up` opens: "
                             f"`dlbox config set course {escape(name)}`")

        guarded(body, as_json)

    @course_app.command("update")
    def update(
        name: str | None = typer.Argument(None, help="Course to update (default: the configured "
                                          "course, else every clone in the code folder)."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Fast-forward course clones (`git pull --ff-only`); refuses when you changed files."""

        def body() -> None:
            cfg = settings()
            targets = update_targets(cfg, name)
            results: list[CourseResult] = []
            errors: list[DlboxError] = []
            for repo in targets:
                try:
                    with git_progress(f"updating {repo.name}", as_json) as on_line:
                        results.append(update_course(repo, Path(cfg["code_dir"]), on_line))
                except DlboxError as exc:
                    if len(targets) == 1:
                        raise
                    errors.append(exc)
            if as_json:
                console.print_json({"ok": not errors, "courses": [r.to_dict() for r in results],
                                    "errors": [e.to_dict() for e in errors]})
            else:
                for result in results:
                    report(result)
                for problem in errors:
                    console.error(problem)
            if errors:
                raise typer.Exit(1)

        guarded(body, as_json)


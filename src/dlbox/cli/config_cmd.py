"""`dlbox init` and `dlbox config show|set|unset|path|check`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape
from rich.prompt import Confirm, Prompt
from rich.table import Table

from dlbox import paths
from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded, settings
from dlbox.config import Settings, find_project_file
from dlbox.config.edit import (
    FOLDER_KEYS,
    init_config,
    project_target,
    set_setting,
    unset_setting,
    validate_folders,
    validated,
)
from dlbox.config.keys import KEYS
from dlbox.course.repos import CATALOG, configured_repo, resolve_course
from dlbox.errors import DlboxError

INIT_KEYS = ("code_dir", "data_dir", "course", "datasets", "gpus", "port")
QUESTIONS = {
    "code_dir": "Code folder (your notebooks and course repos, mounted at /code)",
    "data_dir": "Data folder (datasets and models, mounted at /data)",
    "course": f"Course to clone ({', '.join(CATALOG)}, a git URL, or empty for none)",
    "datasets": "Datasets `up` should make sure are present (comma-separated, may be empty)",
    "gpus": "GPUs (auto, all, none, or indices such as 0,1)",
    "port": "Preferred Jupyter port",
}


def stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def shown(value: object) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def check_course(value: object) -> None:
    if isinstance(value, str) and value.strip():
        resolve_course(value)


def ask(name: str, current: Settings) -> object:
    """Prompt until the answer is valid; the default is the value in effect now."""
    while True:
        raw = Prompt.ask(QUESTIONS[name], default=shown(current[name]), console=console.err)
        try:
            value = validated(name, raw, "dlbox init")
            if name == "course":
                check_course(value)
            return value
        except DlboxError as exc:
            console.warn(escape(console.render_error(exc)))


def config_table(cfg: Settings) -> Table:
    table = Table(title="dlbox settings", title_justify="left", show_lines=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    table.add_column("source", style="dim")
    for name, item in cfg.values.items():
        text = shown(item.value)
        table.add_row(name, escape(text) if text else "[dim](empty)[/dim]", escape(item.source))
    return table


def report_override(name: str, file: Path) -> None:
    """Tell the user when a higher layer still overrides what they just wrote."""
    source = settings().source(name)
    if str(file) not in source:
        console.warn(f"{name} is still taken from {escape(source)}, which overrides {file}.")


def register(app: typer.Typer) -> None:
    @app.command()
    def init(
        code_dir: Path | None = typer.Option(None, "--code-dir", help="Host folder for code."),
        data_dir: Path | None = typer.Option(None, "--data-dir", help="Host folder for data."),
        course: str | None = typer.Option(None, "--course", help="Course name or git URL."),
        datasets: str | None = typer.Option(None, "--datasets", help="Comma-separated datasets."),
        gpus: str | None = typer.Option(None, "--gpus", help="auto, all, none or e.g. 0,1."),
        port: int | None = typer.Option(None, "--port", help="Preferred Jupyter port."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Never prompt; keep current values "
                                 "for anything not given as a flag."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Choose code/data folders, course, datasets, GPUs and port; write the user config.

        Prompts when run in a terminal; with flags or --yes it never asks. Creates the folders
        and keeps every other key already in the config file."""

        def body() -> None:
            current = settings()
            given = {"code_dir": code_dir, "data_dir": data_dir, "course": course,
                     "datasets": datasets, "gpus": gpus, "port": port}
            interactive = not yes and not as_json and stdin_is_tty()
            answers: dict[str, object] = {}
            for name in INIT_KEYS:
                if given[name] is not None:
                    answers[name] = given[name]
                elif interactive:
                    answers[name] = ask(name, current)
            for name in FOLDER_KEYS:
                answers.setdefault(name, current[name])
            check_course(answers.get("course"))
            if interactive and not Confirm.ask(
                f"Write these to {paths.config_file()}?", default=True, console=console.err
            ):
                raise typer.Exit(1)
            result = init_config(answers)
            if as_json:
                console.print_json({"ok": True, **result.to_dict()})
                return
            for folder in result.created:
                console.success(f"created {folder}")
            console.success(f"wrote {', '.join(result.written)} to {result.file}")
            console.info("Next: `dlbox up` starts Jupyter; `dlbox config show` lists all settings.")

        guarded(body, as_json)

    config_app = typer.Typer(help="Show and change dlbox settings.", no_args_is_help=True)
    app.add_typer(config_app, name="config")

    @config_app.command("show")
    def show(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
        """Every setting with its value and where it came from."""

        def body() -> None:
            cfg = settings()
            if as_json:
                console.print_json({"ok": True, **cfg.to_dict()})
                return
            console.out.print(config_table(cfg))
            console.info(f"user config: {cfg.user_file}"
                         + ("" if cfg.user_file.is_file() else " (not written yet: `dlbox init`)"))
            if cfg.project_file:
                console.info(f"project file: {cfg.project_file}")

        guarded(body, as_json)

    @config_app.command("set")
    def set_(
        key: str = typer.Argument(..., help="Setting name (see `dlbox config show`)."),
        value: str = typer.Argument(..., help="New value (lists: comma-separated)."),
        project: bool = typer.Option(False, "--project", help="Write ./dlbox.toml instead of "
                                     "the user config file."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Change one setting in the user config file (or ./dlbox.toml with --project)."""

        def body() -> None:
            if key == "course":
                check_course(value)
            result = set_setting(key, value, file=project_target() if project else None)
            if as_json:
                console.print_json({"ok": True, **result.to_dict()})
                return
            console.success(f"{key} = {escape(shown(result.value))} (in {result.file})")
            report_override(key, result.file)

        guarded(body, as_json)

    @config_app.command("unset")
    def unset(
        key: str = typer.Argument(..., help="Setting name."),
        project: bool = typer.Option(False, "--project", help="Edit ./dlbox.toml instead."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Remove one setting from the file, so the value from the layer below applies."""

        def body() -> None:
            result = unset_setting(key, file=project_target() if project else None)
            if as_json:
                console.print_json({"ok": True, **result.to_dict()})
            elif result.previous is None:
                console.info(f"{key} was not set in {result.file}; nothing to do.")
            else:
                console.success(f"removed {key} from {result.file}")

        guarded(body, as_json)

    @config_app.command("path")
    def path(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
        """Print where the user config file is (and the project file, when there is one)."""
        project_file = find_project_file()
        if as_json:
            console.print_json({"ok": True, "user_file": str(paths.config_file()),
                                "project_file": str(project_file) if project_file else None})
            return
        console.out.print(escape(str(paths.config_file())))
        if project_file:
            console.info(f"project file: {project_file}")

    @config_app.command("check")
    def check(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
        """Load every layer and check the folders; exit 2 with the fix when something is wrong."""

        def body() -> None:
            cfg = settings()
            validate_folders(cfg)
            if cfg["course"]:
                configured_repo(cfg)
            if as_json:
                console.print_json({"ok": True, **cfg.to_dict()})
            else:
                console.success(f"configuration is valid ({len(KEYS)} settings)")

        guarded(body, as_json)

"""`dlbox init` and `dlbox config show|set|unset|path|check`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape
from rich.prompt import Confirm, Prompt

from dlbox.cli import console
from dlbox.cli.common import JsonFlag, guarded, settings
from dlbox.config import Settings
from dlbox.errors import DlboxError
from dlbox.usecases import config as usecase
from dlbox.usecases.config import shown


def stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def ask(name: str, current: Settings) -> object:
    """Prompt until the answer is valid; the default is the value in effect now."""
    while True:
        raw = Prompt.ask(usecase.QUESTIONS[name], default=shown(current[name]), console=console.err)
        try:
            return usecase.init_answer(name, raw)
        except DlboxError as exc:
            console.warn(escape(console.render_error(exc)))


def config_lines(cfg: Settings) -> list[str]:
    """KEY, VALUE, SOURCE: one line per setting, values whole; a source's file is named once
    below the table (`user config`, `project`), not on every line."""
    rows = [
        (name, shown(item.value) or "(empty)", item.source.split(" (", 1)[0])
        for name, item in cfg.values.items()
    ]
    key_w = max(len(r[0]) for r in [("KEY", "", ""), *rows])
    value_w = min(max(len(r[1]) for r in [("", "VALUE", ""), *rows]), 40)
    return [
        f"{k.ljust(key_w)}  {v.ljust(value_w)}  {src}".rstrip()
        for k, v, src in [("KEY", "VALUE", "SOURCE"), *rows]
    ]


def register(app: typer.Typer) -> None:
    @app.command()
    def init(
        code_dir: Path | None = typer.Option(None, "--code-dir", help="Host folder for code."),
        data_dir: Path | None = typer.Option(None, "--data-dir", help="Host folder for data."),
        course: str | None = typer.Option(None, "--course", help="Course name or git URL."),
        datasets: str | None = typer.Option(None, "--datasets", help="Comma-separated datasets."),
        gpus: str | None = typer.Option(None, "--gpus", help="auto, all, none or e.g. 0,1."),
        port: int | None = typer.Option(None, "--port", help="Preferred Jupyter port."),
        yes: bool = typer.Option(
            False,
            "--yes",
            "-y",
            help="Never prompt; keep current values for anything not given as a flag.",
        ),
        as_json: JsonFlag = False,
    ) -> None:
        """Choose folders, course, datasets, GPUs and port for the user config.

        Prompts when run in a terminal; with flags or --yes it never asks. Creates the folders
        and keeps every other key already in the config file."""

        def body() -> None:
            current = settings()
            flags = (code_dir, data_dir, course, datasets, gpus, port)
            given = dict(zip(usecase.INIT_KEYS, flags, strict=True))
            interactive = not yes and not as_json and stdin_is_tty()
            plan = usecase.init_plan(
                current, given, (lambda name: ask(name, current)) if interactive else None
            )
            target = usecase.config_paths().user_file
            if interactive and not Confirm.ask(
                f"Write these to {target}?", default=True, console=console.err
            ):
                raise typer.Exit(1)
            result = usecase.write_init(plan)
            if as_json:
                console.print_result(result)
                return
            for folder in result.created:
                console.success(f"created {folder}")
            console.success(f"wrote {', '.join(result.written)} to {result.file}")
            console.info("Next: `dlbox up` starts Jupyter; `dlbox config show` lists all settings.")

        guarded(body, as_json)

    config_app = typer.Typer(help="Show and change dlbox settings.", no_args_is_help=True)
    app.add_typer(config_app, name="config")

    @config_app.command("show")
    def show(as_json: JsonFlag = False) -> None:
        """Every setting, its value and source, and the engine in effect."""

        def body() -> None:
            shown_config = usecase.show_config()
            cfg = shown_config.settings
            if as_json:
                console.print_result(shown_config)
                return
            for line in config_lines(cfg):
                console.out.print(line, markup=False, highlight=False)
            console.info(f"engine in effect: {shown_config.engine.summary}")
            console.info(
                f"user config: {cfg.user_file}"
                + ("" if cfg.user_file.is_file() else " (not written yet: `dlbox init`)")
            )
            if cfg.project_file:
                console.info(f"project file: {cfg.project_file}")

        guarded(body, as_json)

    @config_app.command("set")
    def set_(
        key: str = typer.Argument(..., help="Setting name (see `dlbox config show`)."),
        value: str = typer.Argument(..., help="New value (lists: comma-separated)."),
        project: bool = typer.Option(
            False, "--project", help="Write ./dlbox.toml instead of the user config file."
        ),
        as_json: JsonFlag = False,
    ) -> None:
        """Change one setting in the user config (or ./dlbox.toml: --project)."""

        def body() -> None:
            outcome = usecase.set_config(key, value, project=project)
            result = outcome.change
            if as_json:
                console.print_result(outcome)
                return
            console.success(f"{key} = {escape(shown(result.value))} (in {result.file})")
            if outcome.overridden_by:
                console.warn(
                    f"{key} is still taken from {escape(outcome.overridden_by)}, which overrides "
                    f"{result.file}."
                )

        guarded(body, as_json)

    @config_app.command("unset")
    def unset(
        key: str = typer.Argument(..., help="Setting name."),
        project: bool = typer.Option(False, "--project", help="Edit ./dlbox.toml instead."),
        as_json: JsonFlag = False,
    ) -> None:
        """Remove one setting, so the value from the layer below applies."""

        def body() -> None:
            result = usecase.unset_config(key, project=project)
            if as_json:
                console.print_result(result)
            elif result.previous is None:
                console.info(f"{key} was not set in {result.file}; nothing to do.")
            else:
                console.success(f"removed {key} from {result.file}")

        guarded(body, as_json)

    @config_app.command("path")
    def path(as_json: JsonFlag = False) -> None:
        """Print where the user config file (and the project file) is."""
        where = usecase.config_paths()
        if as_json:
            console.print_result(where)
            return
        console.out.print(escape(str(where.user_file)))
        if where.project_file:
            console.info(f"project file: {where.project_file}")

    @config_app.command("check")
    def check(as_json: JsonFlag = False) -> None:
        """Check every settings layer and the folders; exit 2 with the fix."""

        def body() -> None:
            cfg = usecase.check_config()
            if as_json:
                console.print_result(cfg)
            else:
                console.success(f"configuration is valid ({usecase.SETTINGS_COUNT} settings)")

        guarded(body, as_json)

"""The dlbox command line: parse flags, call the core, render results. The only place that exits.

Commands are registered from the table in dlbox.cli.commands: `dlbox CMD` imports only the module
that defines CMD, and `dlbox --help` lists the table without importing any command module (CLI
start-up time; see bench/startup.py). `app` (every command registered) is built on first use."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from typing import Any

import typer

from dlbox import __version__
from dlbox.cli.commands import BY_NAME, COMMANDS, command_word
from dlbox.cli.surface import DlboxGroup

HELP = "A reproducible, GPU-ready fast.ai Jupyter environment with one command."


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dlbox {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """A reproducible, GPU-ready fast.ai Jupyter environment with one command."""


def _new_app() -> typer.Typer:
    app = typer.Typer(
        name="dlbox",
        cls=DlboxGroup,
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    return app


def _name(info: Any) -> str:
    """A registered command's name (Typer derives it from the function when none was given)."""
    return str(info.name or info.callback.__name__.lower().replace("_", "-"))


def _listing(app: typer.Typer) -> None:
    """Give each command and group the one-line help and panel of the table (the same listing
    whether the command's module was imported or not)."""
    for info in app.registered_commands:
        entry = BY_NAME.get(_name(info))
        if entry:
            info.short_help, info.rich_help_panel = entry.help, entry.panel
    for group in app.registered_groups:
        entry = BY_NAME.get(group.name or "")
        if entry:
            group.short_help, group.rich_help_panel = entry.help, entry.panel


def _stub(app: typer.Typer, name: str) -> None:
    """A placeholder listed in `dlbox --help`; never run (a named command loads its module)."""

    def placeholder() -> None:  # pragma: no cover - replaced before it could run
        raise AssertionError(name)

    app.command(name=name)(placeholder)


def build_app(modules: Iterable[str] | None = None) -> typer.Typer:
    """The CLI with the commands of `modules` (dlbox.cli.<module>) registered, and placeholders
    for the rest of the table. None: every module."""
    wanted = {c.module for c in COMMANDS} if modules is None else set(modules)
    app = _new_app()
    for module in dict.fromkeys(c.module for c in COMMANDS):
        if module in wanted:
            importlib.import_module(f"dlbox.cli.{module}").register(app)
    registered = {_name(i) for i in app.registered_commands} | {
        g.name for g in app.registered_groups
    }
    for command in COMMANDS:
        if command.name not in registered:
            _stub(app, command.name)
    _listing(app)
    return app


def run(argv: list[str]) -> None:
    word = command_word(argv)
    entry = BY_NAME.get(word or "")
    app = build_app([entry.module] if entry else [])
    app(args=argv, prog_name="dlbox")


def complete() -> None:
    """Answer the shell's completion request (_DLBOX_COMPLETE set) with every command loaded."""
    from typer._completion_classes import completion_init

    completion_init()  # Typer's bash/zsh/fish/powershell answer formats
    build_app()(prog_name="dlbox")


def main() -> None:
    run(sys.argv[1:])


_full: typer.Typer | None = None


def __getattr__(name: str) -> Any:
    """`from dlbox.cli.app import app`: every command registered (tests, completion)."""
    global _full
    if name == "app":
        if _full is None:
            _full = build_app()
        return _full
    raise AttributeError(name)

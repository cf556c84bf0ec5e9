"""The dlbox command line: parse flags, call the core, render results. The only place that exits."""

from __future__ import annotations

import typer

from dlbox import __version__
from dlbox.cli import (
    build_cmd,
    config_cmd,
    course_cmd,
    data_cmd,
    doctor_cmd,
    extend_cmd,
    up_cmd,
    verify_cmd,
)

app = typer.Typer(
    name="dlbox",
    help="A reproducible, GPU-ready fast.ai Jupyter environment with one command.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dlbox {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """A reproducible, GPU-ready fast.ai Jupyter environment with one command."""


build_cmd.register(app)
up_cmd.register(app)
config_cmd.register(app)
course_cmd.register(app)
data_cmd.register(app)
verify_cmd.register(app)
extend_cmd.register(app)
doctor_cmd.register(app)


def main() -> None:
    app()

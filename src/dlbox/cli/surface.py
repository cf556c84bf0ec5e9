"""How the command line looks and fails: help pages, command order and groups, usage errors.

`DlboxGroup` is the root command's class (cli/app.py). On creation it adopts every command and
sub-group below it, so any command anyone registers gets the same plain, 80-column help
(cli/help_page.py), the same did-you-mean and the same `error:` / `Fix:` usage errors as dlbox's
own errors (cli/usage_errors.py: exit code 2, or a JSON error document with --json).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

try:  # Typer vendors Click (typer._click); its parser raises these
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - a Typer that still uses Click itself
    from click import exceptions as click_errors  # type: ignore[no-redef]

from dlbox import __version__
from dlbox.cli import help_page, help_text
from dlbox.cli.commands import COMMANDS, MAIN, SYNONYMS, render_help
from dlbox.cli.usage_errors import (
    UnknownCommand,
    fail,
    quoted,
    suggest,
    usage_problem,
    wants_json,
)


def _help_param(command: Any, ctx: Any) -> Any:
    return command.get_help_option(ctx)


def _params_for_help(command: Any, ctx: Any) -> list[Any]:
    help_param = _help_param(command, ctx)
    return [p for p in command.get_params(ctx) if p is not help_param]


class DlboxCommand(TyperCommand):
    """A command with dlbox's help page."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(
            help_page.render_command(
                prog=ctx.command_path,
                doc=self.help,
                params=_params_for_help(self, ctx),
                help_param=_help_param(self, ctx),
                epilog=self.epilog,
            )
        )

    def get_usage(self, ctx: Any) -> str:
        return help_page.usage_line(ctx.command_path, _params_for_help(self, ctx))

    def get_short_help_str(self, limit: int = 45) -> str:
        return help_text.summary(self.short_help or self.help)


class DlboxGroup(TyperGroup):
    """A command group with dlbox's help, command order, did-you-mean and usage errors."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        adopt(self)

    def list_commands(self, ctx: Any) -> list[str]:
        """The root lists commands in the table's order (cli/commands.py), unknown ones last."""
        names = list(self.commands)
        if ctx.parent is not None:
            return names
        order = {c.name: i for i, c in enumerate(COMMANDS)}
        return sorted(names, key=lambda n: (order.get(n, len(order)), n))

    def command_sections(self, ctx: Any) -> list[tuple[str, list[tuple[str, str]]]]:
        """Visible sub-commands by their `rich_help_panel` (one list when none is named)."""
        sections: dict[str, list[tuple[str, str]]] = {}
        for name in self.list_commands(ctx):
            cmd = self.commands[name]
            if not cmd.hidden:
                title = help_page.panel_of(cmd) or MAIN
                row = (name, help_text.summary(cmd.short_help or cmd.help))
                sections.setdefault(title, []).append(row)
        return list(sections.items())

    def format_help(self, ctx: Any, formatter: Any) -> None:
        if ctx.parent is None and set(self.commands) <= {c.name for c in COMMANDS}:
            formatter.write(render_help(__version__))  # the same page as entry.py's fast path
            return
        formatter.write(
            help_page.render_command(
                prog=ctx.command_path,
                doc=self.help,
                params=_params_for_help(self, ctx),
                help_param=_help_param(self, ctx),
                commands=self.command_sections(ctx),
                epilog=self.epilog
                or f"Run `{ctx.command_path} COMMAND --help` for a command's options.",
            )
        )

    def get_usage(self, ctx: Any) -> str:
        return help_page.usage_line(ctx.command_path, _params_for_help(self, ctx), "COMMAND")

    def get_short_help_str(self, limit: int = 45) -> str:
        return help_text.summary(self.short_help or self.help)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        if args and not name.startswith("-") and self.get_command(ctx, name) is None:
            visible = [n for n, c in self.commands.items() if not c.hidden]
            close = suggest(name, visible, SYNONYMS if ctx.parent is None else None)
            path = ctx.command_path
            hint = (
                f"Did you mean {quoted([f'{path} {c}' for c in close])}? " if close else ""
            ) + f"`{path} --help` lists the commands."
            raise UnknownCommand(f"`{path}` has no command '{name}'.", hint, ctx)
        return super().resolve_command(ctx, args)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Parse and run; every usage error becomes `error: ...` / `Fix: ...` (exit 2)."""
        argv = list(sys.argv[1:] if args is None else args)
        try:
            rv = super().main(argv, prog_name, complete_var, False, windows_expand_args, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help())
            sys.exit(2)
        except click_errors.ClickException as exc:
            fail(usage_problem(exc), wants_json(argv, exc))
        except typer.Abort:
            typer.echo("aborted", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def adopt(group: TyperGroup) -> None:
    """Give every plain Typer command and sub-group below `group` dlbox's help and errors (one
    that asked for a class of its own with `cls=` keeps it)."""
    for cmd in group.commands.values():
        if type(cmd) is TyperGroup:
            cmd.__class__ = DlboxGroup
        elif type(cmd) is TyperCommand:
            cmd.__class__ = DlboxCommand
        if isinstance(cmd, TyperGroup):
            adopt(cmd)

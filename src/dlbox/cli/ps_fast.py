"""`dlbox ps` without the CLI framework: the command people run most often, and the one that
should answer at once (issue 19: <= 0.25 s). `dlbox ps [--json] [--show-token] [--engine X]`
is parsed here and printed as plain text, importing neither Typer nor Rich; anything else
(`ps --help`, a mistyped flag) goes to the Typer command in sessions_cmd.py, which prints the
same way through `show_sessions`."""

from __future__ import annotations

from collections.abc import Sequence

from dlbox.cli import output
from dlbox.errors import DlboxError

FLAGS = ("--show-token", "--json")


def parse(argv: Sequence[str]) -> tuple[bool, str | None, bool] | None:
    """(show_token, engine, as_json), or None when argv is not one this parser knows."""
    show_token = as_json = False
    engine: str | None = None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--show-token":
            show_token = True
        elif arg == "--json":
            as_json = True
        elif arg == "--engine" and args and not args[0].startswith("-"):
            engine = args.pop(0)
        elif arg.startswith("--engine="):
            engine = arg.split("=", 1)[1]
        else:
            return None
    return show_token, engine, as_json


def show_sessions(show_token: bool, engine: str | None, as_json: bool) -> None:
    """List the sessions of every engine (or of `engine`) as a table or a JSON document."""
    from dlbox.cli.sessions_view import sessions_table
    from dlbox.usecases.sessions import all_sessions

    found = all_sessions(engine)
    for f in found if show_token else []:
        output.reveal_url(f.session.url(True))
    if as_json:
        output.print_results(f.to_dict(show_token) for f in found)
    elif not found:
        output.info("no dlbox sessions (start one with `dlbox up`)")
    else:
        output.write(sessions_table(found, show_token))


def run(argv: Sequence[str]) -> int | None:
    """The exit code of `dlbox ps ARGV`, or None: not for this parser (use the Typer command)."""
    parsed = parse(argv)
    if parsed is None:
        return None
    try:
        show_sessions(*parsed)
    except (DlboxError, OSError, KeyboardInterrupt) as exc:
        return failed(exc, parsed[2])
    return 0


def failed(exc: BaseException, as_json: bool) -> int:
    """The error as the Typer commands print it (cli.common.guarded), and its exit code."""
    import typer

    from dlbox.cli.common import guarded

    def body() -> None:
        raise exc

    try:
        guarded(body, as_json)
    except typer.Exit as done:
        return int(done.exit_code)
    return 1  # pragma: no cover - guarded always exits for these errors

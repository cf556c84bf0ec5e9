"""`dlbox ps`, `logs`, `stop` and `shell`: the sessions of every engine dlbox can reach."""

from __future__ import annotations

import sys

import typer

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded
from dlbox.cli.ps_fast import show_sessions
from dlbox.usecases.sessions import (
    all_sessions,
    open_shell,
    pick_session,
    show_logs,
    stop_sessions,
)

EngineOpt = typer.Option(
    None, "--engine", help="Only this engine's sessions: docker, podman or local."
)
NameArg = typer.Argument(None, help="Session (default: this project's).")


def register(app: typer.Typer) -> None:
    @app.command(name="ps")
    def ps_command(
        show_token: bool = typer.Option(False, "--show-token", help="Include the token in URLs."),
        engine: str | None = EngineOpt,
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """List running sessions: name, engine, status, GPUs, URL.

        Sessions of every engine are listed: containers (Docker, Podman) and local-engine
        Jupyter servers."""

        def body() -> None:
            show_sessions(show_token, engine, as_json)

        guarded(body, as_json)

    @app.command(name="logs")
    def logs_command(
        name: str | None = NameArg,
        follow: bool = typer.Option(False, "--follow", "-f", help="Keep streaming."),
        tail: int | None = typer.Option(
            None, "--tail", metavar="N", min=0, help="Only the last N lines."
        ),
        engine: str | None = EngineOpt,
    ) -> None:
        """Show a session's Jupyter log."""

        def body() -> int:
            target = pick_session(all_sessions(engine), name)
            return show_logs(target, follow=follow, tail=tail)

        raise typer.Exit(guarded(body))

    @app.command(name="stop")
    def stop_command(
        names: list[str] = typer.Argument(None, help="Sessions to stop (default: this project's)."),
        all_: bool = typer.Option(False, "--all", help="Stop every dlbox session of every engine."),
        engine: str | None = EngineOpt,
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Stop sessions (your notebooks and data stay).

        With no NAME, stops this project's session. When there is nothing to stop, it says so
        and exits 0, with or without --all; a NAME that is not running is an error (exit 1)."""

        def body() -> None:
            found = all_sessions(engine, every_engine=all_ or bool(names))
            result = stop_sessions(found, list(names or []), all_)
            if as_json:
                console.print_result(result)
                return
            for n in result.stopped:
                console.success(f"stopped {n}")
            if result.not_running:
                console.info("nothing to stop: no dlbox session of this project is running")
            if result.not_running and result.others:
                console.info(
                    f"still running: {', '.join(result.others)} "
                    "(`dlbox stop NAME` or `dlbox stop --all` stops them)"
                )

        guarded(body, as_json)

    @app.command(name="shell")
    def shell_command(name: str | None = NameArg, engine: str | None = EngineOpt) -> None:
        """Open a shell in the running environment, as you."""

        def body() -> int:
            target = pick_session(all_sessions(engine), name)
            return open_shell(target, tty=sys.stdin.isatty())

        raise typer.Exit(guarded(body))

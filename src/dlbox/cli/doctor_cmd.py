"""`dlbox doctor`: check every assumption, with the fix for each."""

from __future__ import annotations

import typer

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded
from dlbox.cli.doctor_view import coloured, report_lines
from dlbox.doctor.model import DoctorReport
from dlbox.usecases.doctor import doctor as run_checks


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
        fix_hints: bool = typer.Option(
            False,
            "--fix-hints",
            help="Show the fix of every check, not only of warnings and failures.",
        ),
        engine: str | None = typer.Option(None, "--engine", help="auto, docker, podman or local."),
        cuda: str | None = typer.Option(
            None, "--cuda", help="Check for the CUDA 12 or 13 line (default: from the driver)."
        ),
    ) -> None:
        """Check the engine, GPU, driver, shm, disk, ports and network, with fixes.

        One line per check; problems come last, each with its fix. Exits 1 if any check fails.
        The --json output is safe to paste in a bug report (no tokens, proxy credentials
        redacted)."""

        def body() -> DoctorReport:
            if as_json:
                return run_checks(engine, cuda)
            with console.err.status("checking this machine..."):
                return run_checks(engine, cuda)

        report = guarded(body, as_json)
        if as_json:
            console.print_result(report, ok=None)
        else:
            for line in report_lines(report, fix_hints):
                console.out.print(coloured(line))
        if report.failed:
            raise typer.Exit(1)

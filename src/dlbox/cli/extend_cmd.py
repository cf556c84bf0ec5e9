"""`dlbox add`, `dlbox remove` (the project's extra packages) and `dlbox export`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded, settings
from dlbox.extend.project_extras import ExtrasChange
from dlbox.usecases.extend import ExportRequest, change_project_extras, export_environment


def _report(change: ExtrasChange, verb: str, as_json: bool) -> None:
    if as_json:
        console.print_result(change)
        return
    where = change.project_file
    if not change.changed and not change.created:
        console.success(
            escape(f"[extras] {change.key} in {where} is unchanged; dlbox.lock refreshed")
        )
        return
    listed = ", ".join(change.after) or "none"
    console.success(escape(f"{verb} [extras] {change.key} in {where}: now {listed}"))
    if change.key == "pip" and change.pins:
        pins = ", ".join(f"{n} {v}" for n, v in sorted(change.pins.items()))
        console.info(escape(f"  locked in {change.lock_file.name}: {pins}"))
    console.info("  next: `dlbox build` (only the extras layer is built again)")


def _change(key: str, add: list[str], remove: list[str], as_json: bool, verb: str) -> None:
    def body() -> None:
        _report(change_project_extras(settings(), key, add, remove), verb, as_json)

    guarded(body, as_json)


def register(app: typer.Typer) -> None:
    @app.command()
    def add(
        packages: list[str] | None = typer.Argument(
            None, help="Packages, e.g. rich 'timm>=1' (none: resolve dlbox.lock again)."
        ),
        apt: bool = typer.Option(False, "--apt", help="Debian packages ([extras] apt)."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Add packages to the project's dlbox.toml [extras].

        Each package is resolved against the locked environment before it is written."""
        _change("apt" if apt else "pip", list(packages or []), [], as_json, "added to")

    @app.command()
    def remove(
        packages: list[str] = typer.Argument(..., help="Packages to remove."),
        apt: bool = typer.Option(False, "--apt", help="Debian packages ([extras] apt)."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Remove packages from the project's dlbox.toml [extras]."""
        _change("apt" if apt else "pip", [], list(packages), as_json, "removed from")

    @app.command()
    def export(
        folder: Path = typer.Argument(Path("dlbox-export"), help="Folder to write."),
        name: str | None = typer.Option(None, "--name", help="Image name in the build command."),
        arch: str | None = typer.Option(
            None, "--arch", help="x86_64 or aarch64 (default: the engine's)."
        ),
        force: bool = typer.Option(False, "--force", help="Write into a non-empty folder."),
        cuda: str | None = typer.Option(
            None, "--cuda", help="CUDA line 12 or 13 (default: from this machine's driver)."
        ),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Write a standalone Dockerfile and lock files for plain `docker build`."""

        def body() -> None:
            request = ExportRequest(folder, name=name, arch=arch, force=force)
            result = export_environment(settings({"cuda": cuda}), request)
            if as_json:
                console.print_result(result)
                return
            console.success(f"exported {result.tag}'s build context to {result.folder}")
            console.info(f"  build it with plain Docker:\n  {result.command_text}")

        guarded(body, as_json)

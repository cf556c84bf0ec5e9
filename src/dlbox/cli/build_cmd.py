"""`dlbox build` and `dlbox lock`."""

from __future__ import annotations

from pathlib import Path

import typer

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded, settings
from dlbox.cli.progress import ConsoleReporter
from dlbox.usecases.build import ImageRequest, build_image, relock
from dlbox.usecases.reporting import SILENT


def register(app: typer.Typer) -> None:
    @app.command()
    def build(
        rebuild: bool = typer.Option(False, "--rebuild", help="Build even if the image exists."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Ignore the engine's layer cache."),
        ca_bundle: Path | None = typer.Option(
            None, "--ca-bundle", help="CA bundle (PEM) builds must trust; default: detected."
        ),
        base_image: str | None = typer.Option(None, "--base-image", help="Base image to build on."),
        network: str | None = typer.Option(
            None, "--network", help="Build network mode (default from config: host)."
        ),
        engine: str | None = typer.Option(None, "--engine", help="auto, docker or podman."),
        cuda: str | None = typer.Option(
            None,
            "--cuda",
            help="CUDA line: 12 (drivers 525-579) or 13 (580+); default: from the driver.",
        ),
        push: str | None = typer.Option(
            None, "--push", metavar="REF", help="Then tag the image as REF and push it."
        ),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Build the environment image (a no-op when it exists).

        A maintainer command: `dlbox up` builds the image when it needs one."""

        def body() -> None:
            cfg = settings(
                {
                    "ca_bundle": str(ca_bundle) if ca_bundle else None,
                    "base_image": base_image,
                    "build_network": network,
                    "engine": engine,
                    "cuda": cuda,
                }
            )
            request = ImageRequest(rebuild=rebuild, no_cache=no_cache, push=push)
            outcome = build_image(cfg, request, SILENT if as_json else ConsoleReporter())
            result, line = outcome.result, outcome.cuda
            if as_json:
                console.print_result(outcome)
                return
            console.info(f"cuda: {line.reason}")
            if line.warning:
                console.warn(line.warning)
            if result.built:
                console.success(
                    f"built {result.tag} in {result.seconds:.0f} s (log: {result.log_path})"
                )
            else:
                console.success(
                    f"{result.tag} is up to date: nothing to build (use --rebuild to force)"
                )
            if outcome.pushed:
                console.success(f"pushed {result.tag} as {outcome.pushed}")

        guarded(body, as_json)

    @app.command()
    def lock(
        out: Path | None = typer.Option(
            None,
            "--out",
            metavar="DIR",
            help="Write the lock files here (default: dlbox's source tree, when run from one).",
        ),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Re-resolve the lock files of both CUDA lines with uv.

        A maintainer command: writes the per-architecture lock files the images are built from,
        into dlbox's source tree (or --out DIR); never into an installed package."""

        def body() -> None:
            result = relock(out)
            if as_json:
                console.print_result(result)
                return
            for line, platforms in result.lines.items():
                for plat, pins in platforms.items():
                    console.success(
                        f"CUDA {line} line, {plat}: {len(pins)} packages (fastai "
                        f"{pins.get('fastai')}, torch {pins.get('torch')}) -> "
                        f"{result.line_dirs[line] / plat}"
                    )
            for note in result.notes:
                console.info(note)

        guarded(body, as_json)

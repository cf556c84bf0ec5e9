"""`dlbox build` and `dlbox lock`."""

from __future__ import annotations

from pathlib import Path

import typer

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, container_engine, guarded, settings
from dlbox.cli.progress import ensure_with_progress
from dlbox.config import Settings
from dlbox.extend.project import lock_state
from dlbox.extend.push import check_ref, push_image
from dlbox.image.build import BuildOptions, BuildResult
from dlbox.image.lock import lock_environment
from dlbox.image.options import build_options


def run_build(options: BuildOptions, cfg: Settings, quiet: bool = False) -> BuildResult:
    """Ensure the image, with a live one-line status of the current build step."""
    engine = container_engine(cfg).engine
    assert engine is not None
    return ensure_with_progress(engine, options, quiet)


def _push(cfg: Settings, tag: str, ref: str) -> str:
    """`--push REF`: tag the built image as REF and push it (dlbox.extend.push)."""
    engine = container_engine(cfg).engine
    assert engine is not None
    return push_image(engine, tag, ref).ref


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
        push: str | None = typer.Option(
            None, "--push", metavar="REF", help="Then tag the image as REF and push it."
        ),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Build the locked fast.ai environment image (a no-op when it already exists)."""

        def body() -> None:
            cfg = settings(
                {
                    "ca_bundle": str(ca_bundle) if ca_bundle else None,
                    "base_image": base_image,
                    "build_network": network,
                    "engine": engine,
                }
            )
            if push:
                check_ref(push)  # a bad reference fails now, not after a long build
            if (note := lock_state(cfg)) and not as_json:
                console.warn(note)
            result = run_build(build_options(cfg, rebuild=rebuild, no_cache=no_cache), cfg, as_json)
            pushed = _push(cfg, result.tag, push) if push else None
            if as_json:
                console.print_json({"ok": True, **result.to_dict(), "pushed": pushed})
            elif result.built:
                console.success(
                    f"built {result.tag} in {result.seconds:.0f} s (log: {result.log_path})"
                )
            else:
                console.success(
                    f"{result.tag} is up to date: nothing to build (use --rebuild to force)"
                )
            if pushed and not as_json:
                console.success(f"pushed {result.tag} as {pushed}")

        guarded(body, as_json)

    @app.command()
    def lock(
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Re-resolve the environment with uv into the per-architecture lock files."""

        def body() -> None:
            result = lock_environment()
            if as_json:
                console.print_json({"ok": True, **result.to_dict()})
                return
            for plat, pins in result.pins.items():
                console.success(
                    f"{plat}: {len(pins)} packages (fastai {pins.get('fastai')}, "
                    f"torch {pins.get('torch')}) -> {result.out_dir / plat}"
                )
            for note in result.notes:
                console.info(note)

        guarded(body, as_json)

"""`dlbox add`, `dlbox remove` (the project's extra packages) and `dlbox export`."""

from __future__ import annotations

import platform
from dataclasses import replace
from pathlib import Path

import typer
from rich.markup import escape

from dlbox.cli import console
from dlbox.cli.common import JSON_HELP, guarded, settings
from dlbox.config import Settings
from dlbox.errors import DlboxError
from dlbox.extend.export import export_context
from dlbox.extend.project import ExtrasChange, change_extras, lock_root_override, project_file_for
from dlbox.image.spec import BuildContext, build_context


def _ca(cfg: Settings) -> Path | None:
    from dlbox.image.ca import detect_ca_bundle

    path = cfg["ca_bundle"]
    try:
        return detect_ca_bundle(Path(path) if path else None).path
    except DlboxError:
        return None


def _report(change: ExtrasChange, verb: str, as_json: bool) -> None:
    if as_json:
        console.print_json({"ok": True, **change.to_dict()})
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
        cfg = settings()
        change = change_extras(
            project_file_for(cfg),
            add=add,
            remove=remove,
            key=key,
            lock_root=lock_root_override(),
            ca_bundle=_ca(cfg),
        )
        _report(change, verb, as_json)

    guarded(body, as_json)


def _context(cfg: Settings, arch: str | None) -> BuildContext:
    """The same context `dlbox build` would send: resolved against the engine when one answers
    (its architecture and base image ID are part of the tag), else this machine's."""
    from dlbox.engines.detect import select_engine
    from dlbox.image.build import resolve_spec
    from dlbox.image.locks import normalize_arch
    from dlbox.image.options import build_options

    spec = build_options(cfg).spec
    engine = None
    try:
        engine = select_engine(cfg["engine"], cfg["docker_client"] or None).engine
    except DlboxError:
        engine = None
    from dlbox.engines.docker import DockerEngine

    if isinstance(engine, DockerEngine):
        spec = resolve_spec(engine, spec)
    else:
        spec = replace(spec, arch=normalize_arch(platform.machine()))
    if arch:
        spec = replace(spec, arch=normalize_arch(arch))
    return build_context(spec)


def register(app: typer.Typer) -> None:
    @app.command()
    def add(
        packages: list[str] | None = typer.Argument(
            None, help="Packages, e.g. rich 'timm>=1'. None: resolve dlbox.lock again."
        ),
        apt: bool = typer.Option(False, "--apt", help="Debian packages ([extras] apt)."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Add packages to the project's dlbox.toml [extras], checked against the environment."""
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
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Write a standalone Dockerfile + locks that plain `docker build` turns into the image."""

        def body() -> None:
            from dlbox.image.ca import CaBundle

            cfg = settings()
            ca = _ca(cfg)
            network = cfg["build_network"]
            result = export_context(
                _context(cfg, arch),
                folder,
                name=name,
                ca=CaBundle(ca, "detected") if ca else None,
                network=None if network in ("", "default") else network,
                force=force,
            )
            if as_json:
                console.print_json({"ok": True, **result.to_dict()})
                return
            console.success(f"exported {result.tag}'s build context to {result.folder}")
            console.info(f"  build it with plain Docker:\n  {result.command_text}")

        guarded(body, as_json)

"""`dlbox add` / `dlbox remove` (the project's extra packages) and `dlbox export` (a standalone
Dockerfile and lock files for plain `docker build`)."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from dlbox.config import Settings
from dlbox.engines.detect import select_engine
from dlbox.engines.docker import DockerEngine
from dlbox.environment.lockset import normalize_arch
from dlbox.errors import DlboxError
from dlbox.extend.export import ExportResult, export_context
from dlbox.extend.project_extras import (
    ExtrasChange,
    change_extras,
    lock_root_override,
    project_file_for,
)
from dlbox.extend.project_image import build_options
from dlbox.image.build import resolve_spec
from dlbox.image.ca import CaBundle, detect_ca_bundle
from dlbox.image.context import BuildContext, build_context


def _ca(cfg: Settings) -> Path | None:
    path = cfg["ca_bundle"]
    try:
        return detect_ca_bundle(Path(path) if path else None).path
    except DlboxError:
        return None


def change_project_extras(
    cfg: Settings, key: str, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> ExtrasChange:
    """Add or remove [extras] `key` (pip or apt) packages of the project's dlbox.toml, resolved
    against the locked environment first; nothing is written when that fails."""
    return change_extras(
        project_file_for(cfg),
        add=list(add),
        remove=list(remove),
        key=key,
        lock_root=lock_root_override(),
        ca_bundle=_ca(cfg),
    )


@dataclass(frozen=True)
class ExportRequest:
    folder: Path
    name: str | None = None  # the image name in the build command
    arch: str | None = None  # x86_64 or aarch64 (default: the engine's, else this machine's)
    force: bool = False  # write into a non-empty folder


def export_environment(cfg: Settings, request: ExportRequest) -> ExportResult:
    ca = _ca(cfg)
    network = cfg["build_network"]
    return export_context(
        _context(cfg, request.arch),
        request.folder,
        name=request.name,
        ca=CaBundle(ca, "detected") if ca else None,
        network=None if network in ("", "default") else network,
        force=request.force,
    )


def _context(cfg: Settings, arch: str | None) -> BuildContext:
    """The same context `dlbox build` would send: resolved against the engine when one answers
    (its architecture and base image ID are part of the tag), else this machine's."""
    spec = build_options(cfg).spec
    try:
        engine = select_engine(cfg["engine"], cfg["docker_client"] or None).container
    except DlboxError:
        engine = None
    if isinstance(engine, DockerEngine):
        spec = resolve_spec(engine, spec)
    else:
        spec = replace(spec, arch=normalize_arch(platform.machine()))
    if arch:
        spec = replace(spec, arch=normalize_arch(arch))
    return build_context(spec)

"""`dlbox clean`: what dlbox made that nothing needs any more, with sizes, and removing it.

Candidates: dlbox environment images other than the current spec's and those a container uses
(every lock change leaves a ~7 GB image), local-engine venvs other than the current lock's and
those a running session uses, and dlbox's own caches (build and session logs, probe caches,
verify runs, Buildah's temporary folder). Never the code folder, the data folder, the
persistent Jupyter home or a running session's files."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dlbox import paths
from dlbox.config import Settings
from dlbox.engines.docker import DockerEngine
from dlbox.engines.inventory import (
    StoredImage,
    image_ids_in_use,
    labelled_images,
    remove_image,
)
from dlbox.engines.local import LocalEngine, processes, venvs
from dlbox.engines.podman import buildah_tmp_path, remove_buildah_tmp
from dlbox.errors import DlboxError
from dlbox.extend.project_image import build_options, env_spec
from dlbox.image.build import environment_request, plan

IMAGE_LABEL = "io.dlbox.spec-hash"
Kind = Literal["image", "venv", "cache"]


@dataclass(frozen=True)
class Removable:
    kind: Kind
    what: str  # image names (or ID), or a path
    size: int | None
    why: str
    image: StoredImage | None = None

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "what": self.what, "size": self.size, "why": self.why}


@dataclass(frozen=True)
class Kept:
    what: str
    why: str

    def to_dict(self) -> dict[str, object]:
        return {"what": self.what, "why": self.why}


@dataclass
class CleanPlan:
    items: list[Removable] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    engine: DockerEngine | None = None

    @property
    def total(self) -> int:
        return sum(i.size or 0 for i in self.items)

    def to_dict(self) -> dict[str, object]:
        return {
            "items": [i.to_dict() for i in self.items],
            "kept": [k.to_dict() for k in self.kept],
            "notes": self.notes,
            "total_bytes": self.total,
        }


@dataclass(frozen=True)
class CleanResult:
    removed: list[Removable]
    failed: list[tuple[Removable, str]]

    @property
    def freed(self) -> int:
        return sum(i.size or 0 for i in self.removed)

    def to_dict(self) -> dict[str, object]:
        return {
            "removed": [i.to_dict() for i in self.removed],
            "failed": [{**i.to_dict(), "error": why} for i, why in self.failed],
            "freed_bytes": self.freed,
        }


def tree_size(path: Path) -> int:
    """Bytes under path, links not followed."""
    total = 0
    for root, dirs, files in os.walk(path, followlinks=False):
        for name in [*files, *dirs]:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                pass
    return total


def _size(path: Path) -> int:
    return tree_size(path) if path.is_dir() and not path.is_symlink() else path.lstat().st_size


def plan_images(engine: DockerEngine, cfg: Settings, into: CleanPlan) -> None:
    try:
        current: str | None = plan(engine, env_spec(cfg)).tag
    except DlboxError as exc:
        current = None
        into.notes.append(
            f"cannot tell which image is current ({exc.message}): tagged images are kept"
        )
    in_use = image_ids_in_use(engine)
    for image in labelled_images(engine, IMAGE_LABEL):
        name = ", ".join(image.refs) or image.id[:12]
        if current is not None and current in image.refs:
            into.kept.append(Kept(name, "the current environment image"))
        elif image.id in in_use:
            into.kept.append(Kept(name, "used by a container"))
        elif current is None and image.refs:
            into.kept.append(Kept(name, "the current image is unknown"))
        else:
            why = "older environment image" if image.refs else "untagged old environment image"
            into.items.append(Removable("image", name, image.size, why, image))


def _running_local() -> list[processes.SessionRecord]:
    return [r for r in processes.all_records() if processes.alive(r)]


def plan_venvs(cfg: Settings, into: CleanPlan) -> None:
    root = venvs.venvs_dir()
    if not root.is_dir():
        return
    try:
        current = Path(
            LocalEngine().planned_environment(environment_request(build_options(cfg)))[0]
        )
    except DlboxError as exc:
        current = None
        into.notes.append(
            f"cannot tell which local-engine venv is current ({exc.message}): venvs are kept"
        )
    used = {Path(r.image) for r in _running_local()}
    for venv in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        if venv == current:
            into.kept.append(Kept(str(venv), "the current local-engine venv"))
        elif venv in used:
            into.kept.append(Kept(str(venv), "used by a running local session"))
        elif current is None:
            into.kept.append(Kept(str(venv), "the current venv is unknown"))
        else:
            why = "not this project's current venv (an older lock, or another project's extras)"
            into.items.append(Removable("venv", str(venv), tree_size(venv), why))


def plan_caches(into: CleanPlan) -> None:
    state = paths.state_dir()
    running = {r.name for r in _running_local()}
    candidates: list[tuple[Path, str]] = [
        (state / "client-probes.json", "engine client probe cache"),
        (state / "gpu-probe.json", "GPU probe cache"),
        (state / "verify", "verify runs (executed notebooks and reports)"),
        (buildah_tmp_path(), "Podman build cache (cache mounts)"),
    ]
    logs = state / "logs"
    if logs.is_dir():
        for log in sorted(logs.iterdir()):
            if not any(name in log.name for name in running):
                candidates.append((log, "log"))
    for path, why in candidates:
        if path.exists() and not path.is_symlink():
            into.items.append(Removable("cache", str(path), _size(path), why))


def plan_clean(cfg: Settings, engine: DockerEngine | None) -> CleanPlan:
    """What `dlbox clean` would remove, and what it keeps and why. Changes nothing."""
    result = CleanPlan(engine=engine)
    if engine is not None:
        plan_images(engine, cfg, result)
    else:
        result.notes.append("no container engine answers: images are not looked at")
    plan_venvs(cfg, result)
    plan_caches(result)
    return result


def apply_clean(
    plan_: CleanPlan, on_item: Callable[[Removable], None] = lambda _i: None
) -> CleanResult:
    """Remove what the plan lists; a failure (say, an image a new container now uses) is
    reported for that item and the rest goes on."""
    removed: list[Removable] = []
    failed: list[tuple[Removable, str]] = []
    for item in plan_.items:
        on_item(item)
        try:
            _remove(plan_, item)
        except DlboxError as exc:
            failed.append((item, exc.message))
        except OSError as exc:
            failed.append((item, f"{exc.strerror or exc}"))
        else:
            removed.append(item)
    return CleanResult(removed, failed)


def _remove(plan_: CleanPlan, item: Removable) -> None:
    if item.kind == "image":
        assert plan_.engine is not None and item.image is not None
        remove_image(plan_.engine, item.image)
        return
    path = Path(item.what)
    if path == buildah_tmp_path():
        remove_buildah_tmp(path)
    elif path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def only(plan_: CleanPlan, kinds: Iterable[Kind]) -> CleanPlan:
    wanted = set(kinds)
    return CleanPlan(
        [i for i in plan_.items if i.kind in wanted], plan_.kept, plan_.notes, plan_.engine
    )

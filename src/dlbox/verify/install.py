"""Putting the shipped lesson notebooks into the user's code folder (on `up`).

A lesson is copied when it is missing, and refreshed when dlbox ships a newer version and the
user never edited the copy: its cells' sources are still what dlbox wrote (a digest recorded in a
manifest). Opening a lesson in JupyterLab rewrites its metadata, and running it adds outputs;
neither counts as an edit. An edited lesson is never overwritten: the result says it was kept.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from dlbox.verify.model import shipped_lessons

LESSONS_FOLDER = "dlbox-lessons"
MANIFEST = ".dlbox-manifest.json"


@dataclass
class LessonsResult:
    folder: Path
    copied: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_edited: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "folder": str(self.folder),
            "copied": self.copied,
            "updated": self.updated,
            "kept_edited": self.kept_edited,
            "unchanged": self.unchanged,
        }


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sources_digest(data: bytes) -> str:
    """A digest of what a user writes in a notebook: each cell's type and source (not metadata,
    outputs or execution counts). A file that is not a notebook: its bytes."""
    try:
        cells = json.loads(data)["cells"]
        sources = [(c.get("cell_type"), c["source"]) for c in cells]
        text = json.dumps(
            [[kind, "".join(src) if isinstance(src, list) else src] for kind, src in sources]
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return _sha(data)
    return "cells:" + _sha(text.encode())


def _write_atomic(path: Path, data: bytes, owner: tuple[int, int] | None) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    if owner is not None:
        os.chown(tmp, *owner)
    tmp.replace(path)


def install_lessons(code_dir: Path, owner: tuple[int, int] | None = None) -> LessonsResult:
    """owner: (uid, gid) for what is created, when root acts for a user (sudo)."""
    folder = code_dir / LESSONS_FOLDER
    result = LessonsResult(folder)
    for path in (code_dir, folder):
        if not path.exists():
            path.mkdir(parents=True)
            if owner is not None:
                os.chown(path, *owner)
    manifest_path = folder / MANIFEST
    try:
        manifest: dict[str, str] = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    for source in shipped_lessons():
        shipped = source.read_bytes()
        target = folder / source.name
        if not target.exists():
            _write_atomic(target, shipped, owner)
            manifest[source.name] = _sources_digest(shipped)
            result.copied.append(source.name)
            continue
        data = target.read_bytes()
        if data == shipped:
            manifest[source.name] = _sources_digest(shipped)
            result.unchanged.append(source.name)
        elif manifest.get(source.name) in (_sources_digest(data), _sha(data)):
            # dlbox's own older copy, never edited (opened or run at most). Older manifests
            # recorded the file's bytes.
            _write_atomic(target, shipped, owner)
            manifest[source.name] = _sources_digest(shipped)
            result.updated.append(source.name)
        else:
            result.kept_edited.append(source.name)
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    _write_atomic(manifest_path, text.encode(), owner)
    return result

"""Putting the shipped lesson notebooks into the user's code folder (on `up`).

A lesson is copied when it is missing, and refreshed when dlbox ships a newer version and the
user never edited the copy (its hash is still what dlbox wrote, recorded in a manifest). An
edited lesson is never overwritten: the result says it was kept.
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
            manifest[source.name] = _sha(shipped)
            result.copied.append(source.name)
            continue
        current = _sha(target.read_bytes())
        if current == _sha(shipped):
            manifest[source.name] = current
            result.unchanged.append(source.name)
        elif manifest.get(source.name) == current:  # dlbox's own older copy, never edited
            _write_atomic(target, shipped, owner)
            manifest[source.name] = _sha(shipped)
            result.updated.append(source.name)
        else:
            result.kept_edited.append(source.name)
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    _write_atomic(manifest_path, text.encode(), owner)
    return result

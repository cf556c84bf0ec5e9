"""Settings, a fixture lock and generated values for the Kubernetes values tests."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from dlbox.config import Settings, load_settings
from dlbox.environment.lockset import env_dir
from dlbox.hub.kubernetes import values
from dlbox.hub.z2jh import chart_for
from dlbox.usecases.hub_export import kube_settings

IMAGE = "registry.example.org/class/dlbox-env"
TAG = "0123456789abcdef"
JUPYTERHUB = "5.5.4"
_PIN = re.compile(r"^jupyterhub==\S+", re.MULTILINE)


def fixture_locks(root: Path, jupyterhub: str | None = JUPYTERHUB) -> Path:
    """dlbox's shipped locks, with `jupyterhub` pinned to the given version (or removed)."""
    for arch in ("x86_64", "aarch64"):
        dest = root / f"linux-{arch}"
        shutil.copytree(env_dir() / "locks" / f"linux-{arch}", dest)
        course = dest / "course.txt"
        text = course.read_text()
        if _PIN.search(text):
            text = _PIN.sub(f"jupyterhub=={jupyterhub}" if jupyterhub else "# (removed)", text)
        elif jupyterhub:
            text += f"jupyterhub=={jupyterhub} \\\n    --hash=sha256:{'0' * 64}\n"
        course.write_text(text)
    return root


def settings(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings({k: str(v) for k, v in overrides.items()}, environ={}, cwd=tmp_path)


def generate(cfg: Settings, tag: str = TAG, jupyterhub: str = JUPYTERHUB) -> dict[str, Any]:
    return values(kube_settings(cfg, IMAGE, tag, chart_for(jupyterhub)))

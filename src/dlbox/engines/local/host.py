"""The local engine's stand-ins for a container: container paths mapped to host folders, the
environment variables, and what the image's start script does (fastai config, data link)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from dlbox.engines.base import ContainerSpec, Mount
from dlbox.environment.layout import HOME

FASTAI_HOME_DIR = ".fastai-local"  # beside the container's .fastai, which names /data
CONFIG_MARK = "# written by dlbox for the local engine"


def translate(value: str, mounts: Sequence[Mount]) -> str:
    """A container path as the host sees it (the longest mount target that contains it)."""
    for mount in sorted(mounts, key=lambda m: len(m.target), reverse=True):
        if value == mount.target:
            return str(mount.source)
        if value.startswith(mount.target.rstrip("/") + "/"):
            return str(mount.source / value[len(mount.target.rstrip("/")) + 1 :])
    return value


def _home(mounts: Sequence[Mount]) -> Path:
    return Path(translate(HOME, mounts))


def host_env(spec: ContainerSpec, venv: Path) -> list[tuple[str, str]]:
    """The spec's environment with host paths, plus the venv activation."""
    env = [(k, translate(v, spec.mounts)) for k, v in spec.env]
    if spec.gpu.mode == "none":
        cuda = ""
    elif spec.gpu.devices:  # on the host, indices are the host's own (no engine renumbers them)
        cuda = ",".join(spec.gpu.devices)
    else:
        cuda = None
    env = [(k, cuda if k == "CUDA_VISIBLE_DEVICES" and cuda is not None else v) for k, v in env]
    env = [(k, v) for k, v in env if not (k == "CUDA_VISIBLE_DEVICES" and cuda is None)]
    search = [str(venv / "bin"), *(p for p in _path_entries() if p != str(venv / "bin"))]
    return [
        ("VIRTUAL_ENV", str(venv)),
        ("PATH", ":".join(search)),
        ("PYTHONNOUSERSITE", "1"),
        ("FASTAI_HOME", str(_home(spec.mounts) / FASTAI_HOME_DIR)),
        *env,
    ]


def _path_entries() -> list[str]:

    return [p for p in os.environ.get("PATH", "").split(":") if p]


def setup_course(course_dir: Path, data_dir: Path, fastai_home: Path) -> None:
    """What dlbox-start does: fastai's config.ini -> the data folder; data link in the course.

    config.ini is (re)written only when missing or written by dlbox; a `data` entry that exists in
    the course folder (file, folder or link, even a broken one) is never touched.
    """
    config = fastai_home / "config.ini"
    text = (
        f"{CONFIG_MARK}\n[DEFAULT]\ndata = {data_dir}\narchive = {data_dir / 'archive'}\n"
        f"storage = {data_dir / 'tmp'}\nmodel = {data_dir / 'models'}\n"
    )
    try:
        current = config.read_text() if config.exists() else None
        if current is None or (current.startswith(CONFIG_MARK) and current != text):
            fastai_home.mkdir(parents=True, exist_ok=True)
            config.write_text(text)
    except OSError:
        pass  # like the start script: a read-only home only loses the convenience
    link = course_dir / "data"
    if course_dir.is_dir() and not link.exists() and not link.is_symlink():
        try:
            link.symlink_to(data_dir, target_is_directory=True)
        except OSError:
            pass

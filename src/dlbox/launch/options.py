"""Options for starting environment containers (one object instead of long parameter lists)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dlbox.config import Settings
from dlbox.config.edit import FOLDER_KEYS, check_folder
from dlbox.errors import UsageError
from dlbox.launch.gpu_select import parse_gpus
from dlbox.launch.shm import auto_shm_bytes, parse_size
from dlbox.names import check_name


@dataclass(frozen=True)
class EnvOptions:
    """What every environment container shares: `up`, `run`, `verify` and `shell` alike."""

    code_dir: Path
    data_dir: Path
    course_subdir: str = ""
    gpus: str = "auto"
    shm_bytes: int | None = None  # None with ipc_host
    shm_source: str = "auto"
    ipc_host: bool = False
    refresh_gpu_probe: bool = False

    @property
    def container_workdir(self) -> str:
        sub = self.course_subdir.strip("/")
        return f"/code/{sub}" if sub else "/code"


@dataclass(frozen=True)
class UpOptions:
    env: EnvOptions
    port: int = 8888
    host: str = "127.0.0.1"
    per_gpu: bool = False
    open_browser: bool = False
    foreground: bool = False
    health_timeout: float = 180.0
    name: str | None = None


def env_options(cfg: Settings, *, refresh_gpu_probe: bool = False) -> EnvOptions:
    shm_text = str(cfg["shm_size"]).strip().lower()
    if cfg["ipc_host"]:
        shm_bytes, source = None, "--ipc host"
    elif shm_text in ("", "auto"):
        shm_bytes, source = auto_shm_bytes(), "auto"
    else:
        try:
            shm_bytes, source = parse_size(shm_text), cfg.source("shm_size")
        except ValueError as exc:
            raise UsageError(f"shm_size: {exc}.", "Pass e.g. --shm-size 8g, or auto.") from exc
    parse_gpus(str(cfg["gpus"]))  # bad values fail here, before any engine work
    sub = str(cfg["course_subdir"]).strip("/")
    if ".." in Path(sub).parts:
        raise UsageError(
            f"course_subdir {sub!r} leaves the code folder.",
            "Use a folder inside code_dir, e.g. course22 or fastai/courses/dl1.",
        )
    return EnvOptions(
        code_dir=Path(cfg["code_dir"]).expanduser().resolve(),
        data_dir=Path(cfg["data_dir"]).expanduser().resolve(),
        course_subdir=sub,
        gpus=str(cfg["gpus"]),
        shm_bytes=shm_bytes,
        shm_source=source,
        ipc_host=bool(cfg["ipc_host"]),
        refresh_gpu_probe=refresh_gpu_probe,
    )


def up_options(
    cfg: Settings,
    *,
    per_gpu: bool = False,
    open_browser: bool = False,
    foreground: bool = False,
    name: str | None = None,
    refresh_gpu_probe: bool = False,
) -> UpOptions:
    port = int(cfg["port"])
    if not 1 <= port <= 65535:
        raise UsageError(f"Port {port} is out of range.", "Use a port between 1024 and 65535.")
    for key in FOLDER_KEYS:  # a folder `up` could not create fails here, dry run included
        check_folder(key, Path(cfg[key]).expanduser(), cfg.source(key), explicit=False)
    return UpOptions(
        env=env_options(cfg, refresh_gpu_probe=refresh_gpu_probe),
        port=port,
        host=str(cfg["host"]),
        per_gpu=per_gpu,
        open_browser=open_browser,
        foreground=foreground,
        health_timeout=float(cfg["health_timeout"]),
        name=check_name("session", name) if name else None,
    )

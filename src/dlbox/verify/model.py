"""What `dlbox verify` is asked to do and what it found (plain data; no engine, no printing)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlbox.engines.base import GpuRequest

PROFILES = ("smoke", "full")
LESSONS_DIR = Path(__file__).parent / "lessons"
CONTAINER_DIR = Path(__file__).parent / "container"
SHIPPED_LESSONS = ("lesson1-dogscats.ipynb", "lesson1-pets.ipynb")
DEFAULT_CELL_TIMEOUT = 600.0

# Lesson parameters per profile (read by the shipped notebooks' `parameters` cell).
PROFILE_ENV: dict[str, tuple[tuple[str, str], ...]] = {
    "smoke": (
        ("DLBOX_PROFILE", "smoke"),
        ("DLBOX_L1_SZ", "64"),
        ("DLBOX_L1_BS", "8"),
        ("DLBOX_L1_EPOCHS", "1"),
        ("DLBOX_L1_WORKERS", "2"),
        ("DLBOX_L1_LR_FIND_IT", "20"),
    ),
    "full": (
        ("DLBOX_PROFILE", "full"),
        ("DLBOX_L1_SZ", "224"),
        ("DLBOX_L1_BS", "64"),
        ("DLBOX_L1_EPOCHS", "1"),
    ),
}


def shipped_lessons() -> list[Path]:
    return [LESSONS_DIR / name for name in SHIPPED_LESSONS]


@dataclass(frozen=True)
class VerifyOptions:
    notebooks: tuple[Path, ...]  # host paths; () means the shipped lessons
    image: str
    profile: str = "smoke"
    cell_timeout: float = DEFAULT_CELL_TIMEOUT
    code_dir: Path | None = None  # mounted at /code (the user's code folder)
    data_dir: Path | None = None  # mounted at /data (smoke: a seeded scratch folder)
    out_dir: Path | None = None  # where executed notebooks and report.json land
    gpu: GpuRequest = field(default_factory=GpuRequest)
    gpus: tuple[str, ...] = ()  # the GPUs the probe found (CUDA_VISIBLE_DEVICES counts them)
    shm_bytes: int | None = None
    ipc_host: bool = False
    keep_work: bool = False  # keep the lessons' scratch folder (exported models)

    @property
    def require_gpu(self) -> bool:
        return self.gpu.enabled


@dataclass(frozen=True)
class FailingCell:
    index: int | None  # position among all cells (what nbformat and Jupyter count)
    code_index: int | None  # position among code cells
    ename: str
    evalue: str
    traceback: str
    source: str

    @property
    def reason(self) -> str:
        text = f"{self.ename}: {self.evalue}".strip(": ")
        return text.splitlines()[0] if text else "failed"

    def to_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "code_index": self.code_index,
            "ename": self.ename,
            "evalue": self.evalue,
            "reason": self.reason,
            "traceback": self.traceback,
            "source": self.source,
        }


@dataclass(frozen=True)
class NotebookResult:
    name: str
    host_path: Path | None
    status: str  # passed | failed | timeout | not run
    code_cells: int
    cells_run: int
    seconds: float
    failing: FailingCell | None
    cell_seconds: tuple[tuple[int, float, str], ...] = ()  # (index, seconds, status)
    facts: dict[str, Any] = field(default_factory=dict)
    executed: Path | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "path": str(self.host_path) if self.host_path else None,
            "status": self.status,
            "code_cells": self.code_cells,
            "cells_run": self.cells_run,
            "seconds": self.seconds,
            "failing_cell": self.failing.to_dict() if self.failing else None,
            "cells": [{"index": i, "seconds": s, "status": st} for i, s, st in self.cell_seconds],
            "facts": self.facts,
            "executed": str(self.executed) if self.executed else None,
        }


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    profile: str
    image: str
    notebooks: tuple[NotebookResult, ...]
    seconds: float
    out_dir: Path
    device: dict[str, Any] = field(default_factory=dict)
    uid: int | None = None
    error: str | None = None  # the run itself failed (seed, GPU check, container)
    log_path: Path | None = None
    engine: str = ""  # the engine it ran on (docker, podman, local)
    notes: tuple[str, ...] = ()  # how the run was isolated, what the engine could not do

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "profile": self.profile,
            "engine": self.engine,
            "image": self.image,
            "seconds": round(self.seconds, 2),
            "device": self.device,
            "uid": self.uid,
            "error": self.error,
            "out_dir": str(self.out_dir),
            "report": str(self.out_dir / "report.json"),
            "log_path": str(self.log_path) if self.log_path else None,
            "notes": list(self.notes),
            "notebooks": [nb.to_dict() for nb in self.notebooks],
        }


def parse_event(line: str) -> dict[str, Any] | None:
    """One progress event printed by the in-container runner, or None for any other line."""
    line = line.strip()
    if not line.startswith("{") or '"event"' not in line:
        return None
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("event"), str) else None


def _failing(data: dict[str, Any] | None) -> FailingCell | None:
    if not data:
        return None
    return FailingCell(
        index=data.get("index"),
        code_index=data.get("code_index"),
        ename=str(data.get("ename") or ""),
        evalue=str(data.get("evalue") or ""),
        traceback=str(data.get("traceback") or ""),
        source=str(data.get("source") or ""),
    )


def notebook_result(data: dict[str, Any], host_path: Path | None, out_dir: Path) -> NotebookResult:
    cells = tuple(
        (int(c["index"]), float(c["seconds"]), str(c["status"])) for c in data.get("cells", [])
    )
    executed = out_dir / f"{data['name']}.ipynb"
    return NotebookResult(
        name=str(data["name"]),
        host_path=host_path,
        status=str(data.get("status", "failed")),
        code_cells=int(data.get("code_cells", 0)),
        cells_run=len(cells),
        seconds=float(data.get("seconds", 0.0)),
        failing=_failing(data.get("failing_cell")),
        cell_seconds=cells,
        facts=dict(data.get("facts") or {}),
        executed=executed if executed.exists() else None,
    )

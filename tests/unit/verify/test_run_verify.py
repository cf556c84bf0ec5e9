"""`dlbox verify`'s run as the engine receives it (verify/runner.py run_verify and the spec it
builds), with an engine stand-in that records the spec, streams a progress event and a log line,
and writes the report the in-container runner would. The e2e and engine tiers run the same code
against real engines; these tests pin what they cannot afford to vary one thing at a time
(written against surviving mutants, CONTRIBUTING.md "Mutation testing")."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dlbox import paths
from dlbox.engines.base import ContainerSpec, Mount
from dlbox.errors import UsageError
from dlbox.verify.model import CONTAINER_DIR, LESSONS_DIR, VerifyOptions
from dlbox.verify.runner import (
    LESSONS_MOUNT,
    NOTEBOOK_MOUNT,
    OFFLINE_NOTE,
    OUT_MOUNT,
    RUNNER_DIR,
    STARTUP_ALLOWANCE,
    WORK_DIR,
    _folders,
    plan_jobs,
    run_verify,
)


def _notebook(path: Path, code_cells: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = [{"cell_type": "markdown", "source": "# x"}] + [
        {"cell_type": "code", "source": "1"} for _ in range(code_cells)
    ]
    path.write_text(json.dumps({"cells": cells, "nbformat": 4}), encoding="utf-8")
    return path


class RecordingEngine:
    """Records run_streaming's arguments; writes report.json into the spec's output mount."""

    name = "fake"

    def __init__(self, raises: BaseException | None = None) -> None:
        self.raises = raises
        self.calls: list[dict[str, Any]] = []
        self.removed: list[str] = []

    def environment_path(self, path: str, spec: ContainerSpec) -> str:
        return path

    def remove(self, name: str) -> None:
        self.removed.append(name)

    def limitations(self, spec: ContainerSpec) -> tuple[str, ...]:
        return ("the fake engine isolates nothing",)

    def run_streaming(
        self,
        spec: ContainerSpec,
        on_line: Callable[[str], None],
        log_path: Path,
        timeout: float,
    ) -> int:
        out = next(m.source for m in spec.mounts if m.target == OUT_MOUNT)
        plan = json.loads((out / "plan.json").read_text())
        self.calls.append({"spec": spec, "log_path": log_path, "timeout": timeout, "plan": plan})
        if self.raises is not None:
            raise self.raises
        on_line('{"event": "cell", "notebook": "mine", "index": 1}')
        on_line("a plain log line")
        notebooks = [
            {"name": nb["name"], "status": "passed", "code_cells": 1, "seconds": 1.0}
            for nb in plan["notebooks"]
        ]
        (out / "report.json").write_text(json.dumps({"ok": True, "notebooks": notebooks}))
        (out / "work" / "model.pkl").write_text("exported")
        return 0


@pytest.fixture
def folders(tmp_path: Path, isolated_dlbox_home: Path) -> dict[str, Path]:
    code, data, out = tmp_path / "code", tmp_path / "data", tmp_path / "out"
    return {"code": code, "data": data, "out": out}


def _options(folders: dict[str, Path], *notebooks: Path, **kw: Any) -> VerifyOptions:
    return VerifyOptions(
        notebooks=notebooks,
        image="dlbox-env:abc",
        code_dir=folders["code"],
        data_dir=folders["data"],
        out_dir=folders["out"],
        cell_timeout=30.0,
        shm_bytes=1 << 30,
        **kw,
    )


def test_a_smoke_run_builds_the_offline_spec_streams_events_and_reads_the_report(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    inside = _notebook(folders["code"] / "course" / "mine.ipynb", code_cells=2)
    outside = _notebook(tmp_path / "elsewhere" / "theirs.ipynb", code_cells=1)
    engine = RecordingEngine()
    events: list[dict[str, Any]] = []
    result = run_verify(engine, _options(folders, inside, outside), events.append)  # type: ignore[arg-type]

    (call,) = engine.calls
    spec: ContainerSpec = call["spec"]
    out = folders["out"].resolve()
    assert spec.name.startswith(f"dlbox-verify-{os.getpid()}-")
    assert spec.image == "dlbox-env:abc"
    assert spec.command == ("python", f"{RUNNER_DIR}/run_notebooks.py", f"{OUT_MOUNT}/plan.json")
    assert spec.mounts[3:] == (
        Mount(CONTAINER_DIR.resolve(), RUNNER_DIR, read_only=True),
        Mount(LESSONS_DIR.resolve(), LESSONS_MOUNT, read_only=True),
        Mount(out, OUT_MOUNT),
        Mount(outside.parent.resolve(), f"{NOTEBOOK_MOUNT}0"),
    )
    assert spec.mounts[0] == Mount(folders["code"].resolve(), "/code")
    assert spec.mounts[2] == Mount(out / "work" / ".home", "/home/dlbox")
    env = dict(spec.env)
    assert env["TORCH_HOME"] == "/data/torch" and env["PYTHONPATH"] == f"{RUNNER_DIR}/guard"
    assert env["DLBOX_PROFILE"] == "smoke" and env["DLBOX_COURSE_DIR"] == WORK_DIR
    assert dict(spec.labels)["io.dlbox.kind"] == "verify"
    assert (spec.detach, spec.remove, spec.network, spec.workdir) == (False, True, "none", WORK_DIR)
    assert spec.shm_size_bytes == 1 << 30 and spec.ipc_host is False
    assert call["timeout"] == STARTUP_ALLOWANCE + 30.0 * 3  # three code cells in all
    assert call["log_path"] == out / "verify.log"
    assert call["plan"]["notebooks"] == [
        {"name": "mine", "path": "/code/course/mine.ipynb", "cwd": "/code/course"},
        {
            "name": "theirs",
            "path": f"{NOTEBOOK_MOUNT}0/theirs.ipynb",
            "cwd": f"{NOTEBOOK_MOUNT}0",
        },
    ]
    assert call["plan"]["seed"] == {
        "script": f"{RUNNER_DIR}/seed_smoke.py",
        "args": ["/data"],
        "timeout": 600,
    }
    assert call["plan"]["out"] == OUT_MOUNT and call["plan"]["timeout"] == 30.0
    assert call["plan"]["require_gpu"] is False and call["plan"]["kernel"] == "python3"

    assert events == [{"event": "cell", "notebook": "mine", "index": 1}]
    assert result.ok is True and result.engine == "fake"
    assert result.notes == ("the fake engine isolates nothing", OFFLINE_NOTE)
    assert [n.name for n in result.notebooks] == ["mine", "theirs"]
    assert not (out / "work").exists()  # the scratch folder goes unless asked to keep it


def test_a_full_run_keeps_its_work_and_the_network(folders: dict[str, Path]) -> None:
    nb = _notebook(folders["code"] / "a.ipynb", code_cells=1)
    engine = RecordingEngine()
    options = _options(folders, nb, profile="full", keep_work=True, ipc_host=True)
    result = run_verify(engine, options)  # type: ignore[arg-type]
    spec: ContainerSpec = engine.calls[0]["spec"]
    assert spec.network is None and "TORCH_HOME" not in dict(spec.env)
    assert spec.ipc_host is True and spec.shm_size_bytes is None
    assert engine.calls[0]["plan"]["seed"] is None
    assert (folders["out"].resolve() / "work" / "model.pkl").exists()
    assert OFFLINE_NOTE not in result.notes


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt(), TimeoutError("too slow")])
def test_an_interrupted_run_removes_its_container(
    folders: dict[str, Path], interrupt: BaseException
) -> None:
    nb = _notebook(folders["code"] / "a.ipynb", code_cells=1)
    engine = RecordingEngine(raises=interrupt)
    with pytest.raises(type(interrupt)):
        run_verify(engine, _options(folders, nb))  # type: ignore[arg-type]
    # a killed docker client leaves its container running: it is removed by name
    assert engine.removed == [engine.calls[0]["spec"].name]


def test_an_unknown_profile_is_refused_before_anything_is_made(folders: dict[str, Path]) -> None:
    with pytest.raises(UsageError) as err:
        run_verify(RecordingEngine(), _options(folders, profile="quick"))  # type: ignore[arg-type]
    assert err.value.message == "Unknown profile 'quick'."
    assert err.value.hint == "Use one of: smoke, full."
    assert not folders["out"].exists()


def test_folders_default_to_the_state_folder_and_the_users_folders(
    isolated_dlbox_home: Path, tmp_path: Path
) -> None:
    smoke = VerifyOptions(notebooks=(), image="i", code_dir=tmp_path / "code")
    out, data, code = _folders(smoke)
    root = paths.state_dir().resolve() / "verify"
    assert out.parent == root and len(out.name) == len("20261202-133600")
    assert data == root / "smoke-data" and code == (tmp_path / "code").resolve()
    full = VerifyOptions(notebooks=(), image="i", profile="full", code_dir=tmp_path / "code")
    assert _folders(full)[1] == paths.default_data_dir().resolve()


def test_a_folder_that_cannot_be_made_is_named(isolated_dlbox_home: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    options = VerifyOptions(notebooks=(), image="i", out_dir=blocker / "out")
    with pytest.raises(UsageError) as err:
        _folders(options)
    assert err.value.message == f"Cannot create {blocker / 'out'}: Not a directory."
    assert err.value.hint == "Pick a folder you can write."


def test_where_each_notebook_runs(tmp_path: Path) -> None:
    code = tmp_path / "code"
    lesson = LESSONS_DIR / "lesson1-pets.ipynb"
    a = _notebook(code / "sub" / "a.ipynb", 1)
    b = _notebook(tmp_path / "x" / "a.ipynb", 1)  # same stem: a unique name
    c = _notebook(tmp_path / "x" / "c.ipynb", 1)  # same folder as b: one mount
    d = _notebook(tmp_path / "y" / "d.ipynb", 1)
    jobs, mounts = plan_jobs((lesson, a, b, c, d), code)
    assert [(j.name, j.container_path, j.cwd) for j in jobs] == [
        ("lesson1-pets", f"{LESSONS_MOUNT}/lesson1-pets.ipynb", WORK_DIR),
        ("a", "/code/sub/a.ipynb", "/code/sub"),
        ("a-2", f"{NOTEBOOK_MOUNT}0/a.ipynb", f"{NOTEBOOK_MOUNT}0"),
        ("c", f"{NOTEBOOK_MOUNT}0/c.ipynb", f"{NOTEBOOK_MOUNT}0"),
        ("d", f"{NOTEBOOK_MOUNT}1/d.ipynb", f"{NOTEBOOK_MOUNT}1"),
    ]
    assert mounts == [
        Mount((tmp_path / "x").resolve(), f"{NOTEBOOK_MOUNT}0"),
        Mount((tmp_path / "y").resolve(), f"{NOTEBOOK_MOUNT}1"),
    ]
    assert jobs[1].host_path == a.resolve()


def test_what_is_not_a_notebook_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as missing:
        plan_jobs((tmp_path / "nope.ipynb",), tmp_path)
    assert missing.value.message == f"No notebook at {tmp_path / 'nope.ipynb'}."
    assert missing.value.hint == "Pass the path of an .ipynb file."
    text = tmp_path / "notes.txt"
    text.write_text("x")
    with pytest.raises(UsageError) as wrong:
        plan_jobs((text,), tmp_path)
    assert wrong.value.message == f"{text} is not a notebook (.ipynb)."

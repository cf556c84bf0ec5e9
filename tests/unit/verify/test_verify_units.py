"""Pure parts of `dlbox verify`: event parsing, report parsing, notebook placement, the container
spec, the in-container runner's helpers and the offline guard (in a child python)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

from dlbox.engines.base import Engine, GpuRequest
from dlbox.engines.docker import BuildKitSupport, DockerEngine
from dlbox.engines.local import LocalEngine
from dlbox.engines.local.host import host_env
from dlbox.environment.layout import HOME
from dlbox.errors import DlboxError, UsageError
from dlbox.verify.model import (
    CONTAINER_DIR,
    VerifyOptions,
    notebook_result,
    parse_event,
    shipped_lessons,
)
from dlbox.verify.runner import (
    LESSONS_MOUNT,
    OFFLINE_NOTE,
    OUT_MOUNT,
    RUNNER_DIR,
    WORK_DIR,
    build_spec,
    plan_jobs,
    read_report,
    run_notes,
)

DOCKER: Engine = DockerEngine("docker", BuildKitSupport("buildx", "test"))


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parse_event_accepts_runner_lines_only() -> None:
    assert parse_event('{"event": "cell_start", "index": 3}') == {"event": "cell_start", "index": 3}
    assert parse_event("[IPKernelApp] WARNING | Kernel is running over TCP") is None
    assert parse_event('{"not": "an event"}') is None
    assert parse_event('{broken json, "event"') is None


def test_shipped_lessons_are_valid_notebooks_with_parameters() -> None:
    names = [p.name for p in shipped_lessons()]
    assert names == ["lesson1-dogscats.ipynb", "lesson1-pets.ipynb"]
    for path in shipped_lessons():
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and "DLBOX_L1_WORKERS" in tagged[0].source
        assert any("DLBOX_FACTS" in c.source for c in nb.cells)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_dogscats_lesson_keeps_the_2018_order() -> None:
    cells = nbformat.read(shipped_lessons()[0], 4).cells
    source = "\n".join(c.source for c in cells if c.cell_type == "code")
    steps = [
        "os.listdir(PATH)",
        "ImageDataLoaders.from_folder",
        "vision_learner(dls, arch",
        "get_preds",
        "plot_top_losses",
        "lr_find(num_it",
        "aug_transforms",
        "learn.save(",
        "learn.load(",
        "unfreeze",
        "slice(1e-4",
        "tta()",
        "confusion_matrix",
        "test1",
        "learn.export",
        "load_learner",
    ]
    positions = [source.index(step) for step in steps]
    assert positions == sorted(positions)


def test_plan_jobs_places_lessons_code_and_other_notebooks(tmp_path: Path) -> None:
    code = tmp_path / "code"
    (code / "course").mkdir(parents=True)
    inside = code / "course" / "a.ipynb"
    other = tmp_path / "elsewhere" / "a.ipynb"
    other.parent.mkdir()
    for path in (inside, other):
        path.write_text("{}")
    jobs, mounts = plan_jobs((shipped_lessons()[0], inside, other), code)
    assert [j.name for j in jobs] == ["lesson1-dogscats", "a", "a-2"]
    assert jobs[0].container_path == f"{LESSONS_MOUNT}/lesson1-dogscats.ipynb"
    assert jobs[0].cwd == f"{OUT_MOUNT}/work"
    assert (jobs[1].container_path, jobs[1].cwd) == ("/code/course/a.ipynb", "/code/course")
    assert len(mounts) == 1 and mounts[0].source == other.parent.resolve()
    assert jobs[2].container_path == f"{mounts[0].target}/a.ipynb"
    with pytest.raises(UsageError):
        plan_jobs((tmp_path / "missing.ipynb",), code)


def test_smoke_spec_runs_as_the_user_offline_with_shm(tmp_path: Path) -> None:
    options = VerifyOptions(
        notebooks=(),
        image="img:1",
        profile="smoke",
        cell_timeout=30,
        code_dir=tmp_path / "code",
        out_dir=tmp_path / "out",
    )
    spec, jobs, out = build_spec(options, DOCKER)
    assert len(jobs) == 2
    assert (spec.detach, spec.remove, spec.network) == (False, True, "none")
    assert spec.user and spec.user.split(":")[0].isdigit()
    assert spec.shm_size_bytes and spec.shm_size_bytes >= 1024**3
    targets = {m.target: m for m in spec.mounts}
    assert targets[RUNNER_DIR].read_only and targets[RUNNER_DIR].source == CONTAINER_DIR.resolve()
    assert not targets[OUT_MOUNT].read_only and targets[OUT_MOUNT].source == out
    assert "/code" in targets and "/data" in targets
    env = dict(spec.env)
    assert env["DLBOX_L1_WORKERS"] == "2" and env["TORCH_HOME"] == "/data/torch"
    assert env["PYTHONPATH"] == f"{RUNNER_DIR}/guard"
    assert spec.command == ("python", f"{RUNNER_DIR}/run_notebooks.py", f"{OUT_MOUNT}/plan.json")
    assert env["CUDA_VISIBLE_DEVICES"] == "" and env["DLBOX_COURSE_DIR"] == WORK_DIR
    assert spec.workdir == WORK_DIR
    home = targets[HOME].source  # a scratch home, never the user's fastai config
    assert home.is_dir() and home.is_relative_to(out / "work")
    plan = json.loads((out / "plan.json").read_text())
    assert plan["seed"]["script"] == f"{RUNNER_DIR}/seed_smoke.py"  # a container's own paths
    assert plan["out"] == OUT_MOUNT and plan["seed"]["args"] == ["/data"]
    assert plan["notebooks"][0]["path"].startswith(LESSONS_MOUNT)
    assert plan["timeout"] == 30 and plan["require_gpu"] is False
    assert run_notes(DOCKER, spec, options) == (OFFLINE_NOTE,)


def test_local_engine_plan_and_command_use_host_paths(tmp_path: Path) -> None:
    options = VerifyOptions(
        notebooks=(),
        image=str(tmp_path / "venv"),
        profile="smoke",
        code_dir=tmp_path / "code",
        data_dir=tmp_path / "data",
        out_dir=tmp_path / "out",
    )
    engine = LocalEngine()
    spec, _, out = build_spec(options, engine)
    plan = json.loads((out / "plan.json").read_text())
    assert plan["out"] == str(out)
    assert plan["seed"]["script"] == str(CONTAINER_DIR.resolve() / "seed_smoke.py")
    assert plan["seed"]["args"] == [str((tmp_path / "data").resolve())]
    lessons = [nb["path"] for nb in plan["notebooks"]]
    assert lessons == [str(p.resolve()) for p in shipped_lessons()]
    assert {nb["cwd"] for nb in plan["notebooks"]} == {str(out / "work")}
    argv = engine.run_argv(spec)
    assert argv[-2:] == [str(CONTAINER_DIR.resolve() / "run_notebooks.py"), str(out / "plan.json")]
    assert argv[argv.index("-c") + 2] == str(out / "work")  # the working folder
    env = dict(host_env(spec, Path(options.image)))
    assert env["PYTHONPATH"] == str(CONTAINER_DIR.resolve() / "guard")  # the guard stays on
    assert env["TORCH_HOME"] == str((tmp_path / "data").resolve() / "torch")
    assert env["CUDA_VISIBLE_DEVICES"] == ""
    assert env["FASTAI_HOME"].startswith(str(out / "work"))  # not the user's home
    notes = run_notes(engine, spec, options)
    assert any("--network none" in n for n in notes) and OFFLINE_NOTE in notes


def test_full_spec_with_gpus_requires_a_gpu(tmp_path: Path) -> None:
    options = VerifyOptions(
        notebooks=(),
        image="img:1",
        profile="full",
        code_dir=tmp_path / "c",
        data_dir=tmp_path / "d",
        out_dir=tmp_path / "o",
        gpu=GpuRequest(mode="gpus"),
    )
    spec, _, out = build_spec(options, DOCKER)
    plan = json.loads((out / "plan.json").read_text())
    assert plan["require_gpu"] is True and plan["seed"] is None
    assert spec.network is None and spec.gpu.mode == "gpus"
    assert "PYTHONPATH" not in dict(spec.env)


def test_report_parsing_names_the_failing_cell(tmp_path: Path) -> None:
    report = {
        "ok": False,
        "uid": 1000,
        "device": {"device": "cpu"},
        "error": None,
        "notebooks": [
            {
                "name": "x",
                "status": "failed",
                "code_cells": 3,
                "seconds": 1.5,
                "cells": [
                    {"index": 0, "seconds": 0.1, "status": "ok"},
                    {"index": 2, "seconds": 0.2, "status": "error"},
                ],
                "failing_cell": {
                    "index": 2,
                    "code_index": 1,
                    "ename": "ValueError",
                    "evalue": "boom",
                    "traceback": "tb",
                    "source": "raise ValueError('boom')",
                },
                "facts": {"num_workers": 2},
            }
        ],
    }
    (tmp_path / "report.json").write_text(json.dumps(report))
    options = VerifyOptions(notebooks=(), image="i")
    result = read_report(
        tmp_path, [], options, 2.0, tmp_path / "log", 1, [], engine="local", notes=("n",)
    )
    assert result.to_dict()["engine"] == "local" and result.to_dict()["notes"] == ["n"]
    nb = result.notebooks[0]
    assert not result.ok and nb.status == "failed" and nb.cells_run == 2
    assert nb.failing is not None and nb.failing.index == 2
    assert nb.failing.reason == "ValueError: boom"
    assert result.to_dict()["notebooks"][0]["failing_cell"]["reason"] == "ValueError: boom"  # type: ignore[index]
    with pytest.raises(DlboxError, match="before writing a report"):
        read_report(tmp_path / "none", [], options, 1.0, tmp_path / "log", 125, ["boom"])


def test_notebook_result_marks_timeouts(tmp_path: Path) -> None:
    nb = notebook_result(
        {
            "name": "s",
            "status": "timeout",
            "cells": [{"index": 1, "seconds": 5.0, "status": "timeout"}],
            "failing_cell": {
                "index": 1,
                "ename": "CellTimeoutError",
                "evalue": "",
                "traceback": "",
                "source": "",
            },
        },
        None,
        tmp_path,
    )
    assert nb.status == "timeout" and nb.cell_seconds == ((1, 5.0, "timeout"),)


def test_runner_helpers_collect_facts_and_strip_ansi() -> None:
    runner = _load("dlbox_run_notebooks", CONTAINER_DIR / "run_notebooks.py")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output(
            "stream", name="stdout", text='hello\nDLBOX_FACTS {"num_workers": 2}\n'
        )
    ]
    assert runner.collect_facts(nb) == {"num_workers": 2}
    assert runner.strip_ansi("\x1b[0;31mValueError\x1b[0m") == "ValueError"


def test_offline_guard_fails_fast_with_a_reason() -> None:
    code = (
        "import socket, urllib.request\n"
        "try:\n"
        "    urllib.request.urlopen('https://download.pytorch.org/x.pth', timeout=30)\n"
        "except Exception as exc:\n"
        "    print('BLOCKED', exc)\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
        "c = socket.create_connection(s.getsockname()); print('LOOPBACK OK')\n"
    )
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PYTHONPATH": str(CONTAINER_DIR / "guard"), "PATH": "/usr/bin:/bin"},
    )
    assert time.monotonic() - start < 20
    assert "BLOCKED" in done.stdout and "offline" in done.stdout
    assert "download.pytorch.org" in done.stdout
    assert "LOOPBACK OK" in done.stdout


def test_seed_without_numpy_or_pillow_says_what_to_add(tmp_path: Path) -> None:
    """The smoke profile's seeding in an environment without numpy and Pillow (a python without
    site-packages, -S): a one-line reason naming what to add, exit 2, nothing written; the runner
    reports it as the run's error."""
    done = subprocess.run(
        [sys.executable, "-S", str(CONTAINER_DIR / "seed_smoke.py"), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done
    assert done.stderr.strip() == (
        "the smoke profile makes its synthetic images with numpy and Pillow; this environment "
        "lacks numpy and Pillow: add them to its lock, or verify with --profile full"
    )
    assert not (tmp_path / "data").exists()


def test_seed_marker_reseeds_when_weights_are_now_wanted(tmp_path: Path) -> None:
    """Data seeded by an image without torch (no stand-in weights) is seeded again for one with
    torch; data with the weights serves both."""
    seed = _load("dlbox_seed_smoke", CONTAINER_DIR / "seed_smoke.py")
    marker = tmp_path / ".dlbox-smoke-seed.json"
    wanted = {"version": seed.SEED_VERSION, "per_class": 16, "px": 96}
    weights = tmp_path / "torch" / "hub" / "checkpoints" / seed.CHECKPOINT
    assert not seed._already(marker, wanted, None)  # nothing seeded yet
    marker.write_text(json.dumps({**wanted, "images": 112, "weights": False}))
    assert seed._already(marker, wanted, None)
    assert not seed._already(marker, wanted, weights)
    marker.write_text(json.dumps({**wanted, "images": 112, "weights": True}))
    assert not seed._already(marker, wanted, weights)  # the marker says so, the file is gone
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"stand-in")
    assert seed._already(marker, wanted, weights) and seed._already(marker, wanted, None)
    assert not seed._already(marker, {**wanted, "px": 64}, None)

"""Tests that kill the hand-made mutations that survived the unit suite (issue 12): each one fails
when the named check is removed or weakened."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from dlbox.config import load_settings
from dlbox.datasets.extract import Limits, UnsafeArchive, unpack_into
from dlbox.engines.base import ContainerSpec, GpuRequest, PortBinding, ProbeOutcome
from dlbox.engines.docker import BuildKitSupport, DockerEngine
from dlbox.engines.gpus import GpuDecision, classify_probe_failure
from dlbox.errors import ProcessError
from dlbox.launch import environment as launch_environment
from dlbox.launch.environment import EnvPlan, environment_container, plan_environment
from dlbox.launch.gpu_select import cached_probe
from dlbox.launch.launcher import start_session
from dlbox.launch.options import EnvOptions, up_options
from dlbox.launch.ports import is_free
from dlbox.launch.user import HostUser
from dlbox.verify import runner as verify_runner
from dlbox.verify.model import VerifyOptions
from dlbox.verify.runner import CONTAINER_DIR, Job, build_spec, read_report
from tests.unit.datasets.archives import Member, tgz

DOCKER = DockerEngine("docker", BuildKitSupport("buildx", "test"))
USER = HostUser(1000, 1000)


# --- extraction: a link chain that ends outside, with nothing written through it ---------------


def test_a_link_chain_ending_outside_is_refused(tmp_path: Path) -> None:
    """`a -> b/c/..` is inside while b/c does not exist; then `b/c -> ..` makes `a` resolve to the
    target's parent. Each link passes its own check; only the final link-chain check sees it."""
    archive = tmp_path / "chain.tgz"
    archive.write_bytes(
        tgz(
            {"b/keep.txt": b"x"},
            [
                Member("a", kind=tarfile.SYMTYPE, linkname="b/c/.."),
                Member("b/c", kind=tarfile.SYMTYPE, linkname=".."),
            ],
        )
    )
    root = tmp_path / "target"
    root.mkdir()
    with pytest.raises(UnsafeArchive, match="resolves outside the target"):
        unpack_into(archive, root, Limits(1 << 20))


# --- the container user -------------------------------------------------------------------------


@dataclass
class RecordingEngine:
    """Records the spec `up` would start, then refuses it like an engine would."""

    name: str = "docker"
    started: list[ContainerSpec] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def start(self, spec: ContainerSpec) -> str:
        self.started.append(spec)
        raise ProcessError("refused", argv=["docker", "run"], returncode=125, stderr_tail="no")

    def remove(self, name: str) -> None:
        self.removed.append(name)


@pytest.fixture()
def host_user(monkeypatch: pytest.MonkeyPatch) -> HostUser:
    monkeypatch.setattr(launch_environment, "invoking_user", lambda environ=None: USER)
    monkeypatch.setattr(verify_runner, "invoking_user", lambda environ=None: USER)
    return USER


def _options(tmp_path: Path) -> EnvOptions:
    return EnvOptions(tmp_path / "code", tmp_path / "data", gpus="none", shm_bytes=1 << 30)


def test_up_run_and_verify_run_as_the_host_user(tmp_path: Path, host_user: HostUser) -> None:
    plan = plan_environment(DOCKER, "img", _options(tmp_path), create_folders=False, probe=False)
    assert plan.user == host_user
    run = environment_container(plan, "img", name="dlbox-run-x", command=["true"], detach=False)
    options = VerifyOptions(
        notebooks=(), image="img", code_dir=tmp_path / "code", out_dir=tmp_path / "out"
    )
    verify, _jobs, _out = build_spec(options, DOCKER)
    engine = RecordingEngine()
    up_opts = up_options(load_settings({}, cwd=tmp_path))
    with pytest.raises(ProcessError):
        start_session(engine, plan, "img", "dlbox-t", GpuRequest("none"), up_opts, set())
    for spec in (run, verify, engine.started[0]):
        assert spec.user == "1000:1000"
        argv = DOCKER.run_argv(spec)
        assert argv[argv.index("--user") + 1] == "1000:1000"


def test_up_publishes_on_loopback_by_default(tmp_path: Path, host_user: HostUser) -> None:
    plan = EnvPlan(_options(tmp_path), host_user, GpuDecision(GpuRequest("none"), (), ""), tmp_path)
    engine = RecordingEngine()
    options = up_options(load_settings({}, cwd=tmp_path))
    with pytest.raises(ProcessError):
        start_session(engine, plan, "img", "dlbox-t", GpuRequest("none"), options, set())
    (spec,) = engine.started
    assert [p.host_ip for p in spec.ports] == ["127.0.0.1"]
    binding: PortBinding = spec.ports[0]
    argv = DOCKER.run_argv(spec)
    assert f"127.0.0.1:{binding.host_port}:{binding.container_port}" in argv
    assert not any(a.startswith("0.0.0.0:") for a in argv)
    assert engine.removed == ["dlbox-t"]  # a refused start leaves nothing behind


# --- ports --------------------------------------------------------------------------------------


@pytest.fixture()
def any_address_listener() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def test_a_listener_on_all_addresses_takes_the_loopback_port(any_address_listener: int) -> None:
    assert not is_free("127.0.0.1", any_address_listener)
    assert not is_free("0.0.0.0", any_address_listener)


def test_a_loopback_listener_takes_the_all_addresses_port() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        assert not is_free("0.0.0.0", port) and not is_free("127.0.0.1", port)


# --- GPU probe ----------------------------------------------------------------------------------


def test_a_timed_out_probe_is_never_cached() -> None:
    calls: list[int] = []

    def probe() -> list[ProbeOutcome]:
        calls.append(1)
        return [ProbeOutcome("gpus", False, (), "probe timed out", transient=True)]

    for _ in range(2):
        cached_probe("engine-x", probe)
    assert len(calls) == 2

    def answer() -> list[ProbeOutcome]:
        calls.append(1)
        return [ProbeOutcome("gpus", False, (), "could not select device driver")]

    cached_probe("engine-y", answer)
    cached_probe("engine-y", answer)
    assert len(calls) == 3  # a lasting answer is cached


@pytest.mark.parametrize(
    "stderr",
    [
        "Failed to initialize NVML: Driver/library version mismatch",
        "nvidia-container-cli: initialization error: nvml error: driver not loaded",
        "NVML: Unknown Error",
    ],
)
def test_nvml_and_driver_mismatch_errors_are_classified(stderr: str) -> None:
    assert "driver is installed but failed to initialise" in classify_probe_failure("gpus", stderr)


# --- verify: the in-container runner and the report's ok ---------------------------------------


def _report(path: Path, ok: bool, statuses: list[str]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    notebooks = [
        {"name": f"nb{i}", "status": s, "code_cells": 1, "seconds": 0.1, "cells": []}
        for i, s in enumerate(statuses)
    ]
    (path / "report.json").write_text(json.dumps({"ok": ok, "notebooks": notebooks}))


@pytest.mark.parametrize(
    ("ok", "returncode", "statuses", "expected"),
    [
        (True, 0, ["passed", "passed"], True),
        (True, 1, ["passed", "passed"], False),  # the runner's exit code says otherwise
        (True, 0, ["passed", "failed"], False),  # a failed notebook
        (True, 0, ["passed", "timeout"], False),
        (False, 0, ["passed"], False),
    ],
)
def test_report_ok_needs_ok_exit_zero_and_every_notebook_passed(
    tmp_path: Path, ok: bool, returncode: int, statuses: list[str], expected: bool
) -> None:
    _report(tmp_path, ok, statuses)
    options = VerifyOptions(notebooks=(), image="i")
    result = read_report(tmp_path, [], options, 1.0, tmp_path / "log", returncode, [])
    assert result.ok is expected


def test_a_job_that_never_ran_makes_the_report_not_ok(tmp_path: Path) -> None:
    _report(tmp_path, True, ["passed"])
    jobs = [Job("nb0", tmp_path / "a.ipynb", "/x/a.ipynb", "/x"), Job("late", None, "/y", "/y")]
    result = read_report(tmp_path, jobs, VerifyOptions((), "i"), 1.0, tmp_path / "l", 0, [])
    assert not result.ok and [n.status for n in result.notebooks] == ["passed", "not run"]


def test_the_in_container_runner_reports_a_raising_cell_as_failed(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise ValueError('boom')"),
        nbformat.v4.new_code_cell("y = 2"),
    ]
    path = tmp_path / "raising.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "out"
    plan = {
        "out": str(out),
        "timeout": 60,
        "require_gpu": False,
        "kernel": "python3",
        "notebooks": [{"name": "raising", "path": str(path), "cwd": str(tmp_path / "cwd")}],
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    done = subprocess.run(
        [sys.executable, str(CONTAINER_DIR / "run_notebooks.py"), str(tmp_path / "plan.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads((out / "report.json").read_text())
    assert done.returncode == 1, done.stderr[-2000:]
    assert report["ok"] is False
    (notebook,) = report["notebooks"]
    assert notebook["status"] == "failed"
    assert notebook["failing_cell"]["ename"] == "ValueError"
    assert notebook["failing_cell"]["code_index"] == 1

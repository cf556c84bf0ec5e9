"""Real engine: `dlbox doctor` tells the truth about this machine (engine, BuildKit, GPU, shm,
disk and port), and never crashes. Fails (not skips) when CI=true and no engine answers."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator

import pytest

from dlbox.doctor import CHECK_IDS, CheckResult, Facts, run_doctor
from dlbox.engines.detect import candidate_clients
from dlbox.engines.docker import DockerEngine
from dlbox.launch.shm import auto_shm_bytes, human
from tests.helpers import dlbox, docker, fake_jupyter_server

pytestmark = pytest.mark.engine


@pytest.fixture
def host_jupyter() -> Iterator[int]:
    with fake_jupyter_server() as port:
        yield port


def _has_buildx(path: str) -> bool:
    done = subprocess.run([path, "buildx", "version"], capture_output=True, timeout=30, check=False)
    return done.returncode == 0


def test_doctor_reports_this_machine(
    docker_engine: DockerEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        monkeypatch.setenv("DLBOX_PORT", str(port))
        report = run_doctor(Facts())
    checks: dict[str, CheckResult] = {c.id: c for c in report.checks}
    assert tuple(checks) == CHECK_IDS
    for check in report.checks:
        assert "crashed" not in check.finding and "timed out" not in check.finding, check

    engine = checks["engine"]
    assert engine.status == "ok", engine
    assert engine.details["client"] == docker_engine.client
    assert f"answers via {docker_engine.client}" in engine.finding
    assert docker_engine.server_version in engine.finding

    # BuildKit: the chosen client and what each candidate client can really do.
    bk = checks["buildkit"]
    assert bk.details["client"] == docker_engine.client
    assert bk.details["mode"] == docker_engine.buildkit.mode
    assert bk.status == ("ok" if docker_engine.buildkit.available else "fail")
    if docker_engine.buildkit.mode == "env":
        assert "DOCKER_BUILDKIT=1" in bk.finding
    clients = {c["path"]: c for c in bk.details["clients"]}  # type: ignore[attr-defined]
    assert set(clients) == set(candidate_clients("docker"))
    for path, client in clients.items():
        if client["runs"]:
            assert (client["buildkit"] == "buildx") == _has_buildx(path), client
            if path != docker_engine.client and client["buildkit"] == "none":
                assert f"not {path}" in bk.finding and "buildx" in bk.finding

    # GPU: no driver here is a warning, never a crash or a failure.
    if shutil.which("nvidia-smi") is None:
        assert checks["driver"].status == "warn"
        assert "no NVIDIA GPU found" in checks["driver"].finding
        gpu = checks["gpu-container"]
        assert gpu.status in ("warn", "skip"), gpu
        if gpu.status == "warn":
            assert gpu.finding.startswith("no GPU found")
            assert [m["mode"] for m in gpu.details["modes"]] == ["gpus", "cdi", "runtime"]  # type: ignore[attr-defined]

    shm = checks["shm"]
    assert shm.status == "ok" and human(auto_shm_bytes()) in shm.finding

    disk = checks["disk-images"]
    # The daemon's own answer, asked here, against what doctor learnt when it found the engine.
    root = docker("info", "--format", "{{.DockerRootDir}}").stdout.strip()
    assert root and docker_engine.info.store_root == root
    assert disk.details["root"] == root
    assert disk.status in ("ok", "warn", "fail")
    real_free = shutil.disk_usage(str(root)).free
    assert abs(int(disk.details["free_bytes"]) - real_free) < 2 * 1024**3  # type: ignore[call-overload]
    assert checks["disk-data"].status in ("ok", "fail")

    held_port = checks["port"]
    assert held_port.status == "warn"
    assert f"port {port} on 127.0.0.1 is in use by another program" in held_port.finding
    assert f"pid {os.getpid()}" in held_port.finding
    assert held_port.details["source"] == "env DLBOX_PORT"


def test_cli_json_names_a_host_jupyter(docker_engine: DockerEngine, host_jupyter: int) -> None:
    run = dlbox("doctor", "--json", env={"DLBOX_PORT": str(host_jupyter)}, timeout=400)
    doc = json.loads(run.stdout)
    assert doc["schema"] == "dlbox.doctor/1"
    assert run.code == (1 if doc["summary"]["fail"] else 0), run.stderr
    port = {c["id"]: c for c in doc["checks"]}["port"]
    assert port["status"] == "warn"
    assert "Jupyter server on the host: Jupyter Server 2.14.2" in port["finding"]
    assert f"jupyter server stop {host_jupyter}" in port["fix"]


def test_cli_text_table(docker_engine: DockerEngine) -> None:
    run = dlbox("doctor", "--fix-hints", timeout=400)
    assert run.code in (0, 1)
    for title in (
        "Container engine",
        "BuildKit",
        "NVIDIA driver",
        "GPU in containers",
        "Shared memory",
        "Jupyter port",
        "PyPI reachable",
    ):
        assert title in run.stdout
    assert " ok, " in run.stdout and " fail, " in run.stdout  # the summary line

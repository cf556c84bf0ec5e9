"""Real engine, tiny environment: `dlbox add` + `dlbox build` changes only the extras layer,
`remove` gives back the previous image exactly, `dlbox export` builds the same packages with
plain `docker build`, `--push` fails with the fix, and the quick benchmark runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dlbox.engines.docker import DockerEngine
from tests.helpers import dlbox, docker, docker_client

pytestmark = pytest.mark.engine
ROOT = Path(__file__).parents[2]
TINY = ROOT / "tests" / "fixtures" / "tiny-env" / "locks"
PACKAGE = "tabulate"  # small, pure Python, not in the tiny environment
UV = "/opt/dlbox/tools/bin/uv"
VENV_PY = "/opt/dlbox/venv/bin/python"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DLBOX_LOCK_ROOT", str(TINY))
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def build(project: Path) -> dict[str, object]:
    done = dlbox("build", "--json", cwd=project, timeout=900)
    assert done.code == 0, done.output
    data: dict[str, object] = json.loads(done.stdout)
    return data


def layers(tag: str) -> list[str]:
    out = docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", tag)
    assert out.returncode == 0, out.stderr
    found: list[str] = json.loads(out.stdout)
    return found


def uncached_steps(log: str) -> list[str]:
    """The Dockerfile steps a BuildKit plain-progress log shows as run (not CACHED)."""
    steps = dict(re.findall(r"^#(\d+) \[stage-0\s+\d+/\d+\] (.*)$", log, re.M))
    cached = set(re.findall(r"^#(\d+) CACHED$", log, re.M))
    return [
        text
        for number, text in steps.items()
        if number not in cached and not text.startswith("FROM ")
    ]


def freeze(tag: str) -> list[str]:
    out = docker("run", "--rm", "--entrypoint", UV, tag, "pip", "freeze", "--python", VENV_PY)
    assert out.returncode == 0, out.stderr
    return sorted(out.stdout.split())


def test_add_builds_only_the_extras_layer_and_remove_restores(
    docker_engine: DockerEngine, project: Path
) -> None:
    base = build(project)
    base_tag = str(base["tag"])

    added = dlbox("add", PACKAGE, cwd=project)
    assert added.code == 0, added.output
    assert (project / "dlbox.lock").is_file()
    extended = build(project)
    tag = str(extended["tag"])
    try:
        assert tag != base_tag
        before, after = layers(base_tag), layers(tag)
        assert len(after) > len(before)  # the extras layer(s) at the end
        # Every environment step came from the cache: only the extras steps may run. (Layer
        # digests match too, unless the engine's cache holds two records for one step, e.g.
        # after a `--no-cache` build on the same base: BuildKit may then hand back either.)
        uncached = uncached_steps(Path(str(extended["log_path"])).read_text())
        assert all("extras" in step for step in uncached), uncached
        run = docker(
            "run",
            "--rm",
            "--entrypoint",
            VENV_PY,
            tag,
            "-c",
            f"import {PACKAGE}; print({PACKAGE}.__version__)",
        )
        assert run.returncode == 0, run.stderr

        # A conflict is explained in one sentence and leaves dlbox.toml as it was.
        toml_before = (project / "dlbox.toml").read_bytes()
        clash = dlbox("add", "six<1.10", cwd=project)
        assert clash.code != 0
        assert "six<1.10 conflicts with the environment's six==1.16.0" in clash.output
        assert "Because" not in clash.output
        assert (project / "dlbox.toml").read_bytes() == toml_before

        removed = dlbox("remove", PACKAGE, cwd=project)
        assert removed.code == 0, removed.output
        again = build(project)
        assert again["tag"] == base_tag and again["built"] is False
    finally:
        docker("rmi", tag)


def test_export_builds_the_same_packages_with_plain_docker_build(
    docker_engine: DockerEngine, project: Path, tmp_path: Path
) -> None:
    assert dlbox("add", PACKAGE, cwd=project).code == 0
    image = str(build(project)["tag"])
    out = dlbox("export", str(tmp_path / "exported"), "--json", cwd=project)
    assert out.code == 0, out.output
    exported = json.loads(out.stdout)
    assert exported["tag"] == image
    readme = (tmp_path / "exported" / "README.md").read_text()
    assert exported["command_text"] in readme
    name = f"dlbox-export-test:{os.getpid()}"
    command = list(exported["command"])
    assert command[:3] == ["DOCKER_BUILDKIT=1", "docker", "build"]
    command[command.index("-t") + 1] = name
    env = dict(os.environ, DOCKER_BUILDKIT="1")
    done = subprocess.run(
        [docker_client(), *command[2:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    try:
        assert done.returncode == 0, done.stderr[-2000:]
        frozen = freeze(name)
        assert any(line.startswith(f"{PACKAGE}==") for line in frozen)
        assert frozen == freeze(image)
    finally:
        docker("rmi", name)
        docker("rmi", image)


def test_push_failure_names_the_fix(docker_engine: DockerEngine, project: Path) -> None:
    ref = "localhost:1/dlbox-push-test:x"  # nothing listens on port 1
    try:
        done = dlbox("build", "--push", ref, cwd=project, timeout=600)
        assert done.code != 0
        assert "Pushing localhost:1/dlbox-push-test:x to localhost:1 failed" in done.output
        assert "cannot be reached" in done.output
        bad = dlbox("build", "--push", "Not A Ref", cwd=project)
        assert bad.code == 2 and "is not an image reference" in bad.output
    finally:
        docker("rmi", ref)


def test_quick_benchmark_runs(docker_engine: DockerEngine, tmp_path: Path) -> None:
    report = tmp_path / "bench.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--doc", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for row in (
        "dlbox --version start",
        "cold build",
        "rebuild after one package",
        "image size",
        "data get",
    ):
        assert row in done.stdout, done.stdout
    assert "| cold build" in report.read_text()


def test_extras_from_an_extra_index(docker_engine: DockerEngine, project: Path) -> None:
    """[extras] extra_index_urls reaches both the resolution (`dlbox add`) and the build."""
    index = "https://pypi.org/simple"  # the only index these machines reach, named explicitly
    (project / "dlbox.toml").write_text(f'[extras]\nextra_index_urls = ["{index}"]\n')
    added = dlbox("add", "colorama", cwd=project)
    assert added.code == 0, added.output
    built = build(project)
    tag = str(built["tag"])
    try:
        log = Path(str(built["log_path"])).read_text()
        assert f"--extra-index-url {index}" in log
        run = docker("run", "--rm", "--entrypoint", VENV_PY, tag, "-c", "import colorama")
        assert run.returncode == 0, run.stderr
    finally:
        docker("rmi", tag)
    bad = project / "dlbox.toml"
    bad.write_text('[extras]\nextra_index_urls = ["https://me:pw@pypi.org/simple"]\n')
    refused = dlbox("build", cwd=project)
    assert refused.code == 2 and "credentials" in refused.output and "pw@" not in refused.output

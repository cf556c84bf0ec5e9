"""The install a user does: build the wheel, install it into clean environments the ways the
README gives (`uv tool install`, `pipx install`, and a plain fresh venv), and run
the main job from outside the source tree against the real engine: --version, doctor --json,
up --dry-run, and export (which needs the packaged templates and lock files)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlbox import __version__
from dlbox.engines.docker import DockerEngine

pytestmark = pytest.mark.engine
ROOT = Path(__file__).parents[2]


def uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    assert Path(found).exists(), "uv is needed to build the wheel"
    return found


def run(
    argv: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True,
        timeout=900, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    built = run([uv(), "build", "--wheel", "--out-dir", str(out), str(ROOT)], cwd=out)
    assert built.returncode == 0, built.stderr
    (found,) = out.glob("dlbox-*.whl")
    return found


def check_main_job(dlbox: Path, work: Path) -> None:
    version = run([str(dlbox), "--version"], cwd=work)
    assert version.returncode == 0 and version.stdout.strip() == f"dlbox {__version__}"
    env = {"DLBOX_CODE_DIR": str(work / "code"), "DLBOX_DATA_DIR": str(work / "data")}
    doctor = run([str(dlbox), "doctor", "--json", "--engine", "docker"], cwd=work, env=env)
    assert doctor.returncode in (0, 1), doctor.stderr
    checks = {c["id"]: c["status"] for c in json.loads(doctor.stdout)["checks"]}
    assert "fail" not in {checks.get("engine"), checks.get("buildkit")}, doctor.stdout
    dry = run([str(dlbox), "up", "--dry-run", "--engine", "docker"], cwd=work, env=env)
    assert dry.returncode == 0, dry.stderr
    assert "dlbox-env:" in dry.stdout + dry.stderr and " run " in dry.stdout
    export = run([str(dlbox), "export", str(work / "export")], cwd=work, env=env)
    assert export.returncode == 0, export.stderr
    assert (work / "export" / "Dockerfile").is_file()
    assert list((work / "export").rglob("torch.txt")), "the lock files are in the wheel"


def test_uv_tool_install(wheel: Path, tmp_path: Path, docker_engine: DockerEngine) -> None:
    tools, bin_dir = tmp_path / "tools", tmp_path / "bin"
    env = {"UV_TOOL_DIR": str(tools), "UV_TOOL_BIN_DIR": str(bin_dir)}
    done = run([uv(), "tool", "install", "--python", sys.executable, str(wheel)], tmp_path, env)
    assert done.returncode == 0, done.stderr
    check_main_job(bin_dir / "dlbox", tmp_path)


def test_pip_into_a_clean_venv(wheel: Path, tmp_path: Path, docker_engine: DockerEngine) -> None:
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    done = run([uv(), "pip", "install", "--python", str(python), str(wheel)], tmp_path)
    assert done.returncode == 0, done.stderr
    check_main_job(venv / "bin" / "dlbox", tmp_path)


def test_pipx_install(wheel: Path, tmp_path: Path, docker_engine: DockerEngine) -> None:
    """pipx itself (run with `uv tool run`, so nothing is installed for the user)."""
    env = {"PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "pipx-bin")}
    argv = [uv(), "tool", "run", "--from", "pipx", "pipx", "install", "--python", sys.executable]
    done = run([*argv, str(wheel)], tmp_path, env)
    assert done.returncode == 0, done.stdout + done.stderr
    check_main_job(tmp_path / "pipx-bin" / "dlbox", tmp_path)

"""Which client and BuildKit mode dlbox picks, using fake docker executables on disk."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dlbox.engines.detect import buildkit_support, find_docker_like, select_engine
from dlbox.errors import EngineUnavailable


def fake_docker(folder: Path, name: str, version: str, *, buildx: bool, daemon: str | None) -> Path:
    """A shell script that answers like a docker client of that version."""
    path = folder / name
    server = (
        f'echo "{daemon}"; exit 0'
        if daemon
        else 'echo "Cannot connect to the Docker daemon at unix:///x.sock." >&2; exit 1'
    )
    buildx_answer = (
        'echo "github.com/docker/buildx v0.17.1"; exit 0'
        if buildx
        else 'echo "docker: unknown command: docker buildx" >&2; exit 1'
    )
    path.write_text(f"""#!/bin/sh
case "$1" in
  --version) echo "Docker version {version}, build abc"; exit 0;;
  buildx) {buildx_answer};;
  version) {server};;
esac
exit 1
""")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.mark.parametrize(
    ("version", "buildx", "mode"),
    [
        ("20.10.24", False, "env"),
        ("28.2.2", False, "none"),
        ("28.2.2", True, "buildx"),
        ("19.03.1", True, "buildx"),
    ],
)
def test_buildkit_support(version: str, buildx: bool, mode: str) -> None:
    support = buildkit_support("/x/docker", f"Docker version {version}, build 1", buildx, False)
    assert support.mode == mode
    if mode == "none":
        assert "buildx" in support.detail


def test_prefers_a_client_that_can_do_buildkit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This machine's case: a 28.x client without buildx first on PATH, a 20.10 one behind it."""
    from dlbox.engines import detect

    new = fake_docker(tmp_path, "docker-new", "28.2.2", buildx=False, daemon="20.10.24")
    old = fake_docker(tmp_path, "docker-old", "20.10.24", buildx=False, daemon="20.10.24")
    monkeypatch.setattr(
        detect, "candidate_clients", lambda kind, explicit=None: [str(new), str(old)]
    )
    engine, why = find_docker_like("docker")
    assert engine is not None
    assert engine.client == str(old) and engine.buildkit.mode == "env"
    assert "chosen over" in why and "no BuildKit" in why


def test_daemon_down_means_local_for_auto_and_error_for_docker(tmp_path: Path) -> None:
    down = fake_docker(tmp_path, "docker", "28.2.2", buildx=True, daemon=None)
    choice = select_engine("auto", str(down), kinds=("docker",))
    assert choice.name == "local" and choice.engine is None
    assert "Cannot connect" in choice.reason
    with pytest.raises(EngineUnavailable) as info:
        select_engine("docker", str(down))
    assert info.value.hint and "Start the Docker daemon" in info.value.hint


def test_unknown_engine_name_is_rejected() -> None:
    with pytest.raises(EngineUnavailable):
        select_engine("kubernetes")

"""Which client and BuildKit mode dlbox picks, using fake docker executables on disk."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from dlbox.engines.base import BuildRequest, ContainerSpec
from dlbox.engines.detect import buildkit_support, find_docker_like, select_engine
from dlbox.engines.podman import PodmanEngine
from dlbox.errors import EngineUnavailable


def _server_json(version: str, podman: bool) -> str:
    components = [{"Name": "Podman Engine" if podman else "Engine", "Version": version}]
    return json.dumps({"Version": version, "Arch": "amd64", "Components": components})


def fake_docker(
    folder: Path,
    name: str,
    version: str,
    *,
    buildx: bool,
    daemon: str | None,
    rootless: bool = False,
    podman_socket: bool = False,
) -> Path:
    """A shell script that answers like a docker client of that version."""
    path = folder / name
    server = (
        f"echo '{_server_json(daemon, podman_socket)}'; exit 0"
        if daemon
        else 'echo "Cannot connect to the Docker daemon at unix:///x.sock." >&2; exit 1'
    )
    security = '["name=seccomp,profile=default"' + (',"name=rootless"' if rootless else "") + "]"
    info = (
        f'{{"SecurityOptions": {security}, "Driver": "overlay2", '
        '"DockerRootDir": "/var/lib/docker", "Runtimes": {"runc": {}}, "DefaultRuntime": "runc"}'
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
  info) echo '{info}'; exit 0;;
esac
exit 1
""")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def fake_podman(
    folder: Path,
    *,
    rootless: bool,
    answers: bool = True,
    own_socket: str = "",
    service: str = "",
) -> Path:
    """A shell script that answers like Debian's podman 4.3.1; with `service`, `podman --url
    SERVICE info` answers as the root Podman service there (the one DOCKER_HOST may name)."""
    remote = {
        "host": {
            "arch": "amd64",
            "security": {"rootless": False},
            "remoteSocket": {"path": service, "exists": True},
        },
        "store": {"graphDriverName": "overlay", "graphRoot": "/var/lib/containers/storage"},
        "version": {"Version": "4.3.1"},
    }
    info = {
        "host": {
            "arch": "amd64",
            "security": {"rootless": rootless},
            "remoteSocket": {"path": own_socket},
        },
        "store": {"graphDriverName": "overlay", "graphRoot": "/var/lib/containers/storage"},
        "version": {"Version": "4.3.1"},
    }
    reply = f"echo '{json.dumps(info)}'; exit 0" if answers else "echo 'Error: boom' >&2; exit 125"
    path = folder / "podman"
    path.write_text(f"""#!/bin/sh
if [ "$1" = --url ] && [ -n "{service}" ] && [ "$2" = "{service}" ] && [ "$3" = info ]; then
  echo '{json.dumps(remote)}'; exit 0
fi
case "$1" in
  --version) echo "podman version 4.3.1"; exit 0;;
  info) {reply};;
esac
echo "Error: cannot connect to $2" >&2
exit 125
""")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def only_path(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    from dlbox.engines import detect

    monkeypatch.setattr(detect, "candidate_clients", _only_on_path)


def _only_on_path(kind: str, explicit: str | None = None) -> list[str]:
    import os
    import shutil

    if explicit:
        return [explicit]
    found = shutil.which(kind)
    return [os.path.realpath(found)] if found else []


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
    assert choice.name == "local" and choice.container is None
    assert "Cannot connect" in choice.reason
    with pytest.raises(EngineUnavailable) as info:
        select_engine("docker", str(down))
    assert info.value.hint and "Start the Docker daemon" in info.value.hint


def test_unknown_engine_name_is_rejected() -> None:
    with pytest.raises(EngineUnavailable):
        select_engine("kubernetes")


def test_rootless_docker_is_named_rootless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_docker(tmp_path, "docker", "20.10.24", buildx=False, daemon="20.10.24", rootless=True)
    only_path(monkeypatch, tmp_path)
    choice = select_engine("auto")
    assert choice.container is not None and choice.container.info.rootless
    assert choice.reason.startswith("rootless Docker 20.10.24 answers via")
    assert choice.to_dict()["mode"] == "rootless"
    # The same `docker info` answers the GPU probe's cache key: no second call for it.
    assert choice.container.gpu_facts() == {
        "cdi_spec_dirs": None,
        "default_runtime": "runc",
        "runtimes": ["runc"],
    }


@pytest.mark.parametrize("rootless", [True, False])
def test_podman_found_through_podman_info(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rootless: bool
) -> None:
    fake_podman(tmp_path, rootless=rootless)
    only_path(monkeypatch, tmp_path)
    choice = select_engine("podman")
    engine = choice.container
    assert choice.name == "podman" and engine is not None
    assert engine.architecture() == "amd64" and engine.server_version == "4.3.1"
    mode = "rootless" if rootless else "rootful"
    assert choice.reason.startswith(f"{mode} Podman 4.3.1 answers via")
    assert "overlay storage" in choice.reason
    assert engine.buildkit.mode == "native"


def test_docker_symlink_to_podman_is_podman(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`docker` on PATH is Podman (podman-docker): auto picks Podman and says why, even though
    another Docker client elsewhere answers."""
    real = fake_podman(tmp_path, rootless=True)
    (tmp_path / "docker").symlink_to(real)
    only_path(monkeypatch, tmp_path)
    choice = select_engine("auto")
    assert choice.name == "podman"
    assert "your `docker` is Podman" in choice.reason


def test_docker_host_at_podman_socket_uses_the_podman_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_docker(tmp_path, "docker", "28.2.2", buildx=True, daemon="4.3.1", podman_socket=True)
    fake_podman(tmp_path, rootless=True)
    only_path(monkeypatch, tmp_path)
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/user/1000/podman/podman.sock")
    choice = select_engine("auto")
    assert choice.name == "podman" and choice.container is not None
    assert choice.container.client.endswith("/podman")
    assert "Podman's socket" in choice.reason and "never the Docker client" in choice.reason
    assert "CONTAINER_HOST" not in choice.reason  # the fake's podman names no socket of its own
    with pytest.raises(EngineUnavailable) as info:
        select_engine("docker")
    assert "Podman's Docker-compatible socket" in info.value.message
    assert info.value.hint == "Use `--engine podman` (dlbox drives Podman with its own CLI)."


def test_podman_not_answering_is_an_error_naming_podman(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_podman(tmp_path, rootless=True, answers=False)
    only_path(monkeypatch, tmp_path)
    with pytest.raises(EngineUnavailable) as info:
        select_engine("podman")
    assert "podman does not answer (Error: boom)" in info.value.message
    assert info.value.hint and "machine start" not in info.value.hint


def test_auto_on_apple_silicon_picks_local_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Docker Desktop answering does not matter: its containers have no GPU on a Mac."""
    fake_docker(tmp_path, "docker", "28.2.2", buildx=True, daemon="28.2.2")
    only_path(monkeypatch, tmp_path)
    choice = select_engine("auto", apple_silicon=True)
    assert choice.name == "local" and choice.container is None
    assert "Mac's GPU (MPS)" in choice.reason and "--engine docker" in choice.reason
    assert select_engine("docker", apple_silicon=True).name == "docker"
    assert select_engine("auto", apple_silicon=False).name == "docker"


def test_apple_silicon_is_darwin_arm64_only() -> None:
    from dlbox.engines.detect import is_apple_silicon

    assert is_apple_silicon("Darwin", "arm64")
    assert not is_apple_silicon("Darwin", "x86_64")
    assert not is_apple_silicon("Linux", "aarch64")


ROOT_SOCKET = "unix:///run/podman/podman.sock"


def test_docker_host_at_another_podman_service_drives_it_with_the_podman_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DOCKER_HOST names the root Podman service's socket; the podman CLI here would talk to the
    user's own rootless Podman. dlbox points the CLI at that service (`--url`, as CONTAINER_HOST
    would) for everything, builds included, and says so."""
    fake_docker(tmp_path, "docker", "28.2.2", buildx=True, daemon="4.3.1", podman_socket=True)
    podman = fake_podman(
        tmp_path,
        rootless=True,
        own_socket="/run/user/1000/podman/podman.sock",
        service=ROOT_SOCKET,
    )
    only_path(monkeypatch, tmp_path)
    monkeypatch.setenv("DOCKER_HOST", ROOT_SOCKET)
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    choice = select_engine("auto")
    engine = choice.container
    assert choice.name == "podman" and isinstance(engine, PodmanEngine)
    assert engine.title == "rootful Podman 4.3.1" and engine.info.endpoint == ROOT_SOCKET
    assert choice.reason.startswith(f"rootful Podman 4.3.1 answers via {podman} ")
    assert f"DOCKER_HOST={ROOT_SOCKET} is Podman's socket" in choice.reason
    assert f"(`podman --url {ROOT_SOCKET}`, as CONTAINER_HOST={ROOT_SOCKET} would)" in choice.reason
    prefix = [str(podman), "--url", ROOT_SOCKET]
    build, _ = engine.build_argv(BuildRequest(tmp_path, "dlbox-env:x"))
    assert build[:4] == [*prefix, "build"]
    run = engine.run_argv(ContainerSpec(name="s", image="dlbox-env:x", user="1000:1000"))
    assert run[:4] == [*prefix, "run"] and "--userns=keep-id" not in run  # rootful: --user
    assert engine.logs_argv("s", False, None)[:4] == [*prefix, "logs"]
    assert engine.exec_argv("s", ["bash"], "1000:1000", False)[:4] == [*prefix, "exec"]


def test_docker_host_at_a_podman_service_that_the_cli_cannot_reach_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Docker client reached the socket but `podman --url` does not: the user's own Podman,
    with the reason and how to point podman there."""
    fake_docker(tmp_path, "docker", "28.2.2", buildx=True, daemon="4.3.1", podman_socket=True)
    fake_podman(tmp_path, rootless=True, own_socket="/run/user/1000/podman/podman.sock")
    only_path(monkeypatch, tmp_path)
    monkeypatch.setenv("DOCKER_HOST", ROOT_SOCKET)
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    choice = select_engine("auto")
    assert choice.container is not None and choice.container.global_args == ()
    assert choice.reason.startswith("rootless Podman 4.3.1 ")
    assert (
        f"`podman --url {ROOT_SOCKET}` does not answer: Error: cannot connect to" in choice.reason
    )
    assert f"set CONTAINER_HOST={ROOT_SOCKET} once it does" in choice.reason


def test_docker_host_over_tcp_at_podman_says_how_to_use_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a local socket is followed by itself (bind mounts must be this machine's folders)."""
    fake_docker(tmp_path, "docker", "28.2.2", buildx=True, daemon="4.3.1", podman_socket=True)
    fake_podman(tmp_path, rootless=True, own_socket="/run/user/1000/podman/podman.sock")
    only_path(monkeypatch, tmp_path)
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    choice = select_engine("auto")
    assert choice.container is not None and choice.container.global_args == ()
    assert "set CONTAINER_HOST=tcp://127.0.0.1:2375 to use that service" in choice.reason


def test_default_docker_socket_served_by_podman_is_podman(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """podman-docker links /var/run/docker.sock to Podman's socket: no DOCKER_HOST needed."""
    fake_docker(tmp_path, "docker", "20.10.24", buildx=False, daemon="4.3.1", podman_socket=True)
    fake_podman(tmp_path, rootless=False)
    only_path(monkeypatch, tmp_path)
    choice = select_engine("auto")
    assert choice.name == "podman"
    assert "the Docker socket (unix:///var/run/docker.sock) is Podman's socket" in choice.reason

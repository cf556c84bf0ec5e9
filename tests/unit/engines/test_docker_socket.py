"""Which socket the Engine API is asked on: the one the `docker` CLI would talk to, or none (the
CLI answers then); and what a socket that cannot answer raises."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlbox.engines.docker_api import DEFAULT_SOCKET, ApiUnavailable, DockerApi, docker_socket


def test_the_socket_is_the_one_the_cli_uses(tmp_path: Path) -> None:
    home = {"HOME": str(tmp_path)}
    assert docker_socket(home) == DEFAULT_SOCKET
    rootless = {**home, "DOCKER_HOST": "unix:///run/user/1001/docker.sock"}
    assert docker_socket(rootless) == "/run/user/1001/docker.sock"
    for other in ("tcp://10.0.0.2:2376", "ssh://me@box", "npipe:////./pipe/docker_engine"):
        assert docker_socket({**home, "DOCKER_HOST": other}) is None
    assert docker_socket({**home, "DOCKER_CONTEXT": "remote"}) is None
    assert docker_socket({**home, "DOCKER_CONTEXT": "default"}) == DEFAULT_SOCKET


def test_a_named_context_in_the_config_leaves_it_to_the_cli(tmp_path: Path) -> None:
    config = tmp_path / ".docker"
    config.mkdir()
    (config / "config.json").write_text(json.dumps({"currentContext": "rootless"}))
    assert docker_socket({"HOME": str(tmp_path)}) is None
    (config / "config.json").write_text(json.dumps({"currentContext": "default"}))
    assert docker_socket({"HOME": str(tmp_path)}) == DEFAULT_SOCKET
    (config / "config.json").write_text("not json")
    assert docker_socket({"HOME": str(tmp_path)}) == DEFAULT_SOCKET
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"currentContext": "ci"}))
    assert docker_socket({"HOME": str(tmp_path), "DOCKER_CONFIG": str(other)}) is None


def test_a_missing_socket_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ApiUnavailable, match="no-such.sock"):
        DockerApi(str(tmp_path / "no-such.sock")).container_ids(["a=b"])


@pytest.fixture
def answering(tmp_path: Path) -> Iterator[tuple[DockerApi, list[bytes]]]:
    """A unix socket that answers each request with the next canned HTTP response."""
    path = str(tmp_path / "api.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()
    answers: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(answers.pop(0) if answers else b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield DockerApi(path, timeout=5), answers
    server.close()


def _http(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
    return head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def test_answers_are_read_and_errors_are_unavailable(
    answering: tuple[DockerApi, list[bytes]],
) -> None:
    api, answers = answering
    answers += [_http("200 OK", b'[{"Id": "abc"}, {"Names": []}]')]
    assert api.container_ids(["io.dlbox.session"]) == ["abc"]
    answers += [_http("404 Not Found", b'{"message": "No such container"}')]
    assert api.inspect("gone") is None
    answers += [_http("500 Internal Server Error", b'{"message": "boom"}')]
    with pytest.raises(ApiUnavailable, match="500"):
        api.inspect("x")
    answers += [_http("200 OK", b"not json")]
    with pytest.raises(ApiUnavailable, match="no JSON"):
        api.container_ids([])
    answers += [_http("200 OK", b'{"Id": "abc"}')]
    with pytest.raises(ApiUnavailable, match="not a list"):
        api.container_ids([])


def test_sessions_on_the_podman_service_docker_host_names_are_found_there(
    answering: tuple[DockerApi, list[bytes]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`up` ran on the Podman service DOCKER_HOST names (`podman --url`); `ps`, `stop` and `logs`
    build their engine without detection, so they ask that socket once whether it is Podman's."""
    from dlbox.engines import handles
    from dlbox.engines.podman import PodmanEngine, docker_host_service

    api, answers = answering
    host = f"unix://{api.path}"
    podman = _http("200 OK", b'{"Version": "4.3.1", "Components": [{"Name": "Podman Engine"}]}')
    docker = _http("200 OK", b'{"Version": "20.10.24", "Components": [{"Name": "Engine"}]}')
    answers += [podman]
    assert docker_host_service({"DOCKER_HOST": host}) == host
    answers += [docker]
    assert docker_host_service({"DOCKER_HOST": host}) == ""
    assert docker_host_service({"DOCKER_HOST": host, "CONTAINER_HOST": host}) == ""  # unasked
    assert docker_host_service({"DOCKER_HOST": "tcp://10.0.0.2:2375"}) == ""
    assert docker_host_service({"DOCKER_HOST": f"unix://{tmp_path}/none.sock"}) == ""
    assert docker_host_service({}) == ""
    monkeypatch.setattr(handles, "candidate_clients", lambda kind, explicit=None: ["/x/podman"])
    monkeypatch.setenv("DOCKER_HOST", host)
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    answers += [podman]
    engine = handles.session_engine("podman")
    assert isinstance(engine, PodmanEngine) and engine.command == ["/x/podman", "--url", host]

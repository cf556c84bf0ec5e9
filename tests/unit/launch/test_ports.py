from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator

import pytest

from dlbox.launch.ports import choose_port, port_status


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def listener() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield int(sock.getsockname()[1])
    sock.close()


class FakeJupyter(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"version": "2.14.0"}).encode()
        self.send_response(200)
        self.send_header("Server", "TornadoServer/6.4")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_jupyter() -> Iterator[int]:
    server = http.server.HTTPServer(("127.0.0.1", 0), FakeJupyter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()


def test_free_port_is_kept() -> None:
    port = free_port()
    choice = choose_port("127.0.0.1", port)
    assert choice.port == port and not choice.moved


def test_taken_port_moves_to_next(listener: int) -> None:
    choice = choose_port("127.0.0.1", listener)
    assert choice.moved and choice.port > listener
    assert "in use" in choice.skipped[0].describe()


def test_host_jupyter_is_named(fake_jupyter: int) -> None:
    status = port_status("127.0.0.1", fake_jupyter)
    assert not status.free and status.jupyter
    assert "Jupyter" in status.describe() and "mask" in status.describe()


def test_ports_of_other_sessions_are_skipped() -> None:
    port = free_port()
    assert choose_port("127.0.0.1", port, {port}).port != port


def test_loopback_checks_ignore_proxy_settings(
    fake_jupyter: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy must never see the token, nor stand between dlbox and its own server."""
    from dlbox.launch.health import status_code

    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # discard port: nothing answers
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert port_status("127.0.0.1", fake_jupyter).jupyter
    assert status_code(fake_jupyter, "secret") == 200

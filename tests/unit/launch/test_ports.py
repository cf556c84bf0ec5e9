from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from dlbox.launch.ports import choose_port, port_status
from tests.helpers import fake_jupyter_server


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


@pytest.fixture
def fake_jupyter() -> Iterator[int]:
    with fake_jupyter_server() as port:
        yield port


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

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


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("192.0.2.1", "it is not an address of this machine"),  # TEST-NET-1: never assigned
        ("999.1.1.1", "it is not an address and no such host name resolves"),
        ("no-such-host.invalid", "it is not an address and no such host name resolves"),
    ],
)
def test_a_host_that_is_not_here_is_bad_input_not_a_busy_port(host: str, why: str) -> None:
    """Before: every port 'was taken', so the user read "No free port in 8888-8937"."""
    from typer.testing import CliRunner

    from dlbox.cli.app import app
    from dlbox.errors import UsageError

    with pytest.raises(UsageError, match=f"Cannot listen on host '{host}': {why}"):
        choose_port(host, free_port())
    result = CliRunner().invoke(app, ["up", "--dry-run", "--host", host])
    out = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert f"Cannot listen on host '{host}': {why}." in out
    assert "e.g. pass --host 127.0.0.1" in out and "No free port" not in out


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8890/lab"),
        ("0.0.0.0", "http://127.0.0.1:8890/lab"),
        ("", "http://127.0.0.1:8890/lab"),
        ("192.168.1.5", "http://192.168.1.5:8890/lab"),
        ("::1", "http://[::1]:8890/lab"),
        ("::", "http://[::1]:8890/lab"),
        ("fd00::5", "http://[fd00::5]:8890/lab"),
    ],
)
def test_session_urls_put_ipv6_hosts_in_brackets(host: str, url: str) -> None:
    from dlbox.launch.sessions import Session

    session = Session("dlbox-x", "img", "running", 8890, host, "none", "/code", "now")
    assert session.url() == url


def test_the_health_check_reaches_a_server_on_ipv6_loopback() -> None:
    import http.server
    import threading

    from dlbox.launch.health import wait_ready

    class V6(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.headers.get("Authorization") == "token t" else 403)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    try:
        server = V6(("::1", 0), Ok)
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = int(server.server_address[1])
        waited = wait_ready(
            port, "t", timeout=5, alive=lambda: True, describe_death=str, host="::1"
        )
        assert waited < 5
    finally:
        server.shutdown()
        server.server_close()


def test_a_port_that_never_answers_times_out_naming_logs_doctor_and_the_limit() -> None:
    """Before: only `dlbox logs` and the limit, though a redirected port (a NAT rule) is the
    usual cause when Jupyter started: the message now sends users to doctor, which checks it."""
    from dlbox.errors import DlboxError
    from dlbox.launch.health import wait_ready

    with pytest.raises(DlboxError) as err:
        wait_ready(free_port(), "t", timeout=0.3, alive=lambda: True, describe_death=str)
    text = f"{err.value.message}\n{err.value.hint}"
    assert "did not answer on port" in text and "within 0 s" in text
    assert "`dlbox logs`" in text and "`dlbox doctor`" in text
    assert "`dlbox config set health_timeout 600`" in text

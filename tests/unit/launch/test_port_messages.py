"""What `up` says about ports and whom it runs as: why a port was skipped (another dlbox session,
a Jupyter, a web server, a program that never answers), the range it searched, addresses other
than 127.0.0.1, and the user under sudo. Written against surviving mutants of launch/ports.py,
launch/user.py and launch/token.py (CONTRIBUTING.md, "Mutation testing")."""

from __future__ import annotations

import http.server
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dlbox.errors import DlboxError, UsageError
from dlbox.launch.ports import MAX_SCAN, choose_port, is_free, port_status
from dlbox.launch.token import read_token_file, write_token_file
from dlbox.launch.user import HostUser, invoking_user
from tests.helpers import loopback_server


def _free_port(host: str = "127.0.0.1", family: int = socket.AF_INET) -> int:
    with socket.socket(family) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextmanager
def _http(server_header: str, body: bytes) -> Iterator[int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def version_string(self) -> str:
            return server_header

        def log_message(self, *args: object) -> None:
            pass

    with loopback_server(Handler, threaded=True) as port:
        yield port


def test_a_port_of_another_dlbox_session_is_named_as_such() -> None:
    """Before: "port N is in use by another program" for a port dlbox itself holds."""
    port = _free_port()
    choice = choose_port("127.0.0.1", port, {port})
    assert choice.moved and choice.port > port
    assert choice.skipped[0].describe() == f"port {port} is used by another dlbox session"


def test_a_tornado_server_counts_as_a_jupyter_on_the_host() -> None:
    with _http("TornadoServer/6.4", b"<html>login</html>") as port:
        status = port_status("127.0.0.1", port)
    assert status.describe() == (
        f"port {port} is held by a Jupyter server on the host (TornadoServer); it would mask "
        "the container and reject dlbox's token"
    )


@pytest.mark.parametrize(
    "body", [b"<html>hello</html>", b'{"name": "not jupyter"}', b"[1, 2]"], ids=str
)
def test_another_web_server_is_just_another_program(body: bytes) -> None:
    with _http("nginx/1.25", body) as port:
        status = port_status("127.0.0.1", port)
    assert not status.free and not status.jupyter
    assert status.describe() == f"port {port} is in use by another program"


def test_a_program_that_never_answers_does_not_hang_the_port_search() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = int(silent.getsockname()[1])
        start = time.monotonic()
        status = port_status("127.0.0.1", port)
    assert time.monotonic() - start < 10
    assert status.describe() == f"port {port} is in use by another program"


def test_when_every_port_is_taken_the_message_names_the_range_searched() -> None:
    port = _free_port()
    with pytest.raises(DlboxError) as caught:
        choose_port("127.0.0.1", port, set(range(port, port + MAX_SCAN)))
    assert caught.value.message == (f"No free port in {port}-{port + MAX_SCAN - 1} on 127.0.0.1.")
    assert caught.value.hint == "Stop what holds them, or pass --port with a free port."


def test_the_search_stops_at_the_last_port_number() -> None:
    """Before: near 65535 the message named ports past it (65530-65579)."""
    with pytest.raises(DlboxError, match="No free port in 65530-65535 on 127.0.0.1"):
        choose_port("127.0.0.1", 65530, set(range(65530, 65536)))


def test_a_host_that_is_not_here_gets_the_whole_fix() -> None:
    with pytest.raises(UsageError) as caught:
        is_free("192.0.2.1", _free_port())
    assert caught.value.hint == (
        "Use 127.0.0.1 (this machine only, the default), 0.0.0.0 (every network) or an address "
        "of this machine (`ip -brief address` lists them), e.g. pass --host 127.0.0.1."
    )


def test_other_loopback_addresses_and_every_network_are_usable() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = int(held.getsockname()[1])
        assert is_free("127.0.0.2", port)  # --host 127.0.0.2: another address, free there
        assert not is_free("127.0.0.1", port)
    assert is_free("0.0.0.0", _free_port())


def test_ipv6_loopback_ports_are_checked_on_ipv6() -> None:
    try:
        port = _free_port("::1", socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    assert is_free("::1", port)
    with socket.socket(socket.AF_INET6) as held:
        held.bind(("::1", port))
        held.listen()
        assert not is_free("::1", port)


def test_the_container_user_is_you_and_under_sudo_the_user_who_ran_sudo() -> None:
    me = HostUser(os.getuid(), os.getgid())
    assert invoking_user({}) == me and invoking_user({}).spec == f"{me.uid}:{me.gid}"
    # Half a sudo environment (or junk) is not sudo: you stay yourself, no crash.
    for env in ({"SUDO_GID": "1000"}, {"SUDO_UID": "1000"}, {"SUDO_UID": "x", "SUDO_GID": "1"}):
        assert invoking_user(env) == me
    sudo = invoking_user({"SUDO_UID": "1000", "SUDO_GID": "1001"})
    if os.getuid() == 0:
        assert sudo == HostUser(1000, 1001, via_sudo=True) and sudo.spec == "1000:1001"
    else:
        assert sudo == me  # only root's environment can name another user


def test_the_token_file_is_private_and_owned_by_the_container_user(tmp_path: Path) -> None:
    uid, gid = (4242, 4343) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    path = write_token_file(tmp_path / "token", "t0k3n", uid, gid)
    info = path.stat()
    assert (info.st_uid, info.st_gid) == (uid, gid)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert read_token_file(path) == "t0k3n"


def test_a_free_port_is_described_by_its_number() -> None:
    port = _free_port()
    assert port_status("127.0.0.1", port).describe() == f"port {port} is free"


def test_the_last_port_of_the_range_is_tried_too() -> None:
    if not is_free("127.0.0.1", 65535):
        pytest.skip("port 65535 is in use on this machine")
    choice = choose_port("127.0.0.1", 65530, set(range(65530, 65535)))
    assert choice.port == 65535 and len(choice.skipped) == 5


def test_a_server_that_sends_no_server_header_is_another_program() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = int(listener.getsockname()[1])

        def answer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello")

        threading.Thread(target=answer, daemon=True).start()
        status = port_status("127.0.0.1", port)
    assert status.describe() == f"port {port} is in use by another program"

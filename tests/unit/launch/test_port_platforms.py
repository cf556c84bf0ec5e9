"""Port checks where this machine cannot show the case for real: a kernel that lets a wildcard and a
loopback bind coexist (macOS, BSD: Linux refuses the first bind already), and the NAT redirection
answers that need root to set up (tests/integration/test_port_redirect.py makes them for real in a
network namespace). The socket module is replaced by one that answers as those systems do."""

from __future__ import annotations

import errno
import socket

import pytest

from dlbox.launch import ports
from dlbox.launch.ports import REDIRECT_PROBE_SECONDS, is_free, port_status, redirection


class FakeSockets:
    """socket.socket stand-in: `taken` addresses refuse bind; connect answers `connect_result`."""

    def __init__(self, taken: set[tuple[str, int]], connect_result: BaseException | None) -> None:
        self.taken = taken
        self.connect_result = connect_result
        self.opened: list[dict[str, object]] = []

    def __call__(self, family: int = socket.AF_INET, kind: int = socket.SOCK_STREAM) -> FakeSocket:
        record: dict[str, object] = {"family": family, "kind": kind}
        self.opened.append(record)
        return FakeSocket(self, record)


class FakeSocket:
    def __init__(self, owner: FakeSockets, record: dict[str, object]) -> None:
        self.owner, self.record = owner, record

    def __enter__(self) -> FakeSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.record["closed"] = True

    def setsockopt(self, level: int, option: int, value: int) -> None:
        self.record["reuse"] = (level, option, value) == (
            socket.SOL_SOCKET,
            socket.SO_REUSEADDR,
            1,
        )

    def settimeout(self, seconds: float) -> None:
        self.record["timeout"] = seconds

    def bind(self, address: tuple[str, int]) -> None:
        self.record["bind"] = address
        if address in self.owner.taken:
            raise OSError(errno.EADDRINUSE, "Address already in use")

    def connect(self, address: tuple[str, int]) -> None:
        self.record["connect"] = address
        if self.owner.connect_result is not None:
            raise self.owner.connect_result


def _fake(
    monkeypatch: pytest.MonkeyPatch,
    taken: set[tuple[str, int]] = frozenset(),  # type: ignore[assignment]
    connect_result: BaseException | None = ConnectionRefusedError(),
) -> FakeSockets:
    fake = FakeSockets(set(taken), connect_result)
    monkeypatch.setattr(ports.socket, "socket", fake)
    return fake


@pytest.mark.parametrize(("host", "listener"), [("127.0.0.1", "0.0.0.0"), ("0.0.0.0", "127.0.0.1")])
def test_a_listener_on_the_other_ipv4_address_takes_the_port(
    monkeypatch: pytest.MonkeyPatch, host: str, listener: str
) -> None:
    """Where the kernel lets `host` bind although `listener` holds the port, docker run would still
    fail (or be masked): the second bind is what finds it."""
    fake = _fake(monkeypatch, taken={(listener, 8888)})
    assert is_free(host, 8888) is False
    assert [o["bind"] for o in fake.opened] == [(host, 8888), (listener, 8888)]
    assert all(o["reuse"] and o["kind"] == socket.SOCK_STREAM for o in fake.opened)
    assert all(o["family"] == socket.AF_INET for o in fake.opened)
    assert all(o.get("closed") for o in fake.opened)


def test_both_ipv4_binds_free_means_free(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake(monkeypatch)
    assert is_free("127.0.0.1", 8888) is True
    assert [o["bind"] for o in fake.opened] == [("127.0.0.1", 8888), ("0.0.0.0", 8888)]


@pytest.mark.parametrize("host", ["::1", "127.0.0.2", "192.168.1.5"])
def test_other_addresses_need_one_bind(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    fake = _fake(monkeypatch)
    assert is_free(host, 8888) is True
    assert [o["bind"] for o in fake.opened] == [(host, 8888)]
    assert fake.opened[0]["family"] == (socket.AF_INET6 if ":" in host else socket.AF_INET)


@pytest.mark.parametrize(
    ("host", "probe", "family"),
    [
        ("127.0.0.1", "127.0.0.1", socket.AF_INET),
        ("0.0.0.0", "127.0.0.1", socket.AF_INET),
        ("::", "::1", socket.AF_INET6),
        ("::1", "::1", socket.AF_INET6),
        ("127.0.0.2", "127.0.0.2", socket.AF_INET),
    ],
)
def test_a_refused_connection_means_nothing_redirects_the_port(
    monkeypatch: pytest.MonkeyPatch, host: str, probe: str, family: int
) -> None:
    fake = _fake(monkeypatch)
    assert redirection(host, 8888) is None
    (opened,) = fake.opened
    assert opened["connect"] == (probe, 8888) and opened["family"] == family
    assert opened["kind"] == socket.SOCK_STREAM
    assert opened["timeout"] == REDIRECT_PROBE_SECONDS == 0.3


@pytest.mark.parametrize(
    ("result", "how"),
    [
        (TimeoutError(), "connections to it hang"),
        (OSError(errno.EHOSTUNREACH, "No route"), "connections to it fail: No route"),
        (OSError("odd"), "connections to it fail: odd"),
        (None, "something answers though nothing here listens on it"),
    ],
)
def test_a_redirected_port_is_taken_and_says_how_and_where_to_look(
    monkeypatch: pytest.MonkeyPatch, result: BaseException | None, how: str
) -> None:
    _fake(monkeypatch, connect_result=result)
    status = port_status("127.0.0.1", 18800)
    assert status.free is False and status.jupyter is False and status.redirected is True
    assert status.describe() == (
        f"port 18800 is redirected by a NAT rule on this host ({how}), so the container would "
        "never be reached; a Podman container that was not cleaned up leaves such rules "
        "(`sudo podman ps -a`, `sudo iptables -t nat -S | grep 18800`)"
    )


def test_a_free_port_that_nothing_redirects_is_free(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch)
    status = port_status("127.0.0.1", 18800)
    assert status.free is True and status.redirected is False
    assert status.describe() == "port 18800 is free"

"""The port check against a real socket: free, held by a fake Jupyter server, held by anything."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlbox.doctor.checks_host import check_port
from tests.helpers import fake_jupyter_server

from .fakes import make_facts


@pytest.fixture
def fake_jupyter() -> Iterator[int]:
    with fake_jupyter_server() as port:
        yield port


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_free_port_is_ok(tmp_path: Path) -> None:
    port = _free_port()
    found = check_port(make_facts(tmp_path, flags={"port": port}))
    assert found.status == "ok"
    assert found.finding == f"port {port} on 127.0.0.1 is free"


def test_host_jupyter_is_named(tmp_path: Path, fake_jupyter: int) -> None:
    found = check_port(make_facts(tmp_path, flags={"port": fake_jupyter}))
    assert found.status == "warn"
    assert f"port {fake_jupyter} is held by a Jupyter server on the host" in found.finding
    assert "Jupyter Server 2.14.2" in found.finding
    assert "rejects dlbox's token" in found.finding
    assert f"jupyter server stop {fake_jupyter}" in found.fix
    assert found.details["jupyter"] is True
    assert found.details["source"] == "flag --port"


def test_other_program_is_named_with_its_pid(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        facts = make_facts(tmp_path, flags={"port": port})
        # The holder lookup reads the real /proc.
        facts = facts.with_changes(read_text=lambda p: p.read_text() if p.exists() else None)
        found = check_port(facts)
    assert found.status == "warn"
    assert f"port {port} on 127.0.0.1 is in use by another program" in found.finding
    if Path("/proc/net/tcp").exists():
        assert f"pid {os.getpid()}" in found.finding
    nxt = found.details["next_free"]
    assert isinstance(nxt, int) and nxt > port
    assert f"`up` would move to port {nxt}" in found.finding
    assert "dlbox config set port" in found.fix


def test_dlbox_own_session_is_not_a_stranger(tmp_path: Path, fake_jupyter: int) -> None:
    """`dlbox doctor` while `dlbox up` runs: the port is held by dlbox's own Jupyter."""
    ports = {fake_jupyter: "dlbox-code-1a2b3c4d", fake_jupyter + 1: "other"}
    facts = make_facts(tmp_path, flags={"port": fake_jupyter}, session_ports=lambda e: ports)
    found = check_port(facts)
    assert found.status == "ok"
    assert found.finding == f"port {fake_jupyter} is used by your dlbox session dlbox-code-1a2b3c4d"
    assert "masks" not in found.finding
    elsewhere = make_facts(tmp_path, flags={"port": fake_jupyter}, session_ports=lambda e: {1: "x"})
    assert check_port(elsewhere).status == "warn"

"""The hub's state folder: private secrets, the record of what was started, pid identity."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dlbox.errors import DlboxError
from dlbox.hub.state import (
    HubRecord,
    Started,
    ensure_secret,
    hub_dir,
    load_record,
    proc_start_time,
    read_secret,
    save_record,
)


def test_secrets_are_private_kept_and_replaced_when_exposed(tmp_path: Path) -> None:
    base = hub_dir()
    assert base.stat().st_mode & 0o777 == 0o700
    path = base / "cookie_secret"
    ensure_secret(path)
    first = read_secret(path)
    assert len(first) == 64 and path.stat().st_mode & 0o777 == 0o600
    ensure_secret(path)
    assert read_secret(path) == first  # kept across `hub up`s
    path.chmod(0o644)  # readable by others: no longer a secret
    ensure_secret(path)
    assert read_secret(path) != first and path.stat().st_mode & 0o777 == 0o600
    link = base / "proxy_token"
    link.symlink_to(tmp_path / "elsewhere")
    ensure_secret(link)  # a planted link is replaced, never written through
    assert not link.is_symlink() and not (tmp_path / "elsewhere").exists()


def test_missing_secret_is_a_clear_error() -> None:
    with pytest.raises(DlboxError, match="missing or readable"):
        read_secret(hub_dir() / "service_token")


def test_record_round_trip_and_pid_identity() -> None:
    proc = subprocess.Popen(["sleep", "30"])
    try:
        started = proc_start_time(proc.pid)
        assert started is not None
        record = HubRecord(
            url="http://127.0.0.1:8000/",
            host="127.0.0.1",
            port=8000,
            hub_port=8081,
            api_port=8001,
            image="img",
            admin="teacher",
            authenticator="native",
            gpu_policy="round-robin",
            gpu_ids=[],
            started_at=1.0,
            processes=[Started("hub", proc.pid, started, "/x.log")],
        )
        save_record(hub_dir(), record)
        loaded = load_record(hub_dir())
        assert loaded == record
        hub = loaded.process("hub")
        assert hub is not None and hub.alive()
        # The same pid with another start time is some other process: never ours to stop.
        assert not Started("hub", proc.pid, str(int(started) + 1), "/x.log").alive()
    finally:
        proc.kill()
        proc.wait()
    assert not Started("hub", proc.pid, started, "/x.log").alive()


def test_damaged_record_names_the_fix() -> None:
    (hub_dir() / "hub.json").write_text("{not json")
    with pytest.raises(DlboxError) as caught:
        load_record(hub_dir())
    assert caught.value.hint and "hub down" in caught.value.hint


def test_down_and_status_use_the_engine_the_hub_was_started_on(tmp_path: Path) -> None:
    """`hub up --engine podman` records it; with the setting `auto`, down and status ask
    Podman too. An explicit engine setting still wins; older records name none."""
    from dlbox.config import load_settings
    from dlbox.hub.state import HubRecord, hub_dir, save_record
    from dlbox.usecases.hub import hub_settings

    auto = load_settings()
    assert hub_settings(auto)["engine"] == "auto"  # no hub record yet
    record = HubRecord("u", "127.0.0.1", 8000, 1, 2, "img", "", "native", "", [], 0.0)
    save_record(hub_dir(), record)
    assert hub_settings(auto)["engine"] == "auto"  # a record without an engine
    record.engine = "podman"
    save_record(hub_dir(), record)
    recorded = hub_settings(auto)
    assert recorded["engine"] == "podman"
    assert recorded.source("engine") == "the running hub (hub.json)"
    assert hub_settings(load_settings({"engine": "docker"}))["engine"] == "docker"

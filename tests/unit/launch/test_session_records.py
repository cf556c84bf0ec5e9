"""The session folders `up` leaves name the engine each session runs on; `ps` reads them first
and asks only the engines they name (none when there is no folder), without detecting engines."""

from __future__ import annotations

import pytest

from dlbox import paths
from dlbox.engines import detect
from dlbox.engines.local import processes
from dlbox.launch.sessions import LOCAL_RECORD, record_engine, recorded_sessions
from dlbox.usecases.sessions import all_sessions


def test_folders_name_their_engine() -> None:
    assert recorded_sessions() == {}
    record_engine("dlbox-a-12345678", "docker")
    record_engine("dlbox-b-12345678", "podman")
    paths.session_dir("dlbox-old-12345678").mkdir()  # from before engines were recorded
    local = paths.session_dir("dlbox-local-12345678")
    local.mkdir()
    (local / LOCAL_RECORD).write_text("{}")
    (paths.sessions_dir() / "stray-file").write_text("")
    assert recorded_sessions() == {
        "dlbox-a-12345678": "docker",
        "dlbox-b-12345678": "podman",
        "dlbox-local-12345678": "local",
        "dlbox-old-12345678": "",
    }
    assert LOCAL_RECORD == processes.RECORD


def _no_detection(*args: object, **kwargs: object) -> object:
    raise AssertionError("ps detected engines")


def test_ps_detects_no_engine_for_named_or_missing_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect, "select_engine", _no_detection)
    assert all_sessions(None) == []
    record_engine("dlbox-gone-12345678", "local")  # its process has ended: no record left
    assert all_sessions(None) == []
    record_engine("dlbox-x-12345678", "engine-of-the-future")
    assert all_sessions(None) == []

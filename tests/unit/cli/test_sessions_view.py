"""`dlbox ps` at 80 columns: one line per session, the URL last and whole."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from dlbox.cli.sessions_view import sessions_table
from dlbox.launch.sessions import Session
from dlbox.usecases.sessions import FoundSession, StopOutcome, stop_sessions
from tests.unit.cli.snapshot import fits, matches_snapshot


@dataclass
class NamedEngine:
    name: str


def found(name: str, engine: str, port: int) -> FoundSession:
    session = Session(
        name=name,
        image="dlbox-env:0123456789abcdef",
        state="running",
        port=port,
        host="127.0.0.1",
        gpus="all",
        code_dir="/home/me/code",
        started_at="",
    )
    return FoundSession(NamedEngine(engine), session)  # type: ignore[arg-type]


def test_table_fits_80_columns_with_urls_inline() -> None:
    text = sessions_table(
        [found("dlbox-fastai-1a2b3c4d", "docker", 8888), found("dlbox-code-99", "local", 8889)],
        width=80,
    )
    fits(text)
    assert "http://127.0.0.1:8888/lab" in text.splitlines()[1]
    matches_snapshot("ps-table", text)


def test_a_row_too_wide_puts_the_whole_url_on_its_own_line() -> None:
    text = sessions_table([found("dlbox-fastai-1a2b3c4d", "docker", 8888)], width=60)
    fits(text, 60)
    assert "  http://127.0.0.1:8888/lab" in text.splitlines()
    matches_snapshot("ps-table-narrow", text)


def test_stop_with_nothing_running_is_not_an_error() -> None:
    assert stop_sessions([], [], False) == StopOutcome([], True, [])
    assert stop_sessions([], [], True) == StopOutcome([], True, [])


def test_pick_session_prefers_the_name_then_this_project(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from dlbox.errors import DlboxError
    from dlbox.usecases.sessions import pick_session

    monkeypatch.setenv("DLBOX_CODE_DIR", str(tmp_path))
    mine = found("dlbox-mine-1", "local", 8888)
    mine = FoundSession(mine.engine, replace(mine.session, code_dir=str(tmp_path.resolve())))
    other = found("dlbox-other-2", "docker", 8889)
    assert pick_session([other, mine], None) is mine
    assert pick_session([other, mine], "dlbox-other-2") is other
    assert pick_session([other], None) is other  # the only one running
    with pytest.raises(DlboxError, match="No dlbox session is running"):
        pick_session([], None)
    with pytest.raises(DlboxError, match="No dlbox session named nope"):
        pick_session([other], "nope")
    third = found("dlbox-third-3", "docker", 8890)
    with pytest.raises(DlboxError, match="Several sessions run"):
        pick_session([other, third], None)

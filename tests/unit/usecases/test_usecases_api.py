"""The use cases as a Python caller (a future `dlbox hub`, a script) sees them: typed requests in,
typed results out, no printing; the CLI's --json is exactly the result's to_dict() plus "ok"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlbox.cli.app import app
from dlbox.config import load_settings
from dlbox.errors import UsageError
from dlbox.usecases.build import ImageRequest, build_image
from dlbox.usecases.reporting import SILENT, Reporter
from dlbox.usecases.run_once import RunRequest, run_once
from dlbox.usecases.up import DryRunResult, UpRequest, dry_run
from dlbox.usecases.verify import VerifyRequest, verify


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no nvidia-smi: no driver, the default line
    monkeypatch.setenv("DLBOX_CODE_DIR", str(tmp_path / "code"))
    monkeypatch.setenv("DLBOX_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_dry_run_returns_a_typed_result_and_the_cli_prints_exactly_it(
    folders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = load_settings({"engine": "local"})
    result = dry_run(cfg, UpRequest(explain=True))
    assert isinstance(result, DryRunResult)
    assert result.engine.name == "local" and result.commands
    assert result.commands[0].flags  # each flag explained
    assert capsys.readouterr().out == ""  # a use case never prints
    assert not (folders / "code").exists()  # and a dry run makes nothing

    shown = CliRunner().invoke(app, ["up", "--dry-run", "--json", "--engine", "local"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == json.loads(json.dumps({"ok": True, **result.to_dict()}))


class Recording(Reporter):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def info(self, message: str) -> None:
        self.seen.append(message)

    def warn(self, message: str) -> None:
        self.seen.append(message)


def test_bad_requests_fail_before_any_engine_work(folders: Path) -> None:
    cfg = load_settings({"engine": "local"})
    reporter = Recording()
    with pytest.raises(UsageError, match="No command given"):
        run_once(cfg, RunRequest(()), reporter)
    with pytest.raises(UsageError, match="Unknown profile"):
        verify(cfg, VerifyRequest(profile="fast"), reporter)
    with pytest.raises(UsageError, match="positive number of seconds"):
        verify(cfg, VerifyRequest(cell_timeout=0), reporter)
    with pytest.raises(UsageError):
        build_image(cfg, ImageRequest(push="Not A Ref"), reporter)
    assert reporter.seen == []


def test_the_silent_reporter_gives_usable_hooks() -> None:
    with SILENT.building("environment image") as on_line:
        on_line("#1 [stage-0 1/9] FROM debian")
    with SILENT.downloading() as events:
        assert events is None
    with SILENT.running_notebooks() as on_event:
        on_event({"event": "device"})

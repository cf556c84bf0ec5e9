"""`dlbox clean` never lists the venv in use, nor any venv when it cannot tell which is current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dlbox.config import load_settings
from dlbox.engines.local import LocalEngine
from dlbox.errors import DlboxError
from dlbox.usecases import clean


@pytest.fixture()
def two_venvs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    root = tmp_path / "venvs"
    current, older = root / "aaaa", root / "bbbb"
    for venv in (current, older):
        (venv / "bin").mkdir(parents=True)
        (venv / "bin" / "python").write_text("x" * 1000)
    monkeypatch.setenv("DLBOX_VENVS_DIR", str(root))
    return current, older


def test_only_venvs_other_than_the_current_one_are_removable(
    two_venvs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    current, older = two_venvs
    monkeypatch.setattr(
        LocalEngine, "planned_environment", lambda self, request: (str(current), None)
    )
    plan = clean.CleanPlan()
    clean.plan_venvs(load_settings(), plan)
    assert [i.what for i in plan.items] == [str(older)]
    assert "another project" in plan.items[0].why
    assert [k.what for k in plan.kept] == [str(current)]


def test_every_venv_is_kept_when_the_current_one_is_unknown(
    two_venvs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(self: Any, request: Any) -> Any:
        raise DlboxError("no lock for this platform")

    monkeypatch.setattr(LocalEngine, "planned_environment", fails)
    plan = clean.CleanPlan()
    clean.plan_venvs(load_settings(), plan)
    assert plan.items == []
    assert sorted(k.what for k in plan.kept) == sorted(str(v) for v in two_venvs)
    assert any("venvs are kept" in note for note in plan.notes)

"""change_extras: resolve first, write nothing on a conflict, keep the rest of dlbox.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.extend import project_extras
from dlbox.extend.resolve import ExtrasConflict, Resolution
from dlbox.image.spec import LockedExtras

TEXT = '# mine\nport = 8899\n\n[extras]\napt = ["graphviz"]\n'


def test_conflict_leaves_files_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "dlbox.toml"
    toml.write_text(TEXT)

    def clash(requested: list[str], *_: object, **__: object) -> Resolution:
        raise ExtrasConflict("numpy<2 conflicts with the environment's numpy==2.4.6.", "hint")

    monkeypatch.setattr(project_extras, "resolve_extras", clash)
    with pytest.raises(ExtrasConflict):
        project_extras.change_extras(toml, add=["numpy<2"])
    assert toml.read_text() == TEXT and not (tmp_path / "dlbox.lock").exists()


def test_add_then_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "dlbox.toml"
    pin = "tabulate==0.10.0 \\\n    --hash=sha256:00\n"

    def fake(requested: list[str], *_: object, **__: object) -> Resolution:
        return Resolution((LockedExtras("x86_64", "b", pin if requested else ""),))

    monkeypatch.setattr(project_extras, "resolve_extras", fake)
    change = project_extras.change_extras(toml, add=["tabulate"])
    assert change.created and change.after == ["tabulate"]
    assert change.pins == {"tabulate": "0.10.0"}
    assert 'pip = ["tabulate"]' in toml.read_text()
    assert "tabulate==0.10.0" in (tmp_path / "dlbox.lock").read_text()
    toml.write_text(TEXT + 'pip = ["tabulate"]\n')
    change = project_extras.change_extras(toml, remove=["tabulate"])
    assert toml.read_text() == TEXT + "pip = []\n"
    assert not (tmp_path / "dlbox.lock").exists()

"""The shipped lessons land in the code folder on `up`; a user's edits are never overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlbox.verify import install
from dlbox.verify.install import LESSONS_FOLDER, install_lessons
from dlbox.verify.model import shipped_lessons


def test_first_up_copies_every_lesson(tmp_path: Path) -> None:
    result = install_lessons(tmp_path / "code")
    names = sorted(p.name for p in shipped_lessons())
    assert sorted(result.copied) == names
    for source in shipped_lessons():
        assert (
            tmp_path / "code" / LESSONS_FOLDER / source.name
        ).read_bytes() == source.read_bytes()
    again = install_lessons(tmp_path / "code")
    assert sorted(again.unchanged) == names and not again.copied


def test_user_edits_are_kept(tmp_path: Path) -> None:
    install_lessons(tmp_path)
    lesson = tmp_path / LESSONS_FOLDER / shipped_lessons()[0].name
    edited = json.loads(lesson.read_text())
    edited["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "my notes"})
    lesson.write_text(json.dumps(edited))
    before = lesson.read_bytes()
    result = install_lessons(tmp_path)
    assert lesson.name in result.kept_edited
    assert lesson.read_bytes() == before


def test_unedited_copy_follows_a_newer_shipped_lesson(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_lessons(tmp_path)
    newer = tmp_path / "newer"
    newer.mkdir()
    for source in shipped_lessons():
        (newer / source.name).write_bytes(source.read_bytes().replace(b"fastai", b"fastai ", 1))
    monkeypatch.setattr(install, "shipped_lessons", lambda: sorted(newer.iterdir()))
    result = install_lessons(tmp_path)
    assert sorted(result.updated) == sorted(p.name for p in newer.iterdir())
    for source in newer.iterdir():
        assert (tmp_path / LESSONS_FOLDER / source.name).read_bytes() == source.read_bytes()


def test_opened_and_run_lesson_still_follows_a_newer_shipped_lesson(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JupyterLab rewrites metadata on open and saves outputs when cells run: not an edit."""
    install_lessons(tmp_path)
    source = shipped_lessons()[0]
    lesson = tmp_path / LESSONS_FOLDER / source.name
    opened = json.loads(lesson.read_text())
    opened["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)"}
    for cell in opened["cells"]:
        if cell["cell_type"] == "code":
            cell["execution_count"] = 1
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ran\n"]}]
    lesson.write_text(json.dumps(opened, indent=1))
    newer = tmp_path / "newer"
    newer.mkdir()
    shipped = json.loads(source.read_text())
    shipped["cells"].append({"cell_type": "markdown", "metadata": {}, "source": ["New in dlbox"]})
    (newer / source.name).write_text(json.dumps(shipped))
    monkeypatch.setattr(install, "shipped_lessons", lambda: [newer / source.name])
    result = install_lessons(tmp_path)
    assert result.updated == [source.name]
    assert "New in dlbox" in lesson.read_text()
    edited = json.loads(lesson.read_text())
    edited["cells"][0]["source"] = ["my own words"]
    lesson.write_text(json.dumps(edited))
    shipped["cells"].append({"cell_type": "markdown", "metadata": {}, "source": ["Newer still"]})
    (newer / source.name).write_text(json.dumps(shipped))
    again = install_lessons(tmp_path)
    assert again.kept_edited == [source.name]
    assert "my own words" in lesson.read_text() and "Newer still" not in lesson.read_text()

"""What `up` makes sure of first: the configured course cloned, the configured datasets present;
network trouble is a warning (Jupyter still starts), a wrong dataset name a config error."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.config import load_settings
from dlbox.datasets import catalog
from dlbox.datasets.catalog import Checks, Dataset, Source
from dlbox.errors import ConfigError
from dlbox.usecases.prepare import prepare_project
from tests.unit.course.test_repos import Remote
from tests.unit.datasets.archives import sha256, tgz
from tests.unit.datasets.loopback import LoopbackServer, Route


def settings(tmp_path: Path, **flags: object):  # type: ignore[no-untyped-def]
    base = {"code_dir": str(tmp_path / "code"), "data_dir": str(tmp_path / "data")}
    return load_settings({**base, **flags}, cwd=tmp_path)


def test_nothing_configured_means_nothing_to_do(tmp_path: Path) -> None:
    result = prepare_project(settings(tmp_path))
    assert result.course.action == "none" and result.datasets == [] and result.warnings == []


def test_course_cloned_on_first_run_and_opened_in_its_folder(tmp_path: Path) -> None:
    (tmp_path / "remotes").mkdir()
    remote = Remote(tmp_path / "remotes")
    first = prepare_project(settings(tmp_path, course=remote.url))
    assert (tmp_path / "code" / "lessons" / "courses" / "dl1" / "lesson1.ipynb").is_file()
    assert first.course_subdir == "lessons" and not first.warnings
    again = prepare_project(settings(tmp_path, course=remote.url))
    assert again.course.action != "cloned"


def test_unreachable_course_is_a_warning(tmp_path: Path) -> None:
    missing = (tmp_path / "nowhere.git").as_uri()
    result = prepare_project(settings(tmp_path, course=missing))
    assert result.warnings and result.warnings[0].startswith("course:")


def test_configured_dataset_downloaded_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = tgz({"tiny/train/a.txt": b"a", "tiny/valid/b.txt": b"b"})
    with LoopbackServer() as server:
        url = server.add("/tiny.tgz", Route(body=body))
        dataset = Dataset("tiny", (Source(url, Checks(size=len(body), sha256=sha256(body))),))
        monkeypatch.setattr("dlbox.usecases.prepare.resolve", lambda name: dataset)
        result = prepare_project(settings(tmp_path, datasets="tiny"))
        assert [d.status for d in result.datasets] == ["downloaded"]
        assert (tmp_path / "data" / "tiny" / "train" / "a.txt").read_text() == "a"
        again = prepare_project(settings(tmp_path, datasets="tiny"))
        assert [d.status for d in again.datasets] == ["present"]
        assert server.sent("/tiny.tgz") == len(body)  # the second run downloaded nothing
        skipped = prepare_project(settings(tmp_path, datasets="tiny"), fetch_data=False)
        assert skipped.datasets == [] and "--no-data" in skipped.warnings[0]


def test_failed_download_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with LoopbackServer() as server:
        url = server.add("/gone.tgz", Route(status=404))
        monkeypatch.setattr(
            "dlbox.usecases.prepare.resolve", lambda name: Dataset("gone", (Source(url),))
        )
        result = prepare_project(settings(tmp_path, datasets="gone"))
    assert result.datasets == [] and "dlbox data get gone" in result.warnings[0]


def test_unknown_dataset_name_is_a_config_error(tmp_path: Path) -> None:
    assert catalog.lookup("no-such-dataset") is None
    with pytest.raises(ConfigError) as info:
        prepare_project(settings(tmp_path, datasets="no-such-dataset"))
    assert "datasets" in info.value.message and info.value.hint

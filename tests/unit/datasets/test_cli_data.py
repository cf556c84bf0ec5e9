"""What users see from `dlbox data list|verify|rm` and from bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlbox.datasets.catalog import CATALOG, archive_stem, resolve
from tests.unit.datasets.archives import DOGSCATS, sha256, tgz
from tests.unit.datasets.conftest import dlbox
from tests.unit.datasets.loopback import LoopbackServer, Route


def _get_dogscats(server: LoopbackServer, data_dir: Path) -> bytes:
    body = tgz(DOGSCATS)
    url = server.add("/dogscats.tgz", Route(body))
    result = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.stderr
    return body


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["get", "dogcats"], "Unknown dataset 'dogcats'."),
        (["get", "https://example.invalid/x.tgz", "--sha256", "abc"], "is not a SHA-256 digest"),
        (["get", "https://example.invalid/x.tgz"], "needs its checksum"),
        (["get", "https://example.invalid/page", "--sha256", "a" * 64], "archive type"),
        (["get", "PETS", "MNIST_SAMPLE", "--sha256", "a" * 64], "applies to one archive"),
        (["rm", "nonsense"], "Unknown dataset 'nonsense'."),
        (["verify", "../etc"], "Unknown dataset '../etc'."),
    ],
)
def test_bad_input_is_a_clear_usage_error(args: list[str], message: str, data_dir: Path) -> None:
    result = dlbox("data", *args, "--data-dir", str(data_dir))

    assert result.exit_code == 2
    assert message in result.stderr and "Fix:" in result.stderr
    assert not (data_dir / "archive").exists()  # nothing was attempted


def test_unknown_name_suggests_the_close_one(data_dir: Path) -> None:
    result = dlbox("data", "get", "dogcats", "--data-dir", str(data_dir))
    assert "Did you mean dogscats?" in result.stderr


def test_bad_input_as_json(data_dir: Path) -> None:
    result = dlbox("data", "get", "nope", "--json", "--data-dir", str(data_dir))
    doc = json.loads(result.stdout)
    assert result.exit_code == 2 and doc["ok"] is False and doc["error"] == "UsageError"


def test_catalog_names_are_fastai_folders() -> None:
    """untar_data(URLs.X) extracts to <data>/<url stem>: the catalog name must be that stem."""
    for dataset in CATALOG.values():
        assert dataset.name == archive_stem(dataset.sources[0].filename)
    assert resolve("PETS").name == "oxford-iiit-pet"
    assert resolve("URLs.MNIST_SAMPLE").name == "mnist_sample"
    assert resolve("imagenette_160").name == "imagenette2-160"
    urls = [s.url for s in resolve("dogscats").sources]
    assert urls == [
        "https://s3.amazonaws.com/fast-ai-sample/dogscats.tgz",
        "http://files.fast.ai/data/dogscats.zip",
    ]


def test_list_shows_catalog_and_presence(server: LoopbackServer, data_dir: Path) -> None:
    empty = dlbox("data", "list", "--json", "--data-dir", str(data_dir))
    states = {d["name"]: d["state"] for d in json.loads(empty.stdout)["datasets"]}
    assert states["dogscats"] == "absent" and states["oxford-iiit-pet"] == "absent"

    _get_dogscats(server, data_dir)
    (data_dir / "mnist_sample").mkdir()  # unpacked by hand
    (data_dir / "archive" / "imdb.tgz.part").write_bytes(b"x" * 1234)

    doc = json.loads(dlbox("data", "list", "--json", "--data-dir", str(data_dir)).stdout)
    by_name = {d["name"]: d for d in doc["datasets"]}
    assert by_name["dogscats"]["state"] == "present"
    assert by_name["dogscats"]["unpacked_bytes"] == sum(len(v) for v in DOGSCATS.values())
    assert by_name["mnist_sample"]["state"] == "found"
    assert by_name["imdb"]["state"] == "partial" and by_name["imdb"]["partial_bytes"] == 1234
    assert by_name["oxford-iiit-pet"]["size"] == 811706944

    text = dlbox("data", "list", "--data-dir", str(data_dir))
    assert text.exit_code == 0
    assert "dogscats" in text.stdout and "present" in text.stdout and "811.7 MB" in text.stdout


def test_custom_url_datasets_are_listed(server: LoopbackServer, data_dir: Path) -> None:
    body = tgz({"mydata/a.csv": b"1,2"})
    url = server.add("/mydata.tar.gz", Route(body))
    assert (
        dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir)).exit_code
        == 0
    )

    doc = json.loads(dlbox("data", "list", "--json", "--data-dir", str(data_dir)).stdout)
    mine = [d for d in doc["datasets"] if d["name"] == "mydata"]
    assert mine and mine[0]["custom"] is True and mine[0]["state"] == "present"


def test_existing_folder_is_not_overwritten(server: LoopbackServer, data_dir: Path) -> None:
    (data_dir / "dogscats").mkdir(parents=True)
    (data_dir / "dogscats" / "mine.txt").write_text("hand-made")
    body = tgz(DOGSCATS)
    url = server.add("/dogscats.tgz", Route(body))

    result = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir))

    assert result.exit_code == 0
    assert "not downloaded by dlbox" in result.stderr and "--force" in result.stderr
    assert server.hits_for("/dogscats.tgz") == []
    assert (data_dir / "dogscats" / "mine.txt").read_text() == "hand-made"


def test_verify_passes_then_catches_damage(server: LoopbackServer, data_dir: Path) -> None:
    _get_dogscats(server, data_dir)

    ok = dlbox("data", "verify", "--data-dir", str(data_dir))
    assert ok.exit_code == 0 and "dogscats: ok" in ok.stderr

    (data_dir / "dogscats" / "test1" / "1.jpg").unlink()
    with open(data_dir / "archive" / "dogscats.tgz", "ab") as fh:
        fh.write(b"junk")
    bad = dlbox("data", "verify", "--json", "--data-dir", str(data_dir))

    assert bad.exit_code == 1
    doc = json.loads(bad.stdout)
    assert doc["ok"] is False
    problems = " ".join(doc["datasets"][0]["problems"])
    assert "has 4 files" in problems and "changed since download" in problems


def test_verify_with_nothing_downloaded(data_dir: Path) -> None:
    result = dlbox("data", "verify", "--data-dir", str(data_dir))
    assert result.exit_code == 0 and "no datasets downloaded by dlbox" in result.stderr


def test_rm_removes_folder_archive_and_record(server: LoopbackServer, data_dir: Path) -> None:
    _get_dogscats(server, data_dir)

    result = dlbox("data", "rm", "DOGS", "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.stderr
    assert "removed dogscats" in result.stderr
    assert not (data_dir / "dogscats").exists()
    assert not (data_dir / "archive" / "dogscats.tgz").exists()
    doc = json.loads(dlbox("data", "list", "--json", "--data-dir", str(data_dir)).stdout)
    assert {d["name"]: d["state"] for d in doc["datasets"]}["dogscats"] == "absent"

    again = dlbox("data", "rm", "dogscats", "--data-dir", str(data_dir))
    assert again.exit_code == 1 and "nothing to remove" in again.stderr


def test_rm_keep_archive_then_get_unpacks_without_download(
    server: LoopbackServer, data_dir: Path
) -> None:
    body = _get_dogscats(server, data_dir)
    assert (
        dlbox("data", "rm", "dogscats", "--keep-archive", "--data-dir", str(data_dir)).exit_code
        == 0
    )
    assert (data_dir / "archive" / "dogscats.tgz").read_bytes() == body

    result = dlbox(
        "data",
        "get",
        server.url("/dogscats.tgz"),
        "--sha256",
        sha256(body),
        "--data-dir",
        str(data_dir),
    )

    assert result.exit_code == 0 and "unpacked from the kept archive" in result.stderr
    assert len(server.hits_for("/dogscats.tgz")) == 1
    assert (data_dir / "dogscats" / "train" / "cats" / "cat.1.jpg").is_file()


def test_data_dir_comes_from_config(
    server: LoopbackServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLBOX_DATA_DIR", str(data_dir))
    body = tgz(DOGSCATS)
    url = server.add("/dogscats.tgz", Route(body))

    assert dlbox("data", "get", url, "--sha256", sha256(body)).exit_code == 0
    assert (data_dir / "dogscats" / "train").is_dir()

"""`dlbox data get` against the loopback server: download, verify, extract, resume, mismatch."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from dlbox.datasets import Checks, Dataset, GetOptions, Layout, Source, get_dataset
from dlbox.datasets.download import DownloadOptions, file_digest
from dlbox.errors import DlboxError
from tests.unit.datasets.archives import DOGSCATS, sha256, tgz, zip_bytes
from tests.unit.datasets.conftest import dlbox, listing
from tests.unit.datasets.loopback import LoopbackServer, Route


def leftovers(data_dir: Path) -> list[str]:
    """Anything that would betray an unfinished job: partials, temp folders."""
    return [p for p in listing(data_dir) if p.endswith(".part") or ".dlbox-tmp-" in p]


def test_get_downloads_verifies_and_lays_out_like_fastai(
    server: LoopbackServer, data_dir: Path
) -> None:
    body = tgz(DOGSCATS)
    url = server.add("/fast-ai-sample/dogscats.tgz", Route(body))

    result = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.stderr
    assert "dogscats: downloaded" in result.stderr
    # the single top-level folder of the archive is the dataset folder, as untar_data expects
    for name, data in DOGSCATS.items():
        assert (data_dir / name).read_bytes() == data
    assert sorted(p.name for p in (data_dir / "dogscats").iterdir()) == ["test1", "train", "valid"]
    assert (data_dir / "archive" / "dogscats.tgz").read_bytes() == body
    assert leftovers(data_dir) == []

    again = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir))
    assert again.exit_code == 0
    assert "already present" in again.stderr
    assert len(server.hits_for("/fast-ai-sample/dogscats.tgz")) == 1


def test_get_zip_and_json_result(server: LoopbackServer, data_dir: Path) -> None:
    body = zip_bytes({"dogscats/train/a.jpg": b"a" * 300, "dogscats/valid/b.jpg": b"b"})
    url = server.add("/data/dogscats.zip", Route(body))

    result = dlbox(
        "data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir), "--json"
    )

    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    item = doc["datasets"][0]
    assert doc["ok"] is True and item["status"] == "downloaded"
    assert item["path"] == str(data_dir / "dogscats") and item["files"] == 2
    assert item["bytes"] == 301 and item["sha256"] == sha256(body)
    assert (data_dir / "dogscats" / "train" / "a.jpg").read_bytes() == b"a" * 300


def test_archive_without_single_top_folder_lands_in_its_stem(
    server: LoopbackServer, data_dir: Path
) -> None:
    body = tgz({"train.csv": b"x,y\n1,2\n", "test.csv": b"x\n3\n"})
    url = server.add("/adult_sample.tgz", Route(body))

    result = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.stderr
    assert listing(data_dir / "adult_sample") == ["test.csv", "train.csv"]


def test_dropped_connection_is_retried_with_range(server: LoopbackServer, data_dir: Path) -> None:
    body = tgz({"mnist_sample/big.bin": random.Random(0).randbytes(512_000)})  # incompressible
    url = server.add("/mnist_sample.tgz", Route(body, drop_after=200_000))

    result = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.stderr
    assert "retry 1 of 5" in result.stderr
    first, second = server.hits_for("/mnist_sample.tgz")
    assert first.sent == 200_000 and first.range is None
    assert second.range == "bytes=200000-" and second.status == 206
    assert second.sent == len(body) - 200_000 < len(body)
    assert file_digest(data_dir / "archive" / "mnist_sample.tgz")[1] == sha256(body)
    assert (data_dir / "mnist_sample" / "big.bin").stat().st_size == 512_000


def test_interrupted_download_resumes_on_the_next_run(
    server: LoopbackServer, data_dir: Path
) -> None:
    body = tgz(DOGSCATS) + bytes(100_000)
    url = server.add("/dogscats.tgz", Route(body, drop_after=60_000))
    args = ("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir))

    failed = dlbox(*args, "--retries", "0")

    assert failed.exit_code == 1
    assert "run the same command again: it resumes where it stopped" in failed.stderr
    assert (data_dir / "archive" / "dogscats.tgz.part").stat().st_size == 60_000
    assert not (data_dir / "dogscats").exists()

    resumed = dlbox(*args)

    assert resumed.exit_code == 0, resumed.stderr
    assert "resumed at" in resumed.stderr
    second = server.hits_for("/dogscats.tgz")[1]
    assert second.range == "bytes=60000-"
    assert second.sent == len(body) - 60_000 < len(body)
    assert (data_dir / "dogscats" / "test1" / "1.jpg").read_bytes() == b"unlabelled"
    assert leftovers(data_dir) == []


def test_server_without_range_support_restarts_cleanly(
    server: LoopbackServer, data_dir: Path
) -> None:
    body = tgz(DOGSCATS) + bytes(50_000)
    url = server.add("/dogscats.tgz", Route(body, drop_after=20_000, ranges=False))

    result = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.stderr
    assert (data_dir / "archive" / "dogscats.tgz").read_bytes() == body


def test_transient_status_is_retried(server: LoopbackServer, data_dir: Path) -> None:
    body = tgz(DOGSCATS)
    url = server.add("/dogscats.tgz", Route(body, statuses=[503]))

    result = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.stderr
    assert "HTTP 503" in result.stderr
    assert (data_dir / "dogscats" / "train").is_dir()


def test_checksum_mismatch_leaves_nothing(server: LoopbackServer, data_dir: Path) -> None:
    body = tgz(DOGSCATS)
    url = server.add("/dogscats.tgz", Route(body, wrong=True))

    result = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir))

    assert result.exit_code == 1
    assert "Checksum mismatch for dogscats" in result.stderr
    assert "nothing was unpacked" in result.stderr
    assert not (data_dir / "dogscats").exists()
    assert not (data_dir / "archive" / "dogscats.tgz").exists()
    assert leftovers(data_dir) == []


def test_http_error_is_explained(server: LoopbackServer, data_dir: Path) -> None:
    url = server.url("/missing.tgz")

    result = dlbox("data", "get", url, "--sha256", "a" * 64, "--data-dir", str(data_dir))

    assert result.exit_code == 1
    assert "answered HTTP 404" in result.stderr and "Fix:" in result.stderr


def test_fastai_checks_catch_a_substituted_file(server: LoopbackServer, data_dir: Path) -> None:
    """Catalog entries carry fastai's published size + md5 of the first MiB."""
    real, fake = tgz(DOGSCATS), tgz({"dogscats/evil.txt": b"x" * 2000})
    size, _sha, md5 = file_digest(_write(data_dir.parent / "real.tgz", real))
    good = Dataset(
        "dogscats", (Source(server.add("/a/dogscats.tgz", Route(real)), Checks(size, None, md5)),)
    )
    bad = Dataset(
        "planet_tiny",
        (Source(server.add("/b/planet_tiny.tgz", Route(fake)), Checks(len(fake), None, md5)),),
    )
    layout, options = Layout(data_dir), GetOptions(download=DownloadOptions(backoff=0))

    assert get_dataset(layout, good, options).check == "fastai (size + md5 of first MiB)"
    with pytest.raises(DlboxError, match="md5 of the first MiB"):
        get_dataset(layout, bad, options)
    assert (data_dir / "dogscats" / "train").is_dir() and not (data_dir / "planet_tiny").exists()


def test_mirror_is_used_when_the_first_source_fails(server: LoopbackServer, data_dir: Path) -> None:
    body = zip_bytes({"dogscats/train/a.jpg": b"a"})
    dataset = Dataset(
        "dogscats",
        (
            Source(server.url("/gone/dogscats.tgz"), Checks(sha256="0" * 64)),
            Source(server.add("/mirror/dogscats.zip", Route(body)), Checks(sha256=sha256(body))),
        ),
    )

    result = get_dataset(Layout(data_dir), dataset)

    assert result.url and result.url.endswith("/mirror/dogscats.zip")
    assert (data_dir / "dogscats" / "train" / "a.jpg").read_bytes() == b"a"


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_stale_cleanup_only_touches_its_own_dataset(tmp_path: Path) -> None:
    """Cleaning `imagenette2` leftovers must not delete a running `imagenette2-160` extraction."""
    from dlbox.datasets.store import Layout

    layout = Layout(tmp_path)
    tmp_path.mkdir(exist_ok=True)
    other = layout.new_tmp_dir("imagenette2-160")
    mine = layout.new_tmp_dir("imagenette2")
    layout.clear_stale_tmp("imagenette2")
    assert other.exists() and not mine.exists()

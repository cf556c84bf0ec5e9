"""Unsafe archives are refused before anything reaches the data folder; an existing dataset of the
same name stays exactly as it was."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tests.unit.datasets.archives import DOGSCATS, Member, sha256, tgz, zip_bytes
from tests.unit.datasets.conftest import dlbox, listing
from tests.unit.datasets.loopback import LoopbackServer, Route

GOOD = {k: v for k, v in DOGSCATS.items()}


def _bad_archives(outside: Path) -> dict[str, tuple[str, bytes, str]]:
    """name -> (file name, archive bytes, what the error must say)."""
    return {
        "tar-zip-slip": (
            "dogscats.tgz",
            tgz(GOOD, [Member("dogscats/../../evil.txt", b"x")]),
            "'..' component",
        ),
        "zip-slip": ("dogscats.zip", zip_bytes({**GOOD, "../evil.txt": b"x"}), "'..' component"),
        "tar-absolute": (
            "dogscats.tgz",
            tgz(GOOD, [Member(f"{outside}/abs.txt", b"x")]),
            "absolute path",
        ),
        "zip-absolute": (
            "dogscats.zip",
            zip_bytes({**GOOD, f"{outside}/abs.txt": b"x"}),
            "absolute path",
        ),
        "symlink-escape": (
            "dogscats.tgz",
            tgz(
                GOOD,
                [
                    Member("dogscats/link", kind=tarfile.SYMTYPE, linkname="../../outside"),
                    Member("dogscats/link/pwn.txt", b"pwned"),
                ],
            ),
            "outside the target",
        ),
        "symlink-absolute": (
            "dogscats.tgz",
            tgz(GOOD, [Member("dogscats/link", kind=tarfile.SYMTYPE, linkname=str(outside))]),
            "absolute path",
        ),
        "symlink-chain": (
            "dogscats.tgz",
            tgz(
                GOOD,
                [
                    Member("dogscats/a", kind=tarfile.SYMTYPE, linkname="b/c/.."),
                    Member("dogscats/b/c", kind=tarfile.SYMTYPE, linkname="../.."),
                    Member("dogscats/a/pwn.txt", b"pwned"),
                ],
            ),
            "outside the target",
        ),
        "zip-symlink-escape": (
            "dogscats.zip",
            zip_bytes(GOOD, {"dogscats/l": "../../outside"}),
            "outside the target",
        ),
        "hardlink-escape": (
            "dogscats.tgz",
            tgz(GOOD, [Member("dogscats/passwd", kind=tarfile.LNKTYPE, linkname="/etc/passwd")]),
            "absolute path",
        ),
        "device": (
            "dogscats.tgz",
            tgz(GOOD, [Member("dogscats/null", kind=tarfile.CHRTYPE)]),
            "device or special file",
        ),
        "fifo": (
            "dogscats.tgz",
            tgz(GOOD, [Member("dogscats/pipe", kind=tarfile.FIFOTYPE)]),
            "device or special file",
        ),
        "oversize-tar": (
            "dogscats.tgz",
            tgz({**GOOD, "dogscats/zeros": bytes(3_000_000)}),
            "past the limit of 1000000 bytes",
        ),
        "oversize-zip": (
            "dogscats.zip",
            zip_bytes({**GOOD, "dogscats/zeros": bytes(3_000_000)}),
            "past the limit of 1000000",
        ),
    }


CASES = sorted(_bad_archives(Path("/x")))


@pytest.mark.parametrize("case", CASES)
def test_unsafe_archive_is_refused_and_dataset_untouched(
    case: str, server: LoopbackServer, data_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    fname, body, why = _bad_archives(outside)[case]
    good = tgz(GOOD)
    good_url = server.add("/good/dogscats.tgz", Route(good))
    first = dlbox("data", "get", good_url, "--sha256", sha256(good), "--data-dir", str(data_dir))
    assert first.exit_code == 0, first.stderr
    before = listing(data_dir / "dogscats")

    url = server.add(f"/bad/{fname}", Route(body))
    result = dlbox(
        "data",
        "get",
        url,
        "--sha256",
        sha256(body),
        "--force",
        "--max-unpacked-mb",
        "1",
        "--data-dir",
        str(data_dir),
    )

    assert result.exit_code == 1
    assert "Refused to unpack" in result.stderr and why in result.stderr
    assert "Nothing was unpacked" in result.stderr
    assert listing(data_dir / "dogscats") == before
    for name, data in GOOD.items():
        assert (data_dir / name).read_bytes() == data
    assert not (data_dir / "archive" / fname).exists()
    assert listing(outside) == [] and not (data_dir / "evil.txt").exists()
    assert not (tmp_path / "evil.txt").exists()
    assert [p for p in listing(data_dir) if ".dlbox-tmp-" in p] == []


def test_safe_internal_links_are_kept(server: LoopbackServer, data_dir: Path) -> None:
    body = tgz(
        GOOD,
        [
            Member("dogscats/latest", kind=tarfile.SYMTYPE, linkname="train"),
            Member("dogscats/copy.jpg", kind=tarfile.LNKTYPE, linkname="dogscats/test1/1.jpg"),
        ],
    )
    url = server.add("/dogscats.tgz", Route(body))

    result = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.stderr
    assert (data_dir / "dogscats" / "latest" / "cats" / "cat.1.jpg").read_bytes() == GOOD[
        "dogscats/train/cats/cat.1.jpg"
    ]
    assert (data_dir / "dogscats" / "copy.jpg").read_bytes() == b"unlabelled"


def test_not_an_archive_is_explained(server: LoopbackServer, data_dir: Path) -> None:
    body = b"<html>moved</html>"
    url = server.add("/dogscats.zip", Route(body))

    result = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir))

    assert result.exit_code == 1
    assert "neither a zip nor a tar archive" in result.stderr
    assert not (data_dir / "dogscats").exists()


def test_clashing_entries_are_an_error_not_a_traceback(
    server: LoopbackServer, data_dir: Path
) -> None:
    """A file `ds/a` and then `ds/a/b`: the unpack fails with a message, nothing is left."""
    body = tgz({"ds/a": b"file", "ds/a/b": b"under a file"})
    url = server.add("/ds.tgz", Route(body))

    result = dlbox("data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir))

    assert result.exit_code == 1, result.stderr
    assert "cannot be unpacked" in result.stderr and "Traceback" not in result.stderr
    assert not (data_dir / "ds").exists()
    assert [p for p in listing(data_dir) if p.startswith("ds")] == []

"""The member-count cap is proportionate to the archive (one member per 64 archive bytes, at least
10,000): a bomb of empty files is refused by default, and --max-files lets a trusted one in."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dlbox.cli.app import app
from dlbox.datasets.extract import Limits
from tests.unit.datasets.archives import sha256, tgz
from tests.unit.datasets.loopback import LoopbackServer, Route

MEMBERS = 10_500  # just past the floor; the old fixed cap of 5,000,000 let 100,000 through


def test_default_cap_follows_the_archive_size() -> None:
    assert Limits.for_archive(1_000).max_members == 10_000
    assert Limits.for_archive(15_683_414).max_members >= 70_000  # mnist_png: 70,000 images
    assert Limits.for_archive(15_683_414).max_members < 5_000_000
    assert Limits.for_archive(1_000, max_members=7).max_members == 7


def test_empty_file_bomb_is_refused_and_max_files_overrides(tmp_path: Path) -> None:
    body = tgz({f"bomb/{i}": b"" for i in range(MEMBERS)})
    assert len(body) // 64 < MEMBERS  # empty files compress to a few bytes each
    data = tmp_path / "data"
    runner = CliRunner()
    with LoopbackServer() as server:
        url = server.add("/bomb.tgz", Route(body))
        refused = runner.invoke(
            app, ["data", "get", url, "--sha256", sha256(body), "--data-dir", str(data)]
        )
        assert refused.exit_code == 1, refused.output
        assert "past the limit of 10000 members" in refused.output
        assert "--max-files" in refused.output
        assert not (data / "bomb").exists()
        allowed = runner.invoke(
            app,
            ["data", "get", url, "--sha256", sha256(body), "--max-files", str(MEMBERS + 1)]
            + ["--data-dir", str(data)],
        )
        assert allowed.exit_code == 0, allowed.output
    assert len(list((data / "bomb").iterdir())) == MEMBERS

"""`dlbox data get` off a terminal answers without Typer and Rich and prints exactly what the
Typer command prints: the same lines, the same JSON document, the same errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dlbox.cli.data_get_fast import parse
from tests.unit.datasets.archives import sha256, tgz
from tests.unit.datasets.loopback import LoopbackServer, Route
from tests.unit.test_cli_startup import loaded_modules


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlbox", "data", "get", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_parse_takes_the_simple_forms_only() -> None:
    got = parse(["pets", "URL", "--sha256", "ab", "--data-dir=/d", "--force", "--json"])
    assert got is not None and got.names == ["pets", "URL"] and got.sha256 == "ab"
    assert got.data_dir == "/d" and got.force and got.as_json
    for other in ([], ["--json"], ["x", "--retries", "3"], ["x", "--help"], ["x", "--sha256"]):
        assert parse(other) is None, other


def test_the_same_output_as_the_typer_command(
    server: LoopbackServer, data_dir: Path, tmp_path: Path
) -> None:
    body = tgz({"pets/a.txt": b"a" * 1000})
    url = server.add("/pets.tgz", Route(body=body))
    fast_dir, typer_dir = tmp_path / "fast", tmp_path / "typer"
    for extra in ([], ["--json", "--force"]):
        fast = _run(url, "--sha256", sha256(body), "--data-dir", str(fast_dir), *extra)
        # --retries 5 (the default) is not for the fast parser: this runs the Typer command
        slow = _run(
            url, "--sha256", sha256(body), "--data-dir", str(typer_dir), "--retries", "5", *extra
        )
        assert fast.returncode == slow.returncode == 0, fast.stderr + slow.stderr
        assert fast.stderr.replace(str(fast_dir), "D") == slow.stderr.replace(str(typer_dir), "D")
        if not extra:
            assert fast.stdout == slow.stdout == ""
            continue
        mine, theirs = json.loads(fast.stdout), json.loads(slow.stdout)
        for doc in (mine, theirs):
            doc.pop("data_dir")
            for item in doc["datasets"]:
                for key in ("seconds", "path", "archive"):
                    item.pop(key)
        assert mine == theirs and mine["ok"] is True
    bad = _run(url, "--sha256", "00", "--data-dir", str(fast_dir))
    bad_typer = _run(url, "--sha256", "00", "--data-dir", str(fast_dir), "--retries", "1")
    assert bad.returncode == bad_typer.returncode == 2
    assert bad.stderr == bad_typer.stderr and "not a SHA-256 digest" in bad.stderr
    modules = loaded_modules(
        "data", "get", url, "--sha256", sha256(body), "--data-dir", str(tmp_path)
    )
    assert not {m.split(".")[0] for m in modules} & {"typer", "click", "rich", "httpx"}

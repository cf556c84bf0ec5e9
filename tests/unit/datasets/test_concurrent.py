"""Two real processes get the same dataset: one downloads, the other waits on the lock and then
finds it present. The server holds the first download mid-body until the second one is waiting."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.unit.datasets.archives import DOGSCATS, sha256, tgz
from tests.unit.datasets.conftest import listing
from tests.unit.datasets.loopback import LoopbackServer, Route


def _start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dlbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(predicate: object, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_two_processes_download_once(server: LoopbackServer, data_dir: Path) -> None:
    body = tgz(DOGSCATS) + bytes(20_000)
    route = Route(body, hold_at=5_000)
    url = server.add("/dogscats.tgz", route)
    args = ["data", "get", url, "--sha256", sha256(body), "--data-dir", str(data_dir)]

    first = _start(args)
    assert _wait_for(lambda: len(server.hits_for("/dogscats.tgz")) == 1), "first never asked"
    second = _start(args)
    second_err: list[str] = []
    reader = threading.Thread(target=lambda: second_err.extend(iter(second.stderr.readline, "")))
    reader.start()
    waited = _wait_for(lambda: any("waiting" in line for line in second_err))
    route.release.set()
    _out1, err1 = first.communicate(timeout=60)
    second.wait(timeout=60)
    reader.join(timeout=10)

    assert waited, f"the second process never waited: {''.join(second_err)}"
    assert first.returncode == 0, err1
    assert second.returncode == 0, "".join(second_err)
    assert "dogscats: downloaded" in err1
    assert "another dlbox process is getting dogscats" in "".join(second_err)
    assert "already present" in "".join(second_err)
    assert len(server.hits_for("/dogscats.tgz")) == 1
    assert server.sent("/dogscats.tgz") == len(body)
    assert [p for p in listing(data_dir / "dogscats") if p.endswith(".jpg")] == sorted(
        name.removeprefix("dogscats/") for name in DOGSCATS
    )

"""Download throughput: dlbox's downloader (streaming, sha256 + fastai md5 on the fly, fsync) vs
`curl -o` in the same run, both from a loopback server in its own process (sendfile).

    python -m bench.download [--size-mb 500] [--rounds 2]

Prints one result line to stdout; the goal is a ratio >= 0.9 (dlbox at least 90% of curl's rate).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dlbox.datasets.catalog import Checks
from dlbox.datasets.download import DownloadOptions, Events, fetch

MIB = 1 << 20


def _serve(path: str, urls: mp.Queue, stop: mp.Event) -> None:  # type: ignore[type-arg]
    from tests.unit.datasets.loopback import LoopbackServer, Route

    with LoopbackServer() as srv:
        urls.put(srv.add("/bench.bin", Route(file=Path(path))))
        stop.wait()


def _make_file(path: Path, size_mb: int) -> None:
    block = os.urandom(MIB)
    with open(path, "wb") as fh:
        for _ in range(size_mb):
            fh.write(block)


def _curl(url: str, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["curl", "-sSf", "-o", str(out), url], check=True)
    return time.perf_counter() - start


def _dlbox(url: str, out: Path) -> float:
    start = time.perf_counter()
    fetch(url, out, Checks(), Events(), DownloadOptions(retries=0))
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2, help="best of N for each side")
    args = parser.parse_args(argv)
    if not shutil.which("curl"):
        print("bench.download: curl is not installed", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="dlbox-bench-") as tmp:
        src, out = Path(tmp) / "src.bin", Path(tmp) / "out.bin"
        _make_file(src, args.size_mb)
        ctx = mp.get_context("spawn")
        urls: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        stop = ctx.Event()
        server = ctx.Process(target=_serve, args=(str(src), urls, stop), daemon=True)
        server.start()
        try:
            url = urls.get(timeout=30)
            times: dict[str, list[float]] = {"curl": [], "dlbox": []}
            for _ in range(args.rounds):  # alternate, so both see the same cache and load
                for name, run in (("curl", _curl), ("dlbox", _dlbox)):
                    out.unlink(missing_ok=True)
                    times[name].append(run(url, out))
                    if out.stat().st_size != args.size_mb * MIB:
                        raise SystemExit(f"{name} downloaded {out.stat().st_size} bytes")
        finally:
            stop.set()
            server.join(10)
    size = args.size_mb * MIB / 1e6
    curl_rate, dlbox_rate = size / min(times["curl"]), size / min(times["dlbox"])
    ratio = dlbox_rate / curl_rate
    print(
        f"download {args.size_mb} MiB over loopback: dlbox {dlbox_rate:.0f} MB/s, "
        f"curl {curl_rate:.0f} MB/s, ratio {ratio:.2f}x (goal >= 0.9x) "
        f"{'PASS' if ratio >= 0.9 else 'BELOW GOAL'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

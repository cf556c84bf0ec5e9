"""Downloads, whole command: `dlbox data get URL --sha256 X` (a fresh process: start-up, streaming
download with the sha256 computed on the fly, verification, safe extraction) against what a careful
user runs, `curl -o F URL && sha256sum F`, both from one loopback server (its own process,
sendfile), in the same run.

    python -m bench.download [--size-mb 500] [--rounds 2]

Prints one result line per size to stdout: `SIZE MiB: dlbox S s, curl+sha256sum S s, ...`.
Goals (issue 19): a 500 MiB get at least as fast as the baseline (ratio <= 1.0 in time), a 5 MiB
get within 0.3 s of it. dlbox also unpacks the archive; the baseline does not.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

MIB = 1 << 20


def _serve(folder: str, names: list[str], urls: mp.Queue, stop: mp.Event) -> None:  # type: ignore[type-arg]
    from tests.unit.datasets.loopback import LoopbackServer, Route

    with LoopbackServer() as srv:
        urls.put({n: srv.add(f"/{n}", Route(file=Path(folder) / n)) for n in names})
        stop.wait()


def make_archive(path: Path, size_mb: int) -> str:
    """An uncompressed tar holding one file of random bytes (compression would measure gzip, not
    the download); returns its sha256."""
    block = os.urandom(MIB)
    payload = Path(str(path) + ".payload")
    with open(payload, "wb") as fh:
        for _ in range(size_mb):
            fh.write(block)
    with tarfile.open(path, "w") as tar:
        info = tar.gettarinfo(str(payload), arcname="bench/data.bin")
        with open(payload, "rb") as fh:
            tar.addfile(info, fh)
    payload.unlink()
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * MIB):
            digest.update(chunk)
    return digest.hexdigest()


def _dlbox() -> list[str]:
    script = Path(sys.executable).with_name("dlbox")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dlbox"]


def time_dlbox(url: str, sha256: str, data_dir: Path, warm: bool = False) -> float:
    """Seconds for the whole command. warm: an untimed first run that may write bytecode, as an
    installed package has it (pip compiles at install; Python writes it on a first import), so
    timed runs measure the command, not compiling it (PYTHONDONTWRITEBYTECODE, set on some
    machines, would leave every run compiling every module)."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    argv = [*_dlbox(), "data", "get", url, "--sha256", sha256, "--data-dir", str(data_dir)]
    env = {k: v for k, v in os.environ.items() if not (warm and k == "PYTHONDONTWRITEBYTECODE")}
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"bench.download: dlbox data get failed:\n{done.stderr[-2000:]}")
    return seconds


def time_curl(url: str, sha256: str, out: Path) -> float:
    out.unlink(missing_ok=True)
    script = f'curl -sSf -o "{out}" "{url}" && sha256sum "{out}"'
    start = time.perf_counter()
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0 or sha256 not in done.stdout:
        raise SystemExit(f"bench.download: curl + sha256sum failed: {done.stderr[-500:]}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500, help="the large archive")
    parser.add_argument("--small-mb", type=int, default=5, help="the small archive")
    parser.add_argument("--rounds", type=int, default=2, help="best of N for each side")
    args = parser.parse_args(argv)
    if not shutil.which("curl") or not shutil.which("sha256sum"):
        print("bench.download: curl and sha256sum are needed", file=sys.stderr)
        return 2
    sizes = {f"bench-{args.small_mb}.tar": args.small_mb, f"bench-{args.size_mb}.tar": args.size_mb}
    with tempfile.TemporaryDirectory(prefix="dlbox-bench-") as tmp:
        root = Path(tmp)
        sums = {name: make_archive(root / name, mb) for name, mb in sizes.items()}
        ctx = mp.get_context("spawn")
        urls_q: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        stop = ctx.Event()
        server = ctx.Process(target=_serve, args=(tmp, list(sizes), urls_q, stop), daemon=True)
        server.start()
        out = io.StringIO()
        try:
            urls = urls_q.get(timeout=30)
            small = f"bench-{args.small_mb}.tar"
            time_dlbox(urls[small], sums[small], root / "data", warm=True)
            for name, mb in sizes.items():
                mine, theirs = [], []
                for _ in range(args.rounds):  # alternate, so both see the same cache and load
                    theirs.append(time_curl(urls[name], sums[name], root / "curl.out"))
                    mine.append(time_dlbox(urls[name], sums[name], root / "data"))
                d, c = min(mine), min(theirs)
                out.write(
                    f"{mb} MiB: dlbox {d:.3f} s, curl+sha256sum {c:.3f} s, "
                    f"ratio {d / c:.2f}x, gap {d - c:+.3f} s\n"
                )
        finally:
            stop.set()
            server.join(10)
    sys.stdout.write(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""dlbox's ratio benchmarks: each runs dlbox and a naive baseline in the same run, same machine.

    python -m bench            # the full environment; writes docs/benchmarks.md
    python -m bench --quick    # a tiny environment and a tiny naive Dockerfile (CI, ~2 min)

Rows: CLI start-up (`--version`, `--help`, `ps`), cold build, rebuild after one added package,
image size, `up` to a 200 from /api/status (full only: the tiny environment has no Jupyter),
dataset download vs curl, dlbox hub up and a user's spawn vs bare jupyterhub and `docker run`
(full only), zero to lesson 1 from empty caches (full only).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import platform
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import builds, cli_start, startup, zero
from bench.harness import ROOT, Bench, Row, table

BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"


def download(bench: Bench) -> None:
    from bench import download as dl

    args = ["--size-mb", "32", "--rounds", "1"] if bench.quick else ["--size-mb", "500"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = dl.main(args)
    found = re.findall(r"(\d+) MiB: dlbox ([\d.]+) s, curl\+sha256sum ([\d.]+) s", out.getvalue())
    if code != 0 or len(found) != 2:
        bench.add(Row("data get vs curl", None, None, "s", "", None, out.getvalue() or "failed"))
        return
    (small_mb, small, small_c), (big_mb, big, big_c) = sorted(found, key=lambda f: int(f[0]))
    note = "whole command, loopback; dlbox also unpacks; baseline `curl -o F URL && sha256sum F`"
    bench.add(
        Row(
            f"data get {small_mb} MiB",
            float(small),
            float(small_c),
            "s",
            "within 0.3 s",
            float(small) - float(small_c) <= 0.3,
            note,
        )
    )
    bench.add(
        Row(
            f"data get {big_mb} MiB",
            float(big),
            float(big_c),
            "s",
            "<= 1.0x",
            float(big) <= float(big_c),
            note,
        )
    )


def machine(bench: Bench) -> str:
    def version(argv: list[str]) -> str:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
            return (done.stdout or done.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "unknown"

    import os

    from dlbox import __version__

    info = bench.engine.describe()
    mem = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem = f"{kb / 1e6:.0f} GB"
    spec = builds.spec(bench)
    from dlbox.image.context import build_context

    versions = build_context(spec).versions
    return "\n".join(
        [
            f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
            f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, {mem} RAM, "
            f"{platform.platform()}",
            f"- engine: Docker server {info['server_version']}, client {info['client']} "
            f"{info['client_version']} (BuildKit: {info['buildkit']})",
            f"- dlbox {__version__}; {version(['uv', '--version'])}; "
            f"Python {platform.python_version()}",
            f"- environment: {'tiny test spec' if bench.quick else 'fastai ' + versions['fastai']}"
            + (
                ""
                if bench.quick
                else f", torch {versions['torch']}, JupyterLab {versions['jupyterlab']}"
            )
            + f", base {spec.base_image}",
        ]
    )


def write_doc(path: Path, text: str) -> None:
    old = path.read_text() if path.is_file() else ""
    block = f"{BEGIN}\n{text}{END}"
    if BEGIN in old and END in old:
        new = old.split(BEGIN)[0] + block + old.split(END, 1)[1]
    else:
        new = (old or "# Benchmarks\n\n") + "\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny spec, for CI (~2 minutes)")
    parser.add_argument(
        "--doc",
        type=Path,
        default=None,
        help="markdown file for the results (full run: docs/benchmarks.md)",
    )
    parser.add_argument(
        "--skip", default="", help="comma list: cli,cold,rebuild,up,download,hub,zero"
    )
    args = parser.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    doc = args.doc or (None if args.quick else ROOT / "docs" / "benchmarks.md")
    bench = Bench.create(args.quick)
    print(f"bench ({'quick' if args.quick else 'full'}), logs in {bench.log_dir}", file=sys.stderr)
    start = time.perf_counter()
    try:
        naive_tag = None
        if "cli" not in skip:
            cli_start.cli_start(bench)
        if "cold" not in skip:
            dlbox_tag, naive_tag = builds.cold(bench)
            builds.sizes(bench, dlbox_tag, naive_tag)
            bench.docker("rmi", dlbox_tag)  # 7 GB of disk back now; the naive one is used below
        if "rebuild" not in skip:
            builds.rebuild(bench)
        if "up" not in skip and not args.quick:
            startup.up(bench, naive_tag)
        if "download" not in skip:
            download(bench)
        if "hub" not in skip and not args.quick:
            from bench.hub import hub_rows

            bench.rows.extend(hub_rows())
        if "zero" not in skip and not args.quick:
            zero.zero(bench)  # last: it empties the BuildKit cache
    finally:
        bench.cleanup()
    mode = "quick (tiny spec: checks the benchmarks run, not the goals)" if args.quick else "full"
    report = (
        f"Mode: {mode}; total {time.perf_counter() - start:.0f} s.\n\n"
        + machine(bench)
        + "\n\n"
        + table(bench.rows)
    )
    print(report)
    if doc:
        write_doc(doc, report)
        print(f"results written to {doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Build benchmarks: cold build, rebuild after one added package, image size; dlbox against a
naive `pip install` Dockerfile on the same base, in the same run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import TINY_LOCKS, Bench, Row
from dlbox.image.build import resolve_spec
from dlbox.image.context import build_context
from dlbox.image.spec import EnvSpec

FULL_PACKAGES = "fastai jupyterlab ipywidgets"
TINY_PACKAGES = "six idna"
ADDED = "tabulate"  # small, pure Python, in neither environment

NAIVE = """\
FROM {base}
RUN --mount=type=secret,id=dlbox-ca,target=/run/secrets/ca.pem \\
    {marker} if [ -s /run/secrets/ca.pem ]; then echo 'Acquire::https::CAInfo "/run/secrets/ca.pem";' > /etc/apt/apt.conf.d/99ca; fi \\
    && apt-get update && apt-get install -y --no-install-recommends python3 python3-pip python3-venv ca-certificates \\
    && rm -f /etc/apt/apt.conf.d/99ca && rm -rf /var/lib/apt/lists/*
RUN {marker} python3 -m venv /venv
ENV PATH=/venv/bin:$PATH
RUN --mount=type=secret,id=dlbox-ca,target=/run/secrets/ca.pem \\
    {marker} if [ -s /run/secrets/ca.pem ]; then export PIP_CERT=/run/secrets/ca.pem; fi \\
    && pip install {packages}
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--allow-root", "--no-browser"]
"""  # noqa: E501 - a Dockerfile as people write it


def spec(bench: Bench) -> EnvSpec:
    base = EnvSpec(lock_root=TINY_LOCKS) if bench.quick else EnvSpec()
    return resolve_spec(bench.engine, base)


def naive_dockerfile(bench: Bench, extra: str = "") -> str:
    packages = TINY_PACKAGES if bench.quick else FULL_PACKAGES
    return NAIVE.format(
        base=spec(bench).base_image,
        marker=bench.marker,
        packages=packages + (f" {extra}" if extra else ""),
    )


def cold(bench: Bench) -> tuple[str, str]:
    """Both from empty caches: this run's marker makes every RUN miss the layer cache, dlbox's
    cache mounts get ids of their own (empty), and --no-cache covers the rest."""
    work = Path(tempfile.mkdtemp(prefix="dlbox-bench-cold-"))
    context = build_context(spec(bench))
    context.write(work / "dlbox")
    dockerfile = bench.mark_runs(context.dockerfile)
    dockerfile = dockerfile.replace(
        "--mount=type=cache,id=dlbox-", f"--mount=type=cache,id=dlbox-bench-{bench.nonce}-"
    )
    (work / "dlbox" / "Dockerfile").write_text(dockerfile)
    (work / "naive").mkdir()
    (work / "naive" / "Dockerfile").write_text(naive_dockerfile(bench))
    dlbox_tag, naive_tag = f"dlbox-bench:cold-{bench.nonce}", f"dlbox-bench:naive-{bench.nonce}"
    naive_s = bench.build(work / "naive", naive_tag, no_cache=True)
    dlbox_s = bench.build(work / "dlbox", dlbox_tag, no_cache=True)
    bench.add(Row("cold build", dlbox_s, naive_s, "s", "<= 0.5x", dlbox_s <= 0.5 * naive_s))
    return dlbox_tag, naive_tag


def sizes(bench: Bench, dlbox_tag: str, naive_tag: str) -> None:
    """Issue 19's goal: <= 0.95x the naive image, bytecode kept (the naive image has none of
    torch.compile's compiler and headers, which dlbox's carries)."""
    d, n = bench.image_size(dlbox_tag) / 1e9, bench.image_size(naive_tag) / 1e9
    note = f"{d / n:.3f}x; bytes as the engine counts them (docker image inspect .Size)"
    bench.add(Row("image size", d, n, "GB", "<= 0.95x", d <= 0.95 * n, note))


def _cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlbox", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )


def _timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = _cli(args, cwd, env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"bench: dlbox {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def rebuild(bench: Bench) -> None:
    """`dlbox add PKG` + `dlbox build` on the warm environment vs the naive Dockerfile with
    PKG added to its pip line (the edit people make), on its warm layer cache."""
    project = Path(tempfile.mkdtemp(prefix="dlbox-bench-project-"))
    env = dict(os.environ, COLUMNS="200")
    if bench.quick:
        env["DLBOX_LOCK_ROOT"] = str(TINY_LOCKS)
    base = _cli(["build", "--json"], project, env)  # the environment itself (usually exists)
    if base.returncode != 0:
        raise SystemExit(f"bench: dlbox build failed:\n{base.stderr[-2000:]}")
    base_tag = json.loads(base.stdout)["tag"]
    add_s, _ = _timed(["add", ADDED], project, env)
    build_s, out = _timed(["build", "--json"], project, env)
    result = json.loads(out)
    bench.tags.append(result["tag"])
    before, after = bench.layers(base_tag), bench.layers(result["tag"])
    reused = after[: len(before)] == before
    dlbox_s = build_s  # the whole `dlbox build` command, as a user waits for it
    # The naive side: its cold image's layer cache is warm (the cold build ran first).
    work = Path(tempfile.mkdtemp(prefix="dlbox-bench-naive-"))
    (work / "Dockerfile").write_text(naive_dockerfile(bench, ADDED))
    naive_s = bench.build(work, f"dlbox-bench:naive-plus-{bench.nonce}")
    note = (
        f"`dlbox add {ADDED}` (uv resolve for 2 platforms) took {add_s:.1f} s more; "
        f"environment layers reused: {'yes' if reused else 'NO'}, "
        f"{len(after) - len(before)} new layer(s)"
    )
    bench.add(
        Row(
            "rebuild after one package",
            dlbox_s,
            naive_s,
            "s",
            "<= 15 s",
            dlbox_s <= 15 and reused,
            note,
        )
    )

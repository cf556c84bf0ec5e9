"""`dlbox lock` really resolves the CUDA 12 line with uv against PyPI (into a scratch folder,
never the shipped locks): torch 2.10 on CUDA 12.8, and the course layer aligned with the
default line's."""

from __future__ import annotations

import shutil
from pathlib import Path

from dlbox.environment.lockset import line_locks_root, load_lockset, parse_pins
from dlbox.image.relock import lock_environment


def test_the_cuda_12_line_resolves_aligned_with_the_default_line(tmp_path: Path) -> None:
    out = tmp_path / "env"
    default = out / "locks" / "linux-x86_64"
    default.mkdir(parents=True)
    for name in ("torch.txt", "course.txt", "tools.txt"):
        shutil.copy(line_locks_root("13") / "linux-x86_64" / name, default / name)
    result = lock_environment(out, platforms=("linux-x86_64",), lines=("12",))
    assert result.notes == []  # resolved with the alignment, not without it
    folder = out / "cuda12" / "locks" / "linux-x86_64"
    lock = load_lockset("x86_64", folder)
    assert lock.version("torch").startswith("2.10.")
    assert lock.version("nvidia-cuda-runtime-cu12").startswith("12.8.")
    assert lock.version("fastai").startswith("2.8.")
    ours = parse_pins(lock.layers[1][1])
    theirs = parse_pins((default / "course.txt").read_text())
    assert {n: v for n, v in ours.items() if n in theirs and theirs[n] != v} == {}
    assert "CUDA 12 line" in (folder / "torch.txt").read_text().splitlines()[0]

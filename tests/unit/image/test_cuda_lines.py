"""Both CUDA lines' shipped locks: present per architecture, true to their inputs, the CUDA they
promise, the same course stack on both lines, and one image tag per line."""

from __future__ import annotations

import re

import pytest
from packaging.requirements import Requirement

from dlbox.environment.lockset import LAYERS, env_dir, line_locks_root, load_lockset, parse_pins
from dlbox.gpu.lines import DEFAULT_LINE, LINES
from dlbox.image.context import build_context
from dlbox.image.relock import LINE_PLATFORMS
from dlbox.image.spec import EnvSpec, Extras

ARCHES = ("x86_64", "aarch64")
CASES = [(line, arch) for line in LINES for arch in ARCHES]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==\S+ \\$")


def _inputs(path: str) -> list[Requirement]:
    lines = (env_dir() / path).read_text().splitlines()
    return [Requirement(ln) for ln in lines if ln.strip() and not ln.startswith("#")]


@pytest.mark.parametrize(("line", "arch"), CASES)
def test_every_pin_satisfies_the_lines_inputs(line: str, arch: str) -> None:
    pins = load_lockset(arch, line=line).pins
    for req in _inputs(LINES[line].torch_in) + _inputs("course.in"):
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pins, f"{req.name} missing from the CUDA {line} lock for {arch}"
        assert req.specifier.contains(pins[name], prereleases=True), (line, arch, req, pins[name])


@pytest.mark.parametrize(("line", "arch"), CASES)
def test_torch_series_and_cuda_runtime_match_the_line(line: str, arch: str) -> None:
    spec = LINES[line]
    pins = load_lockset(arch, line=line).pins
    assert pins["torch"].startswith(spec.torch + "."), pins["torch"]
    runtimes = {k: v for k, v in pins.items() if k.startswith("nvidia-cuda-runtime")}
    if arch in spec.cuda_arches:
        assert len(runtimes) == 1, runtimes
        version = next(iter(runtimes.values()))
        assert version.startswith(f"{spec.cuda_major}."), version
        if spec.cuda[0].isdigit() and "x" not in spec.cuda:
            assert version.startswith(spec.cuda + "."), (spec.cuda, version)
    else:
        # PyPI's torch for this architecture is CPU-only on this line (documented in lines.py).
        assert runtimes == {}


def test_cuda_12_line_is_torch_2_10_on_cuda_12_8_with_fastai_2_8_12() -> None:
    pins = load_lockset("x86_64", line="12").pins
    assert pins["torch"].startswith("2.10.")
    assert pins["nvidia-cuda-runtime-cu12"].startswith("12.8.")
    assert pins["fastai"] == "2.8.12"
    # torchvision is the one built for this torch (0.25 goes with 2.10).
    assert pins["torchvision"].startswith("0.25.")


@pytest.mark.parametrize("line", list(LINES))
def test_architectures_of_a_line_run_the_same_versions(line: str) -> None:
    x86 = load_lockset("x86_64", line=line).pins
    arm = load_lockset("aarch64", line=line).pins
    for name in ("torch", "torchvision", "fastai", "jupyterlab", "numpy", "pandas"):
        assert x86[name] == arm[name], (line, name)


@pytest.mark.parametrize("arch", ARCHES)
def test_both_lines_share_the_course_stack(arch: str) -> None:
    default = parse_pins(load_lockset(arch, line=DEFAULT_LINE).layers[1][1])
    twelve = parse_pins(load_lockset(arch, line="12").layers[1][1])
    shared = set(default) & set(twelve)
    assert {"fastai", "jupyterlab", "ipywidgets", "nbclient", "timm"} <= shared
    differ = {n: (default[n], twelve[n]) for n in shared if default[n] != twelve[n]}
    assert differ == {}


@pytest.mark.parametrize(("line", "arch"), CASES)
def test_every_pin_is_hashed_and_layers_do_not_overlap(line: str, arch: str) -> None:
    lockset = load_lockset(arch, line=line)
    seen: set[str] = set()
    for name, text in lockset.layers:
        lines = text.splitlines()
        for i, ln in enumerate(lines):
            if _PIN.match(ln):
                assert lines[i + 1].strip().startswith("--hash=sha256:"), (name, ln)
        pins = set(parse_pins(text))
        assert not pins & seen, (line, arch, name, pins & seen)
        seen |= pins
    assert [name for name, _ in lockset.layers] == [name for name, _ in LAYERS]


def test_each_line_is_locked_where_dlbox_promises() -> None:
    for line, platforms in LINE_PLATFORMS.items():
        for plat in platforms:
            assert (line_locks_root(line) / plat / "torch.txt").is_file(), (line, plat)


def test_each_line_has_its_own_image_tag() -> None:
    tags = {line: build_context(EnvSpec(cuda_line=line)).tag for line in LINES}
    assert len(set(tags.values())) == len(LINES)
    ctx = build_context(EnvSpec(cuda_line="12"))
    assert ctx.versions["torch"].startswith("2.10.")
    assert "torch==2.10." in ctx.files["locks/torch.txt"]


def test_extras_are_locked_against_both_lines() -> None:
    from pathlib import Path

    from dlbox.extend.resolve import locksets

    sets = locksets(None)
    assert [s.version("torch")[:4] for _, s in sets] == ["2.15", "2.15", "2.10", "2.10"]
    assert [line for line, _ in sets] == ["13", "13", "12", "12"]
    assert len({(s.arch, s.version("torch")) for _, s in sets}) == 4
    tiny = Path(__file__).parents[2] / "fixtures" / "tiny-env" / "locks"
    assert len(locksets(tiny)) == 2  # an override has one set per platform, for both lines


def test_a_dlbox_lock_for_both_lines_reads_back_and_each_build_finds_its_pins() -> None:
    """dlbox.lock holds one table per platform and CUDA line; with the shipped locks (two lines,
    two platforms) it used to write [linux-x86_64] twice, which TOML refuses: `dlbox build`
    failed after every `dlbox add`."""
    from dlbox.environment.lockset import pins_digest
    from dlbox.extend import lockfile
    from dlbox.extend.resolve import locksets
    from dlbox.image.spec import LockedExtras

    pin = "tabulate==0.10.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"
    items = tuple(
        LockedExtras(s.arch, pins_digest(s.pins), pin, line) for line, s in locksets(None)
    )
    text = lockfile.dumps(lockfile.ExtrasLock(("tabulate",), items))
    assert "[linux-x86_64]" in text and "[linux-x86_64-cuda12]" in text
    back = lockfile.loads(text)
    assert sorted(back.platforms, key=str) == sorted(items, key=str)
    extras = Extras(pip=("tabulate",), pip_locked=back.platforms)
    for line, s in locksets(None):
        found = extras.locked_for(s.arch, pins_digest(s.pins))
        assert found is not None and found.line == line and found.text == pin

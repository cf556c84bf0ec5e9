"""Spec hashing, the golden Dockerfile, and what the render must (not) contain."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from dlbox.environment.lockset import load_lockset, parse_pins, split_blocks
from dlbox.image.context import build_context
from dlbox.image.spec import EnvSpec, Extras

GOLDEN = Path(__file__).parent / "golden"
TINY = Path(__file__).parents[2] / "fixtures" / "tiny-env" / "locks" / "linux-x86_64"


def test_same_spec_same_tag() -> None:
    assert build_context(EnvSpec()).tag == build_context(EnvSpec()).tag


@pytest.mark.parametrize(
    "change",
    [
        {"base_image": "debian:trixie-slim"},
        {"base_image_id": "sha256:" + "1" * 64},
        {"arch": "aarch64"},
        {"extras": Extras(pip=("rich",))},
        {"extras": Extras(apt=("graphviz",))},
        {"extras": Extras(dockerfile=("RUN echo hi",))},
    ],
)
def test_any_input_change_changes_tag(change: dict[str, object]) -> None:
    base = build_context(EnvSpec())
    changed = build_context(replace(EnvSpec(), **change))  # type: ignore[arg-type]
    assert changed.tag != base.tag
    assert changed.tag.startswith("dlbox-env:")


def test_lock_change_changes_tag(tmp_path: Path) -> None:
    folder = tmp_path / "linux-x86_64"
    shutil.copytree(TINY, folder)
    spec = EnvSpec(lock_root=folder)
    before = build_context(spec).tag
    lock = folder / "course.txt"
    lock.write_text(lock.read_text().replace("idna==3.10", "idna==3.9"))
    assert build_context(spec).tag != before


def test_hash_label_matches_tag() -> None:
    ctx = build_context(EnvSpec())
    assert f'io.dlbox.spec-hash="{ctx.spec_hash}"' in ctx.dockerfile
    assert ctx.versions["fastai"].startswith("2.8.")


def test_golden_default_dockerfile() -> None:
    """The default render is reviewed text: regenerate with UPDATE_GOLDEN=1 on purpose."""
    text = build_context(EnvSpec()).dockerfile
    golden = GOLDEN / "Dockerfile.default"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()


def test_golden_extras_dockerfile() -> None:
    spec = EnvSpec(
        extras=Extras(pip=("rich==13.9.4",), apt=("graphviz",), dockerfile=("RUN echo custom",))
    )
    text = build_context(spec).dockerfile
    golden = GOLDEN / "Dockerfile.extras"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_render_rules() -> None:
    text = build_context(EnvSpec()).dockerfile
    assert "# syntax=" not in text  # would pull a frontend image from a registry
    assert "--mount=type=secret,id=dlbox-ca" in text
    assert "ca-certificates.crt" not in text  # the host bundle is never named, never COPY'd
    assert "--compile-bytecode" in text
    assert "--require-hashes" in text
    assert "HEALTHCHECK" in text and "dlbox-healthcheck" in text
    assert "USER 1000:1000" in text
    # Layers ordered by how often they change: torch first, the course stack second.
    assert text.index("locks/torch.txt") < text.index("locks/course.txt")
    for line in text.splitlines():
        if line.startswith("COPY"):
            assert "pem" not in line and "ca" not in line.split()[1]


def test_extras_get_constraints_without_hashes() -> None:
    ctx = build_context(EnvSpec(extras=Extras(pip=("rich",))))
    constraints = ctx.files["locks/constraints.txt"]
    assert "--hash" not in constraints
    assert "fastai==" in constraints


def test_lock_files_cover_both_arches_with_hashes() -> None:
    for arch in ("x86_64", "aarch64"):
        lockset = load_lockset(arch)
        pins = lockset.pins
        assert pins["fastai"].startswith("2.8.")
        plum = tuple(int(x) for x in pins["plum-dispatch"].split(".")[:2])
        assert plum < (2, 10)  # plum-dispatch 2.10 breaks `from fastai.vision.all import *`
        for name in ("torch", "torchvision", "jupyterlab", "ipywidgets", "nbclient", "ipykernel"):
            assert name in pins, name
        for _, text in lockset.layers:
            for block in split_blocks(text).values():
                assert "--hash=sha256:" in block
        torch_layer = parse_pins(lockset.layers[0][1])
        course_layer = parse_pins(lockset.layers[1][1])
        assert "torch" in torch_layer and "fastai" in course_layer
        assert not set(torch_layer) & set(course_layer)


def test_lab_defaults_for_learners_ship_in_the_image() -> None:
    """No news pop-up, no update check, no extension manager searching PyPI: as lab settings
    overrides in the venv (users' own settings still win), and in the server config."""
    import json

    ctx = build_context(EnvSpec())
    overrides = json.loads(ctx.files["overrides.json"])
    notify = overrides["@jupyterlab/apputils-extension:notification"]
    assert notify == {"fetchNews": "false", "checkForUpdates": False}
    assert overrides["@jupyterlab/extensionmanager-extension:plugin"] == {"enabled": False}
    assert (
        "COPY overrides.json /opt/dlbox/venv/share/jupyter/lab/settings/overrides.json"
        in ctx.dockerfile
    )
    server = ctx.files["jupyter_server_config.py"]
    assert "c.LabApp.news_url = None" in server
    assert 'c.LabApp.extension_manager = "readonly"' in server
    assert "NeverCheckForUpdate" in server

"""`dlbox clean` against the real Docker Engine: two tiny dlbox-labelled images, one of them
used by a container. The dry run lists the unused one with its size and keeps the other;
removing (the use case on exactly these two images, so the images other tests use stay) takes
the unused one away and refuses nothing else. Caches and venvs are found in the test's own
state folder, and code and data folders are never listed."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlbox.config import load_settings
from dlbox.engines.docker import DockerEngine
from dlbox.usecases.clean import IMAGE_LABEL, CleanPlan, apply_clean, plan_clean
from tests.helpers import dlbox, docker

pytestmark = pytest.mark.engine
BASE = "debian:bookworm-slim"


def tiny_image(tag: str) -> None:
    dockerfile = f"FROM {BASE}\nLABEL {IMAGE_LABEL}=test-{tag.rsplit(':', 1)[1]}\n"
    done = subprocess.run(
        [docker_client_path(), "build", "--network", "host", "-t", tag, "-"],
        input=dockerfile,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
    )
    assert done.returncode == 0, done.stderr


def docker_client_path() -> str:
    from tests.helpers import docker_client

    return docker_client()


@pytest.fixture
def two_images(docker_engine: DockerEngine) -> Iterator[tuple[str, str, str]]:
    token = secrets.token_hex(4)
    unused, used = f"dlbox-env:test-clean-{token}-a", f"dlbox-env:test-clean-{token}-b"
    tiny_image(unused)
    tiny_image(used)
    container = f"dlbox-test-clean-{token}"
    started = docker("create", "--name", container, used, "true")
    assert started.returncode == 0, started.stderr
    yield unused, used, container
    docker("rm", "-f", container)
    docker("image", "rm", "-f", unused, used)


def test_clean_lists_then_removes_only_the_unused_image(
    two_images: tuple[str, str, str], docker_engine: DockerEngine, tmp_path: Path
) -> None:
    unused, used, _ = two_images
    code, data = tmp_path / "code", tmp_path / "data"
    env = {"DLBOX_CODE_DIR": str(code), "DLBOX_DATA_DIR": str(data), "COLUMNS": "80"}

    listed = dlbox("clean", "--json", "--only", "image", env=env)
    assert listed.code == 0, listed.output
    doc = json.loads(listed.stdout)
    assert doc["dry_run"] is True
    items = {i["what"]: i for i in doc["items"]}
    assert unused in items and items[unused]["size"] > 1_000_000
    assert used not in items
    assert {"what": used, "why": "used by a container"} in doc["kept"]

    text = dlbox("clean", "--only", "image", env=env)
    assert text.code == 0 and unused in text.stdout and "nothing was removed" in text.stderr
    assert max(len(line) for line in text.stdout.splitlines()) <= 80
    assert docker_engine.image_exists(unused)  # a dry run removes nothing

    plan = plan_clean(load_settings(), docker_engine)
    mine = CleanPlan(
        [i for i in plan.items if i.kind == "image" and unused in i.what], engine=docker_engine
    )
    assert len(mine.items) == 1
    result = apply_clean(mine)
    assert not result.failed and result.freed > 1_000_000
    assert not docker_engine.image_exists(unused)
    assert docker_engine.image_exists(used)


def test_clean_finds_caches_and_old_venvs_never_code_or_data(
    docker_engine: DockerEngine, tmp_path: Path
) -> None:
    state = Path(os.environ["DLBOX_STATE_DIR"])
    (state / "logs").mkdir(parents=True, exist_ok=True)
    (state / "logs" / "build-old.log").write_text("x" * 5000)
    venvs = tmp_path / "venvs"
    (venvs / "0123456789abcdef" / "lib").mkdir(parents=True)
    (venvs / "0123456789abcdef" / "lib" / "big").write_bytes(b"\0" * 200_000)
    code, data = tmp_path / "code", tmp_path / "data"
    for folder in (code, data):
        folder.mkdir()
        (folder / "notebook.ipynb").write_text("{}")
    env = {
        "DLBOX_CODE_DIR": str(code),
        "DLBOX_DATA_DIR": str(data),
        "DLBOX_VENVS_DIR": str(venvs),
        "DLBOX_CACHE_DIR": str(tmp_path / "cache"),  # never the user's real build cache
    }
    listed = dlbox("clean", "--json", "--only", "venv", "--only", "cache", env=env)
    assert listed.code == 0, listed.output
    items = {i["what"]: i for i in json.loads(listed.stdout)["items"]}
    assert str(state / "logs" / "build-old.log") in items
    assert items[str(venvs / "0123456789abcdef")]["size"] >= 200_000
    assert not [w for w in items if w.startswith((str(code), str(data)))]

    removed = dlbox("clean", "--yes", "--only", "venv", "--only", "cache", env=env)
    assert removed.code == 0, removed.output
    assert not (venvs / "0123456789abcdef").exists()
    assert not (state / "logs" / "build-old.log").exists()
    assert (code / "notebook.ipynb").exists() and (data / "notebook.ipynb").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="rootless Podman's build cache: a user's own")
def test_clean_removes_a_rootless_podman_build_cache_with_subordinate_owned_files(
    tmp_path: Path,
) -> None:
    """Before: "could not remove .../buildah-tmp-UID: Permission denied" and exit 1, since apt's
    cache mount in a rootless build leaves files of a subordinate uid that the user cannot
    delete. Real rootless Podman makes such files here."""
    cache = tmp_path / "cache"
    buildah = cache / f"buildah-tmp-{os.getuid()}" / "buildah-cache" / "apt" / "partial"
    made = subprocess.run(
        ["podman", "unshare", "sh", "-c",
         f"mkdir -p {buildah} && echo x > {buildah}/f.deb && chown -R 100:100 {buildah}"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert buildah.stat().st_uid != os.getuid()  # a subordinate id owns it, as after a build
    env = {
        "DLBOX_CODE_DIR": str(tmp_path / "code"),
        "DLBOX_DATA_DIR": str(tmp_path / "data"),
        "DLBOX_CACHE_DIR": str(cache),
    }
    listed = dlbox("clean", "--json", "--only", "cache", env=env)
    assert listed.code == 0, listed.output
    whats = [i["what"] for i in json.loads(listed.stdout)["items"]]
    assert str(cache / f"buildah-tmp-{os.getuid()}") in whats

    removed = dlbox("clean", "--yes", "--only", "cache", env=env)
    assert removed.code == 0, removed.output
    assert "could not remove" not in removed.output
    assert not (cache / f"buildah-tmp-{os.getuid()}").exists()

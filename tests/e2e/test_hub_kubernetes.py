"""The Kubernetes values against the real fastai image and Docker: the tag `dlbox hub export`
writes is the image `dlbox build` made, and the course init container and the server container
it describes do what the values promise when run as the pod would run them (same image, same
command, uid 1000 / gid 100, the hub's token set, an emptyDir-like scratch volume)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import dlbox, docker

pytestmark = pytest.mark.e2e
REGISTRY_NAME = "registry.example.org/class/dlbox-env"


@pytest.fixture
def volumes() -> Iterator[dict[str, str]]:
    """Named volumes standing in for the pod's: the course source, the scratch seed volume and
    the user's /code."""
    suffix = uuid.uuid4().hex[:8]
    names = {k: f"dlbox-k8s-test-{k}-{suffix}" for k in ("src", "seed", "code")}
    yield names
    docker("volume", "rm", "-f", *names.values())


def export(tmp_path: Path, course: str) -> tuple[dict[str, Any], dict[str, Any]]:
    target = tmp_path / "values.yaml"
    done = dlbox(
        "hub",
        "export",
        "--kubernetes",
        str(target),
        "--image",
        REGISTRY_NAME,
        "--json",
        cwd=tmp_path,
        env={"DLBOX_COURSE": course, "DLBOX_ENGINE": "docker"},  # the fixture's engine
        timeout=300,
    )
    assert done.code == 0, done.output
    return json.loads(done.stdout), yaml.safe_load(target.read_text())


def run_as_pod(
    image: str, args: list[str], *mounts: str, env: dict[str, str], entrypoint: str = ""
) -> Any:
    """`docker run` as the pod runs its containers: uid 1000, gid 100 (fsGid)."""
    argv = ["run", "--rm", "--user", "1000:100"]
    if entrypoint:
        argv += ["--entrypoint", entrypoint]
    for mount in mounts:
        argv += ["-v", mount]
    for key, value in env.items():
        argv += ["-e", f"{key}={value}"]
    return docker(*argv, image, *args, timeout=300)


def world_writable(image: str, volume: str) -> None:
    """A fresh volume as Kubernetes gives an emptyDir (or a new PVC with fsGroup): writable."""
    done = docker(
        "run", "--rm", "--user", "0:0", "-v", f"{volume}:/v", image, "chmod", "1777", "/v"
    )
    assert done.returncode == 0, done.stderr


def make_course_repo(image: str, volume: str) -> None:
    """A one-commit git repo in a volume, made by the image's own git as uid 1000 (the cluster
    would clone from GitHub; this machine reaches no git host)."""
    script = (
        "cd /src && mkdir course && cd course && git init -q && "
        "printf '{}' > lesson1.ipynb && git add lesson1.ipynb && "
        "git -c user.email=t@example.org -c user.name=t commit -qm lesson"
    )
    world_writable(image, volume)
    made = run_as_pod(image, ["sh", "-c", script], f"{volume}:/src", env={})
    assert made.returncode == 0, made.stderr


def test_export_names_the_image_dlbox_built(tmp_path: Path, fastai_image: str) -> None:
    result, values = export(tmp_path, "")
    tag = fastai_image.rsplit(":", 1)[1]
    assert result["image"] == f"{REGISTRY_NAME}:{tag}" and result["image_built"] is True
    assert values["singleuser"]["image"] == {"name": REGISTRY_NAME, "tag": tag}
    line = result["cuda"]["line"]
    assert result["push_command"] == [
        "dlbox", "build", "--cuda", line, "--push", f"{REGISTRY_NAME}:{tag}",
    ]  # fmt: skip


@pytest.mark.parametrize("clone_works", [True, False])
def test_course_init_container_and_server_seed_code(
    tmp_path: Path, fastai_image: str, volumes: dict[str, str], clone_works: bool
) -> None:
    make_course_repo(fastai_image, volumes["src"])
    url = "file:///src/course" if clone_works else "file:///src/missing"
    _, values = export(tmp_path, url)
    su = values["singleuser"]
    (init,) = su["initContainers"]
    (scratch,) = init["volumeMounts"]
    # The init container: Kubernetes `command` replaces the image's entrypoint.
    world_writable(fastai_image, volumes["seed"])
    cloned = run_as_pod(
        fastai_image,
        init["command"][1:],
        f"{volumes['seed']}:{scratch['mountPath']}",
        f"{volumes['src']}:/src:ro",
        env={},
        entrypoint=init["command"][0],
    )
    assert cloned.returncode == 0, cloned.stderr  # a failed clone never blocks the server
    assert ("course clone failed" in cloned.stderr) is not clone_works
    # The server container: the image's entrypoint with the hub's environment, seed read-only.
    server = run_as_pod(
        fastai_image,
        ["sh", "-c", "ls -A /code; readlink /code/data"],
        f"{volumes['seed']}:{scratch['mountPath']}:ro",
        f"{volumes['code']}:/code",
        env={"JUPYTERHUB_API_TOKEN": "hub-owned", **su["extraEnv"]},
    )
    assert server.returncode == 0, server.stderr
    listing = server.stdout.split()
    if clone_works:
        assert {"lesson1.ipynb", ".dlbox-seeded", ".git"} <= set(listing)
    else:
        assert "lesson1.ipynb" not in listing and ".dlbox-seeded" not in listing
    assert "/data" in listing  # the lessons' data/ link next to the notebooks

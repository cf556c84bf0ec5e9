"""The CUDA 12 line's image, built by `dlbox build --cuda 12` like a user would, holds the CUDA 12
lock (torch 2.10 on CUDA 12.8, fastai 2.8.12), and the lesson 1 smoke run passes in it on the
CPU (the same checks the CUDA 13 image gets). No GPU here: the CUDA runtime is checked from the
wheels' own report, not by running a kernel."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pytest

from dlbox.engines.docker import DockerEngine
from dlbox.environment.lockset import load_lockset, normalize_arch
from tests.helpers import dlbox, docker

# The session fixture builds a ~9 GB image: pytest-timeout counts fixture set-up too.
pytestmark = [pytest.mark.e2e, pytest.mark.engine, pytest.mark.timeout(5400)]


@pytest.fixture(scope="session")
def cuda12_image(docker_engine: DockerEngine) -> Iterator[tuple[str, dict[str, object]]]:
    """`dlbox build --cuda 12 --json` (a no-op when the image exists); DLBOX_TEST_CUDA12_IMAGE
    names a prebuilt one instead."""
    override = os.environ.get("DLBOX_TEST_CUDA12_IMAGE")
    if override:
        yield override, {}
        return
    state = os.environ.get("DLBOX_STATE_DIR") or f"/tmp/dlbox-test-state-{os.getuid()}"
    start = time.monotonic()
    run = dlbox("build", "--cuda", "12", "--engine", "docker", "--json", timeout=5400,
                env={"DLBOX_STATE_DIR": state})  # fmt: skip
    assert run.code == 0, run.output[-4000:]
    doc = json.loads(run.stdout)
    # Shown with -s and in CI's log: what this tier costs.
    print(f"\nCUDA 12 image {doc['tag']}: built={doc['built']} in {time.monotonic() - start:.0f} s")
    yield str(doc["tag"]), doc


def test_build_says_the_line_and_makes_its_own_tag(
    docker_engine: DockerEngine, cuda12_image: tuple[str, dict[str, object]]
) -> None:
    tag, doc = cuda12_image
    if doc:
        cuda = doc["cuda"]
        assert isinstance(cuda, dict)
        assert cuda["line"] == "12" and cuda["source"] == "flag --cuda"
    default = dlbox("up", "--dry-run", "--json", "--cuda", "13", "--engine", "docker")
    assert default.code == 0, default.output[-2000:]
    assert json.loads(default.stdout)["image"] != tag


def test_image_holds_the_cuda_12_lock(
    docker_engine: DockerEngine, cuda12_image: tuple[str, dict[str, object]]
) -> None:
    tag, _ = cuda12_image
    code = (
        "import json, fastai, torch, torchvision; "
        "print(json.dumps({'fastai': fastai.__version__, 'torch': torch.__version__, "
        "'torchvision': torchvision.__version__, 'cuda': torch.version.cuda}))"
    )
    out = docker("run", "--rm", tag, "python", "-W", "ignore", "-c", code)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    arch = normalize_arch(docker_engine.architecture())
    pins = load_lockset(arch, line="12").pins
    assert seen["fastai"] == pins["fastai"] == "2.8.12"
    for name in ("torch", "torchvision"):
        assert seen[name].split("+")[0] == pins[name]
    assert seen["torch"].startswith("2.10.")
    if arch == "x86_64":
        assert seen["cuda"] == "12.8"  # PyPI's torch 2.10 bundles CUDA 12.8
    labels = json.loads(
        docker("image", "inspect", "--format", "{{json .Config.Labels}}", tag).stdout
    )
    assert labels["io.dlbox.torch"] == pins["torch"]


def test_lesson1_smoke_passes_on_the_cpu(cuda12_image: tuple[str, dict[str, object]]) -> None:
    tag, _ = cuda12_image
    start = time.monotonic()
    # A generous per-cell timeout: this checks that the lessons pass, not how fast (bench/ does).
    run = dlbox("verify", "--json", "--profile", "smoke", "--timeout", "1200", "--image", tag,
                timeout=3600)  # fmt: skip
    assert run.code == 0, run.output[-4000:]
    data = json.loads(run.stdout)
    assert data["ok"] is True and data["device"]["device"] == "cpu"
    assert data["device"]["torch"].startswith("2.10.")
    by_name = {nb["name"]: nb for nb in data["notebooks"]}
    assert set(by_name) == {"lesson1-dogscats", "lesson1-pets"}
    assert all(nb["status"] == "passed" for nb in by_name.values())
    print(f"\nCUDA 12 image: lesson 1 smoke verify in {time.monotonic() - start:.0f} s")


def test_any_uid_can_import_torch_and_torchvision(
    cuda12_image: tuple[str, dict[str, object]],
) -> None:
    """dlbox runs the container as the host user, whose UID has no passwd entry in the image;
    torch 2.10 asks for a user name when torchvision imports torch._dynamo."""
    tag = cuda12_image[0]
    code = "import torchvision, torch._dynamo, getpass; print(getpass.getuser())"
    out = docker("run", "--rm", "--user", "4242:4242", tag, "python", "-W", "ignore", "-c", code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "dlbox"

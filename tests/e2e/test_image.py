"""The real default fastai image, built by dlbox."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from dlbox.engines.docker import DockerEngine
from dlbox.image.build import BuildOptions, ensure_image
from dlbox.image.ca import CaBundle, detect_ca_bundle
from dlbox.image.locks import load_lockset, normalize_arch
from tests.helpers import dlbox, docker
from tests.integration.test_build_tiny import image_contains, make_test_ca

pytestmark = pytest.mark.e2e


def test_imports_and_versions_equal_the_lock(
    docker_engine: DockerEngine, fastai_image: str
) -> None:
    code = (
        "import json, sys, fastai, torch, torchvision, jupyterlab, ipywidgets, nbclient; "
        "from fastai.vision.all import vision_learner; "
        "print(json.dumps({'fastai': fastai.__version__, 'torch': torch.__version__, "
        "'torchvision': torchvision.__version__, 'jupyterlab': jupyterlab.__version__, "
        "'python': sys.version.split()[0]}))"
    )
    out = docker("run", "--rm", fastai_image, "python", "-W", "ignore", "-c", code)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    pins = load_lockset(normalize_arch(docker_engine.architecture())).pins
    for name in ("fastai", "jupyterlab"):
        assert seen[name] == pins[name]
    for name in ("torch", "torchvision"):  # PyPI's CUDA builds report a local +cuXYZ suffix
        assert seen[name].split("+")[0] == pins[name]
    assert seen["python"].startswith("3.11.")


def test_default_user_is_not_root_and_labels_name_the_stack(fastai_image: str) -> None:
    user = docker("run", "--rm", fastai_image, "id", "-u")
    assert user.returncode == 0 and user.stdout.strip() != "0"
    labels = json.loads(
        docker("image", "inspect", "--format", "{{json .Config.Labels}}", fastai_image).stdout
    )
    assert labels["io.dlbox.fastai"].startswith("2.8.")
    assert fastai_image.endswith(labels["io.dlbox.spec-hash"])
    health = docker("image", "inspect", "--format", "{{json .Config.Healthcheck}}", fastai_image)
    assert "/api/status" in health.stdout


def test_no_build_caches_in_the_image(fastai_image: str) -> None:
    """apt, pip and uv caches are BuildKit cache mounts: not one file of them is in a layer."""
    out = docker(
        "run",
        "--rm",
        "--user",
        "0",
        "--entrypoint=",
        fastai_image,
        "sh",
        "-c",
        "find /var/cache/dlbox /root/.cache /home/dlbox "
        "-type f -name '*' 2>/dev/null | grep -v '/partial/lock$' | head -5",
    )
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout


def test_any_uid_can_use_the_venv(fastai_image: str) -> None:
    out = docker(
        "run",
        "--rm",
        "--user",
        "4242:4242",
        fastai_image,
        "python",
        "-c",
        "import fastai, os; print(os.access(os.environ['HOME'], os.W_OK))",
    )
    assert out.returncode == 0 and out.stdout.strip().endswith("True"), out.stderr


def test_build_is_a_noop_and_rebuild_is_fast(fastai_image: str) -> None:
    start = time.monotonic()
    again = dlbox("build")
    assert again.code == 0 and "up to date" in again.output
    rebuild = dlbox("build", "--rebuild")
    elapsed = time.monotonic() - start
    assert rebuild.code == 0 and "built" in rebuild.output, rebuild.output
    assert elapsed < 10, f"no-change build + rebuild took {elapsed:.1f} s"


def test_test_ca_never_in_any_layer(
    docker_engine: DockerEngine, fastai_image: str, tmp_path: Path
) -> None:
    bundle, marker = make_test_ca(tmp_path)
    result = ensure_image(
        docker_engine, BuildOptions(ca=CaBundle(bundle, "--ca-bundle"), rebuild=True)
    )
    assert result.tag == fastai_image  # the secret is not an input of the image
    assert not image_contains(result.tag, marker)
    # Debian's public CAs are expected in the image (ca-certificates), the host bundle is not.
    assert detect_ca_bundle().path is not None

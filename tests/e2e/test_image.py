"""The real default fastai image, built by dlbox."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from dlbox.engines.docker import DockerEngine
from dlbox.environment.lockset import load_lockset, normalize_arch
from dlbox.image.build import BuildOptions, ensure_image
from dlbox.image.ca import CaBundle, detect_ca_bundle
from dlbox.image.render import PRUNE_PATHS
from tests.helpers import dlbox, docker
from tests.integration.test_build_tiny import image_contains, make_test_ca

pytestmark = pytest.mark.e2e


def test_imports_and_versions_equal_the_lock(
    docker_engine: DockerEngine, fastai_image: str
) -> None:
    code = (
        "import json, sys, fastai, torch, torchvision, jupyterlab, ipywidgets, nbclient, "
        "jupyterhub; "
        "from fastai.vision.all import vision_learner; "
        "print(json.dumps({'fastai': fastai.__version__, 'torch': torch.__version__, "
        "'torchvision': torchvision.__version__, 'jupyterlab': jupyterlab.__version__, "
        "'jupyterhub': jupyterhub.__version__, "
        "'python': sys.version.split()[0]}))"
    )
    out = docker("run", "--rm", fastai_image, "python", "-W", "ignore", "-c", code)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    pins = load_lockset(normalize_arch(docker_engine.architecture())).pins
    for name in ("fastai", "jupyterlab", "jupyterhub"):
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
    assert "dlbox-healthcheck" in health.stdout
    assert labels["io.dlbox.jupyterhub"] == labels_jupyterhub_from_lock()
    which = docker("run", "--rm", fastai_image, "sh", "-c", "command -v jupyterhub-singleuser")
    assert which.returncode == 0, which.stderr


def labels_jupyterhub_from_lock() -> str:
    return load_lockset("x86_64").version("jupyterhub")


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
        "import fastai, torchvision, torch._dynamo, getpass, os; "
        "print(getpass.getuser(), os.access(os.environ['HOME'], os.W_OK))",
    )
    assert out.returncode == 0 and out.stdout.strip().endswith("True"), out.stderr


def test_build_is_a_noop_and_rebuild_gives_the_same_image(fastai_image: str) -> None:
    """`dlbox build` with nothing changed builds nothing; `--rebuild` builds the same tag. (How
    long a rebuild takes is measured in bench/, not asserted here.)"""
    again = dlbox("build")
    assert again.code == 0 and "up to date" in again.output, again.output
    rebuild = dlbox("build", "--rebuild")
    assert rebuild.code == 0 and "built" in rebuild.output, rebuild.output
    assert fastai_image.split(":")[-1] in rebuild.output


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


def test_torch_compile_runs_in_the_image(fastai_image: str) -> None:
    """torch.compile works out of the box: Inductor finds its C++ compiler and headers (the CPU
    path here; the GPU path also needs Python.h for Triton's launcher). Compared with float32's
    tolerance (torch.testing.assert_close): allclose's atol 1e-8 failed on an ulp near zero."""
    code = (
        "import torch, triton; f = torch.compile(lambda x: torch.sin(x) + torch.cos(x)); "
        "x = torch.randn(64); torch.testing.assert_close(f(x), x.sin() + x.cos()); print(True)"
    )
    out = docker("run", "--rm", fastai_image, "python", "-W", "ignore", "-c", code, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "True"
    headers = docker("run", "--rm", fastai_image, "python3.11-config", "--includes")
    assert headers.returncode == 0 and "python3.11" in headers.stdout


def _sh(image: str, script: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """A shell script in the image, its start script bypassed."""
    return docker("run", "--rm", "--entrypoint=", image, "sh", "-c", script, timeout=timeout)


def test_image_carries_no_test_suites_or_static_libraries(fastai_image: str) -> None:
    site = "/opt/dlbox/venv/lib/python3.11/site-packages"
    out = _sh(
        fastai_image,
        f"cd {site} && ls -d {' '.join(PRUNE_PATHS)} pandas/tests numpy/_core/tests 2>/dev/null; "
        "find . -name '*.a' -type f | head -3; "
        # git is installed by dlbox's apt step (the base image's own files are the base's)
        "find /usr/share/man/man1/git* /usr/share/locale/*/LC_MESSAGES/git.mo /usr/share/doc/git "
        "/usr/bin/*lto-dump* /usr/lib/python3*/config-*/libpython3*.a /usr/lib/*/libasan.so* "
        "-type f "
        "2>/dev/null | grep -v /copyright | head -3",
    )
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout
    licence = _sh(fastai_image, "find /usr/share/doc/git -type f")
    assert licence.stdout.split() == ["/usr/share/doc/git/copyright"], licence.stdout


def test_every_library_finds_what_it_links_and_nothing_loads_a_removed_one(
    fastai_image: str,
) -> None:
    """What the image leaves out is never needed: every shared library of torch, Triton and the
    CUDA wheels resolves all it links (ldd), and no library names a removed one (a dlopen by
    name). Allowed to be missing: the driver's libcuda (the NVIDIA runtime or
    CDI mounts it), and the host fabric libraries (InfiniBand, UCX, libfabric, MPI, PMIx) that
    NCCL's and NVSHMEM's multi-node transport plugins and cuFile's RDMA plugin link, which are
    loaded only when such a transport is configured."""
    site = "/opt/dlbox/venv/lib/python3.11/site-packages"
    libs = f"{site}/torch/lib {site}/triton/_C {site}/nvidia"
    host = "libcuda|libmlx5|librdmacm|libibverbs|libucs|libucp|libpmix|liboshmem|libfabric|libmpi"
    script = (
        f"find {libs} -name '*.so*' -type f | while read -r f; do "
        f"ldd \"$f\" 2>&1 | grep 'not found' | grep -Ev '^\\s*({host})[.]so' "
        '| sed "s|^|$f: |"; done; '
        f"grep -rlaE 'lib(cusolverMg|cufftw|nvblas|checkpoint|pcsamplingutil)[.]so' {libs} "
        "| sed 's|^|names a removed library: |'"
    )
    out = _sh(fastai_image, script, timeout=600)
    assert out.stdout.strip() == "", out.stdout[-3000:]
    count = _sh(fastai_image, f"find {libs} -name '*.so*' -type f | wc -l")
    assert int(count.stdout.strip()) > 50  # the search above did look at the libraries


def test_jupyter_starts_without_the_iri_checker(fastai_image: str) -> None:
    """rfc3987-syntax (left out: see relock.LEFT_OUT) is not installed, Jupyter Server's import
    does not look for it, and jsonschema's format checker still validates the formats Jupyter's
    event schemas use."""
    code = (
        "import sys, importlib.util, jupyter_server.serverapp, jsonschema; "
        "print(importlib.util.find_spec('rfc3987_syntax') is None, 'lark' in sys.modules, "
        "jsonschema.FormatChecker().conforms('https://example.org/x', 'uri'), "
        "jsonschema.FormatChecker().conforms('not a uri', 'uri'))"
    )
    out = docker("run", "--rm", fastai_image, "python", "-W", "ignore", "-c", code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-4:] == ["True", "False", "True", "False"], out.stdout

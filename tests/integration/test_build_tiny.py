"""Real engine: build a tiny spec image through dlbox; a second build is a no-op."""

from __future__ import annotations

import platform
import secrets
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from dlbox.engines.docker import DockerEngine
from dlbox.environment.lockset import normalize_arch
from dlbox.image.build import BuildOptions, ensure_image
from dlbox.image.ca import detect_ca_bundle
from dlbox.image.spec import EnvSpec, Extras
from tests.helpers import docker

pytestmark = pytest.mark.engine
TINY = Path(__file__).parents[1] / "fixtures" / "tiny-env" / "locks"


def tiny_spec(**extras: tuple[str, ...]) -> EnvSpec:
    arch = normalize_arch(platform.machine())
    return EnvSpec(lock_root=TINY / f"linux-{arch}", extras=Extras(**extras))


def test_tiny_build_then_noop(docker_engine: DockerEngine) -> None:
    options = BuildOptions(spec=tiny_spec(), ca=detect_ca_bundle())
    first = ensure_image(docker_engine, options)
    assert docker_engine.image_exists(first.tag)
    second = ensure_image(docker_engine, options)
    assert second.built is False and second.tag == first.tag
    labels = docker_engine.image_labels(first.tag)
    assert labels["io.dlbox.spec-hash"] == first.spec_hash
    out = docker("run", "--rm", first.tag, "python", "-c", "import six, idna; print('ok')")
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr
    user = docker("run", "--rm", first.tag, "id", "-u")
    assert user.stdout.strip() == "1000"


def test_build_failure_shows_relevant_lines_and_log(docker_engine: DockerEngine) -> None:
    from dlbox.errors import BuildError

    options = BuildOptions(
        spec=tiny_spec(dockerfile=("RUN echo dlbox-test-failure && exit 3",)), ca=detect_ca_bundle()
    )
    with pytest.raises(BuildError) as info:
        ensure_image(docker_engine, options)
    err = info.value
    assert err.log_path is not None and err.log_path.is_file()
    assert "exit code" in err.message
    assert any(
        "exit code: 3" in line or "did not complete" in line or "ERROR" in line
        for line in err.relevant
    ), err.relevant


def make_test_ca(folder: Path) -> tuple[Path, str]:
    """A throwaway CA; returns the bundle (host bundle + it) and a line unique to its PEM."""
    key, cert = folder / "ca.key", folder / "ca.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=dlbox-test-ca",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    pem_lines = cert.read_text().splitlines()
    marker = pem_lines[len(pem_lines) // 2]  # a base64 line from the middle of the cert
    bundle = folder / "bundle.pem"
    host = detect_ca_bundle()
    bundle.write_text((host.path.read_text() if host.path else "") + cert.read_text())
    return bundle, marker


def image_contains(tag: str, needle: str) -> bool:
    """Stream `docker save` and look for needle in every byte of every layer."""
    from tests.helpers import docker_client

    proc = subprocess.Popen([docker_client(), "save", tag], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    data = needle.encode()
    carry = b""
    found = False
    while chunk := proc.stdout.read(1 << 22):
        if data in carry + chunk:
            found = True
            break
        carry = chunk[-len(data) :]
    proc.kill()
    proc.wait()
    return found


def test_ca_secret_never_lands_in_a_layer(docker_engine: DockerEngine, tmp_path: Path) -> None:
    """Every RUN that mounts the secret really runs (a base image of its own, so no cache hit),
    and the test CA is in no layer of `docker save`."""
    bundle, marker = make_test_ca(tmp_path)
    # A throwaway base with its own ID: all cache keys are new, so the secret-using steps run,
    # and no second cache record appears under the keys other tests reuse (a --no-cache build
    # would add one, and BuildKit may then pick either on later builds).
    base = f"dlbox-test-base:ca-{secrets.token_hex(4)}"
    (tmp_path / "Dockerfile").write_text(
        f"FROM debian:bookworm-slim\nRUN echo {base} > /etc/dlbox-test-base\n"
    )
    made = docker("build", "--quiet", "--tag", base, str(tmp_path))
    assert made.returncode == 0, made.stderr
    from dlbox.image.ca import CaBundle

    spec = replace(tiny_spec(), base_image=base)
    result = None
    try:
        result = ensure_image(docker_engine, BuildOptions(spec=spec, ca=CaBundle(bundle, "x")))
        assert result.built
        log = result.log_path.read_text() if result.log_path else ""
        assert "CACHED" not in log and "Installed" in log  # the uv steps ran, secret mounted
        assert not image_contains(result.tag, marker)
    finally:
        if result is not None:
            docker("rmi", "--force", result.tag)
        docker("rmi", "--force", base)

"""argv snapshots: the exact commands dlbox gives the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.engines.base import BuildRequest, ContainerSpec, GpuRequest, Mount, PortBinding
from dlbox.engines.docker import BuildKitSupport, DockerEngine
from dlbox.engines.gpus import gpu_argv


def engine(mode: str = "env") -> DockerEngine:
    return DockerEngine("/usr/bin/docker", BuildKitSupport(mode, "test"))


REQUEST = BuildRequest(
    context_dir=Path("/tmp/ctx"),
    tag="dlbox-env:abc",
    secrets=(("dlbox-ca", Path("/etc/ssl/certs/ca-certificates.crt")),),
    network="host",
)


def test_build_argv_classic_client_uses_docker_buildkit_env() -> None:
    argv, env = engine("env").build_argv(REQUEST)
    assert argv == [
        "/usr/bin/docker",
        "build",
        "--progress",
        "plain",
        "--tag",
        "dlbox-env:abc",
        "--secret",
        "id=dlbox-ca,src=/etc/ssl/certs/ca-certificates.crt",
        "--network",
        "host",
        "/tmp/ctx",
    ]
    assert env == {"DOCKER_BUILDKIT": "1"}


def test_build_argv_buildx_loads_into_the_engine() -> None:
    argv, env = engine("buildx").build_argv(REQUEST)
    assert argv[:4] == ["/usr/bin/docker", "buildx", "build", "--load"]
    assert "--secret" in argv and env == {}


def test_build_argv_without_secret_or_network() -> None:
    argv, _ = engine().build_argv(BuildRequest(Path("/c"), "t:1", no_cache=True))
    assert argv == [
        "/usr/bin/docker",
        "build",
        "--progress",
        "plain",
        "--tag",
        "t:1",
        "--no-cache",
        "/c",
    ]


@pytest.mark.parametrize(
    ("gpu", "expected"),
    [
        (GpuRequest("none"), []),
        (GpuRequest("gpus"), ["--gpus", "all"]),
        (GpuRequest("gpus", ("0", "1")), ["--gpus", '"device=0,1"']),
        (GpuRequest("cdi"), ["--device", "nvidia.com/gpu=all"]),
        (GpuRequest("cdi", ("1",)), ["--device", "nvidia.com/gpu=1"]),
        (
            GpuRequest("runtime"),
            [
                "--runtime",
                "nvidia",
                "--env",
                "NVIDIA_VISIBLE_DEVICES=all",
                "--env",
                "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
            ],
        ),
    ],
)
def test_gpu_flags_per_mode(gpu: GpuRequest, expected: list[str]) -> None:
    assert gpu_argv(gpu) == expected


def test_run_argv_snapshot() -> None:
    spec = ContainerSpec(
        name="dlbox-x",
        image="dlbox-env:abc",
        command=("lab",),
        mounts=(Mount(Path("/h/code"), "/code"), Mount(Path("/h/t"), "/run/t", read_only=True)),
        env=(("A", "1"),),
        labels=(("io.dlbox.session", "dlbox-x"),),
        ports=(PortBinding("127.0.0.1", 8890, 8888),),
        user="1000:1000",
        workdir="/code",
        shm_size_bytes=8 * 1024**3,
        gpu=GpuRequest("gpus"),
    )
    assert engine().run_argv(spec) == [
        "/usr/bin/docker",
        "run",
        "--detach",
        "--name",
        "dlbox-x",
        "--init",
        "--user",
        "1000:1000",
        "--workdir",
        "/code",
        "--shm-size",
        "8192m",
        "--gpus",
        "all",
        "--publish",
        "127.0.0.1:8890:8888",
        "--mount",
        "type=bind,source=/h/code,target=/code",
        "--mount",
        "type=bind,source=/h/t,target=/run/t,readonly",
        "--env",
        "A=1",
        "--label",
        "io.dlbox.session=dlbox-x",
        "dlbox-env:abc",
        "lab",
    ]


def test_ipc_host_replaces_shm_size() -> None:
    argv = engine().run_argv(ContainerSpec("n", "i", ipc_host=True, shm_size_bytes=1024**3))
    assert "--ipc" in argv and "--shm-size" not in argv


@pytest.mark.parametrize(
    ("host", "published"), [("::1", "[::1]:8890:8888"), ("0.0.0.0", "0.0.0.0:8890:8888")]
)
def test_ipv6_publish_addresses_are_bracketed(host: str, published: str) -> None:
    """Podman refuses `::1:8890:8888` ("invalid port format"); both engines take `[::1]:...`."""
    spec = ContainerSpec("n", "i", ports=(PortBinding(host, 8890, 8888),))
    argv = engine().run_argv(spec)
    assert argv[argv.index("--publish") + 1] == published

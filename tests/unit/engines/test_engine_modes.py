"""Each engine mode's own flags: the user mapping (who owns files in /code), builds and image lists.
Argv snapshots; the real engines run the same specs in tests/integration/test_engine_matrix.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlbox.engines.base import BuildRequest, ContainerSpec, GpuRequest, ImageInfo, Mount
from dlbox.engines.docker import BuildKitSupport, DockerEngine, EngineInfo
from dlbox.engines.podman import PodmanEngine, parse_images, parse_info
from dlbox.errors import EngineUnavailable
from dlbox.gpu.cdi import SPEC_FILE

SPEC = ContainerSpec(
    name="dlbox-x", image="dlbox-env:abc", user="1000:1000", mounts=(Mount(Path("/c"), "/code"),)
)


def engines() -> dict[str, DockerEngine]:
    env = BuildKitSupport("env", "test")
    return {
        "rootful docker": DockerEngine("docker", env),
        "rootless docker": DockerEngine("docker", env, info=EngineInfo(rootless=True)),
        "rootful podman": PodmanEngine("podman"),
        "rootless podman": PodmanEngine("podman", info=EngineInfo(rootless=True)),
    }


def user_flags(argv: list[str]) -> list[str]:
    out = []
    for i, arg in enumerate(argv):
        if arg in ("--user",):
            out += [arg, argv[i + 1]]
        elif arg.startswith("--userns"):
            out.append(arg)
    return out


@pytest.mark.parametrize(
    ("mode", "flags", "root_inside"),
    [
        ("rootful docker", ["--user", "1000:1000"], False),
        ("rootless docker", ["--user", "0:0"], True),
        ("rootful podman", ["--user", "1000:1000"], False),
        ("rootless podman", ["--userns=keep-id", "--user", "1000:1000"], False),
    ],
)
def test_user_mapping_per_mode(mode: str, flags: list[str], root_inside: bool) -> None:
    engine = engines()[mode]
    assert user_flags(engine.run_argv(SPEC)) == flags
    mapping = engine.user_mapping("1000:1000")
    assert mapping.root_inside is root_inside
    assert "yours" in mapping.explanation
    # `dlbox shell` joins the session as the same user.
    exec_argv = engine.exec_argv("dlbox-x", ["bash"], "1000:1000", False)
    assert exec_argv[exec_argv.index("--user") + 1] == flags[-1]


def test_rootless_docker_explains_that_root_is_you() -> None:
    mapping = engines()["rootless docker"].user_mapping("1000:1000")
    assert mapping.explanation.startswith("rootless Docker: root in the container is you")


def test_podman_builds_with_podman_build_and_its_own_buildah_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLBOX_CACHE_DIR", str(tmp_path))
    request = BuildRequest(
        context_dir=Path("/ctx"),
        tag="dlbox-env:abc",
        secrets=(("dlbox-ca", Path("/ca.crt")),),
        network="host",
    )
    argv, env = engines()["rootless podman"].build_argv(request)
    assert argv == [
        "podman",
        "build",
        "--progress",
        "plain",
        "--tag",
        "dlbox-env:abc",
        "--secret",
        "id=dlbox-ca,src=/ca.crt",
        "--network",
        "host",
        "/ctx",
    ]
    assert Path(env["TMPDIR"]).is_dir() and Path(env["TMPDIR"]).is_relative_to(tmp_path)
    assert "DOCKER_BUILDKIT" not in env


def test_podman_image_list_is_one_json_array_with_localhost_names() -> None:
    text = json.dumps(
        [
            {
                "Id": "e106",
                "Names": ["localhost/dlbox-env:abc", "localhost/dlbox-env:latest"],
                "Size": 123,
            },
            {"Id": "f00", "Names": ["docker.io/library/debian:bookworm-slim"], "Size": 0},
        ]
    )
    assert parse_images(text) == [
        ImageInfo("dlbox-env", "abc", "e106", 123),
        ImageInfo("dlbox-env", "latest", "e106", 123),
        ImageInfo("docker.io/library/debian", "bookworm-slim", "f00", None),
    ]
    assert parse_images("[]") == [] and parse_images("null") == []


def test_podman_info_says_mode_arch_and_storage() -> None:
    version, arch, info = parse_info(
        {
            "host": {"arch": "arm64", "security": {"rootless": True}},
            "store": {"graphDriverName": "overlay", "graphRoot": "/home/u/.local/share/x"},
            "version": {"Version": "4.3.1"},
        }
    )
    assert (version, arch) == ("4.3.1", "arm64")
    assert info == EngineInfo(True, "overlay", "/home/u/.local/share/x")
    assert PodmanEngine("podman", server_version=version, info=info).title == (
        "rootless Podman 4.3.1"
    )


def test_podman_has_no_gpus_flag_so_it_probes_cdi() -> None:
    assert "gpus" not in PodmanEngine("podman").probe_modes
    assert PodmanEngine("podman").probe_modes[0] == "cdi"


def test_podman_missing_nvidia_runtime_is_classified_with_its_fix() -> None:
    from dlbox.engines.gpus import classify_probe_failure

    said = classify_probe_failure(
        "runtime", 'Error: default OCI runtime "nvidia" not found: invalid argument'
    )
    assert said.startswith("Podman has no 'nvidia' OCI runtime: it reaches NVIDIA GPUs through CDI")
    assert "nvidia-ctk cdi generate" in said and "dlbox gpu cdi --write" in said


def test_a_full_disk_names_the_engines_own_prune() -> None:
    from dlbox.image.build import failure_hint
    from dlbox.image.ca import CaBundle

    lines = ["error: write /var/lib/containers/storage/x: no space left on device"]
    ca = CaBundle(None, "none")
    assert "`podman system prune`" in failure_hint(lines, ca, "podman")
    assert "`docker system prune`" in failure_hint(lines, ca, "docker")


CDI_GPU = GpuRequest(mode="cdi")


def _cdi_argv(engine: PodmanEngine, gpu: GpuRequest = CDI_GPU) -> list[str]:
    return engine.run_argv(ContainerSpec(name="s", image="img:1", user="1000:1000", gpu=gpu))


def test_rootless_podman_is_told_where_dlboxs_own_cdi_spec_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dlbox gpu cdi --write` without root writes ~/.config/cdi/dlbox-nvidia.yaml, a folder
    Podman does not read by itself: a GPU run names it with the global --cdi-spec-dir (Podman
    5.5+), after the default folders, which the option would otherwise replace."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    rootless = EngineInfo(rootless=True)
    engine = PodmanEngine("/usr/bin/podman", client_version="5.6.1", info=rootless)
    assert "--cdi-spec-dir" not in _cdi_argv(engine)  # no spec of the user's: Podman's defaults
    (tmp_path / "cdi").mkdir()
    (tmp_path / "cdi" / SPEC_FILE).write_text("kind: nvidia.com/gpu\n")
    argv = _cdi_argv(engine)
    assert argv[:8] == [
        "/usr/bin/podman",
        "--cdi-spec-dir",
        "/etc/cdi",
        "--cdi-spec-dir",
        "/var/run/cdi",
        "--cdi-spec-dir",
        str(tmp_path / "cdi"),
        "run",
    ]
    assert argv[argv.index("--device") + 1] == "nvidia.com/gpu=all"
    assert "--cdi-spec-dir" not in _cdi_argv(engine, GpuRequest())  # no GPU, no folders
    # Podman before 5.5 has no such option (and ignores cdi_spec_dirs in containers.conf); a
    # Podman service (--url, CONTAINER_HOST) reads its own folders, never the client's.
    assert "--cdi-spec-dir" not in _cdi_argv(
        PodmanEngine("/usr/bin/podman", client_version="4.3.1", info=rootless)
    )
    remote = PodmanEngine("/usr/bin/podman", client_version="5.6.1", url="unix:///run/p.sock")
    assert _cdi_argv(remote)[:4] == ["/usr/bin/podman", "--url", "unix:///run/p.sock", "run"]
    monkeypatch.setenv("CONTAINER_HOST", "unix:///run/p.sock")
    assert "--cdi-spec-dir" not in _cdi_argv(engine)


def test_docker_api_for_the_hubs_spawner() -> None:
    """DockerSpawner speaks Docker's API: Docker's own socket (DOCKER_HOST or the default), or
    Podman's API service (CONTAINER_HOST, else the socket `podman info` reports)."""
    env = BuildKitSupport("env", "test")
    assert DockerEngine("docker", env).docker_api() == ""
    rootless = EngineInfo(True, endpoint="unix:///run/user/1000/docker.sock")
    assert DockerEngine("docker", env, info=rootless).docker_api() == rootless.endpoint
    _, _, info = parse_info(
        {"host": {"remoteSocket": {"path": "/run/podman/podman.sock", "exists": True}}}
    )
    assert info.api_socket == "/run/podman/podman.sock"
    assert PodmanEngine("podman", info=info).docker_api() == "unix:///run/podman/podman.sock"
    via = EngineInfo(endpoint="unix:///srv/podman.sock", api_socket="/run/podman/podman.sock")
    assert PodmanEngine("podman", info=via).docker_api() == "unix:///srv/podman.sock"


@pytest.mark.parametrize("rootless", [False, True])
def test_podman_without_its_api_service_says_how_to_start_it(rootless: bool) -> None:
    _, _, info = parse_info(
        {
            "host": {
                "remoteSocket": {"path": "/run/user/1000/podman/podman.sock", "exists": False},
                "security": {"rootless": rootless},
            }
        }
    )
    assert info.api_socket == ""
    with pytest.raises(EngineUnavailable) as refused:
        PodmanEngine("podman", info=info).docker_api()
    assert "API service is not running" in refused.value.message
    want = "systemctl --user enable" if rootless else "sudo systemctl enable"
    assert want in (refused.value.hint or "")
    ssh = EngineInfo(endpoint="ssh://core@host/run/podman/podman.sock")
    with pytest.raises(EngineUnavailable, match="not a socket"):
        PodmanEngine("podman", info=ssh).docker_api()

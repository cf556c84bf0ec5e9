"""--explain must name and justify every flag of the argv it prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.engines.base import GpuRequest
from dlbox.engines.docker import BuildKitSupport, DockerEngine
from dlbox.engines.gpus import GpuDecision
from dlbox.launch.environment import EnvPlan
from dlbox.launch.explain_flags import explain, group_argv
from dlbox.launch.launcher import container_spec_for
from dlbox.launch.options import EnvOptions
from dlbox.launch.user import HostUser


def plan(gpu: GpuRequest, ipc_host: bool = False, uid: int = 1000) -> EnvPlan:
    options = EnvOptions(
        Path("/h/code"), Path("/h/data"), "course22", shm_bytes=8 * 1024**3, ipc_host=ipc_host
    )
    return EnvPlan(
        options, HostUser(uid, uid), GpuDecision(gpu, ("GPU 0: X",), "probe"), Path("/h/home")
    )


@pytest.mark.parametrize(
    "gpu",
    [GpuRequest("none"), GpuRequest("gpus"), GpuRequest("cdi", ("0",)), GpuRequest("runtime")],
)
@pytest.mark.parametrize("ipc_host", [False, True])
def test_every_flag_is_explained(gpu: GpuRequest, ipc_host: bool) -> None:
    p = plan(gpu, ipc_host)
    spec = container_spec_for(p, "dlbox-env:abc", "dlbox-x", gpu, 8888, "127.0.0.1")
    argv = DockerEngine("docker", BuildKitSupport("env", "")).run_argv(spec)
    explained = explain(argv, p, spec)
    flags_in_argv = {a.split("=")[0] for a in argv if a.startswith("--")}
    assert flags_in_argv == {e.flag for e in explained if e.flag.startswith("--")}
    for item in explained:
        assert item.why and item.why != "engine option", item
    assert {"IMAGE", "CMD"} <= {e.flag for e in explained}


def test_root_user_is_called_out() -> None:
    p = plan(GpuRequest("none"), uid=0)
    spec = container_spec_for(p, "i", "n", GpuRequest("none"), 8888, "127.0.0.1")
    argv = DockerEngine("docker", BuildKitSupport("env", "")).run_argv(spec)
    user = next(e for e in explain(argv, p, spec) if e.flag == "--user")
    assert "root" in user.why
    assert argv[-1] == "--allow-root"


def test_token_never_in_argv() -> None:
    p = plan(GpuRequest("none"))
    spec = container_spec_for(p, "i", "n", GpuRequest("none"), 8888, "127.0.0.1")
    argv = DockerEngine("docker", BuildKitSupport("env", "")).run_argv(spec)
    assert not any("token=" in a.lower() for a in argv)
    assert "JUPYTER_TOKEN_FILE=/run/dlbox/token" in argv
    assert not any(a.startswith("JUPYTER_TOKEN=") for a in argv)


def test_group_argv_pairs_values() -> None:
    groups = group_argv(["docker", "run", "--detach", "--name", "x", "--gpus", "all", "img", "lab"])
    assert groups == [
        ("--detach", ""),
        ("--name", "x"),
        ("--gpus", "all"),
        ("IMAGE", "img"),
        ("CMD", "lab"),
    ]


def test_per_gpu_starts_one_server_per_gpu() -> None:
    from dlbox.errors import DlboxError
    from dlbox.launch.launcher import session_specs
    from dlbox.launch.options import UpOptions

    p = EnvPlan(
        EnvOptions(Path("/h/code"), Path("/h/data")),
        HostUser(1000, 1000),
        GpuDecision(GpuRequest("gpus"), ("GPU 0: A", "GPU 1: B"), "probe"),
        Path("/h/home"),
    )
    specs = session_specs(p, UpOptions(p.options, per_gpu=True, name="dlbox-x"))
    assert [(n, g.devices) for n, g in specs] == [
        ("dlbox-x-gpu0", ("0",)),
        ("dlbox-x-gpu1", ("1",)),
    ]
    cpu = EnvPlan(p.options, p.user, GpuDecision(GpuRequest("none"), (), "none"), p.home)
    with pytest.raises(DlboxError):
        session_specs(cpu, UpOptions(cpu.options, per_gpu=True))


def test_sessions_carry_their_owner() -> None:
    """`ps` and `stop --all` filter on it, so one user never stops another's session."""
    p = plan(GpuRequest("none"), uid=1234)
    spec = container_spec_for(p, "i", "n", GpuRequest("none"), 8888, "127.0.0.1")
    assert ("io.dlbox.owner", "1234") in spec.labels


def test_settings_digest_ignores_port_but_not_settings() -> None:
    from dataclasses import replace as dc_replace

    from dlbox.launch.launcher import settings_digest

    p = plan(GpuRequest("none"))
    a = container_spec_for(p, "i", "n", GpuRequest("none"), 8888, "127.0.0.1")
    b = container_spec_for(p, "i", "n", GpuRequest("none"), 8890, "127.0.0.1")
    assert settings_digest(a) == settings_digest(b)
    assert dict(a.labels)["io.dlbox.settings"] == settings_digest(a)
    bigger = dc_replace(p, options=dc_replace(p.options, shm_bytes=2 * 1024**3))
    c = container_spec_for(bigger, "i", "n", GpuRequest("none"), 8888, "127.0.0.1")
    assert settings_digest(c) != settings_digest(a)
    gpu = container_spec_for(p, "i", "n", GpuRequest("gpus"), 8888, "127.0.0.1")
    assert settings_digest(gpu) != settings_digest(a)


def test_rootless_modes_explain_their_user_mapping() -> None:
    """--explain says who owns the files on each rootless engine (and --userns is explained)."""
    from dataclasses import replace

    from dlbox.engines.docker import EngineInfo
    from dlbox.engines.podman import PodmanEngine

    for engine in (
        DockerEngine("docker", BuildKitSupport("env", ""), info=EngineInfo(rootless=True)),
        PodmanEngine("podman", info=EngineInfo(rootless=True)),
    ):
        p = replace(plan(GpuRequest("none")), mapping=engine.user_mapping("1000:1000"))
        spec = container_spec_for(p, "dlbox-env:abc", "dlbox-x", GpuRequest("none"), 8888, "h")
        argv = engine.run_argv(spec)
        explained = {e.flag: e.why for e in explain(argv, p, spec)}
        assert explained["--user"].startswith(("rootless Docker:", "rootless Podman:"))
        if engine.name == "podman":
            assert "keep-id" in explained["--userns"]
        else:
            assert (
                argv[-1] == "--allow-root" and "root in the container is you" in explained["--user"]
            )


def test_dry_run_gpu_flag_is_said_to_be_unprobed() -> None:
    from dlbox.launch.gpu_select import unprobed

    decision = unprobed("auto", ("gpus", "cdi"))
    p = EnvPlan(plan(GpuRequest("none")).options, HostUser(1000, 1000), decision, Path("/h"))
    spec = container_spec_for(p, "dlbox-env:abc", "dlbox-x", decision.request, 8888, "h")
    argv = DockerEngine("docker", BuildKitSupport("env", "")).run_argv(spec)
    why = next(e.why for e in explain(argv, p, spec) if e.flag == "--gpus")
    assert why.startswith("the first GPU mechanism `up` would probe for")

"""The container every command runs the environment in (launch/environment.py), as the engine
receives it: the plan that `up`, `run`, `verify` and `shell` share (user, GPUs, notes, the engine's
user mapping) and the spec built from it (mounts, env, labels, user, shm, GPUs, flags). Before
these tests the unit suite reached this module only through `--explain` and killed 49% of its
mutants (CONTRIBUTING.md, "Mutation testing"); the engine tiers cover the specs on real engines."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from dlbox import paths
from dlbox.engines.base import (
    ContainerSpec,
    GpuRequest,
    Mount,
    PortBinding,
    ProbeOutcome,
    UserMapping,
)
from dlbox.engines.gpus import GpuDecision
from dlbox.launch import environment
from dlbox.launch.environment import EnvPlan, environment_container, labels_for, plan_environment
from dlbox.launch.options import EnvOptions
from dlbox.launch.user import HostUser

CODE, DATA, HOME = Path("/srv/code"), Path("/srv/data"), Path("/state/home")
GPU0 = "GPU 0: NVIDIA L4 (UUID: GPU-0)"
GPU1 = "GPU 1: NVIDIA L4 (UUID: GPU-1)"
ROOT_NOTE = "You are root, so the environment runs as root (files it makes are root's)."


def _plan(
    *,
    user: HostUser = HostUser(1000, 1001),
    gpus: tuple[str, ...] = (),
    request: GpuRequest = GpuRequest("none"),
    **options: object,
) -> EnvPlan:
    opts = EnvOptions(code_dir=CODE, data_dir=DATA, shm_bytes=2 << 30, **options)  # type: ignore[arg-type]
    return EnvPlan(opts, user, GpuDecision(request, gpus, "why"), HOME)


def test_the_default_spec_is_the_users_detached_course_container() -> None:
    spec = environment_container(_plan(course_subdir="course22"), "dlbox-env:abc", name="s1")
    assert spec == ContainerSpec(
        name="s1",
        image="dlbox-env:abc",
        command=(),
        mounts=(Mount(CODE, "/code"), Mount(DATA, "/data"), Mount(HOME, "/home/dlbox")),
        env=(
            ("CUDA_VISIBLE_DEVICES", ""),
            ("DLBOX_CODE_DIR", "/code"),
            ("DLBOX_DATA_DIR", "/data"),
            ("DLBOX_COURSE_DIR", "/code/course22"),
            ("DLBOX_PORT", "8888"),
        ),
        labels=(),
        ports=(),
        user="1000:1001",
        workdir="/code/course22",
        shm_size_bytes=2 << 30,
        ipc_host=False,
        gpu=GpuRequest("none"),
        init=True,
        detach=True,
        remove=False,
        interactive=False,
        network=None,
    )
    assert None not in (spec.detach, spec.remove, spec.interactive)


def test_every_option_reaches_the_spec_and_extras_come_after_the_shared_parts() -> None:
    plan = _plan(gpus=(GPU0, GPU1), request=GpuRequest("gpus"))
    spec = environment_container(
        plan,
        "img",
        name="verify-1",
        command=("python", "-m", "runner"),
        gpu=GpuRequest("cdi", ("nvidia.com/gpu=1",)),
        extra_mounts=(Mount(Path("/tmp/report"), "/report", read_only=True),),
        extra_env=(("DLBOX_OFFLINE", "1"),),
        labels=(("io.dlbox.kind", "verify"),),
        ports=(PortBinding("127.0.0.1", 18888, 8888),),
        detach=False,
        remove=True,
        interactive=True,
        workdir="/scratch",
        network="none",
    )
    assert spec.command == ("python", "-m", "runner")
    assert spec.mounts[-1] == Mount(Path("/tmp/report"), "/report", read_only=True)
    assert len(spec.mounts) == 4 and spec.mounts[0] == Mount(CODE, "/code")
    # The request given wins over the plan's: one device, so one visible index.
    assert spec.gpu == GpuRequest("cdi", ("nvidia.com/gpu=1",))
    assert spec.env[0] == ("CUDA_VISIBLE_DEVICES", "0")
    assert ("DLBOX_COURSE_DIR", "/scratch") in spec.env and spec.workdir == "/scratch"
    assert spec.env[-1] == ("DLBOX_OFFLINE", "1") and len(spec.env) == 6
    assert spec.labels == (("io.dlbox.kind", "verify"),)
    assert spec.ports == (PortBinding("127.0.0.1", 18888, 8888),)
    assert (spec.detach, spec.remove, spec.interactive, spec.network) == (False, True, True, "none")
    assert spec.init is True


def test_the_plans_gpus_are_visible_by_index_when_no_request_is_given() -> None:
    plan = _plan(gpus=(GPU0, GPU1), request=GpuRequest("gpus"))
    spec = environment_container(plan, "img", name="s")
    assert spec.gpu == GpuRequest("gpus")
    assert dict(spec.env)["CUDA_VISIBLE_DEVICES"] == "0,1"


def test_ipc_host_replaces_the_shm_size() -> None:
    plan = _plan(ipc_host=True)
    spec = environment_container(plan, "img", name="s")
    assert spec.ipc_host is True and spec.shm_size_bytes is None
    assert environment_container(_plan(), "img", name="s").shm_size_bytes == 2 << 30


def test_labels_name_the_kind_owner_folders_and_gpus_then_the_extras() -> None:
    plan = _plan(user=HostUser(1234, 99))
    assert labels_for("session", plan, (("io.dlbox.session", "s1"),)) == (
        ("io.dlbox.kind", "session"),
        ("io.dlbox.owner", "1234"),
        ("io.dlbox.code-dir", "/srv/code"),
        ("io.dlbox.data-dir", "/srv/data"),
        ("io.dlbox.gpus", "none"),
        ("io.dlbox.session", "s1"),
    )
    with_gpus = _plan(gpus=(GPU0, GPU1), request=GpuRequest("gpus"))
    assert dict(labels_for("verify", with_gpus))["io.dlbox.gpus"] == f"{GPU0},{GPU1}"
    assert len(labels_for("verify", with_gpus)) == 5


@pytest.mark.parametrize(
    ("user", "root_inside", "expected"),
    [
        (HostUser(1000, 1000), False, False),
        (HostUser(0, 0), False, True),  # you are root
        (HostUser(1000, 1000), True, True),  # rootless Docker: its root is you
    ],
)
def test_root_inside_is_the_users_or_the_engines(
    user: HostUser, root_inside: bool, expected: bool
) -> None:
    plan = replace(_plan(user=user), mapping=UserMapping((), root_inside, "x"))
    assert plan.root_inside is expected


class PlanEngine:
    """The parts of an engine that planning asks: its probe modes and its user-mapping rule."""

    name = "docker"
    probe_modes = ("gpus", "cdi")

    def __init__(self, root_inside: bool = False) -> None:
        self.root_inside = root_inside
        self.mapped: list[str] = []

    def user_mapping(self, user: str) -> UserMapping:
        self.mapped.append(user)
        if self.root_inside:
            return UserMapping((), True, "rootless Docker runs the container as you, uid 0 inside")
        return UserMapping(("--user", user), False, "files are yours: --user")


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """probe_gpus replaced by a recorder that answers one working `--gpus` mode."""
    calls: list[dict[str, object]] = []

    def fake_probe(engine: object, image: str, *, refresh: bool, dry_run: bool) -> object:
        calls.append({"image": image, "refresh": refresh, "dry_run": dry_run})
        return None if dry_run else [ProbeOutcome("gpus", True, (GPU0,), "GPU visible")]

    monkeypatch.setattr(environment, "probe_gpus", fake_probe)
    return calls


def _as(monkeypatch: pytest.MonkeyPatch, user: HostUser) -> None:
    monkeypatch.setattr(environment, "invoking_user", lambda: user)


def _options(tmp_path: Path, **kw: object) -> EnvOptions:
    return EnvOptions(code_dir=tmp_path / "code", data_dir=tmp_path / "data", **kw)  # type: ignore[arg-type]


def test_a_plan_probes_the_image_and_uses_the_gpu_found(
    tmp_path: Path,
    isolated_dlbox_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    probes: list[dict[str, object]],
) -> None:
    _as(monkeypatch, HostUser(1000, 1000))
    engine = PlanEngine()
    options = _options(tmp_path, refresh_gpu_probe=True)
    plan = plan_environment(engine, "dlbox-env:new", options, probe_image="dlbox-env:old")  # type: ignore[arg-type]
    assert probes == [{"image": "dlbox-env:old", "refresh": True, "dry_run": False}]
    assert plan.gpu.request == GpuRequest("gpus") and plan.gpu.gpus == (GPU0,)
    assert plan.options is options and plan.user == HostUser(1000, 1000)
    assert plan.home == paths.container_home() and plan.notes == ()
    assert engine.mapped == ["1000:1000"]
    assert plan.mapping == UserMapping(("--user", "1000:1000"), False, "files are yours: --user")
    assert (tmp_path / "code").is_dir() and (tmp_path / "data").is_dir()  # folders made for up
    plan_environment(engine, "dlbox-env:new", _options(tmp_path))  # type: ignore[arg-type]
    assert probes[-1] == {"image": "dlbox-env:new", "refresh": False, "dry_run": False}


def test_a_dry_run_plan_creates_nothing_and_names_the_flag_up_would_try(
    tmp_path: Path,
    isolated_dlbox_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    probes: list[dict[str, object]],
) -> None:
    _as(monkeypatch, HostUser(1000, 1000))
    options = _options(tmp_path)
    plan = plan_environment(PlanEngine(), "img", options, create_folders=False, probe=False)  # type: ignore[arg-type]
    assert probes == [{"image": "img", "refresh": False, "dry_run": True}]
    assert not (tmp_path / "code").exists() and not (tmp_path / "data").exists()
    assert plan.gpu.probed is False and plan.gpu.request == GpuRequest("gpus")
    assert "would start a probe container trying" in plan.gpu.reason


def test_gpus_none_never_probes(
    tmp_path: Path,
    isolated_dlbox_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    probes: list[dict[str, object]],
) -> None:
    _as(monkeypatch, HostUser(1000, 1000))
    plan = plan_environment(PlanEngine(), "img", _options(tmp_path, gpus=" None "))  # type: ignore[arg-type]
    assert probes == []
    assert plan.gpu.request == GpuRequest("none") and "--gpus none" in plan.gpu.reason


@pytest.mark.parametrize(
    ("user", "root_inside", "notes"),
    [
        (
            HostUser(0, 0),
            False,
            (ROOT_NOTE,),
        ),
        (
            HostUser(1000, 1000, via_sudo=True),
            False,
            ("Running under sudo: the container runs as the user who ran sudo (1000:1000).",),
        ),
        (
            HostUser(1000, 1000),
            True,
            ("Rootless Docker runs the container as you, uid 0 inside.",),
        ),
        (HostUser(0, 0), True, (ROOT_NOTE,)),
    ],
)
def test_the_plan_says_whom_the_container_runs_as(
    tmp_path: Path,
    isolated_dlbox_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    probes: list[dict[str, object]],
    user: HostUser,
    root_inside: bool,
    notes: tuple[str, ...],
) -> None:
    _as(monkeypatch, user)
    engine = PlanEngine(root_inside)
    plan = plan_environment(engine, "img", _options(tmp_path), create_folders=False)  # type: ignore[arg-type]
    assert plan.notes == notes
    assert engine.mapped == [user.spec]

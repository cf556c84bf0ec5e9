"""The container every dlbox command runs the environment in: same mounts, user, shm and GPUs
for `up`, `run`, `verify` and `shell`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dlbox import paths
from dlbox.engines.base import (
    ContainerSpec,
    Engine,
    GpuRequest,
    Mount,
    PortBinding,
    UserMapping,
)
from dlbox.engines.gpus import GpuDecision
from dlbox.environment.layout import CONTAINER_PORT, HOME
from dlbox.errors import UsageError
from dlbox.launch.gpu_probe import probe_gpus
from dlbox.launch.gpu_select import decide, unprobed, visible_devices
from dlbox.launch.labels import LABEL_PREFIX, OWNER_LABEL
from dlbox.launch.options import EnvOptions
from dlbox.launch.user import HostUser, invoking_user


@dataclass(frozen=True)
class EnvPlan:
    """The decided facts every environment container is built from (also what --explain shows)."""

    options: EnvOptions
    user: HostUser
    gpu: GpuDecision
    home: Path
    notes: tuple[str, ...] = field(default_factory=tuple)
    # The engine mode's rule that makes files in /code and /data the user's (--explain shows it).
    mapping: UserMapping = field(default_factory=lambda: UserMapping((), False, ""))

    @property
    def root_inside(self) -> bool:
        """Processes are uid 0 in the container (you are root, or rootless Docker's root,
        which is you): Jupyter then needs --allow-root."""
        return self.user.is_root or self.mapping.root_inside


def prepare_folders(options: EnvOptions, user: HostUser) -> None:
    """Create code/data/home folders (owned by the user, also under sudo) or say why not."""
    home = paths.state_dir() / "home"  # not created yet: a new one must be chowned below
    for label, folder in (
        ("code_dir", options.code_dir),
        ("data_dir", options.data_dir),
        ("home", home),
    ):
        try:
            created = not folder.exists()
            folder.mkdir(parents=True, exist_ok=True)
            if created and os.getuid() == 0 and not user.is_root:
                os.chown(folder, user.uid, user.gid)
        except OSError as exc:
            fix = (
                f"Pick a folder you can write (`dlbox config set {label} PATH`) or fix its "
                "permissions."
                if label != "home"
                else f"It is in dlbox's state folder: move what is at {folder} away, or set "
                "DLBOX_STATE_DIR to a folder you can write."
            )
            raise UsageError(
                f"Cannot create the {label} folder {folder}: {exc.strerror}.", fix
            ) from exc
        if not os.access(folder, os.W_OK):
            raise UsageError(
                f"The {label} folder {folder} is not writable by you.",
                f"Fix its owner (`sudo chown -R $USER {folder}`) or choose another folder.",
            )


def plan_environment(
    engine: Engine,
    image: str,
    options: EnvOptions,
    *,
    create_folders: bool = True,
    probe_image: str | None = None,
    probe: bool = True,
) -> EnvPlan:
    """The decided facts for the containers to start. create_folders=False (a dry run) leaves
    the host as it is; probe_image names a present image for the GPU probe when `image` is not
    built yet; probe=False (a dry run) starts no probe container: only a cached answer counts,
    else the plan shows the GPU flag `up` would probe for first."""
    user = invoking_user()
    if create_folders:
        prepare_folders(options, user)
    kind = options.gpus.strip().lower()
    decision: GpuDecision
    if kind == "none":
        decision = decide(options.gpus, [])
    else:
        outcomes = probe_gpus(
            engine,
            probe_image or image,
            refresh=options.refresh_gpu_probe,
            dry_run=not probe,
        )
        decision = (
            decide(options.gpus, outcomes)
            if outcomes is not None
            else unprobed(options.gpus, engine.probe_modes)
        )
    notes = []
    if user.is_root:
        notes.append("You are root, so the environment runs as root (files it makes are root's).")
    elif user.via_sudo:
        notes.append(
            f"Running under sudo: the container runs as the user who ran sudo ({user.spec})."
        )
    mapping = engine.user_mapping(user.spec)
    if mapping.root_inside and not user.is_root:
        notes.append(mapping.explanation[0].upper() + mapping.explanation[1:] + ".")
    return EnvPlan(options, user, decision, paths.container_home(), tuple(notes), mapping)


def labels_for(
    kind: str, plan: EnvPlan, extra: Sequence[tuple[str, str]] = ()
) -> tuple[tuple[str, str], ...]:
    return (
        (f"{LABEL_PREFIX}.kind", kind),
        # Whose session this is: `ps` and `stop --all` only ever see the invoking user's.
        (OWNER_LABEL, str(plan.user.uid)),
        (f"{LABEL_PREFIX}.code-dir", str(plan.options.code_dir)),
        (f"{LABEL_PREFIX}.data-dir", str(plan.options.data_dir)),
        (f"{LABEL_PREFIX}.gpus", ",".join(plan.gpu.gpus) or "none"),
        *extra,
    )


def environment_container(
    plan: EnvPlan,
    image: str,
    *,
    name: str,
    command: Sequence[str] = (),
    gpu: GpuRequest | None = None,
    extra_mounts: Sequence[Mount] = (),
    extra_env: Sequence[tuple[str, str]] = (),
    labels: Sequence[tuple[str, str]] = (),
    ports: Sequence[PortBinding] = (),
    detach: bool = True,
    remove: bool = False,
    interactive: bool = False,
    workdir: str | None = None,
    network: str | None = None,
) -> ContainerSpec:
    """workdir: where the start script and Jupyter work (default: the course folder in /code);
    network: e.g. "none" for an offline run."""
    options = plan.options
    request = gpu or plan.gpu.request
    course_dir = workdir or options.container_workdir
    env = [
        ("CUDA_VISIBLE_DEVICES", visible_devices(request, len(plan.gpu.gpus))),
        ("DLBOX_CODE_DIR", "/code"),
        ("DLBOX_DATA_DIR", "/data"),
        ("DLBOX_COURSE_DIR", course_dir),
        ("DLBOX_PORT", str(CONTAINER_PORT)),
        *extra_env,
    ]
    return ContainerSpec(
        name=name,
        image=image,
        command=tuple(command),
        mounts=(
            Mount(options.code_dir, "/code"),
            Mount(options.data_dir, "/data"),
            Mount(plan.home, HOME),
            *extra_mounts,
        ),
        env=tuple(env),
        labels=tuple(labels),
        ports=tuple(ports),
        user=plan.user.spec,
        workdir=course_dir,
        shm_size_bytes=None if options.ipc_host else options.shm_bytes,
        ipc_host=options.ipc_host,
        gpu=request,
        init=True,
        detach=detach,
        remove=remove,
        interactive=interactive,
        network=network,
    )

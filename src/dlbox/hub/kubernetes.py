"""The Zero to JupyterHub values that run dlbox's image for a class on Kubernetes (pure: settings
and the image reference in, the chart's values as a dict out).

What it writes, and why:
- `singleuser.image` = the registry copy of dlbox's image, tagged with its content hash;
  `cmd: jupyterhub-singleuser` (the image's entrypoint, dlbox-start, runs it as given).
- uid 1000 (the image's user) and fsGid 100, so the user's volume is writable.
- the user's persistent volume at /code (where dlbox keeps code and notebooks; HOME stays in
  the image), sized by `hub_user_storage`.
- /dev/shm: Kubernetes has no shm flag, so a memory-backed emptyDir mounted there, sized like
  `dlbox up` sizes shm (the `shm_size` setting; `auto`: half of the user's memory limit, 1-16 GiB).
- the shared datasets as a read-only PVC (`hub_data_claim`) at /data.
- a CPU and a GPU profile; the GPU one requests `nvidia.com/gpu`, tolerates the taint GPU node
  pools carry and selects their nodes (`hub_gpus_per_user`, `hub_gpu_node_selector`).
- the idle culler (`hub_idle_timeout`), limits (`hub_cpu_limit`, `hub_mem_limit`), and the hub
  image of the chart release whose jupyterhub matches the one in dlbox's image.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlbox.config import Settings
from dlbox.config.keys import invalid
from dlbox.errors import ConfigError
from dlbox.hub.z2jh import HUB_IMAGE, ChartChoice

GIB = 1024**3
UID = 1000
FS_GID = 100
CODE_MOUNT = "/code"
DATA_MOUNT = "/data"
SHM_VOLUME = "dshm"
DATA_VOLUME = "dlbox-data"
COURSE_VOLUME = "dlbox-course"
COURSE_MOUNT = "/opt/dlbox/course-volume"
# dlbox-start copies this folder into a fresh /code once (DLBOX_COURSE_SEED). It exists only when
# the clone worked: a failed clone leaves no seed and no marker, so the next start tries again.
COURSE_SEED = f"{COURSE_MOUNT}/course"
GPU_RESOURCE = "nvidia.com/gpu"
# A user pod's first start on a fresh (autoscaled) GPU node pulls a multi-GB image.
START_TIMEOUT = 900
# The chart's own user-pod tolerations (scheduling.userPods.tolerations). A profile's
# `tolerations` replaces the list instead of adding to it, so the GPU profile repeats them.
CHART_USER_TOLERATIONS = (
    {"key": "hub.jupyter.org/dedicated", "operator": "Equal", "value": "user"},
    {"key": "hub.jupyter.org_dedicated", "operator": "Equal", "value": "user"},
)


@dataclass(frozen=True)
class KubeSettings:
    """What the values depend on, checked and in the chart's units."""

    image: str  # registry/name, no tag
    tag: str
    chart: ChartChoice
    shm_bytes: int
    user_storage: str
    data_claim: str
    idle_timeout: int  # seconds; 0: never cull
    mem_limit: int | None  # bytes
    cpu_limit: float | None
    gpus_per_user: int
    gpu_node_selector: dict[str, str]
    admin: str
    course_url: str = ""  # the course repo seeded into each user's /code ("" none)
    course_ref: str | None = None


def bad_setting(cfg: Settings, key: str, problem: str) -> ConfigError:
    """dlbox's one error format for a bad setting (key, layer, valid example)."""
    return invalid(key, cfg.source(key), f"{cfg[key]!r} {problem}")


def _cpu_limit(cfg: Settings) -> float | None:
    raw = str(cfg["hub_cpu_limit"]).strip()
    if not raw:
        return None
    value = float(raw)  # the key's check admits plain numbers only
    if not 0 < value <= 1e6:
        raise bad_setting(cfg, "hub_cpu_limit", "is not a number of CPUs above 0")
    return value


def _node_selector(cfg: Settings) -> dict[str, str]:
    """KEY=VALUE (checked by the key) as a node selector."""
    key, _, value = str(cfg["hub_gpu_node_selector"]).strip().partition("=")
    return {key: value} if key else {}


def kube_settings(
    cfg: Settings,
    image: str,
    tag: str,
    chart: ChartChoice,
    *,
    shm_bytes: int,
    mem_limit: int | None,
) -> KubeSettings:
    """The hub settings the values file uses (each key's own check ran when settings loaded);
    shm_bytes and mem_limit come sized by the caller (`dlbox up`'s shm rule lives in launch)."""
    gpus = int(cfg["hub_gpus_per_user"])
    return KubeSettings(
        image=image,
        tag=tag,
        chart=chart,
        shm_bytes=shm_bytes,
        user_storage=str(cfg["hub_user_storage"]).strip(),
        data_claim=str(cfg["hub_data_claim"]).strip(),
        idle_timeout=int(cfg["hub_idle_timeout"]),
        mem_limit=mem_limit,
        cpu_limit=_cpu_limit(cfg),
        gpus_per_user=gpus,
        gpu_node_selector=_node_selector(cfg) if gpus else {},
        admin=str(cfg["hub_admin"]).strip(),
    )


def quantity(size: int) -> str:
    """Bytes as a Kubernetes quantity (16Gi, 512Mi, or plain bytes)."""
    for unit, scale in (("Gi", GIB), ("Mi", 1024**2), ("Ki", 1024)):
        if size % scale == 0:
            return f"{size // scale}{unit}"
    return str(size)


def byte_spec(size: int) -> str:
    """Bytes as KubeSpawner's memory setting (its K/M/G/T are powers of 1024)."""
    for unit, scale in (("T", 1024**4), ("G", GIB), ("M", 1024**2), ("K", 1024)):
        if size % scale == 0:
            return f"{size // scale}{unit}"
    return str(size)


def _profiles(ks: KubeSettings) -> list[dict[str, object]]:
    cpu: dict[str, object] = {
        "display_name": "CPU",
        "slug": "cpu",
        "description": "The dlbox environment without a GPU: reading, small experiments.",
        "default": True,
    }
    if not ks.gpus_per_user:
        return [cpu]
    count = ks.gpus_per_user
    toleration = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}
    override: dict[str, object] = {
        "extra_resource_limits": {GPU_RESOURCE: str(count)},
        "tolerations": [
            *({**t, "effect": "NoSchedule"} for t in CHART_USER_TOLERATIONS),
            toleration,
        ],
    }
    if ks.gpu_node_selector:
        override["node_selector"] = dict(ks.gpu_node_selector)
    gpu: dict[str, object] = {
        "display_name": f"GPU ({count} NVIDIA GPU{'s' if count > 1 else ''})",
        "slug": "gpu",
        "description": "The dlbox environment with a GPU of its own: training, the lessons.",
        "kubespawner_override": override,
    }
    return [cpu, gpu]


def _cull(ks: KubeSettings) -> dict[str, object]:
    if not ks.idle_timeout:
        return {"enabled": False}
    # Check often enough that a server lives at most about 1.5x the timeout.
    return {
        "enabled": True,
        "timeout": ks.idle_timeout,
        "every": max(60, min(600, ks.idle_timeout // 2)),
    }


def _hub(ks: KubeSettings) -> dict[str, object]:
    hub: dict[str, object] = {"image": {"name": HUB_IMAGE, "tag": ks.chart.chart}}
    config: dict[str, object] = {
        # NativeAuthenticator ships in the chart's hub image (1.3.0, which adds its own page
        # templates): people sign up, an admin approves.
        "JupyterHub": {"authenticator_class": "native"},
        "NativeAuthenticator": {"open_signup": False},
    }
    if ks.admin:
        config["Authenticator"] = {"admin_users": [ks.admin]}
    hub["config"] = config
    return hub


def _course_init(ks: KubeSettings) -> dict[str, object]:
    """An init container (dlbox's image, which has git) clones the course into a scratch volume
    on each start; dlbox-start seeds a user's empty /code from it once."""
    branch = ["--branch", ks.course_ref] if ks.course_ref else []
    clone = ["git", "clone", "--quiet", "--depth", "1", *branch, "--", ks.course_url, COURSE_SEED]
    return {
        "name": "dlbox-course",
        "image": f"{ks.image}:{ks.tag}",
        # A failed clone must not keep the user out of their server.
        "command": ["sh", "-c", '"$@" || echo "course clone failed" >&2', "clone", *clone],
        "securityContext": {"runAsUser": UID, "allowPrivilegeEscalation": False},
        "volumeMounts": [{"name": COURSE_VOLUME, "mountPath": COURSE_MOUNT}],
    }


def _volumes(ks: KubeSettings) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Volumes and mounts besides the user's own: /dev/shm, the data, the course seed."""
    shm = {"medium": "Memory", "sizeLimit": quantity(ks.shm_bytes)}
    volumes: list[dict[str, object]] = [
        {"name": SHM_VOLUME, "emptyDir": shm},
        {
            "name": DATA_VOLUME,
            "persistentVolumeClaim": {"claimName": ks.data_claim, "readOnly": True},
        },
    ]
    mounts: list[dict[str, object]] = [
        {"name": SHM_VOLUME, "mountPath": "/dev/shm"},
        {"name": DATA_VOLUME, "mountPath": DATA_MOUNT, "readOnly": True},
    ]
    if ks.course_url:
        volumes.append({"name": COURSE_VOLUME, "emptyDir": {}})
        mounts.append({"name": COURSE_VOLUME, "mountPath": COURSE_MOUNT, "readOnly": True})
    return volumes, mounts


def values(ks: KubeSettings) -> dict[str, object]:
    """The values file for the chart release ks.chart.chart."""
    volumes, mounts = _volumes(ks)
    singleuser: dict[str, object] = {
        "image": {"name": ks.image, "tag": ks.tag},
        "cmd": "jupyterhub-singleuser",
        "defaultUrl": "/lab",
        "uid": UID,
        "fsGid": FS_GID,
        "startTimeout": START_TIMEOUT,
        "storage": {
            "type": "dynamic",
            "capacity": ks.user_storage,
            "homeMountPath": CODE_MOUNT,
            "extraVolumes": volumes,
            "extraVolumeMounts": mounts,
        },
        "profileList": _profiles(ks),
    }
    if ks.course_url:
        singleuser["initContainers"] = [_course_init(ks)]
        singleuser["extraEnv"] = {"DLBOX_COURSE_SEED": COURSE_SEED}
    if ks.cpu_limit is not None:
        singleuser["cpu"] = {"limit": ks.cpu_limit}
    if ks.mem_limit is not None:
        # The chart guarantees 1G by default; a guarantee above the limit is an invalid pod.
        memory = {"limit": byte_spec(ks.mem_limit)}
        if ks.mem_limit < GIB:
            memory["guarantee"] = memory["limit"]
        singleuser["memory"] = memory
    return {"hub": _hub(ks), "singleuser": singleuser, "cull": _cull(ks)}

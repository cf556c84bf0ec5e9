"""Offline stand-ins for what Helm and the chart's hub do with a values file, built from the
chart's own files (tests/fixtures/z2jh, release 4.4.0) and the real KubeSpawner:

- chart_values: Helm's merge of the user's values over the chart's values.yaml;
- validate_values: the chart's values.schema.yaml (what `helm install` checks), jsonschema;
- spawner_config: what the chart's files/hub/jupyterhub_config.py sets on KubeSpawner from the
  values (mirrored line by line for the singleuser keys; comments name the lines);
- render_pod: KubeSpawner (jupyterhub-kubespawner 7.0.0, the chart's) loads the chosen profile
  and makes the user pod with kubespawner.objects.make_pod;
- validate_pod: kubernetes-validate, strict, against a named Kubernetes version.
"""

from __future__ import annotations

import asyncio
import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

CHART_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "z2jh"
CHART_RELEASE = "4.4.0"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion >=1.32.0) and the newest
# kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.32.0", "1.37.0")
OFFLINE_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: offline
  cluster: {server: "https://127.0.0.1:9"}
users:
- name: offline
  user: {token: "offline"}
contexts:
- name: offline
  context: {cluster: offline, user: offline}
current-context: offline
"""


@cache
def _chart_file(name: str) -> Any:
    return yaml.safe_load((CHART_DIR / name).read_text())


def chart_defaults() -> dict[str, Any]:
    return copy.deepcopy(_chart_file("values.yaml"))


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Helm's coalescing of values: maps merge key by key, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def chart_values(generated: dict[str, Any]) -> dict[str, Any]:
    return deep_merge(chart_defaults(), generated)


def validate_values(merged: dict[str, Any]) -> None:
    schema = _chart_file("values.schema.yaml")
    jsonschema.validators.validator_for(schema)(schema).validate(merged)


def _get(values: dict[str, Any], key: str, default: Any = None) -> Any:
    """z2jh.get_config."""
    value: Any = values
    for level in key.split("."):
        if not isinstance(value, dict) or level not in value:
            return default
        value = value[level]
    return value


def _camel(s: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), s)


def spawner_config(values: dict[str, Any]) -> Any:
    from traitlets.config import Config

    c = Config()
    # jupyterhub_config.py lines 145-181: traits set from singleuser.* when not None.
    for trait, key in (
        ("pod_name_template", None),
        ("start_timeout", None),
        ("image_pull_policy", "image.pullPolicy"),
        ("events_enabled", "events"),
        ("extra_labels", None),
        ("extra_annotations", None),
        ("uid", None),
        ("fs_gid", None),
        ("service_account", "serviceAccountName"),
        ("storage_extra_labels", "storage.extraLabels"),
        ("node_selector", None),
        ("node_affinity_required", "extraNodeAffinity.required"),
        ("node_affinity_preferred", "extraNodeAffinity.preferred"),
        ("pod_affinity_required", "extraPodAffinity.required"),
        ("pod_affinity_preferred", "extraPodAffinity.preferred"),
        ("pod_anti_affinity_required", "extraPodAntiAffinity.required"),
        ("pod_anti_affinity_preferred", "extraPodAntiAffinity.preferred"),
        ("lifecycle_hooks", None),
        ("init_containers", None),
        ("extra_containers", None),
        ("mem_limit", "memory.limit"),
        ("mem_guarantee", "memory.guarantee"),
        ("cpu_limit", "cpu.limit"),
        ("cpu_guarantee", "cpu.guarantee"),
        ("extra_resource_limits", "extraResource.limits"),
        ("extra_resource_guarantees", "extraResource.guarantees"),
        ("environment", "extraEnv"),
        ("profile_list", None),
        ("extra_pod_config", None),
    ):
        data = _get(values, "singleuser." + (key or _camel(trait)))
        if data is not None:
            setattr(c.KubeSpawner, trait, copy.deepcopy(data))
    # lines 183-189: the image.
    if image := _get(values, "singleuser.image.name"):
        if tag := _get(values, "singleuser.image.tag"):
            image = f"{image}:{tag}"
        c.KubeSpawner.image = image
    # line 196.
    c.KubeSpawner.allow_privilege_escalation = _get(values, "singleuser.allowPrivilegeEscalation")
    # lines 222-245: node-purpose affinity.
    purpose = _get(values, "scheduling.userPods.nodeAffinity.matchNodePurpose")
    term = {
        "matchExpressions": [
            {"key": "hub.jupyter.org/node-purpose", "operator": "In", "values": ["user"]}
        ]
    }
    if purpose == "prefer":
        c.KubeSpawner.node_affinity_preferred = [
            *c.KubeSpawner.get("node_affinity_preferred", []),
            {"weight": 100, "preference": term},
        ]
    elif purpose == "require":
        c.KubeSpawner.node_affinity_required = [
            *c.KubeSpawner.get("node_affinity_required", []),
            term,
        ]
    # lines 248-253: tolerations.
    tolerations = _get(values, "scheduling.userPods.tolerations", []) + _get(
        values, "singleuser.extraTolerations", []
    )
    if tolerations:
        c.KubeSpawner.tolerations = tolerations
    # lines 255-307: the user's own volume.
    volumes: dict[str, Any] = {}
    mounts: dict[str, Any] = {}
    storage = _get(values, "singleuser.storage.type")
    if storage == "dynamic":
        if template := _get(values, "singleuser.storage.dynamic.pvcNameTemplate"):
            c.KubeSpawner.pvc_name_template = template
        name = _get(values, "singleuser.storage.dynamic.volumeNameTemplate")
        c.KubeSpawner.storage_pvc_ensure = True
        for trait, key in (
            ("storage_class", "dynamic.storageClass"),
            ("storage_access_modes", "dynamic.storageAccessModes"),
            ("storage_capacity", "capacity"),
        ):
            if (data := _get(values, "singleuser.storage." + key)) is not None:
                setattr(c.KubeSpawner, trait, data)
        volumes = {name: {"name": name, "persistentVolumeClaim": {"claimName": "{pvc_name}"}}}
        mounts = {
            name: {
                "mountPath": _get(values, "singleuser.storage.homeMountPath"),
                "name": name,
                "subPath": _get(values, "singleuser.storage.dynamic.subPath"),
            }
        }
    elif storage == "static":
        raise NotImplementedError("dlbox writes dynamic storage")
    # lines 342-362: extraVolumes / extraVolumeMounts (list or dict).
    extra = _get(values, "singleuser.storage.extraVolumes", {}) or {}
    volumes.update(extra if isinstance(extra, dict) else {v["name"]: v for v in extra})
    extra_mounts = _get(values, "singleuser.storage.extraVolumeMounts", {}) or {}
    if isinstance(extra_mounts, dict):
        mounts.update(extra_mounts)
    else:
        for idx, mount in enumerate(extra_mounts):
            mounts[f"{idx}-{mount['name']}"] = mount
    c.KubeSpawner.volumes = volumes
    c.KubeSpawner.volume_mounts = mounts
    # lines 442-448: the command and the default URL.
    if "cmd" in (_get(values, "singleuser") or {}):
        c.Spawner.cmd = _get(values, "singleuser.cmd")
    if (url := _get(values, "singleuser.defaultUrl")) is not None:
        c.Spawner.default_url = url
    return c


def culler_command(values: dict[str, Any]) -> list[str] | None:
    """jupyterhub_config.py lines 370-412: the idle culler service's command."""
    if not _get(values, "cull.enabled", False):
        return None
    cmd = ["python3", "-m", "jupyterhub_idle_culler", "--url=http://localhost:8081/hub/api"]
    for key, flag in (("timeout", "timeout"), ("every", "cull-every")):
        if value := _get(values, f"cull.{key}"):
            cmd.append(f"--{flag}={value}")
    return cmd


def render_pod(values: dict[str, Any], profile: str | None) -> dict[str, Any]:
    """The user pod KubeSpawner makes for `profile` (None: the default one), as the API's JSON.
    KubeSpawner loads a client configuration when made: the caller points KUBECONFIG at
    OFFLINE_KUBECONFIG (an unreachable server); nothing here talks to a cluster."""
    from kubernetes_asyncio.client import ApiClient
    from kubespawner import KubeSpawner

    async def make() -> dict[str, Any]:
        spawner = KubeSpawner(_mock=True, config=spawner_config(values))
        spawner.user_options = {"profile": profile} if profile else {}
        await spawner.load_user_options()
        pod = await spawner.get_pod_manifest()
        await spawner.api.api_client.close()
        return dict(ApiClient().sanitize_for_serialization(pod))

    return asyncio.run(make())


def validate_pod(pod: dict[str, Any], version: str) -> str:
    return str(kubernetes_validate.validate(pod, version, strict=True))

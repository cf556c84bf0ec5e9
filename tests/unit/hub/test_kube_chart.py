"""Offline but real: dlbox's values merged into the Zero to JupyterHub chart's own values.yaml
pass the chart's values.schema.yaml (release 4.4.0, vendored in tests/fixtures/z2jh), and the
user pods the chart's KubeSpawner makes from them pass Kubernetes' own schemas (strict)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from dlbox.hub.z2jh import CHARTS, TARGET_CHART
from tests.unit.hub import z2jh_render as z2jh
from tests.unit.hub.kube_fixtures import IMAGE, JUPYTERHUB, TAG, generate, settings


@pytest.fixture
def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """KubeSpawner reads a client configuration when it is made: one for a server that is not
    there (nothing in these tests talks to a cluster)."""
    path = tmp_path / "kubeconfig"
    path.write_text(z2jh.OFFLINE_KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    return path


def merged(tmp_path: Path, tag: str = TAG, **overrides: object) -> dict[str, Any]:
    values = z2jh.chart_values(generate(settings(tmp_path, **overrides), tag=tag))
    z2jh.validate_values(values)
    return values


def container(pod: dict[str, Any]) -> dict[str, Any]:
    (notebook,) = [c for c in pod["spec"]["containers"] if c["name"] == "notebook"]
    return notebook


def volume(pod: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [v for v in pod["spec"]["volumes"] if v["name"] == name]
    return found


def mounts(pod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["mountPath"]: m for m in container(pod)["volumeMounts"]}


def test_vendored_chart_is_the_target_release() -> None:
    readme = (z2jh.CHART_DIR / "README.md").read_text()
    assert z2jh.CHART_RELEASE == TARGET_CHART and f"**{TARGET_CHART}**" in readme
    assert CHARTS[tuple(int(p) for p in JUPYTERHUB.split(".")[:2])][0] == TARGET_CHART
    z2jh.validate_values(z2jh.chart_defaults())  # the chart's own defaults pass its schema


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"hub_admin": "teacher", "hub_mem_limit": "8G", "hub_cpu_limit": "2"},
        {"hub_gpus_per_user": "0", "hub_idle_timeout": "0", "hub_mem_limit": "512m"},
        {"course": "https://github.com/fastai/fastbook"},
        {
            "hub_gpus_per_user": "4",
            "hub_gpu_node_selector": "cloud.google.com/gke-accelerator=nvidia-l4",
            "shm_size": "2g",
            "hub_user_storage": "50Gi",
        },
    ],
)
def test_values_pass_the_charts_schema(tmp_path: Path, overrides: dict[str, str]) -> None:
    merged(tmp_path, **overrides)


def test_the_schema_catches_a_wrong_key(tmp_path: Path) -> None:
    values = merged(tmp_path)
    values["singleuser"]["shmSize"] = "8Gi"  # the chart has no such key
    with pytest.raises(jsonschema.ValidationError, match="shmSize"):
        z2jh.validate_values(values)
    values = merged(tmp_path)
    values["singleuser"]["cpu"]["limit"] = "two"
    with pytest.raises(jsonschema.ValidationError):
        z2jh.validate_values(values)


@pytest.mark.parametrize("version", z2jh.KUBERNETES_VERSIONS)
def test_user_pods_pass_kubernetes_strict_schema(
    tmp_path: Path, kubeconfig: Path, version: str
) -> None:
    values = merged(tmp_path, hub_mem_limit="8G", hub_cpu_limit="2")
    for profile in ("cpu", "gpu"):
        pod = z2jh.render_pod(values, profile)
        assert z2jh.validate_pod(pod, version) == version.rsplit(".", 1)[0]


def test_the_pod_schema_catches_a_broken_pod(tmp_path: Path, kubeconfig: Path) -> None:
    pod = z2jh.render_pod(merged(tmp_path), "gpu")
    broken = copy.deepcopy(pod)
    volume(broken, "dshm")["emptyDir"]["sizelimit"] = "1Gi"  # misspelt: strict refuses
    with pytest.raises(kubernetes_validate.ValidationError):
        z2jh.validate_pod(broken, z2jh.KUBERNETES_VERSIONS[0])


def test_the_user_pod_is_what_dlbox_up_runs(tmp_path: Path, kubeconfig: Path) -> None:
    values = merged(tmp_path, hub_mem_limit="8G", hub_cpu_limit="2")
    cpu = z2jh.render_pod(values, None)  # the default profile
    gpu = z2jh.render_pod(values, "gpu")
    for pod in (cpu, gpu):
        box = container(pod)
        assert box["image"] == f"{IMAGE}:{TAG}"
        assert box["args"] == ["jupyterhub-singleuser"]  # the image's entrypoint runs it
        assert "command" not in box
        assert box["securityContext"]["runAsUser"] == 1000
        assert pod["spec"]["securityContext"]["fsGroup"] == 100
        assert box["resources"]["limits"]["memory"] == 8 * 1024**3
        assert box["resources"]["limits"]["cpu"] == 2.0
        assert volume(pod, "dshm")["emptyDir"] == {"medium": "Memory", "sizeLimit": "4Gi"}
        assert volume(pod, "dlbox-data")["persistentVolumeClaim"] == {
            "claimName": "dlbox-data",
            "readOnly": True,
        }
        at = mounts(pod)
        assert at["/dev/shm"]["name"] == "dshm"
        assert at["/data"] == {"mountPath": "/data", "name": "dlbox-data", "readOnly": True}
        home = volume(pod, at["/code"]["name"])
        assert home["persistentVolumeClaim"]["claimName"].startswith("claim-")
    assert "nvidia.com/gpu" not in container(cpu)["resources"]["limits"]
    assert container(gpu)["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert gpu["spec"]["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert not cpu["spec"].get("nodeSelector")
    gpu_taints = {t["key"] for t in gpu["spec"]["tolerations"]}
    # The GPU profile keeps the chart's own user-pod tolerations (a profile's list replaces).
    chart_taints = {
        t["key"] for t in z2jh.chart_defaults()["scheduling"]["userPods"]["tolerations"]
    }
    assert gpu_taints >= chart_taints | {"nvidia.com/gpu"}
    assert "nvidia.com/gpu" not in {t["key"] for t in cpu["spec"]["tolerations"]}


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        ({"shm_size": "3g"}, {"shm": "3Gi"}),
        ({"hub_gpus_per_user": "2"}, {"gpus": "2"}),
        ({"hub_idle_timeout": "1800"}, {"cull": "--timeout=1800"}),
        ({"tag": "fedcba9876543210"}, {"image": f"{IMAGE}:fedcba9876543210"}),
    ],
)
def test_round_trip_a_setting_changes_values_and_pod(
    tmp_path: Path, kubeconfig: Path, change: dict[str, str], expect: dict[str, str]
) -> None:
    """Change one dlbox setting: the values file and the rendered GPU pod follow, and nothing
    else moves."""
    base = merged(tmp_path)
    overrides = {k: v for k, v in change.items() if k != "tag"}
    after = merged(tmp_path, tag=change.get("tag", TAG), **overrides)
    before_pod = z2jh.render_pod(base, "gpu")
    pod = z2jh.render_pod(after, "gpu")
    su_before, su = base["singleuser"], after["singleuser"]
    if "shm" in expect:
        assert su["storage"]["extraVolumes"][0]["emptyDir"]["sizeLimit"] == expect["shm"]
        assert volume(pod, "dshm")["emptyDir"]["sizeLimit"] == expect["shm"]
        assert volume(before_pod, "dshm")["emptyDir"]["sizeLimit"] == "16Gi"
    if "gpus" in expect:
        override = su["profileList"][1]["kubespawner_override"]
        assert override["extra_resource_limits"] == {"nvidia.com/gpu": expect["gpus"]}
        assert container(pod)["resources"]["limits"]["nvidia.com/gpu"] == expect["gpus"]
        assert container(before_pod)["resources"]["limits"]["nvidia.com/gpu"] == "1"
    if "cull" in expect:
        assert after["cull"]["timeout"] == 1800
        command = z2jh.culler_command(after)
        assert command is not None and expect["cull"] in command
        assert "--timeout=3600" in (z2jh.culler_command(base) or [])
    if "image" in expect:
        assert su["image"]["tag"] == change["tag"]
        assert container(pod)["image"] == expect["image"]
        assert container(before_pod)["image"] == f"{IMAGE}:{TAG}"
    changed = {k for k in set(su) | set(su_before) if su.get(k) != su_before.get(k)}
    assert changed <= {"storage", "profileList", "image"}
    for name in ("image", "args", "securityContext"):
        if name != "image" or "image" not in expect:
            assert container(pod)[name] == container(before_pod)[name]
    z2jh.validate_pod(pod, z2jh.KUBERNETES_VERSIONS[-1])


def test_the_course_seed_pod(tmp_path: Path, kubeconfig: Path) -> None:
    """With a course set, the init container clones it with dlbox's image into a scratch volume
    that the server reads (dlbox-start copies it into a fresh /code once)."""
    pod = z2jh.render_pod(merged(tmp_path, course="course22"), "gpu")
    for version in z2jh.KUBERNETES_VERSIONS:
        z2jh.validate_pod(pod, version)
    inits = {c["name"]: c for c in pod["spec"].get("initContainers", [])}
    clone = inits["dlbox-course"]
    assert clone["image"] == f"{IMAGE}:{TAG}"
    assert "https://github.com/fastai/course22" in clone["command"]
    assert clone["volumeMounts"] == [
        {"mountPath": "/opt/dlbox/course-volume", "name": "dlbox-course"}
    ]
    assert "nvidia.com/gpu" not in clone.get("resources", {}).get("limits", {})
    env = {e["name"]: e.get("value") for e in container(pod)["env"]}
    assert env["DLBOX_COURSE_SEED"] == "/opt/dlbox/course-volume/course"
    assert mounts(pod)["/opt/dlbox/course-volume"]["readOnly"] is True


def test_hub_config_names_real_authenticator_settings(tmp_path: Path) -> None:
    """hub.config goes into the hub's traitlets config as is: the authenticator it names loads
    by that entry-point name and takes the settings (NativeAuthenticator 1.3.0 is in the chart's
    hub image, and in dlbox's hub extra)."""
    from importlib.metadata import entry_points

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session
    from traitlets.config import Config

    values = merged(tmp_path, hub_admin="teacher")
    config = Config(values["hub"]["config"])
    name = config.JupyterHub.authenticator_class
    (entry,) = [e for e in entry_points(group="jupyterhub.authenticators") if e.name == name]
    db = Session(create_engine("sqlite://"))  # the hub's database, in memory
    authenticator = entry.load()(config=config, db=db)
    assert authenticator.admin_users == {"teacher"}
    for section in ("Authenticator", "NativeAuthenticator"):
        for key in values["hub"]["config"][section]:
            assert authenticator.has_trait(key), f"{section}.{key} is no setting"

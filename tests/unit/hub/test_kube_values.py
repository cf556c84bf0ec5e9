"""The Zero to JupyterHub values dlbox writes (pure: settings in, values out), the chart choice
from the image's jupyterhub, and the YAML text people read and Helm parses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dlbox.environment.lockset import load_lockset
from dlbox.errors import ConfigError
from dlbox.gpu.lines import LINES
from dlbox.hub import yamltext
from dlbox.hub.z2jh import TARGET_CHART, ChartMismatch, chart_for, image_jupyterhub
from tests.unit.hub.kube_fixtures import IMAGE, TAG, fixture_locks, generate, settings


def test_defaults_give_the_documented_values(tmp_path: Path) -> None:
    values = generate(settings(tmp_path, hub_admin="teacher"))
    su = values["singleuser"]
    assert su["image"] == {"name": IMAGE, "tag": TAG}
    assert su["cmd"] == "jupyterhub-singleuser"
    assert (su["uid"], su["fsGid"]) == (1000, 100)
    assert su["storage"]["homeMountPath"] == "/code"
    assert su["storage"]["capacity"] == "10Gi"
    shm, data = su["storage"]["extraVolumes"]
    assert shm["emptyDir"] == {"medium": "Memory", "sizeLimit": "16Gi"}
    assert data["persistentVolumeClaim"] == {"claimName": "dlbox-data", "readOnly": True}
    assert {"name": data["name"], "mountPath": "/data", "readOnly": True} in su["storage"][
        "extraVolumeMounts"
    ]
    cpu, gpu = su["profileList"]
    assert cpu["default"] is True and "kubespawner_override" not in cpu
    override = gpu["kubespawner_override"]
    assert override["extra_resource_limits"] == {"nvidia.com/gpu": "1"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in override[
        "tolerations"
    ]
    assert override["node_selector"] == {"nvidia.com/gpu.present": "true"}
    assert "cpu" not in su and "memory" not in su  # no limits unless set
    assert values["cull"] == {"enabled": True, "timeout": 3600, "every": 600}
    assert values["hub"]["image"] == {"name": "quay.io/jupyterhub/k8s-hub", "tag": TARGET_CHART}
    assert values["hub"]["config"]["Authenticator"] == {"admin_users": ["teacher"]}


@pytest.mark.parametrize(
    ("overrides", "shm"),
    [
        ({}, "16Gi"),  # no memory limit: the 16 GiB cap of up's rule
        ({"hub_mem_limit": "8G"}, "4Gi"),  # half of the user's memory
        ({"hub_mem_limit": "64G"}, "16Gi"),
        ({"hub_mem_limit": "1G"}, "512Mi"),  # never more than half of the limit
        ({"shm_size": "2g", "hub_mem_limit": "8G"}, "2Gi"),
        ({"shm_size": "1536m"}, "1536Mi"),
    ],
)
def test_shm_follows_ups_rule_inside_the_memory_limit(
    tmp_path: Path, overrides: dict[str, str], shm: str
) -> None:
    values = generate(settings(tmp_path, **overrides))
    assert values["singleuser"]["storage"]["extraVolumes"][0]["emptyDir"]["sizeLimit"] == shm


def test_limits_in_the_charts_units(tmp_path: Path) -> None:
    su = generate(settings(tmp_path, hub_mem_limit="8G", hub_cpu_limit="0.5"))["singleuser"]
    assert su["memory"] == {"limit": "8G"} and su["cpu"] == {"limit": 0.5}
    small = generate(settings(tmp_path, hub_mem_limit="512m"))["singleuser"]
    # The chart guarantees 1G unless told otherwise: never above the limit.
    assert small["memory"] == {"limit": "512M", "guarantee": "512M"}


def test_gpu_count_and_cpu_only(tmp_path: Path) -> None:
    two = generate(settings(tmp_path, hub_gpus_per_user=2, hub_gpu_node_selector=""))
    override = two["singleuser"]["profileList"][1]["kubespawner_override"]
    assert override["extra_resource_limits"] == {"nvidia.com/gpu": "2"}
    assert "node_selector" not in override
    none = generate(settings(tmp_path, hub_gpus_per_user=0))
    assert [p["slug"] for p in none["singleuser"]["profileList"]] == ["cpu"]


def test_culling_timeout_and_off(tmp_path: Path) -> None:
    assert generate(settings(tmp_path, hub_idle_timeout=300))["cull"] == {
        "enabled": True,
        "timeout": 300,
        "every": 150,
    }
    assert generate(settings(tmp_path, hub_idle_timeout=0))["cull"] == {"enabled": False}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("hub_user_storage", "ten gigs"),
        ("hub_data_claim", "Data_Claim"),
        ("hub_mem_limit", "lots"),
        ("hub_mem_limit", "8"),  # 8 bytes
        ("hub_cpu_limit", "-1"),
        ("hub_cpu_limit", "0"),
        ("hub_gpu_node_selector", "no-equals-sign"),
        ("hub_gpus_per_user", "-1"),
        ("hub_gpus_per_user", "65"),
        ("hub_idle_timeout", "-5"),
        ("shm_size", "huge"),
    ],
)
def test_bad_settings_name_the_key_and_the_fix(tmp_path: Path, key: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        generate(settings(tmp_path, **{key: value}))
    assert f"Setting {key!r} in flag --{key.replace('_', '-')}" in caught.value.message
    assert "e.g. pass --" in (caught.value.hint or "")


def test_shm_must_fit_in_the_memory_limit(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="counts against the user's memory limit"):
        generate(settings(tmp_path, shm_size="8g", hub_mem_limit="8G"))


@pytest.mark.parametrize(
    ("jupyterhub", "chart", "noted"),
    [("5.5.4", "4.4.0", False), ("5.4.1", "4.3.5", False), ("5.9.0", "4.4.0", True)],
)
def test_chart_matches_the_images_jupyterhub(jupyterhub: str, chart: str, noted: bool) -> None:
    choice = chart_for(jupyterhub)
    assert choice.chart == chart and bool(choice.note) == noted
    assert choice.hub_jupyterhub.split(".")[0] == jupyterhub.split(".")[0]


def test_no_chart_for_another_major() -> None:
    with pytest.raises(ChartMismatch, match=r"jupyterhub 6\.1\.1") as caught:
        chart_for("6.1.1")
    assert "jupyterhub>=5,<6" in (caught.value.hint or "")


def test_jupyterhub_version_read_from_the_locks(tmp_path: Path) -> None:
    root = fixture_locks(tmp_path / "locks", "5.5.4")
    assert image_jupyterhub(load_lockset("x86_64", root / "linux-x86_64")) == "5.5.4"
    bare = fixture_locks(tmp_path / "bare", None)
    with pytest.raises(ChartMismatch, match="no `jupyterhub` package"):
        image_jupyterhub(load_lockset("aarch64", bare / "linux-aarch64"))


@pytest.mark.parametrize("line", sorted(LINES))
@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_shipped_image_has_a_jupyterhub_the_target_chart_runs(arch: str, line: str) -> None:
    """Every CUDA line's image, on every architecture, runs under the chart dlbox targets."""
    choice = chart_for(image_jupyterhub(load_lockset(arch, line=line)))
    assert choice.chart == TARGET_CHART and not choice.note


def test_yaml_text_parses_back_to_the_same_values(tmp_path: Path) -> None:
    values = generate(settings(tmp_path, hub_admin="t", hub_mem_limit="8G", hub_cpu_limit="2"))
    text = yamltext.dump(values, "a header\nsecond line")
    assert text.startswith("# a header\n# second line\n")
    assert yaml.safe_load(text) == values


def test_yaml_text_keeps_tricky_strings_strings() -> None:
    tricky: dict[str, object] = {
        "words": ["on", "off", "yes", "no", "null", "~", "true", ""],
        "numbers": ["0755", "1e3", "0x1F", ".5", "1_000"],
        "syntax": ["a: b", "#not a comment", "- item", "{x}", "[y]", "*ref", "&anchor", "!tag"],
        "text": ["two\nlines", 'quote " and \\ backslash', "tab\there", "ünïcödé ✓"],
        "yes": {"no": None, "n": 1.5, "nested": [[1, 2], [], {}]},
        "a key: with colon": True,
        "": "empty key",
    }
    assert yaml.safe_load(yamltext.dump(tricky)) == tricky


def test_no_course_no_init_container(tmp_path: Path) -> None:
    su = generate(settings(tmp_path))["singleuser"]
    assert "initContainers" not in su and "extraEnv" not in su


def test_course_is_cloned_by_an_init_container_and_seeded(tmp_path: Path) -> None:
    su = generate(settings(tmp_path, course="course22"))["singleuser"]
    (init,) = su["initContainers"]
    assert init["image"] == f"{IMAGE}:{TAG}"  # dlbox's image has git
    assert init["command"][-3:] == [
        "--",
        "https://github.com/fastai/course22",
        "/opt/dlbox/course-volume/course",
    ]
    assert su["extraEnv"] == {"DLBOX_COURSE_SEED": "/opt/dlbox/course-volume/course"}
    assert {"name": "dlbox-course", "emptyDir": {}} in su["storage"]["extraVolumes"]

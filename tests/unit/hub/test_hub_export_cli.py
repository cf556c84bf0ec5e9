"""`dlbox hub export --kubernetes FILE` as users run it: the file, the commands it prints, and
refusals that leave nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import dlbox
from tests.unit.hub.kube_fixtures import IMAGE, TAG, fixture_locks
from tests.unit.hub.z2jh_render import chart_values, validate_values


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "DLBOX_LOCK_ROOT": str(fixture_locks(tmp_path / "locks")),
        "DLBOX_HUB_ADMIN": "teacher",
    }


def export(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    done = dlbox("hub", "export", *args, cwd=tmp_path, env=env, timeout=120)
    return done.code, done.stdout, done.stderr


def test_writes_values_and_prints_push_and_helm(tmp_path: Path, env: dict[str, str]) -> None:
    target = tmp_path / "out" / "class-values.yaml"
    code, _, err = export(
        tmp_path, env, "--kubernetes", str(target), "--image", IMAGE, "--tag", TAG
    )
    assert code == 0, err
    text = target.read_text()
    assert text.startswith("# Written by `dlbox hub export --kubernetes`")
    values = yaml.safe_load(text)
    validate_values(chart_values(values))
    assert values["singleuser"]["image"] == {"name": IMAGE, "tag": TAG}
    assert values["hub"]["config"]["Authenticator"]["admin_users"] == ["teacher"]
    assert f"--push {IMAGE}:{TAG}" in err
    assert "GPU nodes need an NVIDIA driver >=" in err
    assert "helm repo add jupyterhub https://hub.jupyter.org/helm-chart/" in err
    assert f"--version 4.4.0 --values {target}" in err
    assert "Traceback" not in err
    assert [p.name for p in target.parent.iterdir()] == ["class-values.yaml"]  # no temp left


def test_json_result(tmp_path: Path, env: dict[str, str]) -> None:
    target = tmp_path / "v.yaml"
    code, out, err = export(tmp_path, env, "--kubernetes", str(target), "--tag", TAG, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] is True and data["image"] == f"dlbox-env:{TAG}"
    assert data["chart"]["chart"] == "4.4.0" and data["chart"]["image_jupyterhub"] == "5.5.4"
    line = data["cuda"]["line"]
    assert data["push_command"] == ["dlbox", "build", "--cuda", line, "--push", f"dlbox-env:{TAG}"]
    assert any("--image REGISTRY/NAME" in note for note in data["notes"])


def test_a_file_dlbox_did_not_write_is_kept(tmp_path: Path, env: dict[str, str]) -> None:
    target = tmp_path / "config.yaml"
    target.write_text("hub:\n  cookieSecret: mine\n")
    code, _, err = export(tmp_path, env, "--kubernetes", str(target), "--tag", TAG)
    assert code == 2 and "was not written by dlbox" in err and "--force" in err
    assert target.read_text() == "hub:\n  cookieSecret: mine\n"
    code, _, err = export(tmp_path, env, "--kubernetes", str(target), "--tag", TAG, "--force")
    assert code == 0, err
    assert "cookieSecret" not in target.read_text()
    # Its own file it replaces without --force (export again after changing a setting).
    code, _, err = export(
        tmp_path, {**env, "DLBOX_SHM_SIZE": "3g"}, "--kubernetes", str(target), "--tag", TAG
    )
    assert code == 0, err
    assert 'sizeLimit: "3Gi"' in target.read_text()


@pytest.mark.parametrize(
    ("args", "extra_env", "code", "says"),
    [
        (["--image", "Registry/UPPER"], {}, 2, "--image 'Registry/UPPER' is not an image name"),
        (["--image", f"{IMAGE}:v1"], {}, 2, "has a tag or digest"),
        (["--tag", "bad tag"], {}, 2, "is not an image tag"),
        ([], {"DLBOX_HUB_USER_STORAGE": "lots"}, 2, "hub_user_storage"),
        ([], {"DLBOX_SHM_SIZE": "8g", "DLBOX_HUB_MEM_LIMIT": "4G"}, 2, "memory limit"),
    ],
)
def test_bad_input_is_one_message_and_no_file(
    tmp_path: Path,
    env: dict[str, str],
    args: list[str],
    extra_env: dict[str, str],
    code: int,
    says: str,
) -> None:
    target = tmp_path / "v.yaml"
    got, _, err = export(
        tmp_path, {**env, **extra_env}, "--kubernetes", str(target), "--tag", TAG, *args
    )
    assert got == code and says in err, err
    assert "Traceback" not in err
    assert not target.exists()


def test_an_image_without_jupyterhub_is_refused(tmp_path: Path) -> None:
    env = {"DLBOX_LOCK_ROOT": str(fixture_locks(tmp_path / "locks", None))}
    target = tmp_path / "v.yaml"
    code, _, err = export(tmp_path, env, "--kubernetes", str(target), "--tag", TAG)
    assert code == 1 and "no `jupyterhub` package" in err and not target.exists()


@pytest.mark.parametrize(("line", "driver"), [("12", "525.60.13"), ("13", "580")])
def test_the_cuda_line_is_named_for_push_and_nodes(
    tmp_path: Path, env: dict[str, str], line: str, driver: str
) -> None:
    """The cluster's GPU nodes, not this machine, have the driver that matters: --cuda picks the
    line, the push command builds that line, and the output says what the nodes need."""
    target = tmp_path / "v.yaml"
    code, out, err = export(
        tmp_path, env, "--kubernetes", str(target), "--tag", TAG, "--cuda", line, "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["cuda"]["line"] == line and data["cuda"]["node_driver"] == driver
    assert data["push_command"][:4] == ["dlbox", "build", "--cuda", line]
    assert f"GPU nodes need an NVIDIA driver >= {driver}" in target.read_text()

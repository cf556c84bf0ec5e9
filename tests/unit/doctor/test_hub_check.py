"""The doctor's hub check: the hub's jupyterhub and the image's share a major version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlbox.doctor import checks_hub
from dlbox.doctor.checks_hub import check_hub, hub_finding
from dlbox.engines.docker import EngineInfo
from dlbox.environment.hub_version import hub_drift

from .fakes import engine_choice, fake_docker, make_facts

LAB_LOCKS = Path(__file__).parents[2] / "fixtures" / "lab-env" / "locks"


def test_same_major_is_ok_another_major_warns_with_the_pin() -> None:
    assert hub_drift("5.5.4", "5.2.0") is None
    ok = hub_finding("5.5.4", "5.5.4")
    assert ok.status == "ok" and "5.5.4 matches the image's 5.5.4" in ok.finding
    drift = hub_finding("4.1.6", "5.5.4")
    assert drift.status == "warn"
    assert "the hub's JupyterHub is 4.1.6 but the environment image has 5.5.4" in drift.finding
    assert "`pip install 'jupyterhub==5.5.4'`" in drift.fix
    assert drift.details == {"hub_jupyterhub": "4.1.6", "image_jupyterhub": "5.5.4"}


def test_image_without_jupyterhub_warns_and_no_hub_extra_skips() -> None:
    missing = hub_finding("5.5.4", "unknown")
    assert missing.status == "warn" and "has no jupyterhub" in missing.finding
    assert "`dlbox add jupyterhub==5.5.4`" in missing.fix
    skipped = hub_finding(None, "")
    assert skipped.status == "skip" and "pip install 'dlbox[hub]'" in skipped.fix


def _facts(tmp_path: Path):  # type: ignore[no-untyped-def]
    docker = fake_docker(tmp_path / "engine")
    choice = engine_choice(docker, info=EngineInfo())
    return make_facts(tmp_path, choose_engine=lambda p, e: choice)


def test_check_reads_the_planned_images_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The image's version is the one in the lock the image is built from (DLBOX_LOCK_ROOT)."""
    monkeypatch.setattr(checks_hub, "installed_jupyterhub", lambda: "4.1.6")
    drift = check_hub(_facts(tmp_path / "default"))
    assert drift.status == "warn" and "image has 5.5.4" in drift.finding, drift
    monkeypatch.setenv("DLBOX_LOCK_ROOT", str(LAB_LOCKS))  # JupyterLab only, no jupyterhub
    bare = check_hub(_facts(tmp_path / "lab"))
    assert bare.status == "warn" and "has no jupyterhub" in bare.finding, bare
    assert json.dumps(dict(bare.details))  # the JSON report can carry it

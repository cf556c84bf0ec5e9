"""Shared fixtures. Engine tests need a real engine: when CI=true they FAIL if it is missing,
elsewhere they skip with the reason."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlbox.engines.detect import select_engine
from dlbox.engines.docker import DockerEngine
from dlbox.errors import DlboxError

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(reason: str) -> None:
    """Fail in CI, skip elsewhere."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def isolated_dlbox_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own dlbox state dir and user config file; no DLBOX_* leaks in."""
    root = tmp_path_factory.mktemp("dlbox-home")
    for var in list(os.environ):
        if var.startswith("DLBOX_"):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DLBOX_STATE_DIR", str(root / "state"))
    monkeypatch.setenv("DLBOX_CONFIG_FILE", str(root / "config.toml"))
    return root


@pytest.fixture(scope="session")
def docker_engine() -> DockerEngine:
    try:
        choice = select_engine("docker")
    except DlboxError as exc:
        need(f"no usable Docker engine: {exc.message}")
        raise
    assert choice.container is not None
    return choice.container


@pytest.fixture(scope="session")
def fastai_image(docker_engine: DockerEngine) -> Iterator[str]:
    """The real default environment image, built by dlbox (a no-op when it exists)."""
    from dlbox.image.build import BuildOptions, ensure_image
    from dlbox.image.ca import detect_ca_bundle

    state = os.environ.get("DLBOX_STATE_DIR")
    os.environ.setdefault("DLBOX_STATE_DIR", f"/tmp/dlbox-test-state-{os.getuid()}")
    try:
        result = ensure_image(docker_engine, BuildOptions(ca=detect_ca_bundle()))
    finally:
        if state is None:
            os.environ.pop("DLBOX_STATE_DIR", None)
    yield result.tag

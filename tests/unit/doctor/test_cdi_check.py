"""The CDI check: Podman needs a CDI spec for NVIDIA GPUs; the fix names the generator there is."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.doctor.checks_cdi import check_cdi
from dlbox.engines.detect import EngineChoice
from dlbox.engines.docker import BuildKitSupport, DockerEngine, EngineInfo
from dlbox.engines.podman import PodmanEngine

from .fakes import fake_nvidia_smi, make_facts, write_exe

SPEC = "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- name: '0'\n- name: all\n"


def _facts(tmp_path: Path, engine: DockerEngine, *, driver: bool = True, ctk: str | None = None):  # type: ignore[no-untyped-def]
    if driver:
        fake_nvidia_smi(tmp_path / "bin", stdout="GPU 0: NVIDIA H200")
    if ctk is not None:
        write_exe(tmp_path / "bin", "nvidia-ctk", f"cat <<'EOF'\n{ctk}\nEOF\n")
    return make_facts(
        tmp_path,
        choose_engine=lambda p, e: EngineChoice(engine, engine.name, "test"),
        read_text=lambda path: path.read_text() if path.is_file() else None,
    )


def test_podman_without_a_spec_fails_naming_dlbox_generator(tmp_path: Path) -> None:
    empty = tmp_path / "cdi"
    empty.mkdir()
    found = check_cdi(_facts(tmp_path, PodmanEngine("podman")), (empty,))
    assert found.status == "fail"
    assert "Podman reaches NVIDIA GPUs only through CDI" in found.finding
    assert "`sudo dlbox gpu cdi --write`" in found.fix


def test_the_fix_is_nvidia_ctk_when_the_toolkit_is_here(tmp_path: Path) -> None:
    found = check_cdi(_facts(tmp_path, PodmanEngine("podman"), ctk=""), (tmp_path / "none",))
    assert found.status == "fail"
    assert found.fix == (
        "Generate the CDI spec: `sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml`."
    )


def test_a_spec_file_is_found(tmp_path: Path) -> None:
    folder = tmp_path / "cdi"
    folder.mkdir()
    (folder / "nvidia.yaml").write_text(SPEC)
    (folder / "other.yaml").write_text("kind: vendor.com/fpga\n")
    found = check_cdi(_facts(tmp_path, PodmanEngine("podman")), (folder,))
    assert found.status == "ok" and str(folder / "nvidia.yaml") in found.finding
    assert found.details["spec_files"] == [str(folder / "nvidia.yaml")]


def test_nvidia_ctk_cdi_list_names_the_devices(tmp_path: Path) -> None:
    listing = "INFO Found 2 CDI devices\nnvidia.com/gpu=0\nnvidia.com/gpu=all"
    found = check_cdi(_facts(tmp_path, PodmanEngine("podman"), ctk=listing), (tmp_path / "x",))
    assert found.status == "ok" and "nvidia.com/gpu=" not in found.finding
    assert "CDI spec for 0, all" in found.finding


def test_docker_without_a_spec_is_not_a_failure(tmp_path: Path) -> None:
    docker = DockerEngine("docker", BuildKitSupport("env", ""))
    found = check_cdi(_facts(tmp_path, docker), (tmp_path / "none",))
    assert found.status == "skip" and "uses --gpus" in found.finding


def test_no_driver_skips(tmp_path: Path) -> None:
    found = check_cdi(_facts(tmp_path, PodmanEngine("podman"), driver=False))
    assert found.status == "skip" and "no NVIDIA driver" in found.finding


def test_a_spec_in_your_cdi_folder_that_podman_cannot_read_fails_naming_etc_cdi(
    tmp_path: Path,
) -> None:
    """`dlbox gpu cdi --write` without root wrote ~/.config/cdi; Podman 4.3 cannot read it."""
    mine = tmp_path / "home-cdi"
    mine.mkdir()
    (mine / "dlbox-nvidia.yaml").write_text(SPEC)
    old = PodmanEngine("podman", client_version="4.3.1")
    found = check_cdi(_facts(tmp_path, old), (tmp_path / "none",), mine)
    assert found.status == "fail"
    assert found.finding == (
        f"{mine / 'dlbox-nvidia.yaml'} describes nvidia.com/gpu, but Podman before 5.5 (4.3.1) "
        "reads only /etc/cdi and /var/run/cdi"
    )
    assert found.fix.startswith("Write the spec to /etc/cdi, which every engine reads: `sudo dlbox")


def test_podman_5_5_reads_your_cdi_folder_through_dlbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    mine = tmp_path / "cdi"
    mine.mkdir()
    (mine / "dlbox-nvidia.yaml").write_text(SPEC)
    new = PodmanEngine("podman", client_version="5.6.1", info=EngineInfo(rootless=True))
    found = check_cdi(_facts(tmp_path, new), (tmp_path / "none",), mine)
    assert found.status == "ok" and str(mine / "dlbox-nvidia.yaml") in found.finding

"""shm, config, folders, disk and platform checks with fake facts."""

from __future__ import annotations

from pathlib import Path

from dlbox.doctor.checks_host import (
    check_config,
    check_disk_data,
    check_folders,
    check_platform,
    check_shm,
)

from .fakes import make_facts

GIB = 1024**3


def test_shm_auto_rule(tmp_path: Path) -> None:
    found = check_shm(make_facts(tmp_path, memory_bytes=lambda: 32 * GIB))
    assert found.status == "ok"
    assert "`up` gives containers a 16 GiB /dev/shm (auto: half of 32 GiB RAM" in found.finding


def test_shm_small_configured_value_warns(tmp_path: Path) -> None:
    facts = make_facts(tmp_path)
    facts = facts.with_changes(environ={**facts.environ, "DLBOX_SHM_SIZE": "512m"})
    found = check_shm(facts)
    assert found.status == "warn"
    assert "512 MiB" in found.finding and "from env DLBOX_SHM_SIZE" in found.finding
    assert "Bus error" in found.finding and "shm_size auto" in found.fix


def test_shm_ipc_host_notes_the_trade_off(tmp_path: Path) -> None:
    found = check_shm(make_facts(tmp_path, flags={"ipc_host": True}))
    assert found.status == "ok"
    assert "--ipc host" in found.finding and "less isolation" in found.finding


def test_config_invalid_fails_with_its_hint(tmp_path: Path) -> None:
    facts = make_facts(tmp_path)
    facts = facts.with_changes(environ={**facts.environ, "DLBOX_PORT": "eighty"})
    found = check_config(facts)
    assert found.status == "fail" and "port" in found.finding and found.fix
    assert check_folders(facts).status == "skip"


def test_config_lists_sources(tmp_path: Path) -> None:
    facts = make_facts(tmp_path, flags={"port": 9999})
    found = check_config(facts)
    assert found.status == "ok" and "port (flag --port)" in found.finding
    assert found.details["settings"]["port"] == {"value": 9999, "source": "flag --port"}  # type: ignore[index]


def test_folders_missing_parent_fails(tmp_path: Path) -> None:
    facts = make_facts(tmp_path, flags={"data_dir": str(tmp_path / "nope" / "data")})
    found = check_folders(facts)
    assert found.status == "fail" and "does not exist" in found.finding
    assert "mkdir -p" in found.fix


def test_folders_ok_and_creatable(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    facts = make_facts(
        tmp_path, flags={"code_dir": str(tmp_path / "code"), "data_dir": str(tmp_path / "data")}
    )
    found = check_folders(facts)
    assert found.status == "ok" and "will create data_dir" in found.finding


def test_disk_data_against_configured_datasets(tmp_path: Path) -> None:
    flags = {"data_dir": str(tmp_path), "datasets": "pets,mnist_sample"}
    roomy = check_disk_data(make_facts(tmp_path, flags=flags))
    assert roomy.status == "ok" and "configured datasets need" in roomy.finding
    assert roomy.details["need_bytes"] > 0  # type: ignore[operator]
    tight = check_disk_data(make_facts(tmp_path, flags=flags, disk_usage=lambda p: (1, 1, 10)))
    assert tight.status == "fail" and "data_dir" in tight.fix


def test_platform_notes(tmp_path: Path) -> None:
    assert check_platform(make_facts(tmp_path)).status == "ok"
    mac = check_platform(make_facts(tmp_path, system="Darwin", machine="arm64"))
    assert mac.status == "warn" and "--engine local" in mac.fix and "no GPU" in mac.finding
    wsl = check_platform(
        make_facts(
            tmp_path,
            read_text=lambda p: (
                "Linux version 5.15.153.1-microsoft-standard-WSL2"
                if str(p) == "/proc/version"
                else None
            ),
        )
    )
    assert wsl.details["wsl"] is True and "Docker Desktop" in wsl.finding
    odd = check_platform(make_facts(tmp_path, machine="riscv64"))
    assert odd.status == "fail"

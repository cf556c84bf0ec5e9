"""Engine, BuildKit, image and image-store checks with fake engines and clients."""

from __future__ import annotations

import json
from pathlib import Path

from dlbox.doctor.checks_engine import (
    INSTALL_BUILDX,
    check_buildkit,
    check_disk_images,
    check_engine,
    check_image,
)
from dlbox.engines.detect import ClientProbe, EngineChoice
from dlbox.engines.docker import BuildKitSupport, EngineInfo
from dlbox.errors import EngineUnavailable

from .fakes import engine_choice, fake_docker, make_facts

OLD = ClientProbe(
    "/usr/bin/docker",
    "20.10.24",
    20,
    BuildKitSupport("env", "/usr/bin/docker (20.x) builds with BuildKit via DOCKER_BUILDKIT=1"),
)
NEW_NO_BUILDX = ClientProbe(
    "/usr/local/bin/docker",
    "28.2.2",
    28,
    BuildKitSupport("none", "/usr/local/bin/docker (version 28) has no buildx plugin"),
)


def test_no_engine_installed_warns_and_names_the_fallback(tmp_path: Path) -> None:
    found = check_engine(make_facts(tmp_path))
    assert found.status == "warn" and "local engine" in found.finding


def test_daemon_unreachable_fails_with_the_permission_fix(tmp_path: Path) -> None:
    def choose(pref: str, explicit: str | None) -> EngineChoice:
        return EngineChoice(
            None,
            "local",
            "no container engine answers (docker: /usr/bin/docker:"
            " daemon not reachable (permission denied while trying to connect))",
        )

    facts = make_facts(
        tmp_path,
        choose_engine=choose,
        probe_clients=lambda kind, e: [("/usr/bin/docker", OLD)] if kind == "docker" else [],
    )
    found = check_engine(facts)
    assert found.status == "fail" and "permission denied" in found.finding
    assert "docker' group" in found.fix


def test_explicit_engine_unusable_fails(tmp_path: Path) -> None:
    def choose(pref: str, explicit: str | None) -> EngineChoice:
        raise EngineUnavailable(
            "The podman engine is not usable: no `podman` client.", "Start Podman's service."
        )

    found = check_engine(make_facts(tmp_path, flags={"engine": "podman"}, choose_engine=choose))
    assert found.status == "fail" and found.fix == "Start Podman's service."


def test_local_preference_skips(tmp_path: Path) -> None:
    found = check_engine(make_facts(tmp_path, flags={"engine": "local"}))
    assert found.status == "skip" and "engine auto" in found.fix


def test_engine_ok_names_client_and_permission(tmp_path: Path) -> None:
    docker = fake_docker(tmp_path / "engine")
    choice = engine_choice(docker, info=EngineInfo(rootless=True))
    found = check_engine(make_facts(tmp_path, choose_engine=lambda p, e: choice))
    assert found.status == "ok"
    assert found.finding.startswith(f"rootless Docker 20.10.24 answers via {docker} (client")
    assert "rootless Docker: runs as you, no root daemon" in found.finding
    assert found.details["mode"] == "rootless"


def test_buildkit_names_the_chosen_client_and_the_one_without_buildx(tmp_path: Path) -> None:
    choice = engine_choice("/usr/bin/docker")
    facts = make_facts(
        tmp_path,
        choose_engine=lambda p, e: choice,
        probe_clients=lambda k, e: [
            ("/usr/local/bin/docker", NEW_NO_BUILDX),
            ("/usr/bin/docker", OLD),
        ],
    )
    found = check_buildkit(facts)
    assert found.status == "ok"
    assert found.finding.startswith(
        "dlbox uses /usr/bin/docker (20.10.24): builds run `docker build` with DOCKER_BUILDKIT=1"
    )
    assert "not /usr/local/bin/docker 28.2.2: no buildx plugin" in found.finding
    assert [c["buildkit"] for c in found.details["clients"]] == ["none", "env"]  # type: ignore[attr-defined]


def test_no_buildkit_fails(tmp_path: Path) -> None:
    choice = engine_choice("/usr/local/bin/docker", mode="none")
    facts = make_facts(
        tmp_path,
        choose_engine=lambda p, e: choice,
        probe_clients=lambda k, e: [("/usr/local/bin/docker", NEW_NO_BUILDX)],
    )
    found = check_buildkit(facts)
    assert found.status == "fail" and found.fix == INSTALL_BUILDX


def _image_facts(tmp_path: Path, images: list[str], root: str = "", **answers: str):  # type: ignore[no-untyped-def]
    listing = "\n".join(
        json.dumps({"Repository": r.split(":")[0], "Tag": r.split(":")[1]}) for r in images
    )
    extra = {'"image ls dlbox-env --format {{json .}}"': listing} if images else {}
    extra.update(answers)
    docker = fake_docker(tmp_path / "engine", answers=extra)
    choice = engine_choice(docker, info=EngineInfo(store_root=root))
    return make_facts(tmp_path, choose_engine=lambda p, e: choice)


def test_image_not_built_current_and_stale(tmp_path: Path) -> None:
    tag = _image_facts(tmp_path, []).current_tag()
    assert tag.startswith("dlbox-env:")
    missing = check_image(_image_facts(tmp_path, []))
    assert missing.status == "warn" and "not built yet" in missing.finding
    stale = check_image(_image_facts(tmp_path, ["dlbox-env:0123456789abcdef"]))
    assert stale.status == "warn" and stale.finding.startswith(f"stale: the lock now wants {tag}")
    assert "dlbox-env:0123456789abcdef" in stale.finding and "`dlbox clean --yes`" in stale.fix
    current = check_image(_image_facts(tmp_path, [tag, "dlbox-env:old"]))
    assert current.status == "ok" and "current with the lock" in current.finding
    assert current.details["stale"] == ["dlbox-env:old"]


def test_disk_images_measures_the_engine_root(tmp_path: Path) -> None:
    facts = _image_facts(
        tmp_path,
        ["dlbox-env:old"],
        str(tmp_path),
        **{'"image inspect --format {{.Size}} dlbox-env:old"': str(7_500_000_000)},
    )
    tight = facts.with_changes(disk_usage=lambda p: (10**11, 10**11, 8 * 1024**3))
    found = check_disk_images(tight)
    assert found.status == "warn" and str(tmp_path) in found.finding
    assert found.details["need_bytes"] == 7_500_000_000
    full = facts.with_changes(disk_usage=lambda p: (10**11, 10**11, 10**9))
    assert check_disk_images(full).status == "fail"
    roomy = check_disk_images(facts)
    assert roomy.status == "ok"


def test_disk_images_root_not_on_this_host(tmp_path: Path) -> None:
    facts = _image_facts(tmp_path, [], "/var/lib/docker-in-vm")
    found = check_disk_images(facts)
    assert found.status == "skip" and "Docker Desktop" in found.fix

"""Engine checks: the container engine, its BuildKit, the environment image, the image store."""

from __future__ import annotations

import grp
import os
from pathlib import Path

from dlbox.doctor.facts import Facts
from dlbox.doctor.model import Finding
from dlbox.engines.detect import parse_client_version, unreachable_hint
from dlbox.engines.docker import DockerEngine
from dlbox.errors import DlboxError
from dlbox.launch.shm import GIB, human

IMAGE_ESTIMATE = 7 * 10**9  # the default fastai image, ~7 GB unpacked
HEADROOM = 5 * GIB  # containers, pip caches, notebooks' writes
BUILDKIT_MEANING = {
    "buildx": "builds run `docker buildx build --load`",
    "env": "builds run `docker build` with DOCKER_BUILDKIT=1",
    "native": "builds run `podman build` (Buildah)",
}
INSTALL_BUILDX = (
    "Install the buildx plugin (Debian/Ubuntu: `apt-get install docker-buildx`, or "
    "docker-buildx-plugin from Docker's repository), or point dlbox at a client that has it "
    "(`dlbox config set docker_client PATH`)."
)


def _permission(engine: DockerEngine) -> str:
    if engine.info.rootless:
        return f"rootless {engine.kind}: runs as you, no root daemon"
    if engine.name == "podman":
        return "rootful Podman, as root" if os.geteuid() == 0 else "rootful Podman"
    if os.geteuid() == 0:
        return "as root"
    try:
        if grp.getgrnam("docker").gr_gid in os.getgroups():
            return "through the docker group"
    except KeyError:
        pass
    return "socket access granted"


def check_engine(facts: Facts) -> Finding:
    preference, explicit = facts.engine_preference()
    if preference == "local":
        return Finding(
            "skip",
            "engine = local: dlbox runs without containers (a venv and host processes)",
            "To use containers: `dlbox config set engine auto`.",
            {"preference": preference},
        )
    try:
        choice = facts.engine_choice()
    except DlboxError as exc:
        return Finding("fail", exc.message, exc.hint or "", {"preference": preference})
    details: dict[str, object] = {"preference": preference, **choice.to_dict()}
    engine = choice.container
    if engine is None:
        kinds = ("docker", "podman") if preference == "auto" else (preference,)
        found = [p for kind in kinds for p, _ in facts.probe_clients(kind, explicit)]
        details["clients_found"] = found
        if not found:
            return Finding(
                "warn",
                "no container engine installed (no docker or podman); `up` falls back to the "
                "local engine (no containers)",
                "Install Docker Engine (or Docker Desktop / Podman) to use containers, plus the "
                "NVIDIA Container Toolkit for GPUs.",
                details,
            )
        return Finding(
            "fail",
            f"container engine not usable: {choice.reason}",
            unreachable_hint(kinds[0], choice.reason),
            details,
        )
    permission = _permission(engine)
    details["permission"] = permission
    finding = f"{choice.reason} (client {engine.client_version}, {permission})"
    _, major = parse_client_version(f"version {engine.server_version}")
    if engine.name == "docker" and 0 < major < 19:
        return Finding(
            "warn",
            finding + "; Docker before 19.03 has no --gpus",
            "Upgrade Docker Engine to a current release.",
            details,
        )
    return Finding("ok", finding, "", details)


def check_buildkit(facts: Facts) -> Finding:
    engine = facts.engine()
    if engine is None:
        return Finding("skip", "no container engine", "See the engine check's fix.")
    _, explicit = facts.engine_preference()
    clients = []
    others = []
    for path, probe in facts.probe_clients(engine.name, explicit):
        if probe is None:
            clients.append({"path": path, "runs": False})
            if path != engine.client:
                others.append(f"{path} does not run")
            continue
        clients.append(
            {
                "path": path,
                "runs": True,
                "version": probe.version,
                "buildkit": probe.buildkit.mode,
                "detail": probe.buildkit.detail,
            }
        )
        if path != engine.client and not probe.buildkit.available:
            why = "no buildx plugin" if probe.major >= 23 else "too old for BuildKit"
            others.append(f"not {path} {probe.version}: {why}")
    reason = facts.engine_choice().reason
    details: dict[str, object] = {
        "client": engine.client,
        "mode": engine.buildkit.mode,
        "detail": engine.buildkit.detail,
        "why": reason,
        "clients": clients,
    }
    tail = f" ({'; '.join(others)})" if others else ""
    if not engine.buildkit.available:
        return Finding(
            "fail",
            f"no BuildKit: {engine.buildkit.detail}; `dlbox build` cannot run (it needs cache and "
            f"secret mounts){tail}",
            INSTALL_BUILDX,
            details,
        )
    meaning = BUILDKIT_MEANING.get(engine.buildkit.mode, engine.buildkit.mode)
    return Finding(
        "ok",
        f"dlbox uses {engine.client} ({engine.client_version}): {meaning}{tail}",
        "",
        details,
    )


def check_image(facts: Facts) -> Finding:
    engine = facts.engine()
    if engine is None:
        return Finding("skip", "no container engine", "See the engine check's fix.")
    try:
        context = facts.build_context()
    except DlboxError as exc:
        return Finding("fail", f"cannot plan the image: {exc.message}", exc.hint or "")
    tag = context.tag
    present = [i.ref for i in facts.dlbox_images()]
    stale = [ref for ref in present if ref != tag]
    details: dict[str, object] = {
        "tag": tag,
        "versions": context.versions,
        "present": present,
        "stale": stale,
    }
    versions = ", ".join(f"{k} {v}" for k, v in context.versions.items())
    if tag in present:
        labels = engine.image_labels(tag)
        details["labels"] = labels
        more = f"; {len(stale)} older dlbox image(s) could be removed" if stale else ""
        fix = "Free space with `dlbox clean` (it lists them; --yes removes)." if stale else ""
        return Finding(
            "ok", f"{tag} is present and current with the lock ({versions}){more}", fix, details
        )
    if stale:
        return Finding(
            "warn",
            f"stale: the lock now wants {tag}; present: {', '.join(stale)}",
            "Run `dlbox build` (or `dlbox up`, which builds it), then `dlbox clean --yes` "
            "removes the old ones (`dlbox clean` lists them first).",
            details,
        )
    return Finding(
        "warn",
        f"{tag} is not built yet ({versions}); `dlbox up` builds it first (~7 GB)",
        "Run `dlbox build` now so the first `dlbox up` starts at once.",
        details,
    )


def _image_size(engine: DockerEngine, ref: str) -> int | None:
    try:
        return engine.image_size(ref)
    except DlboxError:
        return None


def check_disk_images(facts: Facts) -> Finding:
    engine = facts.engine()
    if engine is None:
        return Finding("skip", "no container engine", "See the engine check's fix.")
    root = engine.info.store_root
    if not root:
        return Finding(
            "warn",
            "the engine did not say where it stores images",
            f"Check free space with `{engine.name} system df`.",
        )
    path = Path(root)
    details: dict[str, object] = {"root": root}
    measured = path
    try:
        if not path.exists():
            return Finding(
                "skip",
                f"images live in {root}, which is not on this host (inside Docker Desktop's VM?)",
                "Check Docker Desktop's Settings > Resources > Disk image size (>= 20 GB).",
                details,
            )
        _, _, free = facts.disk_usage(path)
    except OSError as exc:
        return Finding(
            "warn",
            f"cannot read free space of {root}: {exc.strerror or exc}",
            "Run `df -h` on it yourself (as a user that may read it).",
            details,
        )
    details.update(measured=str(measured), free_bytes=free)
    if facts.current_image_present():
        need, what = 0, "the current image is already there"
    else:
        sizes = [i.size or _image_size(engine, i.ref) for i in facts.dlbox_images()]
        known = [s for s in sizes if s]
        need = max(known) if known else IMAGE_ESTIMATE
        what = f"the image needs ~{human(need)}" + ("" if known else " (estimate)")
    details["need_bytes"] = need
    finding = f"{human(free)} free in {root}; {what}"
    if free < need:
        return Finding(
            "fail",
            finding,
            f"Free space (`{engine.name} system prune`) or move the engine's data-root to a "
            "bigger disk.",
            details,
        )
    if free < need + HEADROOM:
        return Finding(
            "warn",
            finding + f", leaving under {human(HEADROOM)}",
            f"Free space with `{engine.name} system prune` (removes unused images).",
            details,
        )
    return Finding("ok", finding, "", details)

"""CDI check: Podman reaches NVIDIA GPUs only through a CDI spec (`--device nvidia.com/gpu=all`),
and Docker 25+ can use one too. Is there a spec naming nvidia.com/gpu devices, and if not, which
command writes one."""

from __future__ import annotations

import re
from pathlib import Path

from dlbox.doctor.facts import Facts
from dlbox.doctor.model import Finding
from dlbox.engines.docker import DockerEngine
from dlbox.engines.podman import PodmanEngine
from dlbox.errors import ProcessError
from dlbox.gpu.cdi import user_dir

# Where CDI specs are read from (the CDI project's defaults; Podman's cdi_spec_dirs).
CDI_DIRS = (Path("/etc/cdi"), Path("/var/run/cdi"))
NVIDIA_KIND = "nvidia.com/gpu"
GENERATE = "`sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml`"
DLBOX_GENERATE = "`sudo dlbox gpu cdi --write`"
_DEVICE = re.compile(r"nvidia\.com/gpu=(\S+)")


def _spec_files(dirs: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for folder in dirs:
        try:
            found += sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
        except OSError:
            continue
    return found


def _listed_by_ctk(facts: Facts, ctk: str) -> list[str]:
    try:
        done = facts.run([ctk, "cdi", "list"], 30.0)
    except ProcessError:
        return []
    return _DEVICE.findall(done.stdout) if done.returncode == 0 else []


def fix_command(facts: Facts) -> str:
    """nvidia-ctk's generator when the toolkit is here, else dlbox's own."""
    if facts.which("nvidia-ctk"):
        return f"Generate the CDI spec: {GENERATE}."
    return (
        f"Write a CDI spec: {DLBOX_GENERATE} (dlbox's generator; the NVIDIA Container Toolkit's "
        f"{GENERATE} does the same)."
    )


def _unread(engine: DockerEngine) -> str:
    """Why this engine does not read the user's CDI folder."""
    if isinstance(engine, PodmanEngine) and not engine.reads_user_cdi():
        return f"Podman before 5.5 ({engine.client_version}) reads only /etc/cdi and /var/run/cdi"
    return f"{engine.title} reads its own CDI folders, not yours"


def check_cdi(
    facts: Facts, dirs: tuple[Path, ...] = CDI_DIRS, user_cdi: Path | None = None
) -> Finding:
    engine = facts.engine()
    if engine is None:
        return Finding("skip", "no container engine", "See the engine check's fix.")
    if facts.nvidia_smi() is None:
        return Finding("skip", "no NVIDIA driver here: CDI devices are only for NVIDIA GPUs", "")
    needed = engine.name == "podman"
    mine = user_cdi or user_dir(facts.environ)
    if isinstance(engine, PodmanEngine) and engine.cdi_spec_dirs():  # dlbox names ~/.config/cdi
        dirs = (*dirs, mine)
    ctk = facts.which("nvidia-ctk")
    devices = _listed_by_ctk(facts, ctk) if ctk else []
    files = [p for p in _spec_files(dirs) if NVIDIA_KIND in (facts.read_text(p) or "")]
    stranded = (
        []
        if mine in dirs
        else [p for p in _spec_files((mine,)) if NVIDIA_KIND in (facts.read_text(p) or "")]
    )
    if needed and not files and not devices and stranded:
        return Finding(
            "fail",
            f"{', '.join(map(str, stranded))} describes {NVIDIA_KIND}, but {_unread(engine)}",
            f"Write the spec to /etc/cdi, which every engine reads: {DLBOX_GENERATE} "
            "(or use Podman 5.5 or later, which dlbox points at your CDI folder).",
            {"dirs": [str(d) for d in dirs], "spec_files": [], "unread": list(map(str, stranded))},
        )
    details: dict[str, object] = {
        "dirs": [str(d) for d in dirs],
        "spec_files": [str(p) for p in files],
        "devices": devices,
        "nvidia_ctk": ctk or "",
    }
    if files or devices:
        where = ", ".join(str(p) for p in files) or "nvidia-ctk cdi list"
        names = ", ".join(sorted(set(devices))) or NVIDIA_KIND
        return Finding("ok", f"CDI spec for {names} ({where})", "", details)
    why = (
        "Podman reaches NVIDIA GPUs only through CDI (`--device nvidia.com/gpu=all`)"
        if needed
        else f"{engine.name} uses --gpus; CDI is only needed for --device nvidia.com/gpu=..."
    )
    return Finding(
        "fail" if needed else "skip",
        f"no CDI spec for {NVIDIA_KIND} in {' or '.join(str(d) for d in dirs)}: {why}",
        fix_command(facts),
        details,
    )

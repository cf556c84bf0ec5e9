"""Fakes for the doctor's seams: executables on a private PATH, and Facts built around them."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dlbox.doctor.facts import Facts
from dlbox.engines.detect import EngineChoice
from dlbox.engines.docker import BuildKitSupport, DockerEngine, EngineInfo

H100 = "NVIDIA H100 80GB HBM3, 81559 MiB, {driver}"


def write_exe(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def fake_nvidia_smi(folder: Path, *, stdout: str = "", stderr: str = "", rc: int = 0) -> Path:
    body = ""
    if stdout:
        body += f"printf '%s\\n' {shlex.quote(stdout)}\n"
    if stderr:
        body += f"printf '%s\\n' {shlex.quote(stderr)} >&2\n"
    return write_exe(folder, "nvidia-smi", body + f"exit {rc}\n")


def fake_docker(
    folder: Path,
    modes: Mapping[str, tuple[int, str, str]] | None = None,
    answers: Mapping[str, str] | None = None,
) -> Path:
    """A docker CLI whose GPU probe containers answer per mode with (rc, stdout, stderr); other
    commands answer like a daemon with the base image present and no dlbox images, unless
    `answers` (a case pattern for "$*" -> stdout) says otherwise."""
    lines = ['case "$*" in']
    for pattern, out in (answers or {}).items():
        lines.append(f"  {pattern}) printf '%s\\n' {shlex.quote(out)}; exit 0;;")
    lines += [
        '  *" --gpus "*) MODE=gpus;;',
        '  *"nvidia.com/gpu="*) MODE=cdi;;',
        '  *"--runtime nvidia"*) MODE=runtime;;',
        '  "info --format {{.Architecture}}") echo x86_64; exit 0;;',
        '  "version --format {{.Server.Arch}}") echo amd64; exit 0;;',
        '  "image inspect --format {{.Id}}"*) echo sha256:feedface; exit 0;;',
        "  *) exit 0;;",
        "esac",
    ]
    for mode, (rc, out, err) in (modes or {}).items():
        lines.append(f'if [ "$MODE" = {mode} ]; then')
        if out:
            lines.append(f"  printf '%s\\n' {shlex.quote(out)}")
        if err:
            lines.append(f"  printf '%s\\n' {shlex.quote(err)} >&2")
        lines.append(f"  exit {rc}")
        lines.append("fi")
    lines.append("exit 0")
    return write_exe(folder, "docker", "\n".join(lines) + "\n")


def engine_choice(
    client: Path | str, mode: str = "env", info: EngineInfo | None = None
) -> EngineChoice:
    engine = DockerEngine(
        str(client),
        BuildKitSupport(mode, f"{client} fake BuildKit {mode}"),
        client_version="20.10.24",
        server_version="20.10.24",
        info=info,
    )
    return EngineChoice(engine, "docker", f"{engine.title} answers via {client}")


def no_engine(pref: str = "auto", explicit: str | None = None) -> EngineChoice:
    return EngineChoice(None, "local", "no container engine answers (test)")


def make_facts(tmp_path: Path, **changes: Any) -> Facts:
    """Facts that touch nothing real unless a test says so: empty PATH, Linux x86_64, no engine,
    no /proc files, a roomy disk, PyPI answering 200."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    base: dict[str, Any] = {
        "environ": {"PATH": str(bin_dir)},
        "system": "Linux",
        "machine": "x86_64",
        "release": "6.1.0-test",
        "read_text": lambda path: None,
        "choose_engine": no_engine,
        "probe_clients": lambda kind, explicit: [],
        "disk_usage": lambda path: (500 * 10**9, 100 * 10**9, 400 * 10**9),
        "http_get": lambda url, timeout, ca: 200,
        "memory_bytes": lambda: 32 * 1024**3,
        "session_ports": lambda engine: {},
        "cwd": tmp_path,
    }
    base.update(changes)
    return Facts(**base)

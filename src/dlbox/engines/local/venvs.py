"""The local engine's environment: a virtual environment made by uv from the committed lock.

The same lock files as the image (torch.txt, then course.txt, hash-checked, no resolution), so a
machine without a container engine runs the same package versions. The venv lives in the user's
data dir under venvs/<lock hash>; it is built in a temporary folder beside it and renamed into
place only when complete, so a crash never leaves a half venv that looks ready, and it is reused
for as long as the lock is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from dlbox import paths, process, uvtool
from dlbox.environment.layout import LAB_OVERRIDES, LAB_SETTINGS_DIR
from dlbox.environment.lockset import (
    LAYERS,
    constraints_text,
    line_locks_root,
    load_lockset,
    normalize_arch,
)
from dlbox.errors import BuildError, DlboxError, ProcessError
from dlbox.gpu.lines import DEFAULT_LINE

PYTHON = "3.11"
FORMAT = "dlbox-local-venv-1"  # bump when the venv layout changes: a new hash, a new venv
MARKER = "dlbox-venv.json"  # written last, inside the temp folder, before the rename
INSTALL_TIMEOUT = 3600.0
UV_TIMEOUT = 120.0
VERSION_PACKAGES = ("fastai", "torch", "torchvision", "jupyterlab")

OnLine = Callable[[str], None]


def host_platform(system: str | None = None, machine: str | None = None) -> str:
    """The lock folder for this host: linux-x86_64, linux-aarch64 or macos-arm64."""
    system = (system or platform.system()).lower()
    machine = machine or platform.machine()
    if system == "linux":
        return f"linux-{normalize_arch(machine)}"
    if system == "darwin":
        if normalize_arch(machine) == "aarch64":
            return "macos-arm64"
        raise DlboxError(
            "dlbox has no locked environment for Intel Macs (PyTorch stopped shipping them).",
            "Use a Linux machine, or Docker on this Mac with `--engine docker`.",
        )
    raise DlboxError(
        f"The local engine does not support {platform.system()} directly.",
        "On Windows, install WSL2 and run dlbox inside it (with Docker Desktop for GPUs).",
    )


def lock_folder(plat: str, line: str = DEFAULT_LINE) -> Path:
    """The lock for this platform on this CUDA line; macOS has no CUDA, so it always uses the
    default line's macos-arm64 lock."""
    if not plat.startswith("linux-"):
        line = DEFAULT_LINE
    return line_locks_root(line) / plat


def find_uv() -> list[str]:
    """How to run uv (argv prefix)."""
    return [uvtool.find_uv("The local engine's Python environment")]


def find_python(uv: Sequence[str]) -> str:
    """A host Python 3.11 if there is one (no download); else let uv provide one."""
    for name in (
        "python3.11",
        "/usr/bin/python3.11",
        "/usr/local/bin/python3.11",
        "/opt/homebrew/bin/python3.11",
    ):
        found = shutil.which(name)
        if found:
            return found
    try:
        done = process.run(
            [*uv, "python", "find", "--system", PYTHON], timeout=UV_TIMEOUT, check=False
        )
    except ProcessError:
        return PYTHON
    found = done.stdout.strip()
    return found if done.returncode == 0 and found else PYTHON


@dataclass(frozen=True)
class VenvPlan:
    """Which venv this lock and these extras give, and where it lives."""

    platform: str
    lock_dir: Path
    lock_hash: str
    path: Path
    extras_pip: tuple[str, ...] = ()
    versions: dict[str, str] = field(default_factory=dict)


def _template(name: str) -> str:
    return (resources.files("dlbox.image") / "templates" / name).read_text()


def _jupyter_defaults() -> dict[str, str]:
    """The image's Jupyter defaults, by path inside the venv: the server config and the lab
    settings overrides (news, update checks, extension manager)."""
    return {
        "etc/jupyter/jupyter_server_config.py": _template("jupyter_server_config.py"),
        f"{LAB_SETTINGS_DIR}/{LAB_OVERRIDES}": _template(LAB_OVERRIDES),
    }


def venvs_dir() -> Path:
    """state_dir()/venvs; DLBOX_VENVS_DIR moves it (tests share one venv across state dirs)."""
    override = os.environ.get("DLBOX_VENVS_DIR")
    return Path(override).expanduser() if override else paths.state_dir() / "venvs"


def plan_venv(
    extras_pip: Sequence[str] = (), plat: str | None = None, line: str = DEFAULT_LINE
) -> VenvPlan:
    plat = plat or host_platform()
    folder = lock_folder(plat, line)
    lockset = load_lockset(plat, folder)
    h = hashlib.sha256(f"{FORMAT}\nplatform={plat}\npython={PYTHON}\n".encode())
    for name, text in lockset.layers:
        h.update(name.encode() + b"\0" + text.encode() + b"\0")
    for rel, text in _jupyter_defaults().items():
        h.update(rel.encode() + b"\0" + text.encode() + b"\0")
    for extra in extras_pip:
        h.update(b"extra\0" + extra.encode() + b"\0")
    lock_hash = h.hexdigest()[:16]
    versions = {name: lockset.version(name) for name in VERSION_PACKAGES}
    return VenvPlan(plat, folder, lock_hash, venvs_dir() / lock_hash, tuple(extras_pip), versions)


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def venv_complete(venv: Path) -> bool:
    """Complete means: the marker is there (written last) and the interpreter link resolves."""
    return (venv / MARKER).is_file() and venv_python(venv).exists()


def read_marker(venv: Path) -> dict[str, object]:
    try:
        data: dict[str, object] = json.loads((venv / MARKER).read_text())
        return data
    except (OSError, ValueError):
        return {}


@dataclass(frozen=True)
class VenvResult:
    path: Path
    lock_hash: str
    reused: bool
    seconds: float
    log_path: Path | None
    versions: dict[str, str]
    python: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "venv": str(self.path),
            "lock_hash": self.lock_hash,
            "reused": self.reused,
            "seconds": round(self.seconds, 2),
            "log_path": str(self.log_path) if self.log_path else None,
            "versions": self.versions,
            "python": self.python,
        }


def _step(
    uv: list[str],
    argv: list[str],
    what: str,
    log: OnLine,
    on_line: OnLine,
    log_path: Path,
    env: dict[str, str],
) -> None:
    on_line(f"[venv] {what}")
    log(f"== {what}")
    tail: list[str] = []

    def collect(line: str) -> None:
        log(line)
        tail.append(line)
        del tail[:-40]
        on_line(line)

    code = process.stream([*uv, *argv], on_line=collect, timeout=INSTALL_TIMEOUT, env=env)
    if code != 0:
        raise _install_error(what, code, tail, log_path)


def _install_error(what: str, code: int, tail: list[str], log_path: Path) -> BuildError:
    text = "\n".join(tail).lower()
    if "hash mismatch" in text or "hashes" in text and "mismatch" in text:
        hint = "A download did not match the lock's hash: clear uv's cache (`uv cache clean`)."
    elif "no space left" in text:
        hint = "The disk is full: free space in your data folder and run `dlbox up` again."
    elif "certificate" in text or "ssl" in text:
        hint = "HTTPS failed: point uv at your proxy's CA (SSL_CERT_FILE=/path/ca.pem)."
    elif "download" in text and "python" in text:
        hint = "uv could not download Python 3.11: install python3.11 on this machine and retry."
    else:
        hint = "Read the full log named below; `dlbox up` retries from scratch (nothing is kept)."
    lines = [ln[:300] for ln in tail[-12:]]
    return BuildError(
        f"Creating the local environment failed at: {what} (exit code {code}).",
        relevant=lines,
        log_path=log_path,
        hint=hint,
    )


def _build(
    plan: VenvPlan, tmp: Path, log: OnLine, on_line: OnLine, log_path: Path, ca_file: Path | None
) -> str:
    """Create the complete venv in tmp (not yet in place). Returns the interpreter used."""
    # A CA bundle dlbox was given or found (a proxy's CA) is what uv must trust for downloads.
    env = {"SSL_CERT_FILE": str(ca_file)} if ca_file else {}
    uv = find_uv()
    python = find_python(uv)
    _step(
        uv,
        [
            "venv",
            "--relocatable",
            "--no-project",
            "--prompt",
            "dlbox",
            "--python",
            python,
            str(tmp),
        ],
        f"creating a Python {PYTHON} venv ({python})",
        log,
        on_line,
        log_path,
        env,
    )
    target = str(venv_python(tmp))
    for n, (name, what) in enumerate(LAYERS, 1):
        _step(
            uv,
            [
                "pip",
                "install",
                "--python",
                target,
                "--no-deps",
                "--require-hashes",
                "--compile-bytecode",
                "-r",
                str(plan.lock_dir / name),
            ],
            f"layer {n}/{len(LAYERS)}: {what}",
            log,
            on_line,
            log_path,
            env,
        )
    if plan.extras_pip:
        # Constrained to the locked environment, as in the image: an extra never moves torch.
        constraints = tmp / "dlbox-constraints.txt"
        constraints.write_text(constraints_text(load_lockset(plan.platform, plan.lock_dir).pins))
        _step(
            uv,
            ["pip", "install", "--python", target, "-c", str(constraints), *plan.extras_pip],
            "your extra packages (dlbox.toml [extras] pip)",
            log,
            on_line,
            log_path,
            env,
        )
    for rel, text in _jupyter_defaults().items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_text(text)
    marker = {
        "format": FORMAT,
        "lock_hash": plan.lock_hash,
        "platform": plan.platform,
        "python": python,
        "versions": plan.versions,
        "extras_pip": list(plan.extras_pip),
        "created": time.time(),
    }
    (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    return python


def ensure_venv(
    extras_pip: Sequence[str] = (),
    on_line: OnLine = lambda _l: None,
    *,
    rebuild: bool = False,
    ca_file: Path | None = None,
    line: str = DEFAULT_LINE,
) -> VenvResult:
    """The venv for the current lock: reused when complete, else built and renamed into place."""
    start = time.monotonic()
    plan = plan_venv(extras_pip, line=line)
    if venv_complete(plan.path) and not rebuild:
        python = str(read_marker(plan.path).get("python", ""))
        return VenvResult(
            plan.path, plan.lock_hash, True, time.monotonic() - start, None, plan.versions, python
        )
    root = venvs_dir()
    root.mkdir(parents=True, exist_ok=True)
    _sweep_stale(root)
    tmp = root / f".tmp-{plan.lock_hash}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    log_path = paths.logs_dir() / f"venv-{plan.lock_hash}-{int(time.time())}.log"
    with open(log_path, "w", encoding="utf-8") as log_file:

        def log(line: str) -> None:
            log_file.write(line + "\n")
            log_file.flush()

        try:
            python = _build(plan, tmp, log, on_line, log_path, ca_file)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    _move_into_place(tmp, plan.path)
    return VenvResult(
        plan.path, plan.lock_hash, False, time.monotonic() - start, log_path, plan.versions, python
    )


def _move_into_place(tmp: Path, final: Path) -> None:
    """Rename the finished venv into place; an incomplete one there is set aside first."""
    if final.exists() and not venv_complete(final):
        aside = final.with_name(f".old-{final.name}-{os.getpid()}")
        final.rename(aside)
        shutil.rmtree(aside, ignore_errors=True)
    try:
        tmp.rename(final)
    except OSError:
        # Another `dlbox up` finished the same venv first: theirs is as good as ours.
        if not venv_complete(final):
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def _sweep_stale(root: Path, older_than: float = 6 * 3600) -> None:
    """Remove temp folders left by crashed builds (old enough that no build still uses them)."""
    now = time.time()
    for entry in root.glob(".*-*"):
        try:
            if entry.is_dir() and now - entry.stat().st_mtime > older_than:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue

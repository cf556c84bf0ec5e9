"""GPU checks: the host's NVIDIA driver (against the locked CUDA) and real probe containers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dlbox.doctor import cuda
from dlbox.doctor.facts import Facts
from dlbox.doctor.model import Finding
from dlbox.engines.base import ProbeOutcome
from dlbox.engines.gpus import MODE_FLAGS, choose_gpu_mode
from dlbox.errors import DlboxError, ProcessError
from dlbox.image.locks import load_lockset, normalize_arch

SMI_TIMEOUT = 20.0
QUERY = ["--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"]
PROC_VERSION = Path("/proc/driver/nvidia/version")
_PROC_DRIVER = re.compile(r"Kernel Module\s+(?:for\s+\S+\s+)?(\d+(?:\.\d+)+)")
TOOLKIT_FIX = (
    "Install the NVIDIA Container Toolkit (nvidia-container-toolkit), run `sudo nvidia-ctk "
    "runtime configure --runtime=docker` and restart Docker (Podman: `sudo nvidia-ctk cdi "
    "generate --output=/etc/cdi/nvidia.yaml`)."
)
CDI_FIX = (
    "The toolkit is in CDI mode: generate the spec with `sudo nvidia-ctk cdi generate "
    "--output=/etc/cdi/nvidia.yaml` (Docker 25+ or Podman use it as --device nvidia.com/gpu=all)."
)
NO_GPU_FIX = (
    "Check the card is installed and enabled (`lspci | grep -i nvidia`; on a cloud VM pick a GPU "
    "instance type); dlbox runs on the CPU meanwhile."
)


@dataclass(frozen=True)
class Gpu:
    name: str
    memory_mib: int | None
    driver: str

    def describe(self) -> str:
        if self.memory_mib is None:
            return self.name
        return f"{self.name} ({self.memory_mib / 1024:.0f} GiB)"


@dataclass(frozen=True)
class DriverInfo:
    state: str  # ok | absent | no-gpu | error | unsupported-platform
    version: str = ""
    gpus: tuple[Gpu, ...] = ()
    message: str = ""
    smi: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "state": self.state,
            "version": self.version,
            "nvidia_smi": self.smi,
            "message": self.message,
            "gpus": [
                {"name": g.name, "memory_mib": g.memory_mib, "driver": g.driver} for g in self.gpus
            ],
        }


def parse_query(text: str) -> tuple[Gpu, ...]:
    """Lines of `nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader`."""
    gpus = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.rsplit(",", 2)]
        if len(parts) != 3 or not parts[0]:
            continue
        mem = re.match(r"(\d+)", parts[1])
        gpus.append(Gpu(parts[0], int(mem.group(1)) if mem else None, parts[2]))
    return tuple(gpus)


def _proc_driver_version(facts: Facts) -> str:
    m = _PROC_DRIVER.search(facts.read_text(PROC_VERSION) or "")
    return m.group(1) if m else ""


def query_driver(facts: Facts) -> DriverInfo:
    if facts.system == "Darwin":
        return DriverInfo("unsupported-platform", message="macOS has no NVIDIA/CUDA driver")
    smi = facts.nvidia_smi()
    if smi is None:
        loaded = _proc_driver_version(facts)
        why = f"a driver {loaded} is loaded but " if loaded else ""
        return DriverInfo("absent", loaded, message=f"{why}nvidia-smi is not on PATH")
    try:
        done = facts.run([smi, *QUERY], SMI_TIMEOUT)
    except ProcessError as exc:
        return DriverInfo("error", message=exc.message, smi=smi)
    output = (done.stdout + "\n" + done.stderr).strip()
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    if done.returncode != 0:
        if "no devices were found" in output.lower():
            return DriverInfo("no-gpu", _proc_driver_version(facts), message=lines[0], smi=smi)
        said = lines[0][:200] if lines else f"exit code {done.returncode}"
        return DriverInfo("error", message=said, smi=smi)
    gpus = parse_query(done.stdout)
    if not gpus:
        return DriverInfo("no-gpu", _proc_driver_version(facts), message="no GPU listed", smi=smi)
    return DriverInfo("ok", gpus[0].driver, gpus, smi=smi)


def driver_info(facts: Facts) -> DriverInfo:
    return facts.once("driver", lambda: query_driver(facts))


def locked(facts: Facts) -> cuda.LockedCuda:
    def compute() -> cuda.LockedCuda:
        arch = normalize_arch(facts.machine)
        return cuda.locked_cuda(load_lockset(arch).pins)

    return facts.once("locked-cuda", compute)


def _rule_details(facts: Facts) -> tuple[dict[str, object], cuda.LockedCuda | None]:
    try:
        lock = locked(facts)
    except DlboxError as exc:
        return {"lock": exc.message}, None
    details: dict[str, object] = {
        "torch": lock.torch,
        "cuda": lock.cuda,
        "cuda_from": lock.source,
        "rule_source": cuda.RULE_SOURCE,
    }
    if lock.major is not None:
        details["rule"] = cuda.rule_text(lock.major, facts.is_wsl)
    return details, lock


def check_driver(facts: Facts) -> Finding:
    info = driver_info(facts)
    details, lock = _rule_details(facts)
    details["driver"] = info.to_dict()
    need = cuda.required_driver(lock.major, facts.is_wsl) if lock and lock.major else None
    need_text = f" (>= {need} for the locked CUDA {lock.cuda} wheels)" if need and lock else ""
    if info.state == "unsupported-platform":
        return Finding(
            "skip",
            "macOS: no NVIDIA driver (Docker on a Mac has no GPU)",
            "Use `dlbox up --engine local` for Apple's Metal GPU (PyTorch MPS).",
            details,
        )
    if info.state == "absent":
        return Finding(
            "warn",
            f"no NVIDIA GPU found ({info.message}): dlbox will run on the CPU",
            f"With an NVIDIA GPU, install its driver{need_text}; without one, nothing to do.",
            details,
        )
    if info.state == "no-gpu":
        version = f" {info.version}" if info.version else ""
        return Finding(
            "warn",
            f"driver present{version} but no GPU ({info.message})",
            NO_GPU_FIX,
            details,
        )
    if info.state == "error":
        low = info.message.lower()
        fix = (
            "The driver was updated but the old kernel module is still loaded: reboot."
            if "mismatch" in low
            else "Reinstall or reload the NVIDIA driver (reboot after installing) until "
            "`nvidia-smi` works."
        )
        return Finding("fail", f"nvidia-smi failed: {info.message}", fix, details)
    gpus = ", ".join(g.describe() for g in info.gpus)
    found = f"driver {info.version}, {len(info.gpus)} GPU(s): {gpus}"
    if lock is None or lock.major is None:
        return Finding("ok", f"{found}; the locked torch has no CUDA to check", "", details)
    supported = cuda.driver_supports(info.version, lock.major, facts.is_wsl)
    rule = cuda.rule_text(lock.major, facts.is_wsl)
    if supported is None:
        return Finding("warn", f"{found}; {rule}", "Check NVIDIA's release notes.", details)
    if not supported:
        return Finding(
            "fail",
            f"driver {info.version} is too old for torch {lock.torch} (CUDA {lock.cuda}): {rule}",
            f"Update the NVIDIA driver to {need} or newer (e.g. `sudo ubuntu-drivers install`, or "
            "your distribution's nvidia-driver package), then reboot.",
            details,
        )
    return Finding("ok", f"{found}; meets {rule.split(' on ')[0]}", "", details)


# -- probe containers ------------------------------------------------------------------------------
def probe_image(facts: Facts) -> str | None:
    """A local image to probe with (never pulled): the dlbox image if present, else the base."""
    engine = facts.engine()
    if engine is None:
        return None
    if facts.current_image_present():
        return facts.current_tag()
    try:
        base = str(facts.settings()["base_image"])
    except DlboxError:
        base = "debian:bookworm-slim"
    return base if engine.image_exists(base) else None


def _outcome_dict(o: ProbeOutcome) -> dict[str, object]:
    return {
        "mode": o.mode,
        "flag": MODE_FLAGS.get(o.mode, o.mode),
        "ok": o.ok,
        "gpus": list(o.gpus),
        "message": o.message,
    }


def _no_mode_works(
    driver: DriverInfo, by_mode: dict[str, str], details: dict[str, object]
) -> Finding:
    said = "; ".join(f"{mode}: {msg}" for mode, msg in by_mode.items())
    if driver.state in ("absent", "unsupported-platform"):
        return Finding(
            "warn",
            "no GPU found: the host has no NVIDIA driver, so containers run on the CPU",
            "Nothing to do without an NVIDIA GPU; with one, install its driver, then the "
            "NVIDIA Container Toolkit.",
            details,
        )
    if driver.state == "no-gpu":
        return Finding(
            "warn", "driver present but no GPU: nothing for containers to use", NO_GPU_FIX, details
        )
    if driver.state == "error":
        return Finding(
            "fail",
            f"no container sees a GPU: the host driver fails ({driver.message})",
            "Fix the driver first (see the driver check), then rerun `dlbox doctor`.",
            details,
        )
    count = f"the host sees {len(driver.gpus)} GPU(s)"
    gpus_msg = by_mode.get("gpus", "").lower()
    cdi_msg = by_mode.get("cdi", "").lower()
    if "cdi mode" in gpus_msg:
        return Finding(
            "fail",
            f"{count}, but the NVIDIA runtime is in CDI mode and refuses --gpus; CDI devices "
            f"fail too ({by_mode.get('cdi', '')})",
            CDI_FIX,
            details,
        )
    if "not installed" in gpus_msg:
        return Finding(
            "fail",
            f"NVIDIA Container Toolkit missing: {count} but the engine cannot pass them ({said})",
            TOOLKIT_FIX,
            details,
        )
    if all("saw no gpu" in m.lower() for m in by_mode.values()):
        return Finding(
            "fail",
            f"{count}, but probe containers start and see none",
            "Check NVIDIA_VISIBLE_DEVICES and /etc/nvidia-container-runtime/config.toml, then try "
            "`docker run --rm --gpus all debian:bookworm-slim nvidia-smi -L`.",
            details,
        )
    fix = CDI_FIX if "cdi spec" in cdi_msg else TOOLKIT_FIX
    return Finding("fail", f"{count}, but no GPU mode works ({said})", fix, details)


def check_gpu_container(facts: Facts) -> Finding:
    if facts.system == "Darwin":
        return Finding(
            "skip",
            "Docker on macOS cannot give containers a GPU",
            "Use `dlbox up --engine local` for Apple's Metal GPU (PyTorch MPS).",
        )
    engine = facts.engine()
    if engine is None:
        return Finding(
            "skip", "no container engine to probe with", "See the engine check's fix."
        )
    image = probe_image(facts)
    if image is None:
        return Finding(
            "skip",
            "no local image to probe with (neither the dlbox image nor the base image is present)",
            "Run `docker pull debian:bookworm-slim` (or `dlbox build`), then rerun `dlbox doctor`.",
        )
    outcomes = engine.probe_gpus(image)
    driver = driver_info(facts)
    details: dict[str, object] = {
        "image": image,
        "driver_state": driver.state,
        "modes": [_outcome_dict(o) for o in outcomes],
    }
    working = choose_gpu_mode(outcomes)
    if working is not None:
        details["mode"] = working.mode
        more = f" (+{len(working.gpus) - 1} more)" if len(working.gpus) > 1 else ""
        return Finding(
            "ok",
            f"containers see the GPU through {MODE_FLAGS[working.mode]}: {working.gpus[0]}{more}",
            "",
            details,
        )
    return _no_mode_works(driver, {o.mode: o.message for o in outcomes}, details)

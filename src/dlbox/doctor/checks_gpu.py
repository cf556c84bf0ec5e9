"""GPU checks: the host's NVIDIA driver (against the locked CUDA) and real probe containers."""

from __future__ import annotations

from dlbox.doctor import cuda
from dlbox.doctor.facts import Facts
from dlbox.doctor.model import Finding
from dlbox.engines.base import ProbeOutcome
from dlbox.engines.gpus import MODE_FLAGS, choose_gpu_mode
from dlbox.environment.lockset import load_lockset, normalize_arch
from dlbox.errors import DlboxError
from dlbox.gpu.choice import host_gpu_facts
from dlbox.gpu.driver import DriverInfo, Gpu, parse_query, read_driver
from dlbox.gpu.lines import LineChoice, choose_line
from dlbox.launch.gpu_probe import probe_gpus
from dlbox.launch.gpu_select import REPROBE

__all__ = ["DriverInfo", "Gpu", "check_driver", "check_gpu_container", "parse_query"]

TOOLKIT_FIX = (
    "Install the NVIDIA Container Toolkit (nvidia-container-toolkit), run `sudo nvidia-ctk "
    "runtime configure --runtime=docker` and restart Docker (Podman: `sudo nvidia-ctk cdi "
    "generate --output=/etc/cdi/nvidia.yaml`). Without the toolkit: `sudo dlbox gpu cdi "
    "--write` writes a CDI spec that Podman (and Docker 25+ with CDI on) use."
)
CDI_FIX = (
    "The toolkit is in CDI mode: generate the spec with `sudo nvidia-ctk cdi generate "
    "--output=/etc/cdi/nvidia.yaml` (Docker 25+ or Podman use it as --device nvidia.com/gpu=all); "
    "without the toolkit, `sudo dlbox gpu cdi --write` writes one."
)
NO_GPU_FIX = (
    "Check the card is installed and enabled (`lspci | grep -i nvidia`; on a cloud VM pick a GPU "
    "instance type); dlbox runs on the CPU meanwhile."
)


def query_driver(facts: Facts) -> DriverInfo:
    """The same reader `up` uses (dlbox.gpu.driver), through the doctor's fakeable seams."""
    return read_driver(
        system=facts.system, smi=facts.nvidia_smi(), run=facts.run, read_text=facts.read_text
    )


def driver_info(facts: Facts) -> DriverInfo:
    return facts.once("driver", lambda: query_driver(facts))


def line_choice(facts: Facts) -> LineChoice:
    """The CUDA line `up` would use here: the same choice (dlbox.gpu.lines), from this driver."""

    def compute() -> LineChoice:
        info = driver_info(facts)
        host = host_gpu_facts(info, facts.system, facts.machine, facts.is_wsl)
        try:
            cfg = facts.settings()
            requested, source = str(cfg["cuda"]), cfg.source("cuda")
        except DlboxError:
            requested, source = "auto", "default"
        return choose_line(requested, source, host)

    return facts.once("cuda-line", compute)


def locked(facts: Facts) -> cuda.LockedCuda:
    def compute() -> cuda.LockedCuda:
        arch = normalize_arch(facts.machine)
        return cuda.locked_cuda(load_lockset(arch, line=line_choice(facts).line).pins)

    return facts.once("locked-cuda", compute)


def _rule_details(facts: Facts) -> tuple[dict[str, object], cuda.LockedCuda | None]:
    choice = line_choice(facts)
    try:
        lock = locked(facts)
    except DlboxError as exc:
        return {"lock": exc.message, "cuda_line": choice.to_dict()}, None
    details: dict[str, object] = {
        "cuda_line": choice.to_dict(),
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
    win = facts.is_wsl
    need_text = (
        f" (>= {cuda.required_driver(12, win)} for the CUDA 12 line, "
        f">= {cuda.required_driver(13, win)} for CUDA 13; dlbox picks the line from it)"
    )
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
    choice = line_choice(facts)
    if lock is None or lock.major is None:
        why = choice.warning or "the locked torch has no CUDA to check"
        return Finding("warn" if choice.warning else "ok", f"{found}; {why}", "", details)
    line = f"CUDA {choice.line} line (torch {lock.torch}, CUDA {lock.cuda}, {choice.reason})"
    supported = cuda.driver_supports(info.version, lock.major, facts.is_wsl)
    rule = cuda.rule_text(lock.major, facts.is_wsl)
    if supported is None:
        return Finding("warn", f"{found}; {rule}", "Check NVIDIA's release notes.", details)
    if not supported:
        if choice.requested != "auto":
            fix = (
                f"Let dlbox pick the line for this driver: drop --cuda {choice.requested} (or "
                f"`dlbox config set cuda auto`; it was set by {choice.source}), or update the "
                f"NVIDIA driver to {need} or newer."
            )
        else:
            fix = (
                f"Update the NVIDIA driver to {cuda.required_driver(12, facts.is_wsl)} or newer "
                f"(the CUDA 12 line; {cuda.required_driver(13, facts.is_wsl)}+ for CUDA 13), "
                "e.g. `sudo ubuntu-drivers install` or your distribution's nvidia-driver "
                "package, then reboot."
            )
        return Finding(
            "fail",
            f"driver {info.version} is too old for torch {lock.torch} (CUDA {lock.cuda}): {rule}",
            fix,
            details,
        )
    return Finding(
        "warn" if choice.warning else "ok",
        f"{found}; {line}; meets {rule.split(' on ')[0]}",
        choice.warning or "",
        details,
    )


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
        return Finding("skip", "no container engine to probe with", "See the engine check's fix.")
    image = probe_image(facts)
    if image is None:
        return Finding(
            "skip",
            "no local image to probe with (neither the dlbox image nor the base image is present)",
            "Run `docker pull debian:bookworm-slim` (or `dlbox build`), then rerun `dlbox doctor`.",
        )
    driver = driver_info(facts)
    # The same probe `up` uses, always fresh here; its answer replaces the cached one, so `up`
    # after `doctor` sees exactly what `doctor` saw.
    outcomes = probe_gpus(engine, image, refresh=True, driver=driver) or []
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
    found = _no_mode_works(driver, {o.mode: o.message for o in outcomes}, details)
    if found.status in ("fail", "warn"):
        more = f" After a fix, `dlbox up {REPROBE}` (or `dlbox doctor`) probes again."
        found = Finding(found.status, found.finding, found.fix + more, found.details)
    return found

"""Run the doctor's checks concurrently, each under its own time limit. A check that raises or
runs out of time becomes a `fail` with the reason; the doctor itself never crashes."""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from dlbox import __version__
from dlbox.doctor import (
    checks_cdi,
    checks_engine,
    checks_gpu,
    checks_host,
    checks_hub,
    checks_network,
)
from dlbox.doctor.facts import Facts
from dlbox.doctor.model import Check, CheckResult, DoctorReport, Finding
from dlbox.errors import DlboxError

CHECKS: tuple[Check, ...] = (
    Check("platform", "Platform", checks_host.check_platform, 10),
    Check("config", "Configuration", checks_host.check_config, 10),
    Check("folders", "Code and data folders", checks_host.check_folders, 10),
    Check("engine", "Container engine", checks_engine.check_engine, 60),
    Check("buildkit", "BuildKit", checks_engine.check_buildkit, 60),
    Check("image", "Environment image", checks_engine.check_image, 90),
    Check("hub", "JupyterHub versions (dlbox hub)", checks_hub.check_hub, 90),
    Check("driver", "NVIDIA driver", checks_gpu.check_driver, 30),
    Check("gpu-container", "GPU in containers", checks_gpu.check_gpu_container, 240),
    Check("cdi", "CDI spec for NVIDIA GPUs", checks_cdi.check_cdi, 30),
    Check("shm", "Shared memory (/dev/shm)", checks_host.check_shm, 10),
    Check("disk-images", "Disk: engine image store", checks_engine.check_disk_images, 90),
    Check("disk-data", "Disk: data folder", checks_host.check_disk_data, 20),
    Check("port", "Jupyter port", checks_host.check_port, 20),
    Check("proxy", "Proxy variables", checks_network.check_proxy, 5),
    Check("ca-bundle", "CA bundle for builds", checks_network.check_ca_bundle, 60),
    Check("pypi", "PyPI reachable", checks_network.check_pypi, 90),
)
CHECK_IDS = tuple(c.id for c in CHECKS)


def _crashed(exc: BaseException) -> Finding:
    if isinstance(exc, DlboxError):
        return Finding("fail", f"check failed: {exc.message}", exc.hint or "")
    return Finding(
        "fail",
        f"check crashed: {type(exc).__name__}: {exc}",
        "Please report this with `dlbox doctor --json` output.",
    )


def _timed(check: Check, facts: Facts) -> tuple[Finding, float]:
    start = time.monotonic()
    try:
        finding = check.run(facts)
    except Exception as exc:  # a check never takes the doctor down
        finding = _crashed(exc)
    return finding, time.monotonic() - start


def run_checks(facts: Facts, checks: Sequence[Check] = CHECKS) -> list[CheckResult]:
    """All checks at once; results in the order given."""
    start = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=max(1, len(checks)), thread_name_prefix="doctor")
    futures: list[Future[tuple[Finding, float]]] = [
        pool.submit(_timed, check, facts) for check in checks
    ]
    results: list[CheckResult] = []
    try:
        for check, future in zip(checks, futures, strict=True):
            left = max(0.0, start + check.timeout - time.monotonic())
            try:
                finding, seconds = future.result(timeout=left)
            except FutureTimeout:
                finding = Finding(
                    "fail",
                    f"no answer within {check.timeout:.0f} s (timed out)",
                    "Something hangs: run the command this check names by hand, or rerun "
                    "`dlbox doctor`.",
                )
                seconds = time.monotonic() - start
            results.append(
                CheckResult(
                    check.id,
                    check.title,
                    finding.status,
                    finding.finding,
                    finding.fix,
                    seconds,
                    finding.details,
                )
            )
    finally:
        # Do not wait for a check that timed out; its subprocesses have their own limits.
        pool.shutdown(wait=False, cancel_futures=True)
    return results


def platform_info(facts: Facts) -> dict[str, object]:
    return {
        "system": facts.system,
        "release": facts.release,
        "machine": facts.machine,
        "python": platform.python_version(),
        "executable": sys.executable,
        "wsl": facts.is_wsl,
    }


def run_doctor(facts: Facts | None = None, checks: Sequence[Check] = CHECKS) -> DoctorReport:
    facts = facts or Facts()
    start = time.monotonic()
    results = run_checks(facts, checks)
    return DoctorReport(tuple(results), __version__, platform_info(facts), time.monotonic() - start)

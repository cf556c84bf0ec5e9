"""`dlbox doctor` at 80 columns: one line per passing check, problems last with their fix."""

from __future__ import annotations

from dlbox.cli.doctor_view import report_lines
from dlbox.doctor import CheckResult, DoctorReport
from tests.unit.cli.snapshot import fits, matches_snapshot

LONG = (
    "rootful Docker 27.3.1 answers via /usr/bin/docker (chosen over /usr/local/bin/docker: "
    "that client has no BuildKit) (client 27.3.1, as root)"
)


def check(title: str, status: str, finding: str, fix: str = "") -> CheckResult:
    return CheckResult(title.lower(), title, status, finding, fix, 0.01)  # type: ignore[arg-type]


def report() -> DoctorReport:
    checks = [
        check("Platform", "ok", "Linux 6.8.0 (x86_64)"),
        check("Container engine", "ok", LONG),
        check(
            "NVIDIA driver",
            "warn",
            "driver 550.54 is older than the CUDA 13 line needs (580)",
            "Update the driver (`sudo apt-get install nvidia-driver-580`) or use --cuda 12.",
        ),
        check("Shared memory (/dev/shm)", "ok", "`up` gives containers 8 GiB"),
        check(
            "Jupyter port",
            "fail",
            "port 8888 on 127.0.0.1 is taken by a host Jupyter (pid 4242)",
            "Stop it (`jupyter server stop 8888`) or pass `--port 8890`.",
        ),
        check("PyPI reachable", "skip", "offline", "Check the proxy settings."),
    ]
    return DoctorReport(tuple(checks), "0.1.0", {}, 1.25)


def test_doctor_fits_80_columns_problems_last() -> None:
    lines = report_lines(report(), fix_hints=False, width=80)
    text = "\n".join(lines) + "\n"
    fits(text)
    checks = [ln for ln in lines if ln[:2] in ("✓ ", "- ")]
    assert len(checks) == 4  # one line each, however long the finding
    assert lines[-1] == "3 ok, 1 warn, 1 fail, 1 skip in 1.2 s"
    assert text.index("✗ Jupyter port") > text.index("- PyPI reachable")  # problems after passes
    assert text.index("✗ Jupyter port") < text.index("! NVIDIA driver")  # failures first
    assert "  Fix: Stop it (`jupyter server stop 8888`) or pass `--port 8890`." in lines
    matches_snapshot("doctor-80", text)


def test_fix_hints_adds_the_fix_of_passing_checks() -> None:
    text = "\n".join(report_lines(report(), fix_hints=True, width=80))
    assert "Fix: Check the proxy settings." in text

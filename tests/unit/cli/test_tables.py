"""Tables at 80 columns: `data list` (with the fastai names) and `config show` (with the engine
in effect, as the README says)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.cli.snapshot import fits, matches_snapshot, run_dlbox


def test_data_list_fits_80_columns_with_fastai_names(tmp_path: Path) -> None:
    done = run_dlbox("data", "list", "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 0, done.stderr
    fits(done.stdout)
    assert any(line.split()[:2] == ["oxford-iiit-pet", "PETS"] for line in done.stdout.splitlines())
    assert any(
        line.split()[:2] == ["mnist_sample", "MNIST_SAMPLE"] for line in done.stdout.splitlines()
    )
    matches_snapshot("data-list", done.stdout)


def test_config_show_says_the_engine_in_effect(tmp_path: Path) -> None:
    done = run_dlbox("config", "show", env={"DLBOX_ENGINE": "local"})
    assert done.returncode == 0, done.stderr
    assert "engine in effect: local (asked for the local engine" in done.stderr
    doc = json.loads(run_dlbox("config", "show", "--json", env={"DLBOX_ENGINE": "local"}).stdout)
    assert doc["engine_in_effect"]["engine"] == "local"


def test_a_long_command_prints_as_copyable_lines() -> None:
    from dlbox.cli.help_text import shell_lines

    argv = ["docker", "run", "--detach", "--name", "s1", "--env", "A=b c", "--init"]
    argv += ["--mount", "type=bind,source=/x,target=/code", "dlbox-env:1", "lab", "--allow-root"]
    lines = shell_lines(argv, cols=40)
    assert lines == [
        "docker run \\",
        "    --detach \\",
        "    --name s1 \\",
        "    --env 'A=b c' \\",
        "    --init \\",
        "    --mount type=bind,source=/x,target=/code \\",
        "    dlbox-env:1 lab --allow-root",
    ]
    assert shell_lines(["docker", "ps"], cols=40) == ["docker ps"]


def test_clean_plan_fits_80_columns_with_paths_whole() -> None:
    from dlbox.cli.clean_cmd import human_size, plan_lines
    from dlbox.usecases.clean import CleanPlan, Removable

    long_path = "/home/student/.local/share/dlbox/logs/build-c3ce303d472a490c-1796188740.log"
    venv = "/home/student/.local/share/dlbox/venvs/0123456789abcdef"
    plan = CleanPlan(
        [
            Removable("image", "dlbox-env:85e023e91", 6_900_000_000, "older environment image"),
            Removable("venv", venv, 5_800_000_000, "venv of an older lock"),
            Removable("cache", long_path, 36_100, "log"),
        ]
    )
    lines = plan_lines(plan, width=80)
    text = "\n".join(lines) + "\n"
    fits(text)
    assert any(long_path in line for line in lines)  # a path is never cut
    assert human_size(plan.total) == "12.7 GB"
    matches_snapshot("clean-plan", text)


def test_progress_messages_print_brackets_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    """Use cases report plain text; Rich markup must not eat `[extras]` or a bracketed path."""
    from dlbox.cli.progress import ConsoleReporter

    reporter = ConsoleReporter()
    reporter.info("added to [extras] in /tmp/[x]/dlbox.toml")
    reporter.warn("[bold]not markup[/bold]")
    err = capsys.readouterr().err
    assert "added to [extras] in /tmp/[x]/dlbox.toml" in err
    assert "[bold]not markup[/bold]" in err


def test_config_show_is_one_line_per_setting_within_80_columns(tmp_path: Path) -> None:
    (tmp_path / "dlbox.toml").write_text('port = 8890\ncourse = "course22"\n')
    done = subprocess.run(
        [sys.executable, "-m", "dlbox", "config", "show"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "80", "DLBOX_ENGINE": "local"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    fits(done.stdout)
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["KEY", "VALUE", "SOURCE"]
    assert next(ln for ln in lines if ln.startswith("port ")).split() == ["port", "8890", "project"]
    assert f"project file: {tmp_path / 'dlbox.toml'}" in done.stderr


def test_the_local_engines_env_command_prints_one_variable_a_line() -> None:
    from dlbox.cli.help_text import shell_lines

    venv = "/home/me/.local/share/dlbox/venvs/e8e2689a46c8c856"
    argv = ["/usr/bin/env", "-u", "PYTHONPATH", f"VIRTUAL_ENV={venv}", "DLBOX_PORT=8888"]
    argv += [f"{venv}/bin/python", "-m", "jupyter", "lab", "--ip=127.0.0.1", "--port=8888"]
    argv += ["--ServerApp.root_dir=/home/me/dlbox/code", "--no-browser", "--allow-root"]
    lines = shell_lines(argv, cols=80)
    fits("\n".join(lines))
    assert lines[:4] == [
        "/usr/bin/env \\",
        "    -u PYTHONPATH \\",
        f"    VIRTUAL_ENV={venv} \\",
        "    DLBOX_PORT=8888 \\",
    ]
    assert lines[-1] == "    --allow-root"  # a tail too long for one line: an option a line

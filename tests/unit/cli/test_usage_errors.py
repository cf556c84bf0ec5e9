"""Usage errors read like dlbox's own: `error:` and `Fix:`, exit 2, did-you-mean, JSON on
request, and a wrong command word or flag never runs anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlbox.cli.usage_errors import suggest
from tests.unit.cli.snapshot import matches_snapshot, run_dlbox

CASES = {
    "misspelled-command": ["stat"],
    "misspelled-subcommand": ["data", "lsit"],
    "misspelled-option": ["up", "--prot", "9000"],
    "run-flag-before-dashes": ["run", "--json", "--", "true"],
    "run-command-without-dashes": ["run", "python", "-c", "1"],
    "bad-int": ["logs", "--tail", "many"],
    "missing-argument": ["config", "set"],
}


@pytest.mark.parametrize("name", CASES)
def test_usage_error_snapshot(name: str) -> None:
    done = run_dlbox(*CASES[name])
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: ") and "\nFix: " in done.stderr
    assert "Traceback" not in done.stderr and "╭" not in done.stderr
    matches_snapshot(f"error-{name}", done.stderr)


def test_usage_error_as_json() -> None:
    done = run_dlbox("ps", "--json", "--prot")
    assert done.returncode == 2
    doc = json.loads(done.stdout)
    assert doc["ok"] is False and doc["error"] == "UsageError" and "--prot" in doc["message"]


def test_no_command_prints_help_and_exits_2() -> None:
    done = run_dlbox()
    assert done.returncode == 2 and done.stdout.startswith("A reproducible")


@pytest.mark.parametrize(
    ("word", "names", "expected"),
    [
        ("stat", ["up", "ps", "stop"], ["ps"]),  # a start of `status`
        ("stpo", ["up", "ps", "stop"], ["stop"]),
        ("verfy", ["verify", "data"], ["verify"]),
        ("zzz", ["up", "ps"], []),
        ("--prot", ["--port", "--host", "--name"], ["--port"]),
    ],
)
def test_suggest(word: str, names: list[str], expected: list[str]) -> None:
    synonyms = {"status": "ps"}
    assert suggest(word, names, synonyms, limit=1) == expected


def test_misspelt_flag_value_suggests_the_value_not_a_config_change() -> None:
    done = run_dlbox("up", "--engine", "dockr", "--dry-run")
    assert done.returncode == 2
    assert "Fix: Did you mean docker? Then pass --engine docker." in done.stderr
    assert "config set" not in done.stderr


def test_config_set_bad_choice_lists_the_choices_once_and_writes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    done = run_dlbox("config", "set", "engine", "podmn", env={"DLBOX_CONFIG_FILE": str(config)})
    assert done.returncode == 2
    assert done.stderr.count("docker") == 1, done.stderr
    assert "Did you mean podman? Then `dlbox config set engine podman`." in done.stderr
    assert not config.exists()
    matches_snapshot("error-config-set-choice", done.stderr)


def test_data_rm_with_a_mistyped_data_dir_creates_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "dtaa" / "deep"
    done = run_dlbox("data", "rm", "dogscats", "--data-dir", str(typo))
    assert done.returncode == 1 and "does not exist: nothing to remove" in done.stderr
    assert not (tmp_path / "dtaa").exists()


def test_errors_on_a_terminal_wrap_at_spaces_keeping_words_and_indents() -> None:
    from dlbox.cli.console import fit

    keys = ", ".join(f"hub_setting_{i}" for i in range(12))
    text = f"error: Unknown setting 'x'.\nIt said:\n  {keys}\nFix: see /a/very/long/{'x' * 90}"
    lines = fit(text, 80).splitlines()
    assert all(len(line) <= 80 for line in lines if "xxxx" not in line)
    assert lines[0] == "error: Unknown setting 'x'."
    assert all(line.startswith("  hub_setting_") for line in lines[2:4])  # the indent kept
    assert " ".join(" ".join(lines).split()) == " ".join(text.split())  # no word cut or lost
    assert f"/a/very/long/{'x' * 90}" in lines[-1]  # a path longer than the line stays whole

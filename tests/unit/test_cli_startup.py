"""CLI start-up: `dlbox --version` loads no CLI framework, `dlbox --help` and `dlbox CMD` load
only what they need, and the command table agrees with what the modules register."""

from __future__ import annotations

import json
import subprocess
import sys

import typer
from typer.testing import CliRunner

from dlbox.cli.app import build_app
from dlbox.cli.commands import BY_NAME, COMMANDS, command_word

HEAVY = ("typer", "click", "rich", "httpx", "jinja2", "platformdirs")


def loaded_modules(*argv: str) -> set[str]:
    """The modules that `dlbox ARGV...` has imported when it exits, run in a fresh interpreter."""
    code = (
        "import atexit, json, sys\n"
        "dump = lambda: sys.__stderr__.write('MODULES=' + json.dumps(sorted(sys.modules)))\n"
        "atexit.register(dump)\n"
        f"sys.argv = ['dlbox', *{list(argv)!r}]\n"
        "from dlbox.cli.entry import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


def test_version_loads_no_cli_framework() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dlbox", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("dlbox ")
    modules = loaded_modules("--version")
    assert not {m.split(".")[0] for m in modules} & set(HEAVY)


def test_help_loads_no_cli_framework() -> None:
    modules = loaded_modules("--help")
    assert not [m for m in modules if m.startswith("dlbox.cli.") and m.endswith("_cmd")]
    assert not {m.split(".")[0] for m in modules} & set(HEAVY)


def test_ps_loads_no_cli_framework_and_no_engine_without_sessions() -> None:
    modules = loaded_modules("ps")
    assert not {m.split(".")[0] for m in modules} & {"typer", "click", "rich", "httpx", "jinja2"}
    assert not [m for m in modules if m.startswith(("dlbox.engines", "dlbox.config"))]
    assert "subprocess" not in modules and "http.client" not in modules


def test_ps_parses_its_flags_and_leaves_the_rest_to_typer() -> None:
    from dlbox.cli.ps_fast import parse

    assert parse([]) == (False, None, False)
    assert parse(["--json", "--show-token"]) == (True, None, True)
    assert parse(["--engine", "local"]) == (False, "local", False)
    assert parse(["--engine=podman", "--json"]) == (False, "podman", True)
    for other in (["--help"], ["-h"], ["--engine"], ["--engine", "--json"], ["x"], ["--jso"]):
        assert parse(other) is None, other


def test_ps_prints_the_same_with_and_without_typer() -> None:
    fast = subprocess.run(
        [sys.executable, "-m", "dlbox", "ps", "--engine", "nope", "--json"],
        capture_output=True,
        text=True,
    )
    slow = CliRunner().invoke(build_app(["sessions_cmd"]), ["ps", "--engine", "nope", "--json"])
    assert fast.returncode == slow.exit_code == 2
    assert json.loads(fast.stdout) == json.loads(slow.stdout)
    assert json.loads(fast.stdout)["error"] == "ConfigError"
    empty = subprocess.run([sys.executable, "-m", "dlbox", "ps"], capture_output=True, text=True)
    assert empty.returncode == 0 and empty.stdout == ""
    assert empty.stderr == "no dlbox sessions (start one with `dlbox up`)\n"


def test_help_lists_every_command_in_80_columns() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dlbox", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("A reproducible")
    assert "Usage: dlbox [OPTIONS] COMMAND" in done.stdout
    for command in COMMANDS:
        assert f"  {command.name} " in done.stdout and command.help in done.stdout
    main = [line.split()[0] for line in done.stdout.split("Commands:\n")[1].splitlines()[:6]]
    assert main == ["up", "ps", "stop", "verify", "data", "doctor"]
    assert done.stdout.index("Commands:") < done.stdout.index("Maintainer commands:")
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    bare = subprocess.run([sys.executable, "-m", "dlbox"], capture_output=True, text=True)
    assert bare.returncode == 2 and bare.stdout == done.stdout


def test_a_command_loads_only_its_module() -> None:
    modules = loaded_modules("ps", "--help")
    assert "dlbox.cli.sessions_cmd" in modules
    others = {f"dlbox.cli.{m}" for m in ("build_cmd", "doctor_cmd", "extend_cmd", "course_cmd")}
    assert not others & modules


def test_table_matches_registrations() -> None:
    for module in {c.module for c in COMMANDS}:
        app = build_app([module])
        real = {
            i.name or i.callback.__name__.replace("_", "-")
            for i in app.registered_commands
            if i.callback.__name__ != "placeholder"
        }
        real |= {g.name for g in app.registered_groups}
        table = {c.name for c in COMMANDS if c.module == module}
        assert real == table, (
            f"dlbox.cli.{module} registers {sorted(real)}, the table says {sorted(table)}: "
            "every command needs its line in dlbox/cli/commands.py COMMANDS"
        )


def test_help_lists_the_same_with_and_without_modules() -> None:
    runner = CliRunner()
    full = runner.invoke(build_app(), ["--help"], env={"COLUMNS": "100"}).output
    lazy = runner.invoke(build_app([]), ["--help"], env={"COLUMNS": "100"}).output
    assert full == lazy
    for command in COMMANDS:
        assert command.name in lazy and command.help in lazy


def test_command_word() -> None:
    assert command_word(["--json", "ps"]) == "ps"
    assert command_word(["-h"]) is None
    assert command_word(["--", "ps"]) is None
    assert BY_NAME["ps"].module == "sessions_cmd"
    assert isinstance(build_app([]), typer.Typer)

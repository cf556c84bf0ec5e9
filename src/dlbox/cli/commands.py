"""The table of dlbox's commands: name, the module that defines it, its one-line help and its
group in `dlbox --help`. Plain data with no imports, so that `dlbox --help` and `dlbox CMD` load
only what they need (a test checks that the table and the modules' registrations agree)."""

from __future__ import annotations

from typing import NamedTuple

MAIN = "Commands"
SESSION = "Session commands"
SETUP = "Set-up commands"
MAINTAINER = "Maintainer commands"
MORE = SETUP  # the group for a command that names none


# To add a command: write cli/<thing>_cmd.py with register(app), then add its line here.


class Command(NamedTuple):
    name: str
    module: str  # dlbox.cli.<module>, whose register(app) defines the command
    help: str  # the line shown in `dlbox --help`: one line, no full stop, as uv's
    panel: str = MAIN


COMMANDS: tuple[Command, ...] = (
    Command("up", "up_cmd", "Start Jupyter in the environment and print its URL"),
    Command("ps", "sessions_cmd", "List running sessions of every engine, with their URLs"),
    Command("stop", "sessions_cmd", "Stop sessions (your notebooks and data stay)"),
    Command("verify", "verify_cmd", "Run the lesson notebooks headless and report what passed"),
    Command("data", "data_cmd", "Download, check and remove datasets"),
    Command("doctor", "doctor_cmd", "Check engine, GPU, driver, shm, disk and ports, with fixes"),
    Command("logs", "sessions_cmd", "Show a session's Jupyter log", SESSION),
    Command("shell", "sessions_cmd", "Open a shell in the running environment, as you", SESSION),
    Command("run", "up_cmd", "Run a one-off command in the environment", SESSION),
    Command("init", "config_cmd", "Choose code and data folders, course, GPUs and port", SETUP),
    Command("config", "config_cmd", "Show and change settings", SETUP),
    Command("course", "course_cmd", "Get and update course notebooks in the code folder", SETUP),
    Command("hub", "hub_cmd", "JupyterHub for a class or team; Kubernetes values file", SETUP),
    Command("gpu", "gpu_cmd", "GPU helpers: a CDI spec for GPUs without the toolkit", SETUP),
    Command("clean", "clean_cmd", "Remove old environment images, unused venvs and caches", SETUP),
    Command("completion", "completion_cmd", "Print the shell completion script", SETUP),
    Command("add", "extend_cmd", "Add packages to the project's environment", SETUP),
    Command("remove", "extend_cmd", "Remove packages from the project's environment", SETUP),
    Command(
        "build", "build_cmd", "Build the environment image (a no-op when it exists)", MAINTAINER
    ),
    Command("lock", "build_cmd", "Resolve the environment again into the lock files", MAINTAINER),
    Command("export", "extend_cmd", "Write a standalone Dockerfile and locks", MAINTAINER),
)

# Words people type for a command dlbox names differently (`dlbox status` -> did you mean ps?).
SYNONYMS = {
    "status": "ps",
    "list": "ps",
    "ls": "ps",
    "start": "up",
    "launch": "up",
    "down": "stop",
    "kill": "stop",
    "halt": "stop",
    "check": "doctor",
    "test": "verify",
    "prune": "clean",
    "gc": "clean",
    "exec": "run",
    "attach": "shell",
    "log": "logs",
    "setup": "init",
    "datasets": "data",
    "download": "data",
    "settings": "config",
}

BY_NAME = {c.name: c for c in COMMANDS}


def command_word(argv: list[str]) -> str | None:
    """The command named on the command line (the first word that is not an option), if any."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def render_help(version: str) -> str:
    """`dlbox --help`: the commands by group, one line each, in the style of uv's help (plain
    text, fits 80 columns; `dlbox COMMAND --help` has the details)."""
    width = max(len("-V, --version"), *(len(c.name) for c in COMMANDS)) + 3
    lines = [
        "A reproducible, GPU-ready fast.ai Jupyter environment with one command.",
        "",
        "Usage: dlbox [OPTIONS] COMMAND",
    ]
    for panel in dict.fromkeys(c.panel for c in COMMANDS):
        lines += ["", f"{panel}:"]
        lines += [f"  {c.name:<{width}}{c.help}" for c in COMMANDS if c.panel == panel]
    lines += [
        "",
        "Options:",
        f"  {'-V, --version':<{width}}Print the version (dlbox {version})",
        f"  {'-h, --help':<{width}}Print this help",
        "",
        "Use `dlbox COMMAND --help` for more on a command.",
    ]
    return "\n".join(lines) + "\n"

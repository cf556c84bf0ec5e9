"""Property-based fuzzing of the whole CLI (Hypothesis): generated config files, DLBOX_* variables
and the flags and arguments of every command.

For every generated case:
- the exit code is one docs/reference.md documents (scripts/reference.py EXIT_CODES): 0 success,
  1 failure, 2 bad input or settings, 130 interrupted (`run` and `shell` pass their command's
  code through);
- no "Traceback" on stdout or stderr, and no unhandled exception;
- nothing is written outside the sandbox's configured folders (code, data, state, the config
  files, the working folder);
- the secret planted in the input (a URL with user:password@ and a token parameter) appears in no
  output and in no file dlbox wrote.

Engines cannot do real work here (DOCKER_HOST and CONTAINER_HOST point at no socket; uv is offline
with an empty cache; PATH holds no git), so every command runs to its decision quickly.
DLBOX_FUZZ_EXAMPLES sets the number of cases (CI: 200; try 5000 locally).
"""

from __future__ import annotations

import os
import runpy
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlbox.cli.app import app
from dlbox.config.keys import KEYS

SECRET = "hunter2SECRETzz"
SECRET_URL = f"https://student:{SECRET}@127.0.0.1:9/lessons.tgz?token={SECRET}"
EXAMPLES = int(os.environ.get("DLBOX_FUZZ_EXAMPLES", "200"))
# The exit codes docs/reference.md documents (generated from scripts/reference.py).
DOCUMENTED_EXIT_CODES = set(
    runpy.run_path(str(Path(__file__).parents[2] / "scripts" / "reference.py"))["EXIT_CODES"]
)
PASS_THROUGH = {"run", "shell"}  # exit with their command's code
NEVER = {"lock"}  # rewrites the lock files shipped inside the package: covered by its own tests
SAFETY = {"up": ["--dry-run"]}  # a real `up` starts Jupyter: its flags are fuzzed in dry-run

NASTY = [
    "",
    " ",
    ".",
    "..",
    "../x",
    "../../etc",
    "/",
    "/dev/null",
    "/etc/passwd",
    "~nosuchuser-dlbox/x",
    "~",
    "a\nb",
    "tab\there",
    "archive",
    "ARCHIVE",
    "-x",
    "--json",
    "٣٣",
    "0",
    "-1",
    "65536",
    "8888",
    "bad host",
    "0.0.0.0",
    "127.0.0.1",
    "lots",
    "8g",
    "auto",
    "all",
    "none",
    "0,1",
    "local",
    "docker",
    "podman",
    "course22",
    "mnist_tiny",
    "x" * 300,
    "a" * 64,
    "file:///nonexistent/repo.git",
    "http://127.0.0.1:9/x.tgz",
    SECRET_URL,
    "https://127.0.0.1:9/x.tgz?X-Amz-Signature=" + SECRET,
    "ünïcödé",
    "$(touch pwned)",
    "`touch pwned`",
    "; touch pwned",
]
text = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=24),
)
toml_value = st.one_of(
    text.map(
        lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    ),
    st.integers(-(2**63), 2**63 - 1).map(str),
    st.sampled_from(["true", "false", "[]", '["a", "b"]', "1.5", "{ a = 1 }", "[[[1]]]", "nan"]),
)
toml_line = st.tuples(st.sampled_from([*KEYS, "unknown_key", "extras"]), toml_value).map(
    lambda kv: f"{kv[0]} = {kv[1]}"
)
toml_file = st.one_of(
    st.none(),
    st.lists(toml_line, max_size=5).map(lambda lines: ("\n".join(lines) + "\n").encode()),
    st.binary(max_size=64),
    st.sampled_from([b"[extras]\npip = [1]\n", b"x = " + b"[" * 3000, b"\xff\xfe\x00"]),
)
environment = st.dictionaries(
    st.sampled_from([f"DLBOX_{k.upper()}" for k in KEYS]),
    text.filter(lambda s: "\x00" not in s),
    max_size=4,
)


def _commands() -> list[tuple[list[str], click.Command]]:
    found: list[tuple[list[str], click.Command]] = []

    def walk(cmd: click.Command, prefix: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if isinstance(subs, dict):
            for name, sub in subs.items():
                walk(sub, [*prefix, name])
        elif prefix and prefix[0] not in NEVER:
            found.append((prefix, cmd))

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = _commands()


@st.composite
def invocation(draw: st.DrawFn) -> list[str]:
    path, cmd = draw(st.sampled_from(COMMANDS))
    args = [*path, *SAFETY.get(path[0], [])]
    for param in cmd.params:
        if not isinstance(param, click.Option) or not draw(st.booleans()):
            continue
        flag = param.opts[0]
        if param.is_flag:
            args.append(flag)
        elif isinstance(param.type, (click.IntRange, click.types.IntParamType)):
            args += [flag, draw(st.one_of(st.integers(-5, 70000).map(str), text))]
        else:
            args += [flag, draw(text)]
    positional = [p for p in cmd.params if isinstance(p, click.Argument)]
    for param in positional:
        count = draw(st.integers(0 if not param.required else 1, 2 if param.nargs != 1 else 1))
        args += [draw(text) for _ in range(count)]
    return args


@contextmanager
def sandbox() -> Iterator[Path]:
    top = Path(tempfile.mkdtemp(prefix="dlbox-fuzz-"))
    root = top / "box"
    for sub in ("home", "work", "bin", "uv-cache"):
        (root / sub).mkdir(parents=True)
    (top / "outside").mkdir()
    old = Path.cwd()
    os.chdir(root / "work")
    try:
        yield root
    finally:
        os.chdir(old)
        for folder, dirs, _files in os.walk(top):
            for name in dirs:
                os.chmod(os.path.join(folder, name), 0o700)
        shutil.rmtree(top, ignore_errors=True)


def snapshot(root: Path) -> dict[str, bytes]:
    files = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                try:
                    with open(path, "rb") as fh:
                        files[path] = fh.read()
                except OSError:
                    continue
    return files


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("CI", "") != "",
)
@given(args=invocation(), user_config=toml_file, project=toml_file, env=environment)
def test_any_input_gives_a_documented_exit_and_no_leak(
    args: list[str], user_config: bytes | None, project: bytes | None, env: dict[str, str]
) -> None:
    with sandbox() as root:
        if user_config is not None:
            (root / "config.toml").write_bytes(user_config)
        if project is not None:
            (root / "work" / "dlbox.toml").write_bytes(project)
        full_env = {
            "HOME": str(root / "home"),
            "PATH": str(root / "bin"),
            "DLBOX_STATE_DIR": str(root / "state"),
            "DLBOX_CONFIG_FILE": str(root / "config.toml"),
            "DLBOX_CODE_DIR": str(root / "code"),
            "DLBOX_DATA_DIR": str(root / "data"),
            "DOCKER_HOST": "unix:///nonexistent/docker.sock",
            "CONTAINER_HOST": "unix:///nonexistent/podman.sock",
            "UV_OFFLINE": "1",
            "UV_CACHE_DIR": str(root / "uv-cache"),
            "UV_PYTHON_DOWNLOADS": "never",
            "DLBOX_VENVS_DIR": str(root / "state" / "venvs"),
            "XDG_CACHE_HOME": str(root / "home" / ".cache"),
            **env,
        }
        before = snapshot(root)
        result = CliRunner().invoke(app, args, env=full_env, catch_exceptions=True)
        output = result.stdout + result.stderr
        described = f"dlbox {args!r} env={env!r} exit={result.exit_code}\n{output[-2000:]}"
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{described}\n{result.exception!r}"
        )
        assert "Traceback" not in output, described
        if args[0] not in PASS_THROUGH:
            assert result.exit_code in DOCUMENTED_EXIT_CODES, described
        assert SECRET not in output, described
        assert sorted(os.listdir(root.parent)) == ["box", "outside"], described
        assert not os.listdir(root.parent / "outside"), described
        assert not (root / "work" / "pwned").exists(), described
        for path, data in snapshot(root).items():
            if before.get(path) != data:
                assert SECRET.encode() not in data, f"{described}\nsecret written to {path}"

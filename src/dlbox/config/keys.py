"""Every setting dlbox knows: its type, default and meaning (the single source for validation,
`config show`, `config set` and error messages)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dlbox import paths


@dataclass(frozen=True)
class Key:
    name: str
    kind: str  # str | int | path | list | choice | bool
    default: Callable[[], object]
    help: str
    choices: tuple[str, ...] = ()
    must_exist: bool = False


KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key(
            "engine",
            "choice",
            lambda: "auto",
            "container engine: auto, docker, podman or local",
            ("auto", "docker", "podman", "local"),
        ),
        Key("docker_client", "str", lambda: "", "path of the docker CLI to use (empty: detect)"),
        Key("code_dir", "path", paths.default_code_dir, "host folder mounted at /code"),
        Key("data_dir", "path", paths.default_data_dir, "host folder mounted at /data"),
        Key("course_subdir", "str", lambda: "", "folder inside code_dir that Jupyter opens in"),
        Key("course", "str", lambda: "", "course repo to clone into code_dir (name or git URL)"),
        Key("datasets", "list", lambda: [], "datasets `up` makes sure are present"),
        Key("port", "int", lambda: 8888, "preferred host port for Jupyter"),
        Key("host", "str", lambda: "127.0.0.1", "host address Jupyter's port binds to"),
        Key("gpus", "str", lambda: "auto", "GPUs: auto, all, none, or a list such as 0,1"),
        Key("shm_size", "str", lambda: "auto", "/dev/shm size (auto: half of RAM, 1-16 GiB)"),
        Key("ipc_host", "bool", lambda: False, "share the host IPC namespace instead of shm_size"),
        Key("base_image", "str", lambda: "debian:bookworm-slim", "base image of the environment"),
        Key(
            "build_network", "str", lambda: "host", "network mode for builds (host, default, none)"
        ),
        Key("ca_bundle", "str", lambda: "", "CA bundle passed to builds (empty: detect)"),
        Key("health_timeout", "int", lambda: 180, "seconds `up` waits for Jupyter to answer"),
    )
}


def coerce(key: Key, raw: object, origin: str) -> object:
    """Turn a raw value (TOML value or string from env/flags) into the key's type, or raise
    ValueError with a message that names what was expected."""
    if key.kind in ("str", "choice"):
        if not isinstance(raw, str):
            raise ValueError(f"expected a string, got {type(raw).__name__} {raw!r}")
        if key.kind == "choice" and raw not in key.choices:
            raise ValueError(f"expected one of {', '.join(key.choices)}, got {raw!r}")
        return raw
    if key.kind == "int":
        if isinstance(raw, bool):
            raise ValueError(f"expected a whole number, got {raw!r}")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
            return int(raw.strip())
        raise ValueError(f"expected a whole number, got {raw!r}")
    if key.kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in (
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
        ):
            return raw.lower() in ("1", "true", "yes", "on")
        raise ValueError(f"expected true or false, got {raw!r}")
    if key.kind == "path":
        if not isinstance(raw, (str, Path)) or not str(raw).strip():
            raise ValueError(f"expected a folder path, got {raw!r}")
        return Path(str(raw)).expanduser()
    if key.kind == "list":
        if isinstance(raw, str):
            return [part.strip() for part in raw.split(",") if part.strip()]
        if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
            return list(raw)
        raise ValueError(f"expected a list of strings, got {raw!r}")
    raise AssertionError(key.kind)

"""Every setting dlbox knows: its type, default, meaning, validator and a valid example (the single
source for validation, `config show`, `config set` and error messages).

A value from any layer (default, user config, dlbox.toml, DLBOX_* variable, flag) goes through
`coerce`: the kind's type conversion, then the key's own check. Both raise ValueError with what
was expected; `invalid` turns that into the one error format (key, layer, valid example)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlbox import paths, redact
from dlbox.config import checks
from dlbox.errors import ConfigError


@dataclass(frozen=True)
class Key:
    name: str
    kind: str  # str | int | path | list | choice | bool
    default: Callable[[], object]
    help: str
    choices: tuple[str, ...] = ()
    check: Callable[[Any], None] | None = None  # raises ValueError naming what was expected
    example: str = ""  # a valid value for error messages (default: derived from the default)

    def valid_example(self) -> str:
        if self.example:
            return self.example
        if self.choices:
            return self.choices[0]
        default = self.default()
        if isinstance(default, list):
            return "a,b"
        return str(default) if default != "" else "VALUE"


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
        Key(
            "docker_client",
            "str",
            lambda: "",
            "path of the docker CLI to use (empty: detect)",
            example="/usr/bin/docker",
        ),
        Key("code_dir", "path", paths.default_code_dir, "host folder mounted at /code"),
        Key("data_dir", "path", paths.default_data_dir, "host folder mounted at /data"),
        Key(
            "course_subdir",
            "str",
            lambda: "",
            "folder inside code_dir that Jupyter opens in",
            check=checks.subdir,
            example="course22",
        ),
        Key(
            "course",
            "str",
            lambda: "",
            "course repo to clone into code_dir (name or git URL)",
            check=checks.course,
            example="course22",
        ),
        Key(
            "datasets",
            "list",
            lambda: [],
            "datasets `up` makes sure are present",
            check=checks.datasets,
            example="mnist_sample,pets",
        ),
        Key("port", "int", lambda: 8888, "preferred host port for Jupyter", check=checks.port),
        Key(
            "host",
            "str",
            lambda: "127.0.0.1",
            "host address Jupyter's port binds to",
            check=checks.host,
        ),
        Key(
            "gpus",
            "str",
            lambda: "auto",
            "GPUs: auto, all, none, or a list such as 0,1",
            check=checks.gpus,
        ),
        # The CUDA line (issue 15): which locked environment, chosen from the driver by default.
        Key(
            "cuda",
            "choice",
            lambda: "auto",
            "CUDA line: auto (from the NVIDIA driver), 12 (drivers 525-579) or 13 (580+)",
            ("auto", "12", "13"),
        ),
        Key(
            "shm_size",
            "str",
            lambda: "auto",
            "/dev/shm size (auto: half of RAM, 1-16 GiB)",
            check=checks.matches(checks.SHM, "auto or a size such as 512m, 8g or 2GiB"),
            example="8g",
        ),
        Key("ipc_host", "bool", lambda: False, "share the host IPC namespace instead of shm_size"),
        Key(
            "base_image",
            "str",
            lambda: "debian:bookworm-slim",
            "base image of the environment",
            check=checks.matches(checks.IMAGE, "an image reference such as debian:bookworm-slim"),
        ),
        Key(
            "build_network",
            "str",
            lambda: "host",
            "network mode for builds (host, default, none)",
            check=checks.matches(checks.NETWORK, "a network mode such as host, default or none"),
        ),
        Key(
            "ca_bundle",
            "str",
            lambda: "",
            "CA bundle passed to builds (empty: detect)",
            example="/etc/ssl/certs/ca-certificates.crt",
        ),
        Key(
            "health_timeout",
            "int",
            lambda: 180,
            "seconds `up` waits for Jupyter to answer",
            check=checks.positive,
        ),
        # dlbox hub (JupyterHub + DockerSpawner on one machine) and its Kubernetes values file.
        Key("hub_host", "str", lambda: "127.0.0.1", "address the hub binds to", check=checks.host),
        Key("hub_port", "int", lambda: 8000, "port the hub's proxy listens on", check=checks.port),
        Key(
            "hub_admin",
            "str",
            lambda: "",
            "hub admin user name (approves sign-ups)",
            check=checks.matches(checks.USER, "a user name such as teacher"),
            example="teacher",
        ),
        Key(
            "hub_authenticator",
            "choice",
            lambda: "native",
            "how hub users log in: native (sign-up, admin approves) or pam (host accounts)",
            ("native", "pam"),
        ),
        Key(
            "hub_gpu_policy",
            "choice",
            lambda: "round-robin",
            "GPUs per hub user: round-robin (one each), exclusive (refuse when all taken), shared",
            ("round-robin", "exclusive", "shared"),
        ),
        Key(
            "hub_idle_timeout",
            "int",
            lambda: 3600,
            "seconds before an idle hub server is culled",
            check=checks.not_negative,
        ),
        Key(
            "hub_mem_limit",
            "str",
            lambda: "",
            "memory limit per hub user, e.g. 8G (empty: none)",
            check=checks.matches(checks.MEM, "a memory size such as 8G (empty: no limit)"),
            example="8G",
        ),
        Key(
            "hub_cpu_limit",
            "str",
            lambda: "",
            "CPU limit per hub user, e.g. 2 (empty: none)",
            check=checks.matches(checks.CPU, "a number of CPUs such as 2 or 0.5 (empty: no limit)"),
            example="2",
        ),
        Key(
            "hub_extra_config",
            "str",
            lambda: "",
            "Python file the hub's config runs last, e.g. extra services (empty: none)",
            check=checks.plain_text,
        ),
        Key(
            "hub_user_storage",
            "str",
            lambda: "10Gi",
            "storage per hub user on Kubernetes",
            check=checks.matches(checks.QUANTITY, "a Kubernetes quantity such as 10Gi"),
        ),
        Key(
            "hub_data_claim",
            "str",
            lambda: "dlbox-data",
            "read-only data PVC on Kubernetes",
            check=checks.matches(checks.DNS_LABEL, "a Kubernetes name such as dlbox-data"),
        ),
        # Kubernetes values file (dlbox hub export --kubernetes): the GPU profile.
        Key(
            "hub_gpus_per_user",
            "int",
            lambda: 1,
            "GPUs the Kubernetes GPU profile gives each user (0: CPU profile only)",
            check=checks.gpu_count,
        ),
        Key(
            "hub_gpu_node_selector",
            "str",
            lambda: "nvidia.com/gpu.present=true",
            "node label GPU user pods need on Kubernetes, KEY=VALUE (empty: none)",
            check=checks.matches(
                checks.NODE_LABEL, "a node label KEY=VALUE such as nvidia.com/gpu.present=true"
            ),
        ),
    )
}


def _int(raw: object) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"expected a whole number, got {raw!r}")
    if isinstance(raw, int):
        return raw
    # ASCII digits only: int("٣٣") is 33, which nobody typing it meant.
    if isinstance(raw, str) and re.fullmatch(r"\s*-?[0-9]{1,18}\s*", raw):
        return int(raw.strip())
    raise ValueError(f"expected a whole number, got {raw!r}")


def _path(raw: object) -> Path:
    if not isinstance(raw, (str, Path)) or not str(raw).strip():
        raise ValueError(f"expected a folder path, got {raw!r}")
    text = str(raw)
    if checks.CONTROL.search(text):
        raise ValueError(f"expected a folder path without control characters, got {text!r}")
    try:
        return Path(text).expanduser()
    except RuntimeError as exc:  # ~nosuchuser/x
        raise ValueError(f"{text!r} names a home folder that does not exist ({exc})") from None


def _typed(key: Key, raw: object) -> object:
    if key.kind in ("str", "choice"):
        if not isinstance(raw, str):
            raise ValueError(f"expected a string, got {type(raw).__name__} {raw!r}")
        if key.kind == "choice" and raw not in key.choices:
            raise ValueError(f"expected one of {', '.join(key.choices)}, got {raw!r}")
        checks.plain_text(raw)
        return raw
    if key.kind == "int":
        return _int(raw)
    if key.kind == "bool":
        if isinstance(raw, bool):
            return raw
        truthy, falsy = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
        if isinstance(raw, str) and raw.strip().lower() in truthy + falsy:
            return raw.strip().lower() in truthy
        raise ValueError(f"expected true or false, got {raw!r}")
    if key.kind == "path":
        return _path(raw)
    if key.kind == "list":
        if isinstance(raw, str):
            return [part.strip() for part in raw.split(",") if part.strip()]
        if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
            return list(raw)
        raise ValueError(f"expected a list of strings, got {raw!r}")
    raise AssertionError(key.kind)


def coerce(key: Key, raw: object, origin: str = "") -> object:
    """Turn a raw value (TOML value or string from env/flags) into the key's type and check it,
    or raise ValueError with a message that names what was expected. No setting holds a URL
    with credentials (settings files are world-readable)."""
    value = _typed(key, raw)
    if key.check is not None:
        key.check(value)
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, (str, Path)) and redact.url_has_secret(str(text)):
            raise ValueError(
                "the value holds a URL with credentials (user:password@ or a token parameter), "
                "which dlbox never keeps in settings; use the URL without them"
            )
    return value


def invalid(name: str, where: str, problem: str) -> ConfigError:
    """The one error format for a bad setting: key, layer (file and line where known), what was
    expected and a valid example for that layer."""
    key = KEYS[name]
    example = key.valid_example()
    close = _closest_choice(key, problem)
    example = close or example
    if where.startswith("`dlbox "):
        fix = f"`{where[1:].split('`')[0]} {name} {example}`"
    elif where.startswith("env "):
        fix = f"set {where[4:]}={example} (or unset it)"
    elif where.startswith("flag "):
        fix = f"pass {where[5:]} {example}"
    elif where.endswith(".toml") or ".toml line " in where or ".toml (" in where:
        fix = (
            f"write `{name} = {_toml_example(key, example)}` there, remove the line, or run "
            f"`dlbox config set {name} {example}`"
        )
    else:
        fix = f"`dlbox config set {name} {example}`"
    if key.choices:  # the problem already lists them; say the likely one instead
        hint = f"Did you mean {close}? Then {fix}." if close else f"Use one of them, e.g. {fix}."
    else:
        hint = f"Use a valid value ({key.help}), e.g. {fix}."
    return ConfigError(f"Setting {name!r} in {where}: {redact.redact_text(problem)}.", hint)


def _closest_choice(key: Key, problem: str) -> str | None:
    """The choice a misspelt value ("got 'dockr'") was probably meant to be."""
    import difflib

    got = re.search(r"got '([^']*)'", problem)
    if not key.choices or got is None:
        return None
    close = difflib.get_close_matches(got.group(1).lower(), list(key.choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _toml_example(key: Key, example: str) -> str:
    if key.kind == "int" or key.kind == "bool":
        return example
    if key.kind == "list":
        return "[" + ", ".join(f'"{x}"' for x in example.split(",")) + "]"
    return f'"{example}"'

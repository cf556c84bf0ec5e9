"""dlbox.lock: the exact pins of a project's extra pip packages, next to its dlbox.toml.

`dlbox add` / `dlbox remove` write it after resolving the extras against dlbox's locked
environment with uv; builds install exactly these pins (by hash, no resolution), so a project
checked out elsewhere, or built again next year, gets the same packages. Commit it.

It is TOML: what was asked for, then per platform and CUDA line (`[linux-x86_64]` for the default
line, `[linux-x86_64-cuda12]` for another) the environment digest it was resolved against and the
new packages' pins (requirements format with hashes) in a literal string.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dlbox.config.write import write_atomic
from dlbox.environment.lockset import split_blocks
from dlbox.errors import ConfigError
from dlbox.gpu.lines import DEFAULT_LINE
from dlbox.image.spec import LockedExtras

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]

LOCK_FILE = "dlbox.lock"
FORMAT_VERSION = 1
HEADER = """\
# dlbox.lock: exact versions (with hashes) of dlbox.toml's [extras] pip packages, resolved by
# `dlbox add` / `dlbox remove` against dlbox's locked environment. Commit it with dlbox.toml;
# do not edit it by hand (run `dlbox add` with no package to resolve it again).
"""


@dataclass(frozen=True)
class ExtrasLock:
    requested: tuple[str, ...]
    platforms: tuple[LockedExtras, ...] = field(default_factory=tuple)

    def pins(self, arch: str) -> dict[str, str]:
        from dlbox.environment.lockset import parse_pins

        for item in self.platforms:
            if item.arch == arch:
                return parse_pins(item.text)
        return {}


def lock_path(project_file: Path) -> Path:
    return project_file.with_name(LOCK_FILE)


def dumps(lock: ExtrasLock) -> str:
    from dlbox.extend.tomledit import format_array

    parts = [HEADER, f"version = {FORMAT_VERSION}", format_array("requested", list(lock.requested))]
    for item in sorted(lock.platforms, key=lambda p: (p.arch, p.line != DEFAULT_LINE, p.line)):
        if "'''" in item.text:  # pragma: no cover - requirement lines never hold it
            raise ConfigError("A resolved pin holds ''' and cannot be written.", None)
        body = f"'''\n{item.text}'''" if item.text.strip() else '""'
        parts.append(f'\n[{_table(item)}]\nbase = "{item.base}"\npackages = {body}')
    return "\n".join(parts) + "\n"


def loads(text: str, where: str = LOCK_FILE) -> ExtrasLock:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _broken(where, str(exc)) from exc
    requested = data.get("requested", [])
    if not isinstance(requested, list) or not all(isinstance(r, str) for r in requested):
        raise _broken(where, "`requested` is not a list of strings")
    platforms = []
    for name, table in data.items():
        match = _TABLE.fullmatch(name)
        if not match or not isinstance(table, dict):
            continue
        base, packages = table.get("base"), table.get("packages", "")
        if not isinstance(base, str) or not isinstance(packages, str):
            raise _broken(where, f"[{name}] needs base and packages strings")
        arch, line = match.group(1), match.group(2) or DEFAULT_LINE
        platforms.append(LockedExtras(arch, base, packages, line))
    return ExtrasLock(tuple(requested), tuple(platforms))


_TABLE = re.compile(r"linux-([a-z0-9_]+?)(?:-cuda([0-9]+))?")


def _table(item: LockedExtras) -> str:
    """linux-ARCH for the default CUDA line, linux-ARCH-cudaLINE for another."""
    line = "" if item.line == DEFAULT_LINE else f"-cuda{item.line}"
    return f"linux-{item.arch}{line}"


def _broken(where: str, why: str) -> ConfigError:
    return ConfigError(
        f"{where} is not a valid dlbox lock ({why}).",
        f"Delete {where} and run `dlbox add` (no package) to write it again.",
    )


def read_lock(path: Path) -> ExtrasLock | None:
    if not path.is_file():
        return None
    return loads(path.read_text(), str(path))


def write_lock(path: Path, lock: ExtrasLock) -> Path:
    return write_atomic(path, dumps(lock))


def new_packages(compiled: str, base: dict[str, str]) -> str:
    """From uv's full resolution, the blocks of the packages the environment does not have."""
    blocks = split_blocks(compiled)
    return "".join(text for name, text in sorted(blocks.items()) if name not in base)


def via_map(lock_texts: list[str]) -> dict[str, list[str]]:
    """package -> the packages that need it, from the `# via` comments of uv lock files."""
    needed: dict[str, list[str]] = {}
    for text in lock_texts:
        for name, block in split_blocks(text).items():
            users: list[str] = []
            collecting = False
            for line in block.splitlines()[1:]:
                stripped = line.strip()
                if stripped.startswith("# via"):
                    rest = stripped[len("# via") :].strip()
                    collecting = not rest
                    if rest:
                        users.append(rest)
                elif collecting and stripped.startswith("#"):
                    users.append(stripped.lstrip("# ").strip())
                else:
                    collecting = False
            needed[name] = [u for u in users if u and not u.startswith("-")]
    return needed

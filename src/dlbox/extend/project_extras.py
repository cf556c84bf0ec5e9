"""`dlbox add` / `dlbox remove`: change dlbox.toml's [extras], checked against the environment.

Order matters: resolve first (uv, against the environment's pins, every Linux platform), and
write nothing when that fails; then dlbox.lock, then dlbox.toml (both atomically). A build then
installs exactly dlbox.lock's pins in the extras layer, on top of untouched environment layers.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlbox.config.load import PROJECT_FILE, Settings, read_toml
from dlbox.config.write import write_atomic
from dlbox.errors import ConfigError, UsageError
from dlbox.extend import requirements as req
from dlbox.extend.lockfile import ExtrasLock, lock_path, read_lock, write_lock
from dlbox.extend.resolve import resolve_extras
from dlbox.extend.tomledit import set_array
from dlbox.image.spec import Extras

# Another locked environment (a folder of linux-<arch> lock folders, or one of them) instead of
# the one shipped with dlbox: for tests and benchmarks that build a tiny environment.
LOCK_ROOT_ENV = "DLBOX_LOCK_ROOT"
KEYS = ("pip", "apt", "dockerfile", "extra_index_urls")


def lock_root_override(environ: Mapping[str, str] | None = None) -> Path | None:
    value = (os.environ if environ is None else environ).get(LOCK_ROOT_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else None


@dataclass(frozen=True)
class ExtrasChange:
    project_file: Path
    lock_file: Path
    created: bool
    key: str
    before: list[str]
    after: list[str]
    pins: dict[str, str] = field(default_factory=dict)  # new packages (first platform)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def to_dict(self) -> dict[str, object]:
        return {
            "project_file": str(self.project_file),
            "lock_file": str(self.lock_file),
            "created": self.created,
            "key": self.key,
            "before": self.before,
            "after": self.after,
            "pins": self.pins,
        }


def project_file_for(cfg: Settings | None = None, cwd: Path | None = None) -> Path:
    """The dlbox.toml to change: the one settings found (cwd or a parent), else a new one here."""
    if cfg is not None and cfg.project_file is not None:
        return cfg.project_file
    return (cwd or Path.cwd()) / PROJECT_FILE


def read_extras(project_file: Path) -> dict[str, list[str]]:
    data = read_toml(project_file) if project_file.is_file() else {}
    return extras_table(data.get("extras", {}), str(project_file))


def check_index_url(url: str, where: str) -> None:
    """An extra package index: http(s) or file, and no credentials (they would be written into
    the Dockerfile, and so into the image's history)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https", "file") or not (parts.netloc or parts.path):
        raise ConfigError(
            f"[extras] extra_index_urls in {where}: {url!r} is not a package index URL.",
            'Write it as extra_index_urls = ["https://my.index/simple"].',
        )
    if parts.username or parts.password:
        raise ConfigError(
            f"[extras] extra_index_urls in {where} holds credentials ({parts.hostname}).",
            "Remove them from the URL: they would be stored in the image's build history. "
            "Use an index that needs no login, or a proxy that adds it.",
        )


def extras_table(raw: Any, where: str) -> dict[str, list[str]]:
    if not isinstance(raw, dict):
        raise ConfigError(f"[extras] in {where} is not a table.", "Write it as `[extras]`.")
    out: dict[str, list[str]] = {}
    for key in KEYS:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(
                f"[extras] {key} in {where} must be a list of strings.",
                f'Write it as {key} = ["..."].',
            )
        out[key] = list(value)
    for url in out["extra_index_urls"]:
        check_index_url(url, where)
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"Unknown key {unknown[0]!r} in [extras] of {where}.",
            f"[extras] holds {', '.join(KEYS)}.",
        )
    return out


def change_extras(
    project_file: Path,
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    key: str = "pip",
    lock_root: Path | None = None,
    ca_bundle: Path | None = None,
) -> ExtrasChange:
    """Add or remove [extras] `key` entries; for pip, resolve and lock before writing."""
    if key not in ("pip", "apt"):
        raise UsageError(f"dlbox add/remove change [extras] pip or apt, not {key!r}.", None)
    check = req.check_requirement if key == "pip" else req.check_apt_package
    current = read_extras(project_file)
    before = current[key]
    after = req.merge(before, [check(p) for p in add], key) if add else list(before)
    if remove:
        after = req.drop(after, list(remove), key)
    lock_file = lock_path(project_file)
    pins: dict[str, str] = {}
    if key == "pip":
        for item in after:
            req.check_requirement(item)  # hand-written entries must be valid too
        resolution = resolve_extras(  # raises: nothing is written
            after, lock_root, ca_bundle=ca_bundle, extra_index_urls=current["extra_index_urls"]
        )
        if after:
            write_lock(lock_file, ExtrasLock(tuple(after), resolution.locked))
            pins = resolution.pins(resolution.locked[0].arch) if resolution.locked else {}
        elif lock_file.is_file():
            lock_file.unlink()
    created = not project_file.is_file()
    if after != before or created:
        text = project_file.read_text() if project_file.is_file() else ""
        write_atomic(project_file, set_array(text, "extras", key, after))
    return ExtrasChange(project_file, lock_file, created, key, before, after, pins)


def project_extras(cfg: Settings) -> Extras:
    """The build's Extras from the project's [extras] and, where it matches, its dlbox.lock."""
    where = str(cfg.project_file) if cfg.project_file else PROJECT_FILE
    table = extras_table(cfg.project_tables.get("extras", {}) or {}, where)
    locked: ExtrasLock | None = None
    if cfg.project_file is not None and table["pip"]:
        locked = read_lock(lock_path(cfg.project_file))
        if locked is not None and list(locked.requested) != table["pip"]:
            locked = None  # dlbox.toml changed by hand since: resolve at build time instead
    return Extras(
        pip=tuple(table["pip"]),
        apt=tuple(table["apt"]),
        dockerfile=tuple(table["dockerfile"]),
        extra_index_urls=tuple(table["extra_index_urls"]),
        pip_locked=locked.platforms if locked else (),
    )


def lock_state(cfg: Settings) -> str | None:
    """A warning when the project's pip extras will not be installed from dlbox.lock."""
    if cfg.project_file is None:
        return None
    table = extras_table(cfg.project_tables.get("extras", {}) or {}, str(cfg.project_file))
    if not table["pip"]:
        return None
    lock = read_lock(lock_path(cfg.project_file))
    if lock is None:
        return (
            f"{cfg.project_file.name} lists pip extras but has no dlbox.lock beside it: they "
            "are resolved at build time. Run `dlbox add` (no package) to lock them."
        )
    if list(lock.requested) != table["pip"]:
        return (
            f"dlbox.lock does not match [extras] pip in {cfg.project_file.name} (edited by "
            "hand?): resolving at build time. Run `dlbox add` (no package) to lock again."
        )
    return None

"""Pure rendering of the build context (Dockerfile and its files) from an environment spec."""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import TYPE_CHECKING

from dlbox.image.locks import LAYERS, TOOLS_LOCK, LockSet, parse_pins

if TYPE_CHECKING:
    from dlbox.image.spec import EnvSpec

VENV = "/opt/dlbox/venv"
TOOLS = "/opt/dlbox/tools"
HOME = "/home/dlbox"
USER = "dlbox"
DEFAULT_UID = 1000
CONTAINER_PORT = 8888
CA_SECRET_ID = "dlbox-ca"
CA_TARGET = "/run/secrets/dlbox-ca.pem"
BASE_APT_PACKAGES = (
    "python3",
    "python3-venv",
    "ca-certificates",
    "git",
    "procps",
    "less",
    "libgomp1",
)


def constraints_text(pins: dict[str, str]) -> str:
    """Plain pins (no hashes) of the environment: a hashed constraint would switch uv into
    hash-checking mode for the user's unhashed extras."""
    return "".join(f"{n}=={v}\n" for n, v in sorted(pins.items()))


def pins_digest(pins: dict[str, str]) -> str:
    """A short digest of the environment's pins: what an extras lock was resolved against."""
    return hashlib.sha256(constraints_text(pins).encode()).hexdigest()[:16]


def _template(name: str) -> str:
    return (resources.files("dlbox.image") / "templates" / name).read_text()


def render_dockerfile(
    spec: EnvSpec, lockset: LockSet, versions: dict[str, str], *, spec_hash: str
) -> str:
    import jinja2  # imported when a Dockerfile is rendered (CLI start-up speed)

    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        autoescape=False,
    )
    template = env.from_string(_template("Dockerfile.j2"))
    locked = _locked_extras(spec, lockset)

    text = template.render(
        base_image=spec.base_image,
        python=spec.python,
        venv=VENV,
        tools=TOOLS,
        home=HOME,
        user=USER,
        default_uid=DEFAULT_UID,
        port=CONTAINER_PORT,
        ca_secret_id=CA_SECRET_ID,
        ca_target=CA_TARGET,
        apt_packages=BASE_APT_PACKAGES,
        layers=[{"file": name, "title": title} for name, title in LAYERS],
        extra_apt=list(spec.extras.apt),
        extra_index_urls=list(spec.extras.extra_index_urls),
        extra_pip=[] if locked is not None else list(spec.extras.pip),
        extra_pip_locked=bool(locked and parse_pins(locked)),
        extra_lines=list(spec.extras.dockerfile),
        versions=versions,
        spec_hash=spec_hash,
    )
    # Collapse runs of blank lines the conditionals leave behind.
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def render_context(
    spec: EnvSpec, lockset: LockSet, versions: dict[str, str], *, spec_hash: str
) -> dict[str, str]:
    files = {
        "Dockerfile": render_dockerfile(spec, lockset, versions, spec_hash=spec_hash),
        "dlbox-start": _template("dlbox-start"),
        "jupyter_server_config.py": _template("jupyter_server_config.py"),
        f"locks/{TOOLS_LOCK}": lockset.tools,
    }
    for name, text in lockset.layers:
        files[f"locks/{name}"] = text
    locked = _locked_extras(spec, lockset)
    if locked is not None:
        # dlbox.lock matches this environment: install exactly its pins (none: no pip layer).
        if parse_pins(locked):
            files["locks/extras.txt"] = locked
    elif spec.extras.pip:
        files["locks/extras.txt"] = "\n".join(spec.extras.pip) + "\n"
        files["locks/constraints.txt"] = constraints_text(lockset.pins)
    return files


def _locked_extras(spec: EnvSpec, lockset: LockSet) -> str | None:
    """dlbox.lock's pins for this build, when they were resolved against this very environment."""
    if not spec.extras.pip:
        return None
    item = spec.extras.locked_for(spec.arch, pins_digest(lockset.pins))
    return item.text if item is not None else None

"""`dlbox export DIR`: the build context as a standalone folder that plain `docker build` turns
into the same image dlbox builds (for people leaving dlbox, or CI elsewhere)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from dlbox.errors import UsageError
from dlbox.image.ca import CaBundle
from dlbox.image.context import BuildContext
from dlbox.image.render import CA_SECRET_ID

MARKER = ".dlbox-export"
README = "README.md"
DEFAULT_CA = "/etc/ssl/certs/ca-certificates.crt"


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    tag: str
    files: list[str]
    command: list[str]

    @property
    def command_text(self) -> str:
        return " ".join(shlex.quote(a) for a in self.command)

    def to_dict(self) -> dict[str, object]:
        return {
            "folder": str(self.folder),
            "tag": self.tag,
            "files": self.files,
            "command": self.command,
            "command_text": self.command_text,
        }


def build_command(folder: Path, name: str, ca: CaBundle, network: str | None) -> list[str]:
    """The plain BuildKit `docker build` that makes the image from an exported folder."""
    argv = ["DOCKER_BUILDKIT=1", "docker", "build"]
    argv += ["--secret", f"id={CA_SECRET_ID},src={ca.path or DEFAULT_CA}"]
    if network:
        argv += ["--network", network]
    return [*argv, "-t", name, str(folder)]


def readme(context: BuildContext, command: str, name: str) -> str:
    v = context.versions
    return f"""# dlbox environment, exported

This folder is a standalone Docker build context written by `dlbox export`: fastai {v["fastai"]},
torch {v["torch"]}, JupyterLab {v["jupyterlab"]}, locked by hash (`locks/`). It builds the same
image as `dlbox build` ({context.tag}) with plain Docker and BuildKit, no dlbox needed:

```sh
{command}
```

- BuildKit is required (cache and secret mounts): `DOCKER_BUILDKIT=1` with the classic client,
  or `docker buildx build --load ...` with the same flags.
- `--secret id={CA_SECRET_ID},src=...` hands your CA bundle to the steps that download (for
  HTTPS through a proxy that re-signs it); it is never copied into a layer. Without a proxy you
  may leave it out. `--network host` is only needed where the build network cannot reach the
  package index.
- Start it like dlbox does: `docker run --rm -p 127.0.0.1:8888:8888 -v "$PWD:/code" {name}`
  (JupyterLab on port 8888; the token is printed in the logs).
- To change the packages, edit `locks/*.txt` (uv lock files) or the Dockerfile; to go back to
  dlbox, edit `dlbox.toml` and run `dlbox export` again.
"""


def export_context(
    context: BuildContext,
    folder: Path,
    *,
    name: str | None = None,
    ca: CaBundle | None = None,
    network: str | None = "host",
    force: bool = False,
) -> ExportResult:
    """Write the context, a README with the build command, and a marker (so a second export
    into the same folder may replace the first)."""
    folder = folder.expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder.", "Choose another DIR.")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).is_file() and not force:
        raise UsageError(
            f"{folder} is not empty, and dlbox export writes a Dockerfile and locks/ there.",
            "Choose an empty or new folder, or pass --force to write into it anyway.",
        )
    name = name or context.tag
    folder.mkdir(parents=True, exist_ok=True)
    for stale in (folder / "locks").glob("*.txt"):
        stale.unlink()  # an earlier export's extras/constraints must not linger
    context.write(folder)
    command = build_command(folder, name, ca or CaBundle(None, "none"), network)
    text = " ".join(shlex.quote(a) if i else a for i, a in enumerate(command))
    (folder / README).write_text(readme(context, text, name))
    (folder / MARKER).write_text(f"{context.tag}\n")
    files = sorted([*context.files, README])
    return ExportResult(folder, context.tag, files, command)

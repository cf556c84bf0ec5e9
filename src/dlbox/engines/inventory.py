"""What a container engine (Docker or Podman) stores for dlbox, for `dlbox clean`: the images
with a given label (tagged or dangling, with their sizes) and the images containers use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from dlbox import process
from dlbox.engines.docker import DockerEngine
from dlbox.errors import EngineError

TIMEOUT = 60.0


@dataclass(frozen=True)
class StoredImage:
    id: str  # without the "sha256:" prefix
    refs: tuple[str, ...] = ()  # repository:tag names; none for a dangling image
    size: int | None = None
    labels: dict[str, str] = field(default_factory=dict)


def _short(image_id: str) -> str:
    return image_id.strip().removeprefix("sha256:")


def _run(engine: DockerEngine, args: Sequence[str]) -> str:
    done = process.run([*engine.command, *args], timeout=TIMEOUT, error_type=EngineError)
    return done.stdout


def labelled_images(engine: DockerEngine, label: str) -> list[StoredImage]:
    """Every image carrying `label`, one entry per image ID with all its names and its size."""
    listing = _run(
        engine,
        ["image", "ls", "--no-trunc", "--filter", f"label={label}", "--format",
         "{{.ID}}\t{{.Repository}}\t{{.Tag}}"],
    )  # fmt: skip
    refs: dict[str, list[str]] = {}
    for line in listing.splitlines():
        parts = line.split("\t")
        if len(parts) != 3:
            continue
        image_id, repo, tag = _short(parts[0]), parts[1], parts[2]
        names = refs.setdefault(image_id, [])
        if repo != "<none>" and tag != "<none>":
            names.append(f"{engine._image_name(repo)}:{tag}")
    if not refs:
        return []
    inspected = _run(engine, ["image", "inspect", "--format", "{{.Id}}\t{{.Size}}", *sorted(refs)])
    sizes: dict[str, int] = {}
    for line in inspected.splitlines():
        image_id, _, size = line.partition("\t")
        if size.strip().isdigit():
            sizes[_short(image_id)] = int(size)
    return [
        StoredImage(i, tuple(sorted(set(names))), sizes.get(i)) for i, names in sorted(refs.items())
    ]


def image_ids_in_use(engine: DockerEngine) -> set[str]:
    """The images of every container, running or stopped (the engine refuses to remove those)."""
    ids = _run(engine, ["ps", "-a", "-q", "--no-trunc"]).split()
    if not ids:
        return set()
    done = process.run(
        [*engine.command, "container", "inspect", "--format", "{{.Image}}", *ids],
        timeout=TIMEOUT,
        check=False,  # a container removed meanwhile is not an error here
    )
    return {_short(line) for line in done.stdout.splitlines() if line.strip()}


def remove_image(engine: DockerEngine, image: StoredImage) -> None:
    """Remove the image by its names (an image with several names needs them all), or by ID."""
    _run(engine, ["image", "rm", *(image.refs or (image.id,))])

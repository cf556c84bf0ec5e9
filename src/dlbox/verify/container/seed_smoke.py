"""Seed an offline smoke dataset: synthetic dogscats + pets images and a stand-in resnet34.

Runs inside the environment (the image's python). The images need numpy and Pillow; the stand-in
weights need torch and torchvision, and are left out (and said so) in an environment without them,
where nothing could load them. Idempotent: a marker file records what was seeded, so a second run
is a no-op unless it now needs the weights an earlier run left out.

    python seed_smoke.py ROOT [--per-class N] [--px N]

ROOT/dogscats/{train,valid}/{cats,dogs}/{cat,dog}.N.jpg and ROOT/dogscats/test1/*.jpg (the 2018
lesson layout), ROOT/oxford-iiit-pet/images/{Abyssinian,Bengal,beagle,pug}_N.jpg (upper case =
cat, as fastbook's is_cat expects), and ROOT/torch/hub/checkpoints/resnet34-b627a593.pth, a
random-init state dict under the file name torchvision downloads, so the pretrained code path runs
with no network (torch checks the hash only while downloading).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

SEED_VERSION = 1
CHECKPOINT = "resnet34-b627a593.pth"
CAT_BREEDS = ("Abyssinian", "Bengal")
DOG_BREEDS = ("beagle", "pug")


IMAGE_LIBS = {"numpy": "numpy", "PIL": "Pillow"}
WEIGHT_LIBS = ("torch", "torchvision")


class SeedError(Exception):
    """This environment cannot be seeded; the message says why and what to do."""


def _has(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _lib(name: str) -> Any:
    """Import a library of the environment (kept dynamic: dlbox itself does not need them)."""
    return importlib.import_module(name)


def _image(rng: Any, warm: bool, px: int) -> Any:
    np = _lib("numpy")
    h = int(px * rng.uniform(0.8, 1.25))
    w = int(px * rng.uniform(0.8, 1.25))
    base = np.array([200, 120, 60] if warm else [60, 120, 200], dtype=np.float32)
    noise = rng.normal(0, 40, size=(h, w, 3))
    pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
    return _lib("PIL.Image").fromarray(pixels)


def seed_images(root: Path, per_class: int, px: int) -> int:
    rng = _lib("numpy").random.default_rng(42)
    count = 0
    dogscats = root / "dogscats"
    for split, n in (("train", per_class), ("valid", max(2, per_class // 2))):
        for label, warm in (("cats", True), ("dogs", False)):
            folder = dogscats / split / label
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                _image(rng, warm, px).save(folder / f"{label[:-1]}.{1000 + i}.jpg")
                count += 1
    test = dogscats / "test1"
    test.mkdir(parents=True, exist_ok=True)
    for i in range(max(2, per_class // 2)):
        _image(rng, i % 2 == 0, px).save(test / f"{i + 1}.jpg")
        count += 1
    pets = root / "oxford-iiit-pet" / "images"
    pets.mkdir(parents=True, exist_ok=True)
    for breeds, warm in ((CAT_BREEDS, True), (DOG_BREEDS, False)):
        for breed in breeds:
            for i in range(max(2, per_class // 2)):
                _image(rng, warm, px).save(pets / f"{breed}_{i + 1}.jpg")
                count += 1
    return count


def seed_checkpoint(root: Path) -> Path:
    torch = _lib("torch")
    torchvision = _lib("torchvision")
    target = root / "torch" / "hub" / "checkpoints" / CHECKPOINT
    target.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    state = torchvision.models.resnet34(weights=None).state_dict()
    tmp = target.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(target)
    return target


def _already(marker: Path, wanted: dict[str, object], weights: Path | None) -> bool:
    """The marker says these images were seeded, with the weights when they are wanted."""
    if not marker.exists():
        return False
    try:
        done = json.loads(marker.read_text())
    except ValueError:
        return False
    if not isinstance(done, dict) or any(done.get(k) != v for k, v in wanted.items()):
        return False
    return weights is None or (bool(done.get("weights")) and weights.is_file())


def seed(root: Path, per_class: int = 16, px: int = 96) -> dict[str, object]:
    missing = [pkg for module, pkg in IMAGE_LIBS.items() if not _has(module)]
    if missing:
        raise SeedError(
            f"the smoke profile makes its synthetic images with numpy and Pillow; this "
            f"environment lacks {' and '.join(missing)}: add them to its lock, or verify with "
            "--profile full"
        )
    with_weights = all(_has(name) for name in WEIGHT_LIBS)
    marker = root / ".dlbox-smoke-seed.json"
    wanted: dict[str, object] = {"version": SEED_VERSION, "per_class": per_class, "px": px}
    weights = root / "torch" / "hub" / "checkpoints" / CHECKPOINT if with_weights else None
    if _already(marker, wanted, weights):
        return {"seeded": False, "root": str(root), **wanted, "weights": with_weights}
    start = time.monotonic()
    root.mkdir(parents=True, exist_ok=True)
    images = seed_images(root, per_class, px)
    info: dict[str, object] = {**wanted, "images": images, "weights": with_weights}
    if with_weights:
        info["checkpoint"] = str(seed_checkpoint(root))
    else:
        info["weights_skipped"] = (
            "no torch and torchvision in this environment: nothing here could load stand-in weights"
        )
    info["seconds"] = round(time.monotonic() - start, 2)
    marker.write_text(json.dumps(info))
    return {"seeded": True, "root": str(root), **info}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--per-class", type=int, default=16)
    parser.add_argument("--px", type=int, default=96)
    args = parser.parse_args(argv)
    try:
        print(json.dumps(seed(args.root, args.per_class, args.px)))
    except SeedError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

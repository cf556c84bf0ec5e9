"""Print what the first `dlbox up` (or `dlbox build`) downloads, computed from the committed locks.

Python wheels: uv resolves each lock file of the platform with `--no-deps` (so exactly the pinned
versions) and writes a pylock.toml, which names the one file uv picks for that platform with its
size in bytes; each picked file's sha256 is checked against the lock's hashes, so the number is
for the very files the image build installs. Debian packages: apt in the base image prints the
.deb files `apt-get install --no-install-recommends` would fetch, with their sizes
(`--print-uris`). The base image: its size as `docker save | gzip` (what a registry pull moves).

    .venv/bin/python scripts/download_size.py                      # CUDA 13 line, linux-x86_64
    .venv/bin/python scripts/download_size.py --line 12 --platform linux-aarch64
    .venv/bin/python scripts/download_size.py --no-engine          # wheels only (no Docker)

Needs PyPI (and, without --no-engine, Docker with the base image and a Debian mirror).
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dlbox.environment.lockset import LAYERS, TOOLS_LOCK  # noqa: E402
from dlbox.image.relock import PLATFORMS  # noqa: E402
from dlbox.image.render import BASE_APT_PACKAGES  # noqa: E402
from dlbox.image.spec import DEFAULT_BASE_IMAGE  # noqa: E402

ENV = ROOT / "src" / "dlbox" / "image" / "env"
LOCK_DIRS = {"13": ENV / "locks", "12": ENV / "cuda12" / "locks"}
SHORT = {"torch.txt": "PyTorch, torchvision, CUDA libraries", "course.txt": "the course stack"}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")
_URI = re.compile(r"^'(?P<uri>[^']+)' (?P<file>\S+) (?P<size>\d+) ")


@dataclass(frozen=True)
class Part:
    what: str
    files: int
    size: int


def lock_hashes(text: str) -> dict[str, set[str]]:
    """name -> the sha256 hashes a hash-pinned requirements file allows for it."""
    hashes: dict[str, set[str]] = {}
    name = ""
    for line in text.splitlines():
        pin = _PIN.match(line)
        if pin:
            name = pin.group(1).lower().replace("_", "-").replace(".", "-")
            hashes[name] = set()
        for digest in _HASH.findall(line):
            hashes.setdefault(name, set()).add(digest)
    return hashes


def pylock_sizes(pylock: dict[str, object], allowed: dict[str, set[str]]) -> tuple[int, int]:
    """(files, bytes) of the file picked per package (a wheel, else the sdist), each checked
    against the lock's hashes."""
    files = total = 0
    packages = pylock.get("packages")
    assert isinstance(packages, list)
    for package in packages:
        name = str(package["name"]).lower().replace("_", "-").replace(".", "-")
        wheels = package.get("wheels") or []
        picked = wheels[0] if wheels else package.get("sdist")
        if not picked:
            raise SystemExit(f"{name}: uv named no file to download")
        digest = picked["hashes"]["sha256"]
        if digest not in allowed.get(name, set()):
            raise SystemExit(f"{name}: the file uv picked ({digest[:12]}) is not in the lock")
        files += 1
        total += int(picked["size"])
    return files, total


def wheel_parts(lock_dir: Path, platform: str) -> list[Part]:
    uv = shutil.which("uv") or "/usr/local/bin/uv"
    header = (lock_dir / TOOLS_LOCK).read_text().splitlines()[0]
    python = re.search(r"Python (\d+\.\d+)", header)
    parts = []
    for name, title in ((TOOLS_LOCK, "uv"), *LAYERS):
        lock = lock_dir / name
        with tempfile.TemporaryDirectory(prefix="dlbox-size-") as tmp:
            out = Path(tmp) / "pylock.toml"
            argv = [uv, "pip", "compile", str(lock), "--no-deps", "--format", "pylock.toml"]
            argv += ["--python-version", python.group(1) if python else "3.11"]
            argv += ["--python-platform", PLATFORMS[platform], "--quiet", "-o", str(out)]
            subprocess.run(argv, check=True, timeout=600, env=_uv_env(platform))
            picked = tomllib.loads(out.read_text())
            files, size = pylock_sizes(picked, lock_hashes(lock.read_text()))
        parts.append(Part(f"{name}: {SHORT.get(name, title)}", files, size))
    return parts


def _uv_env(platform: str) -> dict[str, str]:
    env = dict(os.environ)
    if platform == "macos-arm64":
        env["MACOSX_DEPLOYMENT_TARGET"] = "14.0"
    return env


def apt_uris(output: str) -> tuple[int, int]:
    """(files, bytes) from `apt-get install --print-uris` output."""
    sizes = [int(m.group("size")) for m in map(_URI.match, output.splitlines()) if m]
    return len(sizes), sum(sizes)


def apt_part(docker: str, image: str) -> Part:
    script = (
        "apt-get update -qq >/dev/null && apt-get install -qq -y --print-uris "
        "--no-install-recommends " + " ".join(BASE_APT_PACKAGES)
    )
    done = subprocess.run(
        [docker, "run", "--rm", "--network", "host", image, "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    files, size = apt_uris(done.stdout)
    return Part("Debian packages (apt, with dependencies)", files, size)


def base_image_part(docker: str, image: str) -> Part:
    saved = subprocess.run([docker, "save", image], capture_output=True, timeout=600, check=True)
    return Part(f"base image {image}, gzipped", 1, len(gzip.compress(saved.stdout)))


def human(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--line", choices=sorted(LOCK_DIRS), default="13")
    parser.add_argument("--platform", choices=sorted(PLATFORMS), default="linux-x86_64")
    parser.add_argument("--no-engine", action="store_true", help="wheels only")
    parser.add_argument("--docker", default="/usr/bin/docker")
    parser.add_argument("--base-image", default=DEFAULT_BASE_IMAGE)
    args = parser.parse_args()
    parts = wheel_parts(LOCK_DIRS[args.line] / args.platform, args.platform)
    if not args.no_engine and not args.platform.startswith("macos"):
        parts += [apt_part(args.docker, args.base_image)]
        parts += [base_image_part(args.docker, args.base_image)]
    print(f"First download for the CUDA {args.line} line on {args.platform}:")
    for part in parts:
        print(f"  {part.what:<46} {part.files:>4} files  {human(part.size):>9}")
    total = sum(p.size for p in parts)
    print(f"  {'total':<46} {sum(p.files for p in parts):>4} files  {human(total):>9}")
    for mbit in (50, 100, 500):
        print(f"  at {mbit} Mbit/s: {total * 8 / (mbit * 1e6) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

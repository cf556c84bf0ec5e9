"""What can be downloaded: the catalog of known datasets (fastai's `URLs.*` and the classic
dogscats zip) and ad-hoc URLs pinned with a sha256.

A dataset is named by its fastai URL stem (`oxford-iiit-pet`, `mnist_sample`, `dogscats`): that is
the folder fastai's `untar_data` looks for under its data path, so a dataset fetched by dlbox is
found by the lessons without a second download. fastai's constant names (`PETS`, `URLs.PETS`) work
as aliases. Checks come from fastai's `fastai/data/download_checks.py` (size and md5 of the first
MiB); a full sha256 is used where one is known (always for ad-hoc URLs).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from dlbox.errors import UsageError
from dlbox.names import NAME_PATTERN, check_name

ARCHIVE_SUFFIXES = (
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tar",
    ".zip",
)
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
NAME_RE = re.compile(NAME_PATTERN)


@dataclass(frozen=True)
class Checks:
    """What a downloaded archive must match. Any field may be unknown (None)."""

    size: int | None = None
    sha256: str | None = None
    md5_first_mib: str | None = None  # fastai's check: md5 of the first 2**20 bytes

    @property
    def strength(self) -> str:
        if self.sha256:
            return "sha256"
        if self.md5_first_mib and self.size:
            return "fastai (size + md5 of first MiB)"
        if self.size:
            return "size"
        return "none"


@dataclass(frozen=True)
class Source:
    url: str
    checks: Checks = field(default_factory=Checks)

    @property
    def filename(self) -> str:
        return url_filename(self.url)


@dataclass(frozen=True)
class Dataset:
    name: str  # the fastai stem: the folder under the data dir
    sources: tuple[Source, ...]  # mirrors in order of preference
    description: str = ""
    aliases: tuple[str, ...] = ()
    custom: bool = False  # an ad-hoc URL, not from the catalog

    @property
    def size(self) -> int | None:
        return self.sources[0].checks.size

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "aliases": list(self.aliases),
            "custom": self.custom,
            "sources": [
                {
                    "url": s.url,
                    "size": s.checks.size,
                    "sha256": s.checks.sha256,
                    "md5_first_mib": s.checks.md5_first_mib,
                    "check": s.checks.strength,
                }
                for s in self.sources
            ],
        }


def url_filename(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def archive_stem(filename: str) -> str:
    """`oxford-iiit-pet.tgz` -> `oxford-iiit-pet` (the folder fastai extracts to)."""
    lower = filename.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lower.endswith(suffix) and len(filename) > len(suffix):
            return filename[: -len(suffix)]
    return filename


S3 = "https://s3.amazonaws.com/fast-ai-"


def _fastai(path: str, size: int, md5: str, alias: str, description: str) -> Dataset:
    url = S3 + path
    return Dataset(
        archive_stem(url_filename(url)),
        (Source(url, Checks(size, None, md5)),),
        description,
        (alias,),
    )


CATALOG_LIST: tuple[Dataset, ...] = (
    Dataset(
        "dogscats",
        (
            Source(
                f"{S3}sample/dogscats.tgz",
                Checks(839285364, None, "3e483c8d6ef2175e9d395a6027eb92b7"),
            ),
            Source("http://files.fast.ai/data/dogscats.zip"),
        ),
        "Dogs vs cats (course v1 lesson 1): train/ valid/ test1/ sample/",
        ("DOGS",),
    ),
    _fastai(
        "imageclas/oxford-iiit-pet.tgz",
        811706944,
        "e4db5c768afd933bb91f5f594d7417a4",
        "PETS",
        "Oxford-IIIT Pet: 37 breeds (lesson 1)",
    ),
    _fastai(
        "sample/mnist_sample.tgz",
        3214948,
        "2dbc7ec6f9259b583af0072c55816a88",
        "MNIST_SAMPLE",
        "MNIST 3s and 7s (lesson 4)",
    ),
    _fastai(
        "sample/mnist_tiny.tgz",
        342207,
        "56143e8f24db90d925d82a5a74141875",
        "MNIST_TINY",
        "A very small MNIST sample",
    ),
    _fastai(
        "imageclas/mnist_png.tgz",
        15683414,
        "03639f83c4e3d19e0a3a53a8a997c487",
        "MNIST",
        "Full MNIST as PNG files",
    ),
    _fastai(
        "imageclas/imagenette2-160.tgz",
        99003388,
        "c475f8f7617a200ba35b9facc48443c3",
        "IMAGENETTE_160",
        "Imagenette, 10 ImageNet classes, 160 px",
    ),
    _fastai(
        "imageclas/imagenette2-320.tgz",
        341663724,
        "1f1f74f133caff120e575856659b87a2",
        "IMAGENETTE_320",
        "Imagenette, 320 px",
    ),
    _fastai(
        "imageclas/imagenette2.tgz",
        1557161267,
        "2c774ecb40005b35d7937d50f5d42336",
        "IMAGENETTE",
        "Imagenette, full size",
    ),
    _fastai(
        "imageclas/imagewoof2-160.tgz",
        92612825,
        "3559b194123981a540b87132dbda412f",
        "IMAGEWOOF_160",
        "Imagewoof, 10 dog breeds, 160 px",
    ),
    _fastai(
        "imageclas/imagewoof2-320.tgz",
        328387740,
        "7a1fd92672a559a85de76e4810a20c21",
        "IMAGEWOOF_320",
        "Imagewoof, 320 px",
    ),
    _fastai(
        "sample/cifar10.tgz",
        168168549,
        "a5f8c31371b63a406b23368042812d3c",
        "CIFAR",
        "CIFAR-10 as PNG files",
    ),
    _fastai(
        "imageclas/oxford-102-flowers.tgz",
        345236087,
        "5666e01c1311b4c67fcf20d2b3850a88",
        "FLOWERS",
        "Oxford 102 flowers",
    ),
    _fastai(
        "imageclas/stanford-cars.tgz",
        1957803273,
        "9045d6673c9ced0889f41816f6bf2f9f",
        "CARS",
        "Stanford cars",
    ),
    _fastai(
        "sample/planet_tiny.tgz",
        997569,
        "490873c5683454d4b2611fb1f00a68a9",
        "PLANET_TINY",
        "Planet (multi-label), tiny sample",
    ),
    _fastai(
        "sample/planet_sample.tgz",
        15523994,
        "8bfb174b3162f07fbde09b54555bdb00",
        "PLANET_SAMPLE",
        "Planet (multi-label), sample",
    ),
    _fastai(
        "sample/camvid_tiny.tgz",
        2314212,
        "2cf6daf91b7a2083ecfa3e9968e9d915",
        "CAMVID_TINY",
        "CamVid segmentation, tiny",
    ),
    _fastai(
        "imagelocal/camvid.tgz",
        598913237,
        "648371e4f3a833682afb39b08a3ce2aa",
        "CAMVID",
        "CamVid segmentation",
    ),
    _fastai(
        "imagelocal/biwi_head_pose.tgz",
        452316199,
        "00f4ccf66e8cba184bc292fdc08fb237",
        "BIWI_HEAD_POSE",
        "BIWI head pose (regression)",
    ),
    _fastai(
        "sample/biwi_sample.tgz",
        593774,
        "9179f4c1435f4b291f0d5b072d60c2c9",
        "BIWI_SAMPLE",
        "BIWI head pose, sample",
    ),
    _fastai(
        "imagelocal/pascal_2007.tgz",
        1637796771,
        "433b4706eb7c42bd74e7f784e3fdf244",
        "PASCAL_2007",
        "PASCAL VOC 2007 (object detection)",
    ),
    _fastai(
        "coco/coco_tiny.tgz",
        801038,
        "367467451ac4fba79a647753c2c66d3a",
        "COCO_TINY",
        "COCO, tiny detection sample",
    ),
    _fastai(
        "sample/adult_sample.tgz",
        968212,
        "64eb9d7e23732de0b138f7372d15492f",
        "ADULT_SAMPLE",
        "Adult census income (tabular)",
    ),
    _fastai(
        "sample/movie_lens_sample.tgz",
        51790,
        "10961384dfe7c5181460390a460c1f77",
        "ML_SAMPLE",
        "MovieLens sample (collaborative filtering)",
    ),
    _fastai(
        "sample/imdb_sample.tgz",
        571827,
        "0842e61a9867caa2e6fbdb14fa703d61",
        "IMDB_SAMPLE",
        "IMDb reviews, sample",
    ),
    _fastai(
        "nlp/imdb.tgz",
        144440600,
        "90f9b1c4ff43a90d67553c9240dc0249",
        "IMDB",
        "IMDb reviews (sentiment)",
    ),
    _fastai(
        "nlp/wikitext-2.tgz",
        4070055,
        "2a82d47a7b85c8b6a8e068dc4c1d37e7",
        "WIKITEXT_TINY",
        "WikiText-2",
    ),
    _fastai(
        "sample/human_numbers.tgz",
        30252,
        "8a19c3bfa2bcb08cd787e741261f3ea2",
        "HUMAN_NUMBERS",
        "Numbers written as words (lesson on RNNs)",
    ),
)

CATALOG: dict[str, Dataset] = {d.name: d for d in CATALOG_LIST}


def _key(name: str) -> str:
    name = name.strip()
    if name.startswith("URLs."):
        name = name[len("URLs.") :]
    return name.lower().replace("-", "_")


_INDEX: dict[str, Dataset] = {}
for _d in CATALOG_LIST:
    for _n in (_d.name, *_d.aliases):
        _INDEX[_key(_n)] = _d


def validate_sha256(value: str) -> str:
    digest = value.strip().lower()
    if digest.startswith("sha256:"):
        digest = digest[len("sha256:") :]
    if not SHA256_RE.match(digest):
        raise UsageError(
            f"--sha256 {value!r} is not a SHA-256 digest (64 hexadecimal characters).",
            "Pass the full digest, e.g. the output of `sha256sum FILE` (the first column).",
        )
    return digest


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def lookup(name: str) -> Dataset | None:
    return _INDEX.get(_key(name))


def resolve(name_or_url: str, sha256: str | None = None) -> Dataset:
    """A catalog name/alias, or an http(s) URL that must come with its sha256."""
    digest = validate_sha256(sha256) if sha256 is not None else None
    if is_url(name_or_url):
        filename = url_filename(name_or_url)
        stem = archive_stem(filename)
        if not filename or not NAME_RE.match(stem) or stem == filename:
            raise UsageError(
                f"Cannot tell the archive type of {name_or_url!r} from its name.",
                "Give a URL that ends in .zip, .tgz, .tar.gz, .tar.bz2, .tar.xz or .tar.",
            )
        check_name("dataset", stem)  # `archive.tgz` would unpack over DATA/archive
        if digest is None:
            raise UsageError(
                f"Downloading {name_or_url} needs its checksum, so a corrupted or substituted file "
                "is never unpacked.",
                f"Pass it: `dlbox data get {name_or_url} --sha256 HEX` (64 hex characters).",
            )
        known = lookup(stem)
        description = known.description if known else "custom download"
        return Dataset(
            stem, (Source(name_or_url, Checks(sha256=digest)),), description, custom=known is None
        )
    dataset = lookup(name_or_url)
    if dataset is None:
        raise UsageError(f"Unknown dataset {name_or_url!r}.", _suggest(name_or_url))
    if digest is not None:  # the user pins the first source's archive
        first = dataset.sources[0]
        pinned = Source(first.url, Checks(first.checks.size, digest, first.checks.md5_first_mib))
        dataset = Dataset(dataset.name, (pinned,), dataset.description, dataset.aliases)
    return dataset


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(_key(name), list(_INDEX), n=3, cutoff=0.6)
    names = sorted({_INDEX[c].name for c in close})
    tip = f"Did you mean {' or '.join(names)}? " if names else ""
    return (
        f"{tip}`dlbox data list` shows the catalog; for any other archive pass its URL "
        "with --sha256."
    )

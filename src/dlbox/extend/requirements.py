"""The user's extra packages as written in dlbox.toml: checking, naming, adding and removing."""

from __future__ import annotations

import re
from collections.abc import Callable

from dlbox.environment.lockset import normalize_name
from dlbox.errors import UsageError

# name, optional [extras], optional version specifiers, optional ; marker. No URLs, no options:
# a line starting with "-" would be read by uv as an option (--index-url ...) from the file.
_REQUIREMENT = re.compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
    r"(?P<extras>\[[A-Za-z0-9._,\s-]*\])?"
    r"\s*(?P<spec>(?:[<>=!~]=?|===)\s*[A-Za-z0-9.*+!_-]+"
    r"(?:\s*,\s*(?:[<>=!~]=?|===)\s*[A-Za-z0-9.*+!_-]+)*)?"
    r"\s*(?P<marker>;[^\n\r]*)?$"
)
_APT_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]*(?:[:=][A-Za-z0-9.+~:_-]+)?$")


def requirement_name(requirement: str) -> str:
    """The normalized distribution name of a requirement such as `Rich[jupyter]>=13`."""
    match = _REQUIREMENT.match(requirement.strip())
    if not match:
        raise invalid_requirement(requirement)
    return normalize_name(match.group("name"))


def invalid_requirement(requirement: str) -> UsageError:
    return UsageError(
        f"{requirement!r} is not a package requirement dlbox can add.",
        "Give a name with an optional version, e.g. `dlbox add rich` or `dlbox add 'rich>=13'`; "
        "for a URL or a local wheel, use a [extras] dockerfile line instead.",
    )


def check_requirement(requirement: str) -> str:
    text = requirement.strip()
    requirement_name(text)
    return text


def check_apt_package(name: str) -> str:
    if not _APT_PACKAGE.match(name.strip()):
        raise UsageError(
            f"{name!r} is not a Debian package name.",
            "Use a name such as graphviz (lowercase; find one with `apt-cache search`).",
        )
    return name.strip()


def merge(current: list[str], new: list[str], key: str = "pip") -> list[str]:
    """current with new added: a package already listed is replaced where it stands (so
    `add 'rich<14'` changes the rich entry), new ones are appended in the order given."""
    name = requirement_name if key == "pip" else _apt_name
    out = list(current)
    for item in new:
        wanted = name(item)
        for i, existing in enumerate(out):
            if _safe_name(name, existing) == wanted:
                out[i] = item
                break
        else:
            out.append(item)
    return out


def drop(current: list[str], names: list[str], key: str = "pip") -> list[str]:
    """current without the named packages; naming one that is not there is an error."""
    name = requirement_name if key == "pip" else _apt_name
    wanted = {name(n) for n in names}
    present = {_safe_name(name, item) for item in current}
    missing = sorted(wanted - present)
    if missing:
        listed = ", ".join(current) if current else "none"
        raise UsageError(
            f"{', '.join(missing)} is not in dlbox.toml's [extras] {key} (listed: {listed}).",
            "Remove one of the listed packages, or check the spelling.",
        )
    return [item for item in current if _safe_name(name, item) not in wanted]


def _apt_name(item: str) -> str:
    return re.split(r"[:=]", item.strip(), maxsplit=1)[0].lower()


def _safe_name(name: Callable[[str], str], item: str) -> str:
    """A listed entry's name; one dlbox cannot parse (hand-written) keeps its text as name."""
    try:
        return name(item)
    except UsageError:
        return item.strip()

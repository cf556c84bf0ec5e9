"""The one place secrets are taken out of text: credentials in URLs (`https://user:token@host`) and
secret query parameters (`?token=`, `sig=`, `X-Amz-Signature=`, ...).

Every message, log line, JSON document and stored record goes through `redact_text` (the CLI's
consoles do it for everything they print; dlbox.process for argv, logs and stderr tails; dataset
and course records store `redact_url(url)`). The secret itself lives only where it must: git's own
clone configuration, or a 0600 file written by dlbox.secrets.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import unquote

MASK = "***"
SECRET_PARAMS = frozenset(
    {
        "token",
        "access_token",
        "auth",
        "key",
        "api_key",
        "apikey",
        "sig",
        "signature",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
    }
)
SECRET_PARAM_PREFIXES = ("x-amz-", "x-goog-")
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>`]+")
_PARTS = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/?#]*)(.*)$", re.S)


def is_secret_param(name: str) -> bool:
    low = unquote(name).strip().lower()
    return low in SECRET_PARAMS or low.startswith(SECRET_PARAM_PREFIXES)


def _params(text: str, keep: Collection[str]) -> str:
    out = []
    for part in text.split("&"):
        name, sep, value = part.partition("=")
        if sep and value and value not in keep and is_secret_param(name):
            part = f"{name}={MASK}"
        out.append(part)
    return "&".join(out)


def redact_url(url: str, keep: Collection[str] = ()) -> str:
    """`url` with its userinfo and secret query/fragment parameters replaced by ***.
    Values in `keep` stay (a secret the command exists to show, such as the user's own Jupyter
    URL). Text that is not a URL comes back unchanged."""
    match = _PARTS.match(url)
    if not match:
        return url
    scheme, netloc, rest = match.groups()
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if userinfo not in keep:
            netloc = f"{MASK}@{host}"
    rest, hash_, fragment = rest.partition("#")
    path, qmark, query = rest.partition("?")
    if qmark:
        query = _params(query, keep)
    if hash_ and "=" in fragment:
        fragment = _params(fragment, keep)
    return f"{scheme}{netloc}{path}{qmark}{query}{hash_}{fragment}"


def without_userinfo(url: str) -> str:
    """`url` with its userinfo dropped (https://u:t@host/r -> https://host/r): the form to store or
    suggest once git holds the credential."""
    match = _PARTS.match(url)
    if not match or "@" not in match.group(2):
        return url
    scheme, netloc, rest = match.groups()
    return f"{scheme}{netloc.rsplit('@', 1)[1]}{rest}"


def redact_text(text: str, keep: Collection[str] = ()) -> str:
    """Every URL in `text` passed through redact_url."""
    if "://" not in text:
        return text
    return _URL.sub(lambda m: redact_url(m.group(0), keep), text)


def redact_data(data: object, keep: Collection[str] = ()) -> object:
    """A JSON-like document with every string (keys and values) redacted."""
    if isinstance(data, str):
        return redact_text(data, keep)
    if isinstance(data, dict):
        return {redact_data(k, keep): redact_data(v, keep) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [redact_data(v, keep) for v in data]
    return data


def url_has_secret(url: str) -> bool:
    return redact_url(url) != url


def url_secrets(texts: Collection[str]) -> list[str]:
    """The secret parts (userinfo, secret parameter values) of every URL in texts: for masking
    them where they may appear outside their URL (git prints the bare password sometimes)."""
    found: list[str] = []
    for text in texts:
        for m in _URL.finditer(text):
            parts = _PARTS.match(m.group(0))
            if not parts:
                continue
            _scheme, netloc, rest = parts.groups()
            if "@" in netloc:
                userinfo = netloc.rsplit("@", 1)[0]
                found.append(userinfo)
                password = userinfo.partition(":")[2]
                if password:
                    found.append(password)
            for chunk in re.split(r"[?#&]", rest)[1:]:
                name, sep, value = chunk.partition("=")
                if sep and value and is_secret_param(name):
                    found.append(value)
    return sorted(set(found), key=len, reverse=True)

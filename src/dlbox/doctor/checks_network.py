"""Network checks: proxy variables (redacted), the CA bundle builds get, and reaching PyPI."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from dlbox.doctor.facts import Facts
from dlbox.doctor.model import Finding, Status
from dlbox.errors import DlboxError
from dlbox.image.ca import CaBundle, detect_ca_bundle

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
PYPI_URL = "https://pypi.org/simple/pip/"
PYPI_TIMEOUT = 5.0
_USERINFO = re.compile(r"//[^/@\s]*@")


def redact_proxy(value: str) -> str:
    """Drop credentials from a proxy URL: http://user:secret@host:3128 -> http://***@host:3128."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return _USERINFO.sub("//***@", value)
    if parts.username is None and parts.password is None:
        return _USERINFO.sub("//***@", value) if "@" in value else value
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def proxy_settings(facts: Facts) -> dict[str, str]:
    found: dict[str, str] = {}
    for var in PROXY_VARS:
        for name in (var, var.lower()):
            value = facts.environ.get(name)
            if value:
                found[name] = value if var == "NO_PROXY" else redact_proxy(value)
    return found


def check_proxy(facts: Facts) -> Finding:
    found = proxy_settings(facts)
    details: dict[str, object] = {"variables": found}
    if not found:
        return Finding("ok", "no proxy variables set (direct connections)", "", details)
    shown = ", ".join(f"{k}={v}" for k, v in found.items())
    upper = {k.upper() for k in found}
    if any(v in upper for v in ("HTTP_PROXY", "HTTPS_PROXY")) and "NO_PROXY" not in upper:
        return Finding(
            "warn",
            f"{shown}; no NO_PROXY, so local addresses go through the proxy too",
            "Set NO_PROXY=localhost,127.0.0.1 so `up`'s health check reaches Jupyter directly.",
            details,
        )
    return Finding("ok", shown, "", details)


def _ca(facts: Facts) -> CaBundle:
    explicit = ""
    try:
        explicit = str(facts.settings()["ca_bundle"])
    except DlboxError:
        pass
    return detect_ca_bundle(Path(explicit) if explicit else None, facts.environ)


def check_ca_bundle(facts: Facts) -> Finding:
    try:
        ca = _ca(facts)
    except DlboxError as exc:
        return Finding("fail", exc.message, exc.hint or "")
    details: dict[str, object] = ca.to_dict()
    engine = facts.engine()
    if ca.path is None:
        return Finding(
            "warn" if proxy_settings(facts) else "ok",
            "no CA bundle found; builds trust only the base image's CAs",
            "Behind a TLS-inspecting proxy, pass its CA: `dlbox config set ca_bundle PATH`.",
            details,
        )
    where = f"{ca.path} (from {ca.source})"
    if engine is None:
        return Finding("ok", f"CA bundle {where}; no container engine, so no builds", "", details)
    details["buildkit"] = engine.buildkit.mode
    if not engine.buildkit.available:
        return Finding(
            "warn",
            f"CA bundle {where}, but without BuildKit builds cannot receive it",
            "Install the buildx plugin (see the buildkit check); builds get the CA as a secret.",
            details,
        )
    return Finding(
        "ok",
        f"CA bundle {where}; builds get it as a BuildKit secret (never in an image layer)",
        "",
        details,
    )


def check_pypi(facts: Facts) -> Finding:
    try:
        ca: CaBundle | None = _ca(facts)
    except DlboxError:
        ca = None
    ca_path = ca.path if ca else None
    details: dict[str, object] = {
        "url": PYPI_URL,
        "ca_bundle": str(ca_path) if ca_path else None,
        "proxy": bool(proxy_settings(facts)),
    }
    # Without PyPI a build cannot run; with the current image present, `up` still works.
    status: Status = "warn" if facts.current_image_present() else "fail"
    try:
        code = facts.http_get(PYPI_URL, PYPI_TIMEOUT, ca_path)
    except Exception as exc:  # any network failure is the finding
        text = _USERINFO.sub("//***@", str(exc) or type(exc).__name__)
        details["error"] = f"{type(exc).__name__}: {text}"
        low = text.lower()
        if "certificate" in low or "ssl" in low:
            fix = "A proxy re-signs HTTPS: pass its CA with `dlbox config set ca_bundle PATH`."
        elif "proxy" in low or "407" in low:
            fix = "Check HTTPS_PROXY (and its credentials)."
        else:
            fix = "Check the network (and HTTPS_PROXY if you need a proxy); builds need PyPI."
        return Finding(status, f"cannot reach PyPI: {text[:160]}", fix, details)
    details["status_code"] = code
    if code >= 400:
        return Finding(
            status,
            f"PyPI answered HTTP {code}",
            "Check the proxy's rules for pypi.org and files.pythonhosted.org.",
            details,
        )
    return Finding("ok", f"PyPI reachable (HTTP {code})", "", details)

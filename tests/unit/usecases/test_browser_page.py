"""`up --open` hands the browser a private page, never the tokened URL (argv is public)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dlbox.usecases.up import browser_page


def test_page_is_private_and_redirects_to_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLBOX_STATE_DIR", str(tmp_path / "state"))
    url = "http://127.0.0.1:8888/lab?token=" + "ab" * 32
    page = browser_page("dlbox-code-1a2b3c4d", url)
    assert page.parent.name == "dlbox-code-1a2b3c4d"
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    text = page.read_text()
    assert 'http-equiv="refresh"' in text and url in text
    assert "token" not in page.as_uri()
    again = browser_page("dlbox-code-1a2b3c4d", url.replace("ab", "cd"))
    assert again == page and "cd" * 32 in page.read_text()


def test_url_is_escaped_in_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLBOX_STATE_DIR", str(tmp_path / "state"))
    page = browser_page("s1", 'http://127.0.0.1:1/lab?token=x"><script>')
    assert "<script>" not in page.read_text()

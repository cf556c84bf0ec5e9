"""The docs' pictures, made the way users see them: `dlbox up` with a new user's defaults, its
output, `dlbox doctor`'s output, and the lab it opens with the first lesson's first cells run.

In the test run they go to a temporary folder and are checked; scripts/screenshots sets
DLBOX_CAPTURES_DIR=docs/images and then writes the text captures into the docs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser import lab
from tests.browser.session import LabSession

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
LESSON = "dlbox-lessons/lesson1-pets.ipynb"
MAX_PNG_BYTES = 400_000
CAPTURES_DIR = os.environ.get("DLBOX_CAPTURES_DIR")  # read at import: tests see no DLBOX_* vars


@pytest.fixture
def session(fastai_image: str) -> Iterator[LabSession]:
    """A new user's defaults: nothing set, dlbox's default port (moved on if taken, and said so).
    A short HOME, so the paths the output shows (written as ~) fit the terminal's columns."""
    home = Path(tempfile.mkdtemp(prefix="u", dir="/tmp"))
    lab_session = LabSession(home, pin_port=False)
    yield lab_session
    lab_session.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def captures(tmp_path: Path) -> Path:
    folder = Path(CAPTURES_DIR) if CAPTURES_DIR else tmp_path / "captures"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_docs_captures(session: LabSession, page: Page, captures: Path) -> None:
    # A new user checks the machine, then starts the lab.
    session.home.mkdir(parents=True, exist_ok=True)
    doctor = session.dlbox("doctor")
    text = session.redact(doctor.output)
    assert "dlbox doctor" in text and "Container engine" in text, doctor.output
    (captures / "doctor.txt").write_text("$ dlbox doctor\n" + text.rstrip() + "\n")

    session.up()
    up = session.redact(session.up_output)
    assert session.token not in up and "?token=<token>" in up
    (captures / "up.txt").write_text("$ dlbox up\n" + up.rstrip() + "\n")

    page.goto(session.url)
    lab.wait_for_lab(page)
    listed = lab.listed_files(page)
    assert "dlbox-lessons" in listed, listed
    page.goto(session.url_for(f"lab/tree/{LESSON}"))
    lab.wait_for_lab(page)
    panel = lab.wait_for_kernel(page)
    panel.locator(".jp-Cell").first.click()
    for _ in range(4):
        lab.run_active_cell(page)
    lab.wait_for_output(panel, r"fastai \d+\.\d+\.\d+ \| torch", lab.IMPORT_MS)
    lab.wait_idle(panel)
    assert lab.visible_popups(page) == []
    png = lab.save_screenshot(page, captures / "lab.png")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) < MAX_PNG_BYTES, len(data)

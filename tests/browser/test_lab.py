"""JupyterLab from `dlbox up`, opened as a user opens it: the printed URL in a real browser.

One `dlbox up` (the real engine, the real fastai image) with a course folder set, shared by the
tests of this module; each test has a fresh browser context (no cookies).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser import lab
from tests.browser.session import LabSession
from tests.helpers import docker

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

COURSE = "course"
MARKER = "START-HERE.md"
LESSON = "dlbox-lessons/lesson1-pets.ipynb"
# A smoke cell a learner could type: fastai and torch import, and one tiny training step on the CPU.
SMOKE = """import fastai, torch
from fastai.data.core import DataLoaders
from fastai.learner import Learner
from torch.utils.data import TensorDataset
x = torch.randn(64, 3)
ds = TensorDataset(x, x.sum(1, keepdim=True))
dls = DataLoaders.from_dsets(ds, ds, bs=16, device="cpu")
learn = Learner(dls, torch.nn.Linear(3, 1), loss_func=torch.nn.MSELoss())
learn.fit(1, 0.1)
batches = len(learn.recorder.losses)
print("dlbox-smoke", fastai.__version__, torch.__version__, batches, "batches")"""


@pytest.fixture(scope="module")
def session(fastai_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabSession]:
    lab_session = LabSession(
        tmp_path_factory.mktemp("browser-lab") / "home", settings={"DLBOX_COURSE_SUBDIR": COURSE}
    )
    course = lab_session.code / COURSE
    course.mkdir(parents=True)
    (course / MARKER).write_text("# The course folder\n")
    lab_session.up()
    yield lab_session
    lab_session.stop()


@pytest.fixture(scope="module")
def image_versions(fastai_image: str) -> dict[str, str]:
    labels = json.loads(docker("image", "inspect", fastai_image).stdout)[0]["Config"]["Labels"]
    return {k.removeprefix("io.dlbox."): v for k, v in labels.items() if k.startswith("io.dlbox.")}


def test_printed_url_opens_the_lab_in_the_course_folder_uncovered(
    session: LabSession, page: Page
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(session.url)
    lab.wait_for_lab(page)
    assert "JupyterLab" in page.title()
    # The file browser opens in the course folder (the classic `-w /code/fastai`), not /code.
    assert lab.breadcrumbs(page).rstrip("/").endswith(COURSE), lab.breadcrumbs(page)
    listed = lab.listed_files(page)
    assert MARKER in listed and "data" in listed, listed
    # Nothing asks for attention: the news question (a toast) would come once the lab has
    # settled and asked the server for news, so let it settle first.
    try:
        page.wait_for_load_state("networkidle", timeout=15_000)
    except Exception:
        pass  # the lab polls now and then; the pause below still lets a pop-up show
    page.wait_for_timeout(2_000)
    assert lab.visible_popups(page) == []
    assert "official Jupyter news" not in page.content()
    # The page asks nothing of the internet (fonts, news, extension listings): offline machines
    # and classrooms see the same lab.
    elsewhere = [u for u in requested if not u.startswith((session.base + "/", "data:", "blob:"))]
    assert elsewhere == [], elsewhere


def test_shipped_lesson_runs_its_first_cells_in_the_page(
    session: LabSession, page: Page, image_versions: dict[str, str]
) -> None:
    page.goto(session.url_for(f"lab/tree/{LESSON}", reset=True))
    lab.wait_for_lab(page)
    panel = lab.wait_for_kernel(page)
    assert lab.kernel_name(panel) == "Python 3 (ipykernel)"
    # Run from the top as a learner does: Shift+Enter through the title, the %autoreload cell,
    # the parameters and the imports, which print the versions.
    panel.locator(".jp-Cell").first.click()
    for _ in range(4):
        lab.run_active_cell(page)
    shown = lab.wait_for_output(panel, r"fastai \d+\.\d+\.\d+ \| torch", lab.IMPORT_MS)
    assert f"fastai {image_versions['fastai']} | torch {image_versions['torch']}" in shown
    assert lab.visible_popups(page) == []


def test_new_notebook_trains_on_the_cpu_and_is_saved_on_the_host(
    session: LabSession, page: Page
) -> None:
    page.goto(session.url_for("lab", reset=True))
    lab.wait_for_lab(page)
    page.locator('.jp-LauncherCard[data-category="Notebook"]').first.click()
    panel = lab.wait_for_kernel(page)
    lab.type_into_active_cell(page, panel, SMOKE)
    lab.run_active_cell(page)
    shown = lab.wait_for_output(panel, r"dlbox-smoke", lab.IMPORT_MS)
    assert "dlbox-smoke 2." in shown and "4 batches" in shown, shown
    # Save as a user does: Ctrl+S, then name the untitled notebook in the rename dialog.
    page.keyboard.press("Control+s")
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(state="visible", timeout=lab.WAIT_MS)
    dialog.locator("input[type=text]").fill("from-the-browser.ipynb")
    dialog.locator(".jp-mod-accept").click()
    saved = session.code / COURSE / "from-the-browser.ipynb"
    _wait_for_file(saved, "dlbox-smoke")
    st = saved.stat()
    assert (st.st_uid, st.st_gid) == (os.getuid(), os.getgid())
    cells = json.loads(saved.read_text())["cells"]
    assert cells[0]["source"] and "learn.fit(1, 0.1)" in "".join(cells[0]["source"])


def test_without_the_token_only_the_login_page_shows(session: LabSession, page: Page) -> None:
    for url in (
        session.url_for(f"lab/tree/{LESSON}", token=False),
        f"{session.base}/lab?token={'0' * len(session.token)}",
    ):
        page.goto(url)
        page.locator("#password_input").wait_for(state="visible", timeout=lab.WAIT_MS)
        assert "/login" in page.url
        assert page.locator(".jp-NotebookPanel, #jp-main-dock-panel, .jp-DirListing").count() == 0
        assert "is it a cat" not in page.content()


def test_a_users_own_lab_settings_win_over_the_image_defaults(
    session: LabSession, page: Page
) -> None:
    """The news question is off by default, not forbidden: a user's own setting (as the Settings
    Editor writes it, in the home dlbox keeps) brings it back. This also shows that the check for
    pop-ups above sees one when there is one."""
    settings = (
        session.container_home
        / ".jupyter/lab/user-settings/@jupyterlab/apputils-extension"
        / "notification.jupyterlab-settings"
    )
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('{"fetchNews": "none"}\n')
    try:
        page.goto(session.url_for("lab", reset=True))
        lab.wait_for_lab(page)
        question = page.locator(lab.POPUPS).filter(has_text="official Jupyter news")
        question.first.wait_for(state="visible", timeout=lab.WAIT_MS)
        assert any("official Jupyter news" in p for p in lab.visible_popups(page))
    finally:
        settings.unlink()


def _wait_for_file(path: Path, text: str, timeout: float = lab.WAIT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.5)
    listed = sorted(p.name for p in path.parent.iterdir())
    raise AssertionError(f"{path} with {text!r} did not appear within {timeout:.0f} s; {listed}")

"""Driving JupyterLab in a real browser: Debian's Chromium through Playwright for Python.

Shared by the browser tests (tests/browser) and scripts/screenshots. The waits are the ones that
held over many cold runs on these machines (shared/design/engine-here.md item 18): the cell editor
visible, no spinner in the notebook panel, a real kernel name (not "No Kernel"), the execution
indicator idle (it reads idle before a kernel exists, hence last), then the output. Each wait gives
up after WAIT_MS with Playwright's TimeoutError, which names what it waited for.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Playwright

WAIT_MS = int(float(os.environ.get("DLBOX_BROWSER_WAIT_S", "60")) * 1000)
# A cell that imports fastai's vision stack: about 10 s on a quiet machine, but over 60 s was seen
# on two cores shared with image builds, so that one wait gets twice as long.
IMPORT_MS = 2 * WAIT_MS
# Debian's package; Playwright's own browser download never runs. Read at import: the test suite's
# autouse fixture clears DLBOX_* variables before each test.
CHROMIUM = os.environ.get("DLBOX_CHROMIUM") or "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}

# What covers the lab when something wants the user's attention: dialogs and toast notifications
# (the "official Jupyter news" question is a toast).
POPUPS = ".jp-Dialog, .Toastify__toast"


def chromium_path() -> str | None:
    """The Chromium to drive (DLBOX_CHROMIUM overrides), or None when it is not installed."""
    return shutil.which(CHROMIUM)


def launch(playwright: Playwright, executable: str) -> Browser:
    """Headless Chromium. --no-sandbox only as root (Chromium refuses to sandbox there); shared
    memory in /tmp, since a container's or CI's /dev/shm can be tiny."""
    args = ["--disable-dev-shm-usage"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    return playwright.chromium.launch(executable_path=executable, args=args, headless=True)


def wait_for_lab(page: Page) -> None:
    """The lab shell is up, the file browser lists a folder, and the splash screen is gone."""
    page.locator("#jp-main-dock-panel").wait_for(state="visible", timeout=WAIT_MS)
    page.locator(".jp-DirListing-content").wait_for(state="visible", timeout=WAIT_MS)
    page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=WAIT_MS)


def visible_popups(page: Page) -> list[str]:
    """The text of every dialog or notification now showing (empty: nothing covers the lab)."""
    found = page.locator(POPUPS)
    return [
        found.nth(i).inner_text().strip() for i in range(found.count()) if found.nth(i).is_visible()
    ]


def breadcrumbs(page: Page) -> str:
    """The file browser's current folder as the breadcrumbs show it, e.g. "/course"."""
    return page.locator(".jp-FileBrowser .jp-BreadCrumbs").first.inner_text().strip()


def listed_files(page: Page) -> list[str]:
    items = page.locator(".jp-FileBrowser .jp-DirListing-item .jp-DirListing-itemText")
    return [items.nth(i).inner_text().strip() for i in range(items.count())]


def notebook_panel(page: Page) -> Locator:
    """The notebook panel now showing (the lab may have others open from a restored workspace)."""
    return page.locator(".jp-NotebookPanel").filter(visible=True).first


def wait_for_kernel(page: Page) -> Locator:
    """Wait until the visible notebook can run code; returns its panel."""
    panel = notebook_panel(page)
    panel.locator(".jp-CodeCell .cm-editor").first.wait_for(state="visible", timeout=WAIT_MS)
    panel.locator(".jp-Spinner").wait_for(state="detached", timeout=WAIT_MS)
    kernel = panel.locator(".jp-KernelName").first
    kernel.wait_for(state="visible", timeout=WAIT_MS)
    page.wait_for_function(
        "(el) => { const t = el.textContent.trim(); return t !== '' && t !== 'No Kernel'; }",
        arg=kernel.element_handle(),
        timeout=WAIT_MS,
    )
    wait_idle(panel)
    return panel


def wait_idle(panel: Locator) -> None:
    panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').first.wait_for(
        state="attached", timeout=WAIT_MS
    )


def kernel_name(panel: Locator) -> str:
    return panel.locator(".jp-KernelName").first.inner_text().strip()


def type_into_active_cell(page: Page, panel: Locator, code: str) -> None:
    """Put code into the active cell's editor as typed text (inserted as is: no auto-indent or
    bracket closing to fight)."""
    editor = panel.locator(".jp-Cell.jp-mod-active .cm-content").first
    editor.click()
    page.keyboard.insert_text(code)


def run_active_cell(page: Page) -> None:
    """Shift+Enter, as a user runs a cell (and moves on to the next)."""
    page.keyboard.press("Shift+Enter")


def outputs(panel: Locator) -> list[str]:
    shown = panel.locator(".jp-OutputArea-output")
    return [shown.nth(i).inner_text() for i in range(shown.count())]


def wait_for_output(panel: Locator, pattern: str, timeout_ms: int = WAIT_MS) -> str:
    """Wait for a cell output whose text matches pattern (a regex); returns that output's text.
    On a timeout the assertion shows every output the notebook has (a traceback, say)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    output = panel.locator(".jp-OutputArea-output").filter(has_text=re.compile(pattern)).first
    try:
        output.wait_for(state="visible", timeout=timeout_ms)
    except PlaywrightTimeout:
        shown = "\n---\n".join(outputs(panel)) or "(no output at all)"
        raise AssertionError(
            f"no output matching {pattern!r} within {timeout_ms // 1000} s; outputs:\n{shown}"
        ) from None
    output.scroll_into_view_if_needed()
    return output.inner_text()


def save_screenshot(page: Page, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    return path

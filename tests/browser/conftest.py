"""The browser tier: JupyterLab as users open it, in Debian's Chromium driven by Playwright.

Needs /usr/bin/chromium (scripts/setup-engine installs it), the playwright package (a dev
dependency; its own browser download is never used), a real engine and the real fastai image.
When CI=true a missing piece FAILS the test; elsewhere it skips with the reason.

On a failure the page's screenshot, its console messages and every live session's server log are
kept under $DLBOX_BROWSER_ARTIFACTS (default /tmp/dlbox-browser-artifacts/<test>/).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import lab
from tests.browser.session import LIVE
from tests.conftest import need

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

ARTIFACTS = Path(os.environ.get("DLBOX_BROWSER_ARTIFACTS", "/tmp/dlbox-browser-artifacts"))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


# Module scope, not session: while Playwright's sync API is active its event loop runs in this
# thread, and every later test that calls asyncio.run() (the hub's kernels, KubeSpawner) fails
# with "cannot be called from a running event loop".
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("the playwright package is not installed (uv sync installs the dev dependencies)")
        raise
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    executable = lab.chromium_path()
    if executable is None:
        need(
            f"no Chromium at {lab.CHROMIUM} "
            "(scripts/setup-engine installs Debian's chromium package)"
        )
    assert executable is not None
    chromium = lab.launch(playwright_driver, executable)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (no cookies, no token) and its page."""
    context = browser.new_context(viewport=lab.VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(lab.WAIT_MS)
    tab = context.new_page()
    console: list[str] = []
    tab.on("console", lambda msg: console.append(f"[{msg.type}] {msg.text}"))
    tab.on("pageerror", lambda exc: console.append(f"[pageerror] {exc}"))
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        _keep_artifacts(request.node.name, tab, console)
    context.close()


def _keep_artifacts(test: str, tab: Page, console: list[str]) -> None:
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]", "_", test)
    shutil.rmtree(folder, ignore_errors=True)  # only this failure's files
    folder.mkdir(parents=True)
    kept = [folder / "console.log"]
    (folder / "console.log").write_text("\n".join(console) + "\n")
    try:
        kept.append(lab.save_screenshot(tab, folder / "screenshot.png"))
        (folder / "page-url.txt").write_text(tab.url.split("token=")[0] + "\n")
    except Exception as exc:  # the page may be gone; the logs still matter
        (folder / "screenshot-error.txt").write_text(f"{exc}\n")
    for session in LIVE:
        log = folder / f"server-{session.name}.log"
        log.write_text(session.redact(session.logs()))
        kept.append(log)
    print(f"browser artifacts kept: {', '.join(str(p) for p in kept)}")

"""`dlbox hub` as a learner meets it, in a real browser: sign up and log in through the hub's own
pages, the lab opens under /user/NAME/, a cell runs, logging out ends the visit. The real hub
(JupyterHub, configurable-http-proxy, DockerSpawner on the real engine) and the real image."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser import lab
from tests.browser.session import LIVE, LabSession
from tests.helpers import docker, free_port_block

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
SPAWN_MS = 240_000  # a first spawn creates the user's volume and copies the course in


class HubSession(LabSession):
    """`dlbox hub up` in a HOME of its own; on a failure the hub's and the proxy's logs are kept."""

    hub_url: str = ""

    def logs(self) -> str:
        hub = self.dlbox("hub", "logs", "hub", "--tail", "300", timeout=60).output
        proxy = self.dlbox("hub", "logs", "proxy", "--tail", "100", timeout=60).output
        return f"== hub ==\n{hub}\n== proxy ==\n{proxy}"

    def stop(self) -> None:
        if self in LIVE:
            LIVE.remove(self)
        self.dlbox("hub", "down", timeout=300)


@pytest.fixture(scope="module")
def hub(fastai_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubSession]:
    home = tmp_path_factory.mktemp("browser-hub") / "home"
    course = home / "course"
    course.mkdir(parents=True)
    (course / "welcome.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    session = HubSession(home, settings={"DLBOX_SHM_SIZE": "1g"}, pin_port=False)
    session.name = "hub"
    port = free_port_block(1, start=18970)
    up = session.dlbox(
        "hub", "up", "--admin", "teacher", "--gpus", "none", "--port", str(port),
        "--course-dir", str(course), "--json",
    )  # fmt: skip
    assert up.code == 0, up.output
    session.hub_url = json.loads(up.stdout)["url"]
    LIVE.append(session)
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture
def learner(hub: HubSession) -> Iterator[str]:
    """A user the teacher added (`dlbox hub users add`); removed afterwards, after the page's
    failure screenshot was taken (this fixture is set up before the page, torn down after it)."""
    user = f"ann-{secrets.token_hex(3)}"
    added = hub.dlbox("hub", "users", "add", user)
    assert added.code == 0, added.output
    yield user
    hub.dlbox("hub", "users", "remove", user, timeout=300)
    # The volume stays in use until the server has stopped (a stop can outlast `users remove`).
    volume = f"dlbox-hub-{user.replace('-', '-2d')}-code"
    deadline = time.monotonic() + 120
    while docker("volume", "rm", "-f", volume).returncode != 0 and time.monotonic() < deadline:
        time.sleep(2)


def test_a_learner_signs_up_logs_in_runs_a_cell_and_logs_out(
    hub: HubSession, learner: str, page: Page
) -> None:
    user, password = learner, secrets.token_urlsafe(12)
    # Sign up through the hub's page (the teacher added the name, so it is approved at once).
    page.goto(f"{hub.hub_url}hub/signup")
    page.locator("#username_input").fill(user)
    page.locator("#password_input").fill(password)
    confirm = page.locator("#password_confirmation_input")
    if confirm.count():
        confirm.fill(password)
    page.locator("#signup_submit").click()
    alert = page.locator(".alert").first
    alert.wait_for(state="visible", timeout=lab.WAIT_MS)
    assert "alert-danger" not in (alert.get_attribute("class") or ""), alert.inner_text()

    # Log in through the hub's login page; the hub spawns the lab and sends the user there.
    page.goto(f"{hub.hub_url}hub/login")
    page.locator("#username_input").fill(user)
    page.locator("#password_input").fill(password)
    page.locator("#login_submit").click()
    page.wait_for_url(re.compile(rf"/user/{user}/lab"), timeout=SPAWN_MS)
    lab.wait_for_lab(page)
    assert lab.visible_popups(page) == []
    assert "welcome.ipynb" in lab.listed_files(page)  # the course, copied in

    # A cell runs in the user's own server, as the user the hub says.
    page.locator('.jp-LauncherCard[data-category="Notebook"]').first.click()
    panel = lab.wait_for_kernel(page)
    lab.type_into_active_cell(
        page, panel, 'import os\nprint("hub-cell", os.environ["JUPYTERHUB_USER"], os.getuid())'
    )
    lab.run_active_cell(page)
    shown = lab.wait_for_output(panel, r"hub-cell")
    assert f"hub-cell {user} 1000" in shown

    # Log out from the lab's File menu: back at the hub's login page, the lab is closed.
    page.locator(".lm-MenuBar-itemLabel", has_text="File").first.click()
    menu = page.locator(".lm-Menu").filter(visible=True)
    menu.locator(".lm-Menu-item", has_text="Log Out").filter(visible=True).first.click()
    page.wait_for_url(re.compile(r"/hub/(login|logout)"), timeout=lab.WAIT_MS)
    page.goto(f"{hub.hub_url}user/{user}/lab")
    page.locator("#login_submit").wait_for(state="visible", timeout=lab.WAIT_MS)
    assert "/hub/login" in page.url
    assert page.locator("#jp-main-dock-panel").count() == 0

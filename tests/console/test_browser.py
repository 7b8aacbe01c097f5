"""The console in a real browser: Debian's chromium driven by Playwright (it cannot download its own
browsers here; `scripts/browser` installs chromium and the Chinese fonts). Under CI=true a missing
browser fails the test; elsewhere it is skipped, naming scripts/browser.

One walk through what a partner does: log in with its app, make a call with the kit's client, see it
appear in the live journal, open it, inject a fault through the form, see the next call answer it. The
screenshot it takes is the README's (`CONSOLE_SCREENSHOT=docs/console.png` writes it there).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from feishu_hire_client.api.hire import create_website_site_user
from feishu_hire_client.models import CreateWebsiteSiteUserRequestBody

from feishu_hire_kit.client import FeishuClient, FeishuError, connect
from mockserver import MockConfig, create_app
from mockserver.runtime import EXTENSION, Runtime
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET, WEBSITE_ID
from mockserver.server import WaitressServer
from tests.console.conftest import ADMIN_TOKEN

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE = "<img src=x onerror=alert(1)>"
# How soon a call must show in the live journal, without a reload (the bound).
LIVE_WITHIN_MS = 2000

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing: scripts/check runs scripts/browser under CI", pytrace=False)
    pytest.skip(f"needs Debian's chromium at {CHROMIUM}: run scripts/browser", allow_module_level=True)

from playwright.sync_api import Dialog, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    app = create_app(MockConfig(db_path=tmp_path / "mock.db", admin_token=ADMIN_TOKEN))
    running = WaitressServer(app, host="127.0.0.1", port=0, threads=4).start()
    yield running.base_url
    running.stop()
    runtime: Runtime = app.extensions[EXTENSION]
    runtime.close()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, timeout=60_000)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            yield context.new_page()
        finally:
            browser.close()


def _create(client: FeishuClient, external_id: str, name: str) -> None:
    body = CreateWebsiteSiteUserRequestBody(external_id=external_id, name=name)
    create_website_site_user.sync(WEBSITE_ID, client=client, body=body)


def test_a_partner_watches_its_calls_and_injects_a_fault(server: str, page: Page, tmp_path: Path) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    def dialog(shown: Dialog) -> None:
        problems.append(f"dialog: {shown.message}")
        shown.dismiss()

    page.on("dialog", dialog)

    page.goto(f"{server}/mock-ui/login")
    page.fill("input[name=app_id]", DEFAULT_APP_ID)
    page.fill("input[name=app_secret]", DEFAULT_APP_SECRET)
    page.click("form:has(input[name=app_id]) button[type=submit]")
    expect(page.locator("#who")).to_contain_text("sandbox")

    client = connect(DEFAULT_APP_ID, DEFAULT_APP_SECRET, server, retries=None)
    _create(client, "6960663240925956621", "张敏")
    called = time.monotonic()
    row = page.locator("#journal-rows tr.call", has_text="create_website_site_user")
    expect(row.first).to_be_visible(timeout=LIVE_WITHIN_MS)
    assert time.monotonic() - called < LIVE_WITHIN_MS / 1000 + 0.5  # the wait above, plus Playwright's own

    row.first.click()
    entry = page.locator("#entry")
    expect(entry.locator("h3", has_text="Request")).to_be_visible()
    expect(entry.locator("h3", has_text="Answer")).to_be_visible()
    expect(entry.locator("pre.body").first).to_contain_text("张敏")
    expect(entry).to_contain_text("X-Tt-Logid")

    page.select_option("#fault-form select[name=operation]", "create_website_site_user")
    page.select_option("#fault-form select[name=code]", "1002001")
    page.click("#fault-form button[type=submit]")
    expect(page.locator("#flash")).to_contain_text("answer 1002001")

    with pytest.raises(FeishuError) as failed:
        _create(client, "6960663240925956622", "王芳")
    assert failed.value.code == 1002001
    expect(page.locator("#journal-rows tr.call.failed", has_text="1002001").first).to_be_visible(
        timeout=LIVE_WITHIN_MS
    )

    # A hostile name is shown as text and runs nothing (no dialog, no error), and Chinese renders.
    _create(client, "hostile", HOSTILE)
    calls = page.locator("#journal-rows tr.call")
    expect(calls).to_have_count(4, timeout=LIVE_WITHIN_MS)  # the token, then three creates
    calls.first.click()
    expect(page.locator("#entry pre.body").first).to_contain_text(HOSTILE)
    expect(page.locator("#state")).to_contain_text("韩梅梅")
    calls.nth(1).click()  # the faulted call: its request is kept though it was never read
    expect(page.locator("#entry pre.body").first).to_contain_text("王芳")
    expect(page.locator("#entry pre.body").nth(1)).to_contain_text("1002001")
    assert page.evaluate("document.querySelectorAll('#entry img, #state img').length") == 0
    assert problems == []

    shot = Path(os.environ.get("CONSOLE_SCREENSHOT") or tmp_path / "console.png")
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

"""A real headless Chromium logs in and publishes a post, as a person would."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator

import pytest

from .conftest import BASE_URL, Account

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("E2E_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("needs Debian's chromium and chromium-driver")
    profile = tempfile.mkdtemp(prefix="folio-e2e-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        # The stack's certificate is a throwaway one made for this run.
        "--ignore-certificate-errors",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_an_author_logs_in_and_publishes_from_the_browser(
    browser: webdriver.Chrome, confirmed_account: Account
) -> None:
    wait = WebDriverWait(browser, 20)
    title = f"Typed in Chromium {uuid.uuid4().hex[:6]}"

    browser.get(f"{BASE_URL}/auth/login")
    browser.find_element(By.NAME, "identifier").send_keys(confirmed_account.username)
    browser.find_element(By.NAME, "password").send_keys(confirmed_account.password)
    browser.find_element(By.NAME, "password").submit()
    wait.until(lambda d: "/auth/login" not in d.current_url)

    browser.get(f"{BASE_URL}/write")
    browser.find_element(By.NAME, "title").send_keys(title)
    browser.find_element(By.NAME, "body").send_keys("Published by a *real* browser.")
    browser.find_element(By.NAME, "tags").send_keys("browser")
    Select(browser.find_element(By.NAME, "status")).select_by_value("published")
    browser.find_element(By.NAME, "title").submit()
    wait.until(ec.url_contains("/posts/"))
    assert title in browser.find_element(By.TAG_NAME, "h1").text
    post_url = browser.current_url

    browser.get(f"{BASE_URL}/")
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "main"), title))

    # The post's author moderates its comments: each delete button submits the page's one
    # delete form through the button's form and formaction attributes.
    browser.get(post_url)
    browser.find_element(By.CSS_SELECTOR, "#comments textarea[name=body]").send_keys(
        "Said in a real browser."
    )

    def click_and_read(selector: str) -> str:
        """Click, wait for the next page to replace this one, and return its main text."""
        page = browser.find_element(By.TAG_NAME, "main")
        browser.find_element(By.CSS_SELECTOR, selector).click()
        wait.until(ec.staleness_of(page))
        return wait.until(lambda d: d.find_element(By.TAG_NAME, "main")).text

    posted = click_and_read("#comments form.form button[type=submit]")
    assert "Your comment is posted." in posted
    assert "Said in a real browser." in posted
    deleted = click_and_read("button[form=delete-comment]")
    assert "The comment is deleted." in deleted
    assert "Said in a real browser." not in deleted

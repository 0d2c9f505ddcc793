"""The editor in a real Chromium through nginx: preview equals the saved post, autosave, the look.

Screenshots of the home, post, editor and author pages at desktop and phone widths (and the
post in the dark scheme) go to E2E_ARTIFACTS (default: e2e-artifacts/ at the repository root,
ignored by git), to judge the look side by side with other platforms.
"""

from __future__ import annotations

import io
import os
import re
import time
import uuid
from pathlib import Path

import pytest
from PIL import Image as Pil

from .conftest import BASE_URL, Account, Site, csrf_token
from .test_browser import browser  # noqa: F401 - the Chromium fixture

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

ARTIFACTS = Path(
    os.environ.get("E2E_ARTIFACTS") or Path(__file__).resolve().parents[2] / "e2e-artifacts"
)
WIDTHS = {"desktop": 1280, "phone": 390}

# A table, highlighted code and links (one of them unsafe); the tests add an image uploaded by
# the author, the only kind shown as an image (any other image address becomes a link).
SAMPLE = """Engines compared, with **bold** claims and [a source](https://example.org/e "Notes").

| Engine | Year | Cards |
|:-------|:----:|------:|
| Difference | 1822 | 0 |
| Analytical | 1837 | 1,000,000 |

```python
def weave(cards: list[int]) -> int:
    \"\"\"Sum the punched cards.\"\"\"
    return sum(card for card in cards if card > 0)  # <b>not markup</b>
```

A long word that must wrap on a phone: Pneumonoultramicroscopicsilicovolcanoconiosis-and-more.

<a href="javascript:alert(1)">not a link</a> and `inline code`.
"""

_POST_BODY = re.compile(r'<div class="post-body">(.*?)</div>\n', re.S)


def _uploaded_image(author: Site, headers: dict[str, str]) -> str:
    """The Markdown the editor's upload answers for a PNG of the author's own."""
    picture = io.BytesIO()
    Pil.new("RGB", (960, 540), (30, 110, 160)).save(picture, format="PNG")
    response = author.post(
        "/write/images",
        files={"image": ("loom.png", picture.getvalue(), "image/png")},
        data={"alt": "The loom"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["markdown"]


def sample_with_image(author: Site, headers: dict[str, str]) -> tuple[str, str]:
    """SAMPLE with an uploaded image, once the worker has made its copies; and its preview."""
    sample = f"{SAMPLE}\n{_uploaded_image(author, headers)}\n"
    # The worker's WebP copies add a srcset (and re-render the posts showing the image): wait
    # for them, so that the preview and the saved post both come after.
    deadline = time.monotonic() + 90
    while True:
        preview = author.post("/editor/preview", data={"body": sample}, headers=headers)
        assert preview.status_code == 200, preview.text
        if "srcset=" in preview.json()["html"] or time.monotonic() > deadline:
            break
        time.sleep(2)  # well inside the editor's rate limit
    assert "srcset=" in preview.json()["html"], "the worker made no copies of the upload"
    return sample, preview.json()["html"]


def test_the_preview_endpoint_answers_the_html_the_post_page_shows(author: Site) -> None:
    page = author.get("/write")
    token = csrf_token(page.text)
    headers = {"X-CSRFToken": token, "Referer": page.url}
    sample, preview_html = sample_with_image(author, headers)

    title = f"Preview sample {uuid.uuid4().hex[:6]}"
    saved = author.post(
        "/write",
        data={"csrf_token": token, "title": title, "body": sample, "status": "published"},
        headers={"Referer": page.url},
    )
    assert saved.status_code == 200 and "/posts/" in saved.url

    match = _POST_BODY.search(saved.text)
    assert match, saved.text[:2000]
    assert preview_html == match.group(1)
    for part in ("<table>", '<pre class="highlight">', 'href="https://example.org/e"', "<img "):
        assert part in match.group(1)


def test_a_preview_without_its_token_is_a_problem_from_nginx_to_the_script(author: Site) -> None:
    response = author.post("/editor/preview", data={"body": "x"}, headers={"Referer": BASE_URL})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"


def _log_in(driver: webdriver.Chrome, account: Account) -> None:
    driver.get(f"{BASE_URL}/auth/login")
    driver.find_element(By.NAME, "identifier").send_keys(account.username)
    driver.find_element(By.NAME, "password").send_keys(account.password)
    driver.find_element(By.NAME, "password").submit()
    WebDriverWait(driver, 20).until(lambda d: "/auth/login" not in d.current_url)


def _inner_html(driver: webdriver.Chrome, selector: str) -> str:
    return driver.execute_script("return document.querySelector(arguments[0]).innerHTML", selector)


def test_in_chromium_the_live_preview_matches_the_saved_post(
    browser: webdriver.Chrome,  # noqa: F811
    confirmed_account: Account,
) -> None:
    wait = WebDriverWait(browser, 30)
    _log_in(browser, confirmed_account)
    browser.get(f"{BASE_URL}/write")
    title = f"Chromium sample {uuid.uuid4().hex[:6]}"

    browser.find_element(By.NAME, "title").send_keys(title)
    body = browser.find_element(By.NAME, "body")
    # Shortcuts first: Ctrl+B makes the selected word bold.
    body.send_keys("word", Keys.CONTROL, "a")
    body.send_keys(Keys.CONTROL, "b")
    assert body.get_attribute("value") == "**word**"
    browser.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        body,
        SAMPLE,
    )
    wait.until(lambda d: "<table>" in _inner_html(d, "#editor-preview .post-body"))
    preview = _inner_html(browser, "#editor-preview .post-body")
    assert re.fullmatch(r"\d+ words · 1 min read", browser.find_element(By.ID, "editor-stats").text)

    # Autosave turns the new post into a draft on the server, and Save then updates that draft.
    state = browser.find_element(By.ID, "editor-state")
    try:
        WebDriverWait(browser, 60).until(ec.url_contains("/edit"))
    except TimeoutException:
        pytest.fail(f"no autosave: the editor says {state.text!r}; {browser.get_log('browser')}")
    assert state.text.startswith("Draft saved"), state.text
    _screenshots(browser, "editor")

    Select(browser.find_element(By.NAME, "status")).select_by_value("published")
    browser.find_element(By.NAME, "title").submit()
    wait.until(lambda d: "/posts/" in d.current_url and "/edit" not in d.current_url)

    assert _inner_html(browser, "article .post-body") == preview
    # One post, not a draft and a published copy.
    author_page = f"{BASE_URL}/authors/{confirmed_account.username}"
    browser.get(author_page)
    assert browser.find_element(By.TAG_NAME, "main").text.count(title) == 1


def test_screenshots_of_home_post_and_author_pages(
    browser: webdriver.Chrome,  # noqa: F811
    author: Site,
) -> None:
    page = author.get("/write")
    # A second post, so the author has "more from" to show.
    for title in ("A short note", f"Tables and code {uuid.uuid4().hex[:6]}"):
        saved = author.post(
            "/write",
            data={
                "csrf_token": csrf_token(page.text),
                "title": title,
                "body": SAMPLE,
                "tags": "engines, code",
                "status": "published",
            },
            headers={"Referer": page.url},
        )
        assert saved.status_code == 200
    post_url = saved.url

    for name, url in (
        ("home", f"{BASE_URL}/"),
        ("post", post_url),
        ("author", f"{BASE_URL}/authors/{author.account.username}"),  # type: ignore[attr-defined]
    ):
        browser.get(url)
        _screenshots(browser, name)
    browser.get(post_url)
    _screenshots(browser, "post-dark", scheme="dark")


def _screenshots(driver: webdriver.Chrome, name: str, scheme: str = "light") -> None:
    """Full-page screenshots at each width; nothing may be wider than the phone's screen."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )
    try:
        for label, width in WIDTHS.items():
            metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600}
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            overflow = driver.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride", {**metrics, "height": min(height, 6000)}
            )
            driver.save_screenshot(str(ARTIFACTS / f"{name}-{label}.png"))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})

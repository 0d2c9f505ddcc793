"""Images through the real stack: a browser uploads in the editor, the worker resizes, nginx serves.

The upload goes through nginx to web, which strips the metadata and stores the original on the
media volume; the worker makes the WebP copies; the post then shows them in srcset, and nginx
serves every file from the volume with a year-long cache.
"""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import pytest
import requests
from PIL import Image as Pil
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from .conftest import BASE_URL, CA_FILE, Account, Site, log_in, wait_until
from .test_browser import browser  # noqa: F401 - the fixture

GPS_IFD = 0x8825


def photo_with_gps(path: Path) -> Path:
    picture = Pil.new("RGB", (1600, 1000), (30, 110, 160))
    exif = Pil.Exif()
    exif[0x010F] = "E2E Camera"
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    picture.save(path, format="JPEG", exif=exif)
    with Pil.open(path) as check:
        assert check.getexif().get_ifd(GPS_IFD), "the test photo should carry GPS tags"
    return path


def sign_in_browser(driver, account: Account) -> None:
    """Give the browser the session of a log-in made through nginx (the log-in form itself is
    test_browser.py's story), then open the editor once it has loaded."""
    with Site() as session:
        log_in(session, account)
        cookies = list(session.cookies)
    # Cookies can be set only on a page of the site: a load cut short leaves an error page.
    open_page(driver, "/auth/login", "identifier")
    for cookie in cookies:
        driver.add_cookie(
            {"name": cookie.name, "value": cookie.value, "path": cookie.path, "secure": True}
        )
    open_page(driver, "/write", "title")


@pytest.fixture
def editor(browser, confirmed_account: Account):  # noqa: F811 - the fixture imported above
    """The signed-in author's browser on the editor."""
    sign_in_browser(browser, confirmed_account)
    return browser


def open_page(driver, path: str, field: str) -> None:
    """Load `path` until its form field `field` is there; a load cut short is tried again."""

    def loaded() -> bool:
        driver.get(f"{BASE_URL}{path}")
        try:
            WebDriverWait(driver, 20).until(ec.presence_of_element_located((By.NAME, field)))
        except TimeoutException:
            return False
        return True

    wait_until(loaded, timeout=90, interval=1, what=f"{path} to load")


def fetched(url_path: str) -> requests.Response:
    response = requests.get(f"{BASE_URL}{url_path}", verify=CA_FILE, timeout=10)
    assert response.status_code == 200, f"{url_path}: {response.status_code}"
    return response


def test_an_image_uploaded_in_the_editor_is_published_with_srcset_and_without_gps(
    editor, tmp_path: Path
) -> None:
    wait = WebDriverWait(editor, 30)
    title = f"A photo from the harbour {uuid.uuid4().hex[:6]}"
    photo = photo_with_gps(tmp_path / "IMG_2041.jpg")

    # Upload first (the form comes back with the image's Markdown in the text), then publish.
    editor.find_element(By.NAME, "title").send_keys(title)
    editor.find_element(By.NAME, "body").send_keys("Boats at dusk, below.")
    editor.find_element(By.NAME, "image").send_keys(str(photo))
    editor.find_element(By.NAME, "image_alt").send_keys("Boats at dusk")
    editor.find_element(By.NAME, "upload").click()
    wait.until(ec.text_to_be_present_in_element_value((By.NAME, "body"), "![Boats at dusk]("))
    body = editor.find_element(By.NAME, "body").get_attribute("value")
    assert body.startswith("Boats at dusk, below.")
    assert editor.find_element(By.NAME, "title").get_attribute("value") == title
    original = re.search(r"\((/media/[0-9a-f]{2}/[0-9a-f]{32}\.jpg)\)", body).group(1)

    Select(editor.find_element(By.NAME, "status")).select_by_value("published")
    editor.find_element(By.NAME, "title").submit()
    wait.until(ec.url_contains("/posts/"))
    post_url = editor.current_url

    def processed_image():
        editor.get(post_url)
        found = editor.find_elements(By.CSS_SELECTOR, ".post-body img[srcset]")
        return found[0] if found else None

    img = wait_until(processed_image, timeout=60, interval=1, what="the image's srcset")
    srcset = img.get_attribute("srcset")
    assert img.get_attribute("src").endswith(original)
    assert img.get_attribute("alt") == "Boats at dusk"
    assert img.get_attribute("loading") == "lazy"
    # The attributes as written (get_attribute would give the rendered size).
    assert (img.get_dom_attribute("width"), img.get_dom_attribute("height")) == ("1600", "1000")
    assert "480w" in srcset and "1600w" in srcset
    # The editor loaded one of them: the CSP let it (images from the site itself).
    wait.until(lambda d: d.execute_script("return arguments[0].naturalWidth", img) > 0)

    for candidate in srcset.split(","):
        path, width = candidate.split()
        copy = fetched(path)
        assert copy.headers["Content-Type"] == "image/webp"
        assert "immutable" in copy.headers["Cache-Control"]
        with Pil.open(io.BytesIO(copy.content)) as picture:
            assert picture.width == int(width.rstrip("w"))

    stored = fetched(original)
    assert stored.headers["Content-Type"] == "image/jpeg"
    assert "max-age=31536000" in stored.headers["Cache-Control"]
    with Pil.open(io.BytesIO(stored.content)) as picture:
        exif = picture.getexif()
        assert not exif.get_ifd(GPS_IFD), "the stored original still has GPS tags"
        assert 0x010F not in exif


def test_a_file_that_is_not_an_image_is_refused_with_a_message(editor, tmp_path: Path) -> None:
    wait = WebDriverWait(editor, 30)
    fake = tmp_path / "holiday.jpg"
    fake.write_bytes(b"%PDF-1.7\n% not a picture, whatever its name says\n%%EOF\n")

    editor.find_element(By.NAME, "title").send_keys("Not a picture")
    editor.find_element(By.NAME, "body").send_keys("The words stay.")
    editor.find_element(By.NAME, "image").send_keys(str(fake))
    Select(editor.find_element(By.NAME, "status")).select_by_value("published")
    editor.find_element(By.NAME, "title").submit()

    wait.until(
        ec.text_to_be_present_in_element(
            (By.TAG_NAME, "main"), "This file is not a JPEG, PNG, WebP or GIF image."
        )
    )
    assert "/write" in editor.current_url
    assert editor.find_element(By.NAME, "body").get_attribute("value") == "The words stay."


def test_the_api_takes_an_image_and_refuses_a_renamed_file(
    confirmed_account: Account, tmp_path: Path
) -> None:
    with Site() as client:
        tokens = client.post(
            "/api/v1/auth/tokens",
            json={"username": confirmed_account.username, "password": confirmed_account.password},
        ).json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        photo = photo_with_gps(tmp_path / "api.jpg").read_bytes()

        created = client.post(
            "/api/v1/images", files={"file": ("api.jpg", photo, "image/jpeg")}, headers=bearer
        )
        assert created.status_code == 201, created.text
        image = created.json()
        assert image["markdown"] == f"![]({image['url']})"

        refused = client.post(
            "/api/v1/images",
            files={"file": ("api.png", b"plain words", "image/png")},
            headers=bearer,
        )
        assert refused.status_code == 422
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert refused.json()["detail"] == "This file is not a JPEG, PNG, WebP or GIF image."

        ready = wait_until(
            lambda: (
                (got := client.get(f"/api/v1/images/{image['id']}", headers=bearer).json())
                and got["status"] == "ready"
                and got
            ),
            timeout=60,
            what="the API image to be processed",
        )
        assert "1600w" in ready["srcset"]


@pytest.fixture
def profile_site(confirmed_account: Account) -> Site:
    site = Site()
    log_in(site, confirmed_account)
    return site


def test_an_avatar_uploaded_in_the_profile_shows_on_the_author_page(
    profile_site: Site, confirmed_account: Account, tmp_path: Path
) -> None:
    photo = photo_with_gps(tmp_path / "me.jpg").read_bytes()
    saved = profile_site.submit(
        "/account/profile",
        {"display_name": "", "bio": ""},
        files={"avatar": ("me.jpg", photo, "image/jpeg")},
    )
    assert saved.status_code == 200 and "/account/profile" not in saved.url, saved.text[:500]

    page = profile_site.get(f"/authors/{confirmed_account.username}").text
    avatar = re.search(r'<img [^>]*class="avatar avatar-large"[^>]*>', page)
    assert avatar, "no avatar on the author page"
    fetched(re.search(r'src="([^"]+)"', avatar.group(0)).group(1))

"""A new author's first visit, end to end through nginx: from sign-up to a downloaded export."""

from __future__ import annotations

import io
import re
import uuid
import zipfile

from .conftest import Mailbox, Site, link_path, log_in, register, unique_account, wait_until


def start_export(site: Site) -> str:
    """Start an export and return its JSON status path."""
    started = site.submit("/account/exports/", {}, action="/account/exports/")
    assert started.status_code == 200
    paths = re.findall(r'data-export-status-url="([^"]+)"', started.text)
    assert paths, "the exports page lists no export"
    return max(paths, key=lambda path: int(re.search(r"(\d+)\.json", path).group(1)))


def wait_for_export(site: Site, status_path: str, timeout: float = 90) -> dict:
    def finished() -> dict | None:
        status = site.get(status_path).json()
        assert status["status"] != "failed", status
        return status if status["status"] == "done" else None

    return wait_until(finished, timeout=timeout, what=f"export {status_path}")


def publish(site: Site, title: str, body: str, tags: str = "") -> str:
    """Write and publish a post; return the post's path."""
    response = site.submit(
        "/write", {"title": title, "body": body, "tags": tags, "status": "published"}
    )
    assert response.status_code == 200, response.text[:500]
    assert "/posts/" in response.url, f"publishing ended on {response.url}"
    return response.url.split(site.base_url, 1)[1]


def test_a_new_author_signs_up_publishes_and_exports(mailbox: Mailbox) -> None:
    account = unique_account()
    title = f"Notes from the stack {uuid.uuid4().hex[:6]}"

    with Site() as visitor:
        registered = register(visitor, account)
        assert registered.status_code == 200
        assert "/auth/register" not in registered.url, "registration was refused"

    mail = mailbox.wait_for(account.email, "/auth/confirm/")
    with Site() as author:
        confirmed = author.get(link_path(mail["text"], "/auth/confirm/"))
        assert confirmed.status_code == 200
        assert "confirmed" in confirmed.text

        log_in(author, account)
        post_path = publish(author, title, "Written **end to end**.", tags="e2e, docker")
        post = author.get(post_path)
        assert title in post.text
        assert "<strong>end to end</strong>" in post.text

        index = author.get("/")
        assert title in index.text

        # A reader without a session may get nginx's shared copy, at most EDGE_CACHE_SECONDS old.
        with Site() as reader:
            wait_until(
                lambda: title in reader.get("/").text, timeout=5, interval=0.2, what="a fresh index"
            )

        status = wait_for_export(author, start_export(author))
        download = author.get(status["download_url"])
        assert download.status_code == 200
        assert download.headers["Content-Type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            names = archive.namelist()
            assert "posts.json" in names
            assert title in archive.read("posts.json").decode()

        ready = author.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ok"

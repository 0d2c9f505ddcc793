"""Fixtures for the end-to-end tier: a running stack reached through nginx only.

`scripts/e2e.sh` (`make e2e`) starts the stack and sets the E2E_* variables; without them
every test here is skipped, so a plain `pytest` run stays fast.
"""

from __future__ import annotations

import functools
import html
import os
import re
import shlex
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests import helpers
from tests.helpers import CSRF_PATTERN

BASE_URL = os.environ.get("E2E_BASE_URL", "")
HTTP_URL = os.environ.get("E2E_HTTP_URL", "")
MAIL_API = os.environ.get("E2E_MAIL_API", "")
CA_FILE = os.environ.get("E2E_CA_FILE") or True
COMPOSE = shlex.split(os.environ.get("E2E_COMPOSE", ""))

PASSWORD = "correct horse battery staple 42"


# Spends the shared client address's allowance on nginx's account endpoints: run it last.
RUN_LAST = "test_rate_limit.py"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    skip = pytest.mark.skip(reason="needs the running stack: run `make e2e`")
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.e2e)
            if not BASE_URL:
                item.add_marker(skip)
    items.sort(key=lambda item: os.path.basename(str(item.fspath)) == RUN_LAST)


# Over HTTP to the stack: twice a second is often enough.
wait_until = functools.partial(helpers.wait_until, interval=0.5)


def csrf_token(page: str) -> str:
    match = CSRF_PATTERN.search(page)
    assert match, "the form carries no csrf_token"
    return html.unescape(match.group(1))


def compose(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run `docker compose` against the e2e project (to restart a service, say)."""
    assert COMPOSE, "E2E_COMPOSE is not set"
    return subprocess.run(  # a fixed command line built by scripts/e2e.sh
        [*COMPOSE, *args], check=True, capture_output=True, text=True, timeout=timeout
    )


class Site(requests.Session):
    """A browser-like client for the stack: relative paths, TLS checked against the test CA."""

    def __init__(self, base_url: str = BASE_URL) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.verify = CA_FILE

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        if url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", 15)
        # Passed per request: a session-wide `verify` loses to REQUESTS_CA_BUNDLE if that is set.
        kwargs.setdefault("verify", CA_FILE)
        return super().request(method, url, *args, **kwargs)

    def submit(
        self, form_path: str, data: dict[str, Any], action: str | None = None, **kwargs: Any
    ) -> requests.Response:
        """GET the page holding a form, then POST it back with its CSRF token."""
        page = self.get(form_path)
        assert page.status_code == 200, f"GET {form_path} answered {page.status_code}"
        # Flask-WTF checks the Referer on HTTPS, as browsers send it.
        headers = {"Referer": page.url, **kwargs.pop("headers", {})}
        return self.post(
            action or form_path,
            data={"csrf_token": csrf_token(page.text), **data},
            headers=headers,
            **kwargs,
        )


class Mailbox:
    """The mail catcher (Mailpit, or its stand-in) seen through Mailpit's JSON API."""

    def messages(self) -> list[dict[str, Any]]:
        """Every mail caught, oldest first: `to` (addresses), `subject`, and an `id`."""
        response = requests.get(f"{MAIL_API}/api/v1/messages", timeout=5)
        response.raise_for_status()
        return [
            {
                "id": summary["ID"],
                "to": [recipient["Address"] for recipient in summary["To"]],
                "subject": summary["Subject"],
            }
            for summary in reversed(response.json()["messages"])
        ]

    def text(self, message_id: str) -> str:
        response = requests.get(f"{MAIL_API}/api/v1/message/{message_id}", timeout=5)
        response.raise_for_status()
        return response.json()["Text"]

    def wait_for(self, to: str, containing: str = "", timeout: float = 60) -> dict[str, Any]:
        """The newest mail to `to` whose text contains `containing`, once it has arrived."""

        def find() -> dict[str, Any] | None:
            for message in reversed(self.messages()):
                if to in message["to"]:
                    text = self.text(message["id"])
                    if containing in text:
                        return {**message, "text": text}
            return None

        return wait_until(find, timeout=timeout, what=f"a mail to {to} containing {containing!r}")


def link_path(text: str, prefix: str) -> str:
    """The path of the first link in a mail whose path starts with `prefix`."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"[^\s<>\"']*)", text)
    assert match, f"no {prefix} link in the mail:\n{text}"
    return match.group(1)


@dataclass
class Account:
    username: str
    email: str
    password: str = PASSWORD


@pytest.fixture
def site() -> Iterator[Site]:
    with Site() as session:
        yield session


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


def unique_account() -> Account:
    name = "e2e" + uuid.uuid4().hex[:10]
    return Account(username=name, email=f"{name}@example.com")


def register(site: Site, account: Account) -> requests.Response:
    return site.submit(
        "/auth/register",
        {
            "username": account.username,
            "email": account.email,
            "password": account.password,
            "password_confirm": account.password,
        },
    )


def log_in(site: Site, account: Account) -> requests.Response:
    response = site.submit(
        "/auth/login", {"identifier": account.username, "password": account.password}
    )
    assert response.status_code == 200, response.text[:500]
    return response


@pytest.fixture
def confirmed_account(mailbox: Mailbox) -> Account:
    """A new author who registered and followed the link in their confirmation mail."""
    account = unique_account()
    with Site() as session:
        assert register(session, account).status_code == 200
        mail = mailbox.wait_for(account.email, "/auth/confirm/")
        confirmed = session.get(link_path(mail["text"], "/auth/confirm/"))
        assert confirmed.status_code == 200
    return account


@pytest.fixture
def author(site: Site, confirmed_account: Account) -> Site:
    """A logged-in session of a confirmed author."""
    log_in(site, confirmed_account)
    site.account = confirmed_account  # type: ignore[attr-defined]
    return site

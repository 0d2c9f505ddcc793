"""A newcomer's first minutes: register, open the mail catcher, follow the confirmation link.

`make up-test` runs this file alone against a fresh clone's `make up`, with the two URLs that
`make up` printed (E2E_BASE_URL, E2E_MAIL_API); `make e2e` runs it against its own stack.
"""

from __future__ import annotations

from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlsplit

import pytest
import requests

from .conftest import BASE_URL, MAIL_API, Mailbox, Site, register, unique_account

_standard_return_ok_secure = DefaultCookiePolicy.return_ok_secure


def _browser_return_ok_secure(self, cookie, request) -> bool:  # cookiejar's API
    """Browsers treat http://localhost as a secure context and send Secure cookies to it."""
    if urlsplit(request.get_full_url()).hostname in {"localhost", "127.0.0.1"}:
        return True
    return _standard_return_ok_secure(self, cookie, request)


def test_a_newcomer_registers_and_confirms_through_the_mail_catcher(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every jar requests makes (it builds a fresh one per request) follows the browser's rule.
    monkeypatch.setattr(DefaultCookiePolicy, "return_ok_secure", _browser_return_ok_secure)
    account = unique_account()
    with Site() as visitor:
        registered = register(visitor, account)
        assert registered.status_code == 200, registered.text[:300]
        assert "we have sent a mail to" in registered.text

        inbox = requests.get(MAIL_API, timeout=10)
        assert inbox.status_code == 200
        assert inbox.headers["Content-Type"].startswith("text/html")
        mail = mailbox.wait_for(account.email, "/auth/confirm/")
        links = [word for word in mail["text"].split() if "/auth/confirm/" in word]
        assert links, mail["text"]
        # Built from the configured origin: the address the newcomer is browsing, port and all.
        assert links[0].startswith(f"{BASE_URL}/auth/confirm/"), links[0]

        confirmed = visitor.get(links[0])
        assert confirmed.status_code == 200
        assert "your email address is confirmed" in confirmed.text

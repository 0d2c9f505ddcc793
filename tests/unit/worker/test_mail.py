"""The one mail function: console backend for development, SMTP for real."""

from __future__ import annotations

import logging
import smtplib

import pytest
from celery import signals

from bench.ports import free_port
from folio_common.mail import delivery_problem, send_mail


def test_console_backend_logs_the_whole_mail(app_ctx, outbox):
    send_mail("ada@example.com", "Hello", "Open http://folio.test/x", "<p>Hi</p>")

    assert len(outbox) == 1
    assert outbox[0].to == "ada@example.com"
    assert outbox[0].subject == "Hello"
    assert "http://folio.test/x" in outbox[0].text
    assert outbox[0].html == "<p>Hi</p>"


def test_an_address_with_a_newline_is_refused(app_ctx, outbox):
    with pytest.raises(ValueError):
        send_mail("ada@example.com\nBcc: everyone@example.com", "Hello", "text")
    assert outbox == []


class FakeSMTP:
    """Stands in for smtplib.SMTP and remembers what the mail function asked of it."""

    instances: list[FakeSMTP] = []

    def __init__(self, host: str, port: int, timeout: float, **kwargs: object) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.calls: list[str] = []
        self.messages: list = []
        FakeSMTP.instances.append(self)

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append("quit")

    def starttls(self, context: object = None) -> None:
        self.calls.append("starttls")

    def login(self, user: str, password: str) -> None:
        self.calls.append(f"login {user}:{password}")

    def send_message(self, message) -> None:
        self.calls.append("send")
        self.messages.append(message)

    def noop(self) -> None:
        self.calls.append("noop")

    def close(self) -> None:
        self.calls.append("close")


@pytest.fixture
def fake_smtp(monkeypatch):
    FakeSMTP.instances = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(smtplib, "SMTP_SSL", FakeSMTP)
    return FakeSMTP.instances


def test_smtp_backend_sends_a_multipart_message_with_starttls_and_login(app, fake_smtp):
    app.config.update(
        MAIL_BACKEND="smtp",
        MAIL_SERVER="mail.example.com",
        MAIL_PORT=587,
        MAIL_USE_TLS=True,
        MAIL_USERNAME="folio",
        MAIL_PASSWORD="hunter2-hunter2",
        MAIL_DEFAULT_SENDER="Folio <no-reply@folio.example>",
    )
    with app.app_context():
        send_mail("ada@example.com", "Hello", "plain body", "<p>html body</p>")

    (smtp,) = fake_smtp
    assert (smtp.host, smtp.port) == ("mail.example.com", 587)
    assert smtp.calls == ["starttls", "login folio:hunter2-hunter2", "send", "quit"]
    (message,) = smtp.messages
    assert message["To"] == "ada@example.com"
    assert message["From"] == "Folio <no-reply@folio.example>"
    assert message["Message-ID"].endswith("@folio.example>")
    assert message["Date"]
    assert message.get_body(("plain",)).get_content().strip() == "plain body"
    assert message.get_body(("html",)).get_content().strip() == "<p>html body</p>"


def test_smtp_backend_without_credentials_or_tls_just_sends(app, fake_smtp):
    app.config.update(MAIL_BACKEND="smtp", MAIL_USE_TLS=False, MAIL_USERNAME=None)
    with app.app_context():
        send_mail("ada@example.com", "Hello", "plain body")

    (smtp,) = fake_smtp
    assert smtp.calls == ["send", "quit"]
    assert not smtp.messages[0].is_multipart()


def test_smtp_backend_with_ssl_connects_over_tls_from_the_start(app, fake_smtp, monkeypatch):
    used: list[str] = []

    class FakeSSL(FakeSMTP):
        def __init__(self, *args, **kwargs) -> None:
            used.append("ssl")
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(smtplib, "SMTP_SSL", FakeSSL)
    app.config.update(MAIL_BACKEND="smtp", MAIL_USE_SSL=True, MAIL_USE_TLS=True, MAIL_PORT=465)
    with app.app_context():
        send_mail("ada@example.com", "Hello", "plain body")

    assert used == ["ssl"]
    assert "starttls" not in fake_smtp[0].calls


def test_an_unreachable_smtp_server_is_a_delivery_problem(app):
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with app.app_context():
        problem = delivery_problem(timeout=2)
    assert problem and "cannot be used" in problem and "MAIL_SERVER" in problem


def test_a_reachable_smtp_server_is_no_problem(app, fake_smtp):
    app.config.update(MAIL_BACKEND="smtp", MAIL_USERNAME="folio", MAIL_PASSWORD="pw")
    with app.app_context():
        assert delivery_problem() is None
    assert fake_smtp[0].calls == ["login folio:pw", "noop", "quit"]


def test_console_mail_in_production_is_a_delivery_problem(app):
    app.config.update(MAIL_BACKEND="console", FOLIO_ENV="production")
    with app.app_context():
        assert "never delivered" in delivery_problem()


def test_the_worker_warns_at_start_when_mail_cannot_be_delivered(app, worker, caplog):
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())

    class Consumer:  # what Celery passes as the sender: the consumer, with .app
        app = worker.celery

    with caplog.at_level(logging.WARNING, logger="folio.worker"):
        signals.worker_ready.send(sender=Consumer())
    assert any("mail cannot be delivered" in r.getMessage() for r in caplog.records)

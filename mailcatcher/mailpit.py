#!/opt/venv/bin/python
"""A stand-in for Mailpit (axllent/mailpit), built here from PyPI's aiosmtpd where no container
registry can be reached: it keeps every mail it receives over SMTP in memory and shows them.

It emulates what Folio uses of Mailpit: SMTP on :1025, the web UI on :8025 (a list of mails at
/, one mail at /view/<ID> with its links clickable), the JSON API's GET /api/v1/messages,
GET /api/v1/message/<ID> and DELETE /api/v1/messages, /livez and /readyz, and the
`mailpit readyz` command the official image's health check runs. Never part of a deployment.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import threading
import urllib.request
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SMTP_PORT = 1025
UI_PORT = 8025
# Oldest mails go first once this many are kept, as Mailpit does (MP_MAX_MESSAGES, 500 by default).
MAX_MESSAGES = int(os.environ.get("MP_MAX_MESSAGES", "500"))
_URL = re.compile(r"https?://[^\s<>\"']+")

_lock = threading.Lock()
_messages: list[dict[str, object]] = []


def _addresses(value: str | None) -> list[dict[str, str]]:
    return [{"Name": name, "Address": address} for name, address in getaddresses([value or ""])]


def _body(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    return part.get_content() if part is not None else ""


def store(raw: bytes) -> dict[str, object]:
    message = message_from_bytes(raw, policy=policy.default)
    senders = _addresses(message.get("From"))
    text = _body(message, "plain")
    entry: dict[str, object] = {
        "ID": uuid.uuid4().hex,
        "MessageID": str(message.get("Message-ID", "")).strip("<>"),
        "From": senders[0] if senders else {"Name": "", "Address": ""},
        "To": _addresses(message.get("To")),
        "Subject": str(message.get("Subject", "")),
        "Created": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "Size": len(raw),
        "Snippet": " ".join(text.split())[:250],
        "Text": text,
        "HTML": _body(message, "html"),
    }
    with _lock:
        _messages.append(entry)
        del _messages[:-MAX_MESSAGES]
    return entry


SUMMARY_FIELDS = ("ID", "MessageID", "From", "To", "Subject", "Created", "Size", "Snippet")


def _summary(entry: dict[str, object]) -> dict[str, object]:
    return {name: entry[name] for name in SUMMARY_FIELDS}


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} · Mail catcher</title>"
        "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem}td,th{padding:.3rem .6rem;text-align:left;border-bottom:1px solid #ddd}"
        "pre{white-space:pre-wrap}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode()


def _linked(text: str) -> str:
    """The mail's text, escaped, with its URLs as links (as Mailpit shows them)."""
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        url = html.escape(match.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


class Ui(BaseHTTPRequestHandler):
    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: object) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _find(self, message_id: str) -> dict[str, object] | None:
        with _lock:
            return next((m for m in _messages if m["ID"] == message_id), None)

    def do_GET(self) -> None:  # http.server's name
        path = self.path.split("?", 1)[0]
        if path in ("/livez", "/readyz"):
            self._send(200, b"ok", "text/plain")
        elif path == "/api/v1/messages":
            with _lock:
                newest_first = [_summary(m) for m in reversed(_messages)]
            self._json(
                200,
                {
                    "total": len(newest_first),
                    "count": len(newest_first),
                    "start": 0,
                    "messages": newest_first,
                },
            )
        elif path.startswith("/api/v1/message/"):
            entry = self._find(path.rsplit("/", 1)[1])
            if entry is None:
                self._json(404, {"error": "message not found"})
            else:
                self._json(200, entry)
        elif path == "/":
            with _lock:
                rows = "".join(
                    f'<tr><td><a href="/view/{m["ID"]}">{html.escape(str(m["Subject"]))}</a></td>'
                    f"<td>{html.escape(', '.join(a['Address'] for a in m['To']))}</td>"
                    f"<td>{html.escape(str(m['Created']))}</td></tr>"
                    for m in reversed(_messages)
                )
            table = (
                "<table><thead><tr><th>Subject</th><th>To</th><th>Received</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>"
                if rows
                else "<p>No mail yet. Mail the stack sends shows up here.</p>"
            )
            self._send(200, _page("Inbox", table), "text/html; charset=utf-8")
        elif path.startswith("/view/"):
            entry = self._find(path.rsplit("/", 1)[1])
            if entry is None:
                self._send(404, _page("Not found", "<p>No such mail.</p>"), "text/html")
                return
            to = ", ".join(a["Address"] for a in entry["To"])  # type: ignore[union-attr]
            body = (
                f'<p><a href="/">Inbox</a></p><p>To: {html.escape(to)}<br>'
                f"From: {html.escape(entry['From']['Address'])}</p>"  # type: ignore[index]
                f"<pre>{_linked(str(entry['Text']))}</pre>"
            )
            self._send(200, _page(str(entry["Subject"]), body), "text/html; charset=utf-8")
        else:
            self._json(404, {"error": "not found"})

    def do_DELETE(self) -> None:
        if self.path.split("?", 1)[0] != "/api/v1/messages":
            self._json(404, {"error": "not found"})
            return
        with _lock:
            _messages.clear()
        self._send(200, b"ok", "text/plain")

    def log_message(self, format: str, *args: object) -> None:
        pass


class Sink:
    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's name
        store(envelope.content)
        return "250 OK: queued"


def readyz() -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{UI_PORT}/readyz", timeout=3):
            return 0
    except OSError:
        return 1


def serve() -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(Sink(), hostname="0.0.0.0", port=SMTP_PORT)  # noqa: S104
    controller.start()
    ThreadingHTTPServer(("0.0.0.0", UI_PORT), Ui).serve_forever()  # noqa: S104


if __name__ == "__main__":
    if sys.argv[1:] == ["readyz"]:
        sys.exit(readyz())
    serve()

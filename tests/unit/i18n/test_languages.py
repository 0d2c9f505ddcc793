"""A reader gets Folio in their language: the account's setting, else what the browser asks for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from folio_common.extensions import db
from folio_common.i18n import FIRST_SUPPORTED, negotiate
from folio_common.models import User
from tests.factories import PostFactory, UserFactory
from tests.helpers import submit
from tests.unit.auth.helpers import create_user, load_user

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"}
NGINX_CONF = Path(__file__).resolve().parents[3] / "nginx/templates/folio.conf.template"


@pytest.fixture
def post_slug(app):
    with app.app_context():
        author = UserFactory(username="ada", display_name="Ada")
        post = PostFactory(author=author, title="Des moteurs")
        db.session.commit()
        return post.slug


def test_the_home_page_in_french(client, post_slug):
    page = client.get("/", headers=FRENCH).get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Derniers articles" in page and "Latest posts" not in page
    assert "Se connecter" in page and "Rechercher des articles" in page
    assert 'par <a href="/authors/ada">Ada</a>' in page


def test_a_post_page_in_french(client, post_slug):
    page = client.get(f"/posts/{post_slug}", headers=FRENCH).get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "0 commentaire" in page and "0 comments" not in page
    assert "pour commenter." in page
    # Dates in French; the machine-readable value stays ISO.
    iso, shown = r'datetime="\d{4}-\d\d-\d\dT[\d:]+[^"]*"', r"\d+ [a-zéû]+\.? \d{4}"
    assert re.search(f"<time {iso}>{shown}</time>", page)


def test_the_login_form_in_french(client):
    page = client.get("/auth/login", headers=FRENCH).get_data(as_text=True)
    assert "<h1>Se connecter</h1>" in page
    assert "Nom d’utilisateur ou adresse e-mail" in page  # a WTForms label
    assert "Mot de passe oublié ?" in page


def test_the_login_forms_errors_in_french(client):
    response = submit(client, "/auth/login", {"identifier": "", "password": ""}, headers=FRENCH)
    page = response.get_data(as_text=True)
    assert "Saisissez votre mot de passe." in page


def test_without_a_header_or_a_setting_pages_are_english(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "<h1>Log in</h1>" in page


def test_an_unsupported_language_falls_back_to_english(client):
    page = client.get("/auth/login", headers={"Accept-Language": "de-DE,de"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "<h1>Log in</h1>" in page


def test_pages_say_they_vary_by_language_and_the_api_does_not(client):
    assert "Accept-Language" in client.get("/", headers=FRENCH).headers["Vary"]
    api = client.get("/api/v1/posts", headers=FRENCH)
    assert "Accept-Language" not in api.headers.get("Vary", "")


def test_an_error_page_in_french(client):
    page = client.get("/no/such/page", headers=FRENCH).get_data(as_text=True)
    assert "Introuvable" in page and "Retour à l’accueil" in page


def test_the_users_setting_wins_over_the_browser(app, client, auth):
    user_id = create_user(app, username="marie")
    auth.login("marie")
    response = submit(
        client,
        "/account/profile",
        {"display_name": "", "bio": "", "locale": "fr"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 302
    assert load_user(app, user_id).locale == "fr"
    page = client.get("/account/", headers={"Accept-Language": "en-GB,en"}).get_data(as_text=True)
    assert "<h1>Votre compte</h1>" in page
    assert "Votre profil est enregistré." in page  # the flash, in the language just chosen


def test_no_setting_follows_the_browser_again(app, client, auth):
    user_id = create_user(app, username="marie", locale="fr")
    auth.login("marie")
    submit(client, "/account/profile", {"display_name": "", "bio": "", "locale": ""})
    assert load_user(app, user_id).locale is None
    assert "<h1>Your account</h1>" in client.get("/account/").get_data(as_text=True)


def test_a_language_folio_does_not_speak_is_refused(app, client, auth):
    user_id = create_user(app, username="marie")
    auth.login("marie")
    response = submit(client, "/account/profile", {"display_name": "", "bio": "", "locale": "xx"})
    assert response.status_code == 200
    assert "Folio does not speak that language." in response.get_data(as_text=True)
    assert load_user(app, user_id).locale is None


def test_registering_stores_the_language_it_was_done_in(app, client, outbox):
    token_page = client.get("/auth/register", headers=FRENCH)
    assert "Créer un compte" in token_page.get_data(as_text=True)
    submit(
        client,
        "/auth/register",
        {
            "username": "camille",
            "email": "camille@example.com",
            "password": "a long enough password",
            "password_confirm": "a long enough password",
        },
        headers=FRENCH,
    )
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.username == "camille")).scalar_one()
        assert user.locale == "fr"
    (mail,) = outbox
    assert mail.subject == "Confirmez votre adresse e-mail"
    assert "Bonjour camille," in mail.text and "Merci de confirmer" in mail.text
    assert '<html lang="fr">' in mail.html


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("fr", "fr"),
        ("fr-CA", "fr"),
        ("FR", "fr"),
        ("de-DE,fr;q=0.5", "fr"),
        ("en-US,en;q=0.9,fr;q=0.8", "en"),
        ("de", "en"),
        ("*", "en"),
        ("", "en"),
        (None, "en"),
        ("fry,eng,fr", "fr"),
        (" fr-BE ; q=1", "fr"),
    ],
)
def test_the_first_supported_language_the_browser_lists_wins(header, language):
    assert negotiate(header) == language


def test_nginx_keys_its_cache_by_the_same_choice():
    # nginx's map must pick exactly what the app renders, or a copy reaches the wrong readers.
    conf = NGINX_CONF.read_text(encoding="utf-8")
    block = re.search(r"map \$http_accept_language \$folio_language \{(.*?)\n\}", conf, re.S)
    assert block, "no map of Accept-Language in nginx's configuration"
    assert f'"~*{FIRST_SUPPORTED}" $1;' in block.group(1)
    cache = (NGINX_CONF.parent / "folio-edge-cache.inc.template").read_text(encoding="utf-8")
    assert re.search(r"^proxy_cache_key .*\$folio_language;$", cache, re.M)

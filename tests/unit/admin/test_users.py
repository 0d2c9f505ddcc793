"""Admin stories: who may see the admin pages, finding users, roles and deactivation."""

from __future__ import annotations

import pytest

from folio_common.extensions import cache, db
from folio_common.models import Role, User
from tests.factories import UserFactory
from tests.helpers import AuthActions, assert_sent_to_log_in


def _user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


@pytest.fixture
def admin(committed, login_as):
    with committed():
        user = UserFactory(admin=True, username="root")
    login_as(user)
    return user


@pytest.mark.parametrize("path", ["/admin/", "/admin/jobs"])
def test_admin_pages_are_403_to_signed_in_non_admins(client, committed, login_as, path):
    with committed():
        author = UserFactory()
    login_as(author)

    assert client.get(path).status_code == 403


@pytest.mark.parametrize(
    ("path", "data"),
    [("/admin/users/1/role", {"role": "admin"}), ("/admin/users/1/active", {"active": "0"})],
)
def test_admin_actions_are_403_to_non_admins(
    app, client, committed, login_as, post_form, path, data
):
    with committed():
        author = UserFactory()
    login_as(author)

    assert post_form(path, data).status_code == 403
    assert _user(app, author.id).role == Role.AUTHOR


def test_visitors_are_sent_to_log_in(client):
    assert_sent_to_log_in(client.get("/admin/"))


def test_admin_lists_and_searches_users(client, committed, admin):
    with committed():
        UserFactory(username="ada", email="ada@engines.example")
        UserFactory(username="grace", email="grace@navy.example")

    everyone = client.get("/admin/").get_data(as_text=True)
    by_email = client.get("/admin/?q=NAVY").get_data(as_text=True)
    by_name = client.get("/admin/?q=ad").get_data(as_text=True)

    assert "ada@engines.example" in everyone and "grace@navy.example" in everyone
    assert "3 users" in everyone
    assert "grace@navy.example" in by_email and "ada@engines.example" not in by_email
    assert "ada@engines.example" in by_name and "grace@navy.example" not in by_name


def test_user_search_treats_wildcards_literally(client, committed, admin):
    with committed():
        UserFactory(username="ada")

    page = client.get("/admin/?q=%25").get_data(as_text=True)

    assert "No users found." in page


def test_user_list_is_paginated(client, committed, admin):
    with committed():
        for _ in range(30):
            UserFactory()

    first = client.get("/admin/").get_data(as_text=True)
    second = client.get("/admin/?page=2").get_data(as_text=True)

    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in second
    assert client.get("/admin/?page=zzz").status_code == 200


def test_the_user_count_is_kept_for_a_minute(app, client, committed, admin):
    with committed():
        UserFactory()
    assert "2 users." in client.get("/admin/").get_data(as_text=True)
    with committed():
        UserFactory()

    # Counting every account on each view costs the database more than a minute-old number.
    assert "2 users." in client.get("/admin/").get_data(as_text=True)
    with app.app_context():
        cache.clear()
    assert "3 users." in client.get("/admin/").get_data(as_text=True)


def test_admin_changes_a_users_role(app, client, committed, admin, post_form):
    with committed():
        reader = UserFactory(reader=True, username="newbie")

    response = post_form(
        f"/admin/users/{reader.id}/role",
        {"role": "author", "next": "/admin/?q=newbie"},
        follow_redirects=True,
    )

    assert response.request.full_path == "/admin/?q=newbie"
    assert "newbie&#39;s role is now author." in response.get_data(as_text=True)
    assert _user(app, reader.id).role == Role.AUTHOR


def test_an_unknown_role_is_refused(app, client, committed, admin, post_form):
    with committed():
        reader = UserFactory(reader=True)

    response = post_form(
        f"/admin/users/{reader.id}/role", {"role": "emperor"}, follow_redirects=True
    )

    assert "Not a valid choice" in response.get_data(as_text=True)
    assert _user(app, reader.id).role == Role.READER


def test_an_admin_cannot_demote_themselves(app, client, admin, post_form):
    response = post_form(f"/admin/users/{admin.id}/role", {"role": "reader"}, follow_redirects=True)

    assert "You cannot remove your own admin role" in response.get_data(as_text=True)
    assert _user(app, admin.id).role == Role.ADMIN


def test_changing_a_missing_user_is_404(client, admin, post_form):
    assert post_form("/admin/users/999/role", {"role": "author"}).status_code == 404


def test_a_deactivated_users_session_stops_working(app, client, committed, admin, post_form):
    with committed():
        author = UserFactory(username="leaving")
    their_client = app.test_client()
    AuthActions(their_client).login("leaving")
    assert their_client.get("/write").status_code == 200

    response = post_form(f"/admin/users/{author.id}/active", {"active": "0"}, follow_redirects=True)

    assert "leaving is deactivated" in response.get_data(as_text=True)
    assert _user(app, author.id).active is False
    assert their_client.get("/write").headers["Location"].startswith("/auth/login")


def test_admin_reactivates_a_user(app, client, committed, admin, post_form):
    with committed():
        gone = UserFactory(active=False, username="back")

    page = client.get("/admin/").get_data(as_text=True)
    response = post_form(f"/admin/users/{gone.id}/active", {"active": "1"}, follow_redirects=True)

    assert "Reactivate" in page
    assert "back can log in again." in response.get_data(as_text=True)
    assert _user(app, gone.id).active is True


def test_an_admin_cannot_deactivate_themselves(app, client, admin, post_form):
    response = post_form(f"/admin/users/{admin.id}/active", {"active": "0"}, follow_redirects=True)

    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert _user(app, admin.id).active is True


def test_a_malformed_deactivation_is_refused(app, client, committed, admin, post_form):
    with committed():
        user = UserFactory()

    response = post_form(
        f"/admin/users/{user.id}/active", {"active": "maybe"}, follow_redirects=True
    )

    assert "Not a valid choice" in response.get_data(as_text=True)
    assert _user(app, user.id).active is True

"""Posts through the API: listing, reading, writing, publishing, deleting, and their errors."""

from __future__ import annotations

from datetime import timedelta

from folio_common.models import utcnow
from tests.unit.api.conftest import ON_BOTH_DATABASES, assert_problem

pytestmark = ON_BOTH_DATABASES

POSTS = "/api/v1/posts"


def write(client, person, **fields):
    body = {"title": "A title", "body": "Some *text*."} | fields
    return client.post(POSTS, json=body, headers=person.bearer)


def test_listing_pages_through_published_posts_with_links_and_totals(client, author, make_post):
    for _ in range(5):
        make_post(author)
    make_post(author, draft=True)
    response = client.get(f"{POSTS}?per_page=2&page=2")
    assert response.status_code == 200
    body = response.get_json()
    ids = [post["id"] for post in body["data"]]
    assert body["meta"] == {
        "page": 2,
        "per_page": 2,
        "total": 5,
        "pages": 3,
        "total_capped": False,
        "older": ids[-1],
        "newer": ids[0],
    }
    assert len(ids) == 2
    links = response.headers["Link"]
    for rel in ("first", "last", "prev", "next"):
        assert f'rel="{rel}"' in links
    assert f"before={ids[-1]}" in links and "per_page=2" in links


def test_listing_follows_older_and_newer_cursors(client, author, make_post):
    made = [make_post(author) for _ in range(5)]
    newest_first = [post["id"] for post in client.get(f"{POSTS}?per_page=5").get_json()["data"]]
    assert len(newest_first) == len(made)

    first = client.get(f"{POSTS}?per_page=2").get_json()
    older = client.get(f"{POSTS}?per_page=2&before={first['meta']['older']}").get_json()
    last = client.get(f"{POSTS}?per_page=2&before={older['meta']['older']}").get_json()
    back = client.get(f"{POSTS}?per_page=2&after={last['meta']['newer']}").get_json()

    assert [p["id"] for p in older["data"]] == newest_first[2:4]
    assert [p["id"] for p in last["data"]] == newest_first[4:]
    assert last["meta"]["older"] is None
    assert [p["id"] for p in back["data"]] == newest_first[2:4]
    assert first["meta"]["newer"] is None


def test_per_page_is_capped_at_a_hundred(client):
    body = assert_problem(client.get(f"{POSTS}?per_page=101"), 422)
    assert body["errors"][0]["field"] == "per_page"
    assert body["errors"][0]["location"] == "query"


def test_listing_filters_by_tag_author_and_words(client, make_person, make_post):
    ada, grace = make_person(), make_person()
    make_post(ada, title="Engines and looms", body_markdown="weaving", tags=("History",))
    make_post(grace, title="Compilers", body_markdown="translating", tags=("Computing",))
    titles = lambda url: [p["title"] for p in client.get(url).get_json()["data"]]  # noqa: E731
    assert titles(f"{POSTS}?tag=history") == ["Engines and looms"]
    assert titles(f"{POSTS}?author={grace.username}") == ["Compilers"]
    assert titles(f"{POSTS}?q=weaving") == ["Engines and looms"]


def test_listing_sorts_by_title(client, author, make_post):
    make_post(author, title="Beta")
    make_post(author, title="Alpha")
    data = client.get(f"{POSTS}?sort=title").get_json()["data"]
    assert [p["title"] for p in data] == ["Alpha", "Beta"]


def test_drafts_are_listed_only_for_their_author(client, make_person, make_post):
    ada, grace = make_person(), make_person()
    make_post(ada, title="Ada's draft", draft=True)
    make_post(grace, title="Grace's draft", draft=True)
    data = client.get(f"{POSTS}?status=draft", headers=ada.bearer).get_json()["data"]
    assert [p["title"] for p in data] == ["Ada's draft"]
    assert_problem(client.get(f"{POSTS}?status=draft"), 401)


def test_a_post_is_found_by_id_and_by_slug(client, author, make_post):
    post_id = make_post(author, slug="hello-world")
    by_id = client.get(f"{POSTS}/{post_id}")
    by_slug = client.get(f"{POSTS}/by-slug/hello-world")
    assert by_id.status_code == by_slug.status_code == 200
    assert by_id.get_json() == by_slug.get_json()
    assert by_id.get_json()["author"]["username"] == author.username


def test_drafts_are_404_to_everyone_but_their_author(client, make_person, make_post):
    owner, stranger = make_person(), make_person()
    post_id = make_post(owner, draft=True)
    assert client.get(f"{POSTS}/{post_id}", headers=owner.bearer).status_code == 200
    assert_problem(client.get(f"{POSTS}/{post_id}", headers=stranger.bearer), 404)
    assert_problem(client.get(f"{POSTS}/{post_id}"), 404)


def test_unknown_and_absurd_ids_are_404(client):
    assert_problem(client.get(f"{POSTS}/424242"), 404)
    assert_problem(client.get(f"{POSTS}/{10**30}"), 404)
    assert_problem(client.get(f"{POSTS}/by-slug/nothing-here"), 404)


def test_etags_make_repeat_reads_cheap(client, author, make_post):
    post_id = make_post(author)
    first = client.get(f"{POSTS}/{post_id}")
    etag = first.headers["ETag"]
    again = client.get(f"{POSTS}/{post_id}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    listing = client.get(POSTS)
    assert client.get(POSTS, headers={"If-None-Match": listing.headers["ETag"]}).status_code == 304


def test_an_author_writes_a_draft(client, author):
    response = write(client, author, tags=["python", "web"], title="My first post")
    assert response.status_code == 201
    post = response.get_json()
    assert post["status"] == "draft"
    assert post["tags"] == ["python", "web"]
    assert post["slug"] == "my-first-post"
    assert response.headers["Location"].endswith(f"/api/v1/posts/{post['id']}")
    assert "ETag" in response.headers


def test_markdown_is_sanitised(client, author):
    post = write(client, author, body="<script>alert(1)</script> *hi*").get_json()
    assert "<script" not in post["body_html"]


def test_readers_and_unconfirmed_accounts_cannot_write(client, reader):
    assert_problem(write(client, reader), 403)


def test_writing_needs_a_token(client):
    assert_problem(client.post(POSTS, json={"title": "x", "body": "y"}), 401)


def test_a_taken_slug_is_a_409(client, author):
    write(client, author, slug="taken")
    body = assert_problem(write(client, author, slug="taken"), 409)
    assert body["errors"][0]["field"] == "slug"


def test_invalid_posts_name_the_failing_fields(client, author):
    body = assert_problem(client.post(POSTS, json={"title": ""}, headers=author.bearer), 422)
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"title", "body"}


def test_service_rules_come_back_as_field_errors(client, author):
    body = assert_problem(write(client, author, tags=[f"t{n}" for n in range(9)]), 422)
    assert body["errors"][0]["field"] == "tags"


def test_text_the_database_cannot_store_is_refused(client, author):
    body = assert_problem(write(client, author, title="nul\x00byte"), 422)
    assert body["errors"][0]["field"] == "title"


def test_bodies_must_be_json(client, author):
    response = client.post(POSTS, data="title=x", headers=author.bearer)
    assert_problem(response, 415)
    malformed = client.post(
        POSTS, data="{not json", content_type="application/json", headers=author.bearer
    )
    assert_problem(malformed, 400)


def test_unknown_fields_are_refused(client, author):
    body = assert_problem(write(client, author, colour="blue"), 422)
    assert body["errors"][0]["field"] == "colour"


def test_an_author_updates_their_post_with_if_match(client, author):
    created = write(client, author)
    url = created.headers["Location"]
    response = client.patch(
        url,
        json={"title": "Better title"},
        headers=author.bearer | {"If-Match": created.headers["ETag"]},
    )
    assert response.status_code == 200
    assert response.get_json()["title"] == "Better title"
    stale = client.patch(
        url,
        json={"title": "Lost update"},
        headers=author.bearer | {"If-Match": created.headers["ETag"]},
    )
    assert_problem(stale, 412)
    assert client.get(url, headers=author.bearer).get_json()["title"] == "Better title"


def test_others_cannot_update_but_admins_can(client, make_person, admin):
    owner, stranger = make_person(), make_person()
    url = write(client, owner, status="published").headers["Location"]
    assert_problem(client.patch(url, json={"title": "Mine now"}, headers=stranger.bearer), 403)
    response = client.patch(url, json={"title": "Moderated"}, headers=admin.bearer)
    assert response.status_code == 200


def test_deleting_a_post(client, author):
    url = write(client, author).headers["Location"]
    assert client.delete(url, headers=author.bearer).status_code == 204
    assert_problem(client.get(url, headers=author.bearer), 404)


def test_publishing_now(client, author):
    url = write(client, author).headers["Location"]
    response = client.post(f"{url}/publish", headers=author.bearer)
    assert response.status_code == 200
    post = response.get_json()
    assert post["status"] == "published"
    assert post["published_at"]
    assert client.get(url).status_code == 200


def test_publishing_later_schedules_the_post(client, author):
    url = write(client, author).headers["Location"]
    when = (utcnow() + timedelta(days=1)).isoformat()
    response = client.post(f"{url}/publish", json={"publish_at": when}, headers=author.bearer)
    assert response.status_code == 200
    assert response.get_json()["status"] == "scheduled"
    assert_problem(client.get(url), 404)


def test_publishing_someone_elses_post_is_forbidden(client, make_person):
    owner, stranger = make_person(), make_person()
    url = write(client, owner, status="published").headers["Location"]
    assert_problem(client.post(f"{url}/publish", headers=stranger.bearer), 403)


def test_page_links_carry_only_known_arguments_on_the_public_origin(client, author, make_post):
    for _ in range(3):
        make_post(author)
    junk = "x" * 6000
    response = client.get(
        f"{POSTS}?per_page=1&page=2&status=published&utm={junk}&{junk}=1",
        headers={"Host": "evil.example"},
    )
    assert response.status_code == 200
    links = response.headers["Link"]
    # Bounded whatever the query string: nginx's proxy buffer (8 KB) must hold every header.
    assert len(links) < 1024
    assert junk not in links and "evil.example" not in links
    assert "<http://folio.test/api/v1/posts?per_page=1&status=published&page=3>" in links

"""The editor's live preview: exactly the HTML saving stores, for authors only, as problem+json."""

from __future__ import annotations

import io

import pytest
from PIL import Image as Pil
from sqlalchemy import select

from folio_common.extensions import db
from folio_common.models import Post
from tests.factories import UserFactory
from tests.helpers import csrf_token

SAMPLE = """# A sample

| Engine | Year |
|:-------|-----:|
| Difference | 1822 |
| Analytical | 1837 |

```python
def weave(cards: list[int]) -> int:
    return sum(cards)  # <b>not bold</b>
```

See [the notes](https://example.org/notes "Notes") and <a href="javascript:alert(1)">this</a>.

![A diagram](/static/favicon.svg)

<script>alert("no")</script>
"""


def _preview(client, body: str, token: str | None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.post("/editor/preview", data={"body": body}, headers=headers)


def _uploaded_image(client, token: str) -> str:
    """The Markdown the editor's upload answers for a small PNG of the author's own."""
    picture = io.BytesIO()
    Pil.new("RGB", (64, 48), (30, 110, 160)).save(picture, format="PNG")
    picture.seek(0)
    response = client.post(
        "/write/images",
        data={"image": (picture, "loom.png"), "alt": "The loom"},
        headers={"X-CSRFToken": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json["markdown"]


def test_the_preview_is_the_html_the_saved_post_stores(app, client, author, post_form):
    token = csrf_token(client, "/write")
    sample = f"{SAMPLE}\n{_uploaded_image(client, token)}\n"
    preview = _preview(client, sample, token)
    saved = post_form(
        "/write", {"title": "Sample", "body": sample, "status": "published"}, form_path="/write"
    )

    assert preview.status_code == 200 and saved.status_code == 302
    with app.app_context():
        post = db.session.execute(select(Post).where(Post.slug == "sample")).scalar_one()
        assert preview.json["html"] == post.body_html
        assert preview.json["words"] == post.word_count
    html = preview.json["html"]
    assert "<table>" in html and '<pre class="highlight">' in html and 'class="k"' in html
    # An own upload is an image; any other image address becomes a link (docs/writing.md).
    assert '<img src="/media/' in html and 'alt="The loom"' in html
    assert '<a href="/static/favicon.svg" rel="nofollow noopener noreferrer">A diagram</a>' in html
    assert "javascript:" not in html and "<script" not in html
    assert preview.json["reading_minutes"] == 1


def test_the_preview_takes_json_too(client, author):
    response = client.post(
        "/editor/preview",
        json={"body": "*hi*"},
        headers={"X-CSRFToken": csrf_token(client, "/write")},
    )
    assert response.json["html"] == "<p><em>hi</em></p>\n"


def test_a_preview_without_the_csrf_token_is_a_problem(client, author):
    response = _preview(client, "text", None)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "CSRF" in response.json["detail"]


def test_a_visitor_who_is_not_signed_in_gets_a_401_problem_not_a_login_page(client):
    # A session that ended while the editor was open: the token is valid, the user is gone.
    response = _preview(client, "text", csrf_token(client, "/auth/login"))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_a_reader_may_not_preview(client, committed, login_as):
    with committed():
        reader = UserFactory(reader=True)
    login_as(reader)
    response = _preview(client, "text", csrf_token(client, "/"))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_a_body_that_is_not_text_is_a_422_problem(client, author):
    response = client.post(
        "/editor/preview",
        json={"body": ["a"]},
        headers={"X-CSRFToken": csrf_token(client, "/write")},
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "body"


@pytest.fixture
def app_overrides() -> dict[str, object]:
    return {"EDITOR_RATE_LIMIT": "3 per minute"}


def test_previews_beyond_the_limit_get_a_429_problem_with_retry_after(client, author):
    token = csrf_token(client, "/write")
    answers = [_preview(client, "text", token) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].mimetype == "application/problem+json"
    assert int(answers[-1].headers["Retry-After"]) > 0

"""Preview and autosave: the same render function and the same posts service as saving."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from folio_common.extensions import db
from folio_common.markdown import count_words, reading_minutes, render_markdown
from folio_common.models import Permission, Post, PostStatus, User
from folio_common.services import posts
from folio_common.services.posts import PostError
from folio_web.api.problems import fail
from folio_web.editor import bp
from folio_web.extensions import limiter


def _editor_rate_limit() -> str:
    return current_app.config["EDITOR_RATE_LIMIT"]


def _author_key() -> str:
    return f"user:{getattr(current_user, 'id', None) or request.remote_addr}"


# One budget for both endpoints, per author: typing previews at most every 0.6 s and autosaves
# every 10 s, far below it; a script hammering them is not.
editor_limit = limiter.shared_limit(_editor_rate_limit, scope="editor", key_func=_author_key)


def _writer() -> User:
    """The signed-in author, or a 401/403 problem (never a redirect to the log-in page)."""
    if not current_user.is_authenticated:
        fail(401, _("Your session has ended: log in again, then save."))
    user: User = current_user._get_current_object()
    if not user.can(Permission.WRITE):
        fail(403, _("Only authors can write posts."))
    return user


def _field(name: str) -> str:
    """A text field from a JSON object or a form body (the editor sends the form as it is)."""
    data: Any = request.get_json(silent=True) if request.is_json else request.form
    value = data.get(name, "") if hasattr(data, "get") else ""
    if not isinstance(value, str):
        fail(422, _("%(name)s must be a string.", name=name), field=name)
    return value


@bp.post("/preview")
@editor_limit
def preview() -> dict[str, object]:
    """The post body as the saved post will show it: the very function saving calls."""
    _writer()
    body_html = render_markdown(_field("body"))
    words = count_words(body_html)
    return {"html": body_html, "words": words, "reading_minutes": reading_minutes(words)}


def _saved(post: Post, status: int) -> tuple[dict[str, object], int]:
    return {
        "slug": post.slug,
        "edit_url": url_for("blog.edit", slug=post.slug),
        "autosave_url": url_for("editor.autosave_draft", slug=post.slug),
        "saved_at": post.updated_at.isoformat(),
    }, status


def _problem_for(error: PostError) -> NoReturn:
    db.session.rollback()
    fail(422, str(error), field=error.field)


@bp.post("/drafts")
@editor_limit
def autosave_new() -> tuple[dict[str, object], int]:
    """The first autosave of a new post creates it, as a draft the author alone sees."""
    author = _writer()
    try:
        post = posts.create_post(
            author, _field("title"), _field("body"), tags=_field("tags"), status=PostStatus.DRAFT
        )
    except PostError as error:
        _problem_for(error)
    db.session.commit()
    return _saved(post, 201)


@bp.post("/drafts/<slug>")
@editor_limit
def autosave_draft(slug: str) -> tuple[dict[str, object], int]:
    """Later autosaves update the draft. Published and scheduled posts are never autosaved:
    half-typed changes would go live; the browser keeps those until Save."""
    viewer = _writer()
    post = posts.get_post_by_slug(slug)
    if post is None or not posts.can_edit(post, viewer):
        fail(404, _("There is no draft of yours at this address."))
    if post.status != PostStatus.DRAFT:
        fail(409, _("Only drafts are saved automatically; use Save to change this post."))
    title = _field("title")
    try:
        # A draft's address follows its title: nobody else has seen it, and the first autosave
        # may have caught the title half-typed.
        posts.update_post(
            post,
            title=title,
            body=_field("body"),
            tags=_field("tags"),
            slug=posts.unique_slug(title, exclude_id=post.id),
        )
    except PostError as error:
        _problem_for(error)
    db.session.commit()
    return _saved(post, 200)


@bp.app_template_global()
def autosave_url(post: Post | None) -> str:
    """Where the editor autosaves `post` (None: a new one); "" where it must not."""
    if post is None:
        return url_for("editor.autosave_new")
    if post.status == PostStatus.DRAFT:
        return url_for("editor.autosave_draft", slug=post.slug)
    return ""

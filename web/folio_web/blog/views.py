"""Blog pages: reading (index, posts, tags, authors, search) and writing (posts, comments, follows).

Views translate between HTTP and the services: the services validate and flush, the view commits
on success and rolls back on failure, so a failed request leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Select

from folio_common.extensions import db
from folio_common.models import Comment, Permission, Post, PostStatus, User
from folio_common.services import comments, follows, images, posts
from folio_common.services.follows import FollowError
from folio_common.services.images import ImageError
from folio_web import images as uploads
from folio_web.api.problems import problem
from folio_web.blog import bp
from folio_web.blog.forms import CommentForm, PostForm
from folio_web.blog.paging import cursor, page_number, search_query
from folio_web.forms import commit_or_show_error, refusal
from folio_web.page_cache import Deferred, cached_page
from folio_web.security import is_safe_next, permission_required

# An author (and an admin) sees their drafts and scheduled posts above their posts, a page of
# this many at a time, paged by its own argument (the posts below page by `page`).
DRAFTS_PER_PAGE = 10
DRAFTS_ARGUMENT = "drafts"
# Other posts by the same author listed at the foot of a post.
MORE_FROM_AUTHOR = 3
# Comments under a post, oldest first, a page at a time.
COMMENTS_PER_PAGE = 50

# --- helpers ----------------------------------------------------------------------------------


def _viewer() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _me() -> User:
    """The signed-in user, for views already guarded by a login or permission decorator."""
    user = _viewer()
    if user is None:  # pragma: no cover - the decorators send anonymous visitors away first
        abort(401)
    return user


def _window(query: Select[tuple[Post]]) -> posts.PostWindow:
    """A newest-first page: `?before=`/`?after=` cursors, or an old-style `?page=` link."""
    return posts.newest_first_window(
        query,
        per_page=current_app.config["POSTS_PER_PAGE"],
        before=cursor("before"),
        after=cursor("after"),
        page=page_number(),
    )


def _back_to(default: str) -> str:
    target = request.form.get("next")
    return target if target and is_safe_next(target) else default


def _visible_post_or_404(slug: str) -> Post:
    """Drafts and scheduled posts look missing to everyone but their author and admins."""
    post = posts.get_post_by_slug(slug)
    if post is None or not posts.can_view(post, _viewer()):
        abort(404)
    return post


def _editable_post_or_abort(slug: str) -> Post:
    post = _visible_post_or_404(slug)
    if not posts.can_edit(post, _viewer()):
        abort(403)
    return post


def _author_or_404(username: str) -> User:
    author = posts.find_author(username)
    if author is None:
        abort(404)
    return author


def _follow_state(author: User) -> dict[str, object]:
    """What the follow button next to `author` should offer the current visitor."""
    viewer = _viewer()
    followable = follows.is_followable(author)
    can_follow = (
        followable
        and viewer is not None
        and viewer.id != author.id
        and viewer.can(Permission.FOLLOW)
    )
    return {
        "followable": followable,
        "can_follow": can_follow,
        "following": can_follow and follows.is_following(viewer, author),  # type: ignore[arg-type]
        "follower_count": follows.follower_count(author) if followable else 0,
    }


def _status_message(post: Post) -> str:
    if post.status == PostStatus.PUBLISHED:
        return _("“%(title)s” is published.", title=post.title)
    if post.status == PostStatus.SCHEDULED and post.publish_at is not None:
        when = format_datetime(post.publish_at, "d MMM y HH:mm")
        return _("“%(title)s” will be published on %(when)s UTC.", title=post.title, when=when)
    return _("“%(title)s” is saved as a draft.", title=post.title)


# --- reading ----------------------------------------------------------------------------------


@bp.get("/")
@cached_page(args=("page", "before", "after"))
def index() -> ResponseReturnValue:
    return render_template(
        "blog/index.html", page=Deferred(lambda: _window(posts.published_posts()))
    )


def _comment_view(post: Post, viewer: User | None) -> str | None:
    """Which shared rendering of the post's comments fits the viewer: "moderator" (each one
    deletable), "reader" (none), or None when only their own are: rendered for them alone."""
    if comments.moderates(post, viewer):
        return "moderator"
    if viewer is None or not viewer.active or not comments.has_commented(post, viewer):
        return "reader"
    return None


def _render_post(post: Post, comment_form: CommentForm | None = None) -> str:
    viewer = _viewer()
    post_comments = Deferred(lambda: comments.comment_page(post, page_number(), COMMENTS_PER_PAGE))
    can_comment = post.is_published and viewer is not None and viewer.can(Permission.COMMENT)
    if comment_form is None and can_comment:
        # Only for someone who may comment: a form's CSRF token starts a session, and a page
        # that sets a cookie can be cached neither in Redis nor by nginx.
        comment_form = CommentForm()
    return render_template(
        "blog/post.html",
        post=post,
        comments=post_comments,
        comment_view=_comment_view(post, viewer),
        deletable=Deferred(
            lambda: {c.id for c in post_comments.items if comments.can_delete(c, viewer)}
        ),
        can_edit=posts.can_edit(post, viewer),
        can_comment=can_comment,
        comment_form=comment_form,
        follow=_follow_state(post.author),
        more=posts.more_by_author(post, MORE_FROM_AUTHOR),
    )


@bp.get("/posts/<slug>")
@cached_page(args=("page",))
def post(slug: str) -> ResponseReturnValue:
    return _render_post(_visible_post_or_404(slug))


@bp.get("/tags")
@cached_page()
def tags() -> ResponseReturnValue:
    return render_template("blog/tags.html", tags=Deferred(posts.tags_with_counts))


@bp.get("/tags/<slug>")
@cached_page(args=("page", "before", "after"))
def tag(slug: str) -> ResponseReturnValue:
    found = posts.get_tag(slug)
    if found is None:
        abort(404)
    page = Deferred(lambda: _window(posts.with_tag(posts.published_posts(), found.id)))
    return render_template("blog/tag.html", tag=found, page=page)


@bp.get("/authors/<username>")
@cached_page(args=("page", "before", "after"))
def author(username: str) -> ResponseReturnValue:
    found = _author_or_404(username)
    viewer = _viewer()
    # Authors see their own drafts and scheduled posts here; so do admins, as on the post page.
    own = viewer is not None and (viewer.id == found.id or viewer.is_admin)
    page = Deferred(lambda: _window(posts.published_by(found)))
    unpublished = None
    if own:
        unpublished = posts.unpublished_posts(found, page_number(DRAFTS_ARGUMENT), DRAFTS_PER_PAGE)
    return render_template(
        "blog/author.html",
        author=found,
        page=page,
        unpublished=unpublished,
        drafts_argument=DRAFTS_ARGUMENT,
        own=own,
        follow=_follow_state(found),
    )


@bp.get("/search")
@cached_page(args=("q", "page"))
def search() -> ResponseReturnValue:
    q = search_query()
    results = (
        Deferred(
            lambda: posts.search_posts(
                q, page=page_number(), per_page=current_app.config["POSTS_PER_PAGE"]
            )
        )
        if q
        else None
    )
    return render_template("blog/search.html", q=q, page=results)


# --- writing ----------------------------------------------------------------------------------


def _take_uploads(form: PostForm) -> bool:
    """Store the form's image and cover, committed at once (the post may not save); True if
    every attached file was taken. The image's Markdown is added to the text being edited."""
    taken = True
    for field in (form.image, form.cover):
        file = uploads.uploaded_file(field.data)
        if file is None:
            continue
        try:
            image = uploads.store(_me(), file)
        except ImageError as error:
            db.session.rollback()
            field.errors = [*field.errors, str(error)]
            taken = False
            continue
        db.session.commit()
        if field is form.image:
            markdown = images.markdown_for(image, form.image_alt.data or "")
            form.body.data = f"{(form.body.data or '').rstrip()}\n\n{markdown}\n".lstrip()
            form.image_alt.data = ""
        else:
            form.cover_image_id.data = str(image.id)
    return taken


def _cover_choice(form: PostForm, post: Post | None) -> tuple[bool, int | None]:
    """Whether the form changes the cover, and to which image id (None: no cover)."""
    if form.remove_cover.data:
        return True, None
    if form.cover_image_id.data and form.cover_image_id.data.isdigit():
        return True, int(form.cover_image_id.data)
    return False, post.cover_image_id if post else None


def _save_post(
    form: PostForm, save: Callable[..., Post], post: Post | None = None
) -> ResponseReturnValue | None:
    """Create or update a post from the form: a redirect to it, or None to show the errors."""
    changes_cover, cover_id = _cover_choice(form, post)
    with commit_or_show_error(form) as outcome:
        cover = images.owned_image(cover_id, _me()) if changes_cover else None
        saved = save(
            title=form.title.data or "",
            body=form.body.data or "",
            tags=form.tags.data or "",
            status=PostStatus(form.status.data),
            publish_at=form.publish_at_utc(),
        )
        if changes_cover:
            images.set_post_cover(saved, cover)
    if not outcome.ok:
        return None
    flash(_status_message(saved), "success")
    return redirect(url_for("blog.post", slug=saved.slug))


def _write_form(form: PostForm, post: Post | None) -> ResponseReturnValue:
    """Save the post, or show the form again: with errors, or with an upload's Markdown added."""
    if not form.validate_on_submit() or not _take_uploads(form):
        return render_template("blog/write.html", form=form, post=post)
    if form.upload.data:
        # "Upload and add to the text": the form comes back with the Markdown, nothing saved.
        if uploads.uploaded_file(form.image.data) is None:
            form.image.errors = [_("Choose an image to upload.")]
        else:
            flash(_("The image is uploaded: its Markdown is at the end of the text."), "success")
        return render_template("blog/write.html", form=form, post=post)
    save = partial(posts.update_post, post) if post else partial(posts.create_post, _me())
    return _save_post(form, save, post) or render_template("blog/write.html", form=form, post=post)


@bp.post("/write/images")
@permission_required(Permission.WRITE)
def upload_image() -> ResponseReturnValue:
    """The editor's script uploads here (with the form's session and CSRF token) and puts the
    answer's Markdown at the cursor; without the script the editor form does the same."""
    file = uploads.uploaded_file(request.files.get("image"))
    if file is None:
        return problem(422, _("Choose an image to upload."))
    try:
        image = uploads.store(_me(), file)
    except ImageError as error:
        db.session.rollback()
        return problem(422, str(error))
    db.session.commit()
    return jsonify(markdown=images.markdown_for(image, request.form.get("alt", ""))), 201


@bp.route("/write", methods=["GET", "POST"])
@permission_required(Permission.WRITE)
def write() -> ResponseReturnValue:
    return _write_form(PostForm(), None)


@bp.route("/posts/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str) -> ResponseReturnValue:
    post = _editable_post_or_abort(slug)
    form = PostForm() if request.method == "POST" else PostForm.for_post(post)
    form.offer_choices_for(post)
    return _write_form(form, post)


@bp.post("/posts/<slug>/delete")
@login_required
def delete(slug: str) -> ResponseReturnValue:
    post = _editable_post_or_abort(slug)
    title, author_name = post.title, post.author.username
    posts.delete_post(post)
    db.session.commit()
    flash(_("“%(title)s” is deleted.", title=title), "success")
    return redirect(url_for("blog.author", username=author_name))


@bp.post("/posts/<slug>/comments")
@permission_required(Permission.COMMENT)
def add_comment(slug: str) -> ResponseReturnValue:
    post = _visible_post_or_404(slug)
    form = CommentForm()
    if form.validate_on_submit():
        with commit_or_show_error(form) as outcome:
            comment = comments.add_comment(post, _me(), form.body.data or "")
        if outcome.ok:
            flash(_("Your comment is posted."), "success")
            page = comments.last_comment_page(post, COMMENTS_PER_PAGE)
            return redirect(
                url_for(
                    "blog.post",
                    slug=post.slug,
                    page=page if page > 1 else None,
                    _anchor=f"comment-{comment.id}",
                )
            )
    return _render_post(post, form)


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete_comment(comment_id: int) -> ResponseReturnValue:
    comment = db.get_or_404(Comment, comment_id)
    if not comments.can_delete(comment, _viewer()):
        abort(403)
    slug = comment.post.slug
    comments.delete_comment(comment)
    db.session.commit()
    flash(_("The comment is deleted."), "success")
    return redirect(url_for("blog.post", slug=slug, _anchor="comments"))


@bp.post("/authors/<username>/follow")
@permission_required(Permission.FOLLOW)
def follow(username: str) -> ResponseReturnValue:
    found = _author_or_404(username)
    back = _back_to(url_for("blog.author", username=found.username))
    try:
        follows.follow(_me(), found)
    except FollowError as error:
        db.session.rollback()
        flash(refusal(error), "error")
    else:
        db.session.commit()
        flash(
            _("You follow %(name)s: new posts will reach you by email.", name=found.name), "success"
        )
    return redirect(back)


@bp.post("/authors/<username>/unfollow")
@permission_required(Permission.FOLLOW)
def unfollow(username: str) -> ResponseReturnValue:
    found = _author_or_404(username)
    follows.unfollow(_me(), found)
    db.session.commit()
    flash(_("You no longer follow %(name)s.", name=found.name), "success")
    return redirect(_back_to(url_for("blog.author", username=found.username)))

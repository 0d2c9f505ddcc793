"""Forms for writing posts and comments."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from folio_common.models import Post, PostStatus
from folio_web.images import IMAGE_TYPES

# A published post is edited in place; the other choices take it off the site.
PUBLISHED_STATUS_CHOICES = [
    SelectChoice(PostStatus.PUBLISHED.value, _l("Keep it published")),
    SelectChoice(PostStatus.DRAFT.value, _l("Unpublish: back to drafts")),
    SelectChoice(PostStatus.SCHEDULED.value, _l("Unpublish and schedule")),
]

STATUS_CHOICES = [
    SelectChoice(PostStatus.DRAFT.value, _l("Save as a draft")),
    SelectChoice(PostStatus.PUBLISHED.value, _l("Publish now")),
    SelectChoice(PostStatus.SCHEDULED.value, _l("Schedule for later")),
]


class PostForm(FlaskForm):
    # Required fields and tag rules are checked by the posts service, which also serves the API;
    # its errors are attached to these fields so both paths give the same messages.
    title = StringField(_l("Title"))
    body = TextAreaField(
        _l("Text"),
        description=_l(
            "Markdown. Raw HTML is filtered when you save. Only images uploaded here are "
            "shown: an image from another site becomes a link to it."
        ),
    )
    tags = StringField(_l("Tags"), description=_l("Separate tags with commas, at most eight."))
    status = SelectField(_l("When"), choices=STATUS_CHOICES, default=PostStatus.DRAFT.value)
    publish_at = DateTimeLocalField(
        _l("Publish at (UTC)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
        description=_l("Only used when scheduling. The time is read as UTC."),
    )

    # Uploads (folio_web.images): the image's Markdown is added at the end of the text.
    image = FileField(
        _l("Add an image"),
        description=_l(
            "JPEG, PNG, WebP or GIF. Its Markdown goes at the end of the text, where "
            "you can move it. Location and camera data are removed."
        ),
        render_kw={"accept": IMAGE_TYPES},
    )
    image_alt = StringField(
        _l("Describe the image"),
        validators=[Length(max=200)],
        description=_l("For readers who cannot see it (the image's alt text)."),
    )
    upload = SubmitField(_l("Upload and add to the text"))
    cover = FileField(_l("Cover image"), render_kw={"accept": IMAGE_TYPES})
    # A cover uploaded while the rest of the form still had errors, kept across the re-render.
    cover_image_id = HiddenField()
    remove_cover = BooleanField(_l("Remove the cover image"))

    @classmethod
    def for_post(cls, post: Post) -> PostForm:
        # The datetime-local input shows naive times; the form says they are UTC.
        publish_at = None
        if post.publish_at is not None:
            publish_at = post.publish_at.astimezone(UTC).replace(tzinfo=None)
        return cls(
            title=post.title,
            body=post.body_markdown,
            tags=", ".join(tag.name for tag in post.tags),
            status=post.status.value,
            publish_at=publish_at,
        )

    def offer_choices_for(self, post: Post) -> None:
        if post.status == PostStatus.PUBLISHED:
            self.status.choices = PUBLISHED_STATUS_CHOICES

    def publish_at_utc(self) -> datetime | None:
        """The chosen time as an aware UTC datetime, when the post is being scheduled."""
        if self.status.data != PostStatus.SCHEDULED.value or self.publish_at.data is None:
            return None
        return self.publish_at.data.replace(tzinfo=UTC)


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Add a comment"), render_kw={"rows": 4})

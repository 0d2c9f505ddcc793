"""Forms for writing posts and comments."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from folio_common.models import Post, PostStatus

# A published post is edited in place; the other choices take it off the site.
PUBLISHED_STATUS_CHOICES = [
    SelectChoice(PostStatus.PUBLISHED.value, "Keep it published"),
    SelectChoice(PostStatus.DRAFT.value, "Unpublish: back to drafts"),
    SelectChoice(PostStatus.SCHEDULED.value, "Unpublish and schedule"),
]

STATUS_CHOICES = [
    SelectChoice(PostStatus.DRAFT.value, "Save as a draft"),
    SelectChoice(PostStatus.PUBLISHED.value, "Publish now"),
    SelectChoice(PostStatus.SCHEDULED.value, "Schedule for later"),
]


class PostForm(FlaskForm):
    # Required fields and tag rules are checked by the posts service, which also serves the API;
    # its errors are attached to these fields so both paths give the same messages.
    title = StringField("Title")
    body = TextAreaField("Text", description="Markdown. Raw HTML is filtered when you save.")
    tags = StringField("Tags", description="Separate tags with commas, at most eight.")
    status = SelectField("When", choices=STATUS_CHOICES, default=PostStatus.DRAFT.value)
    publish_at = DateTimeLocalField(
        "Publish at (UTC)",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
        description="Only used when scheduling. The time is read as UTC.",
    )

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
    body = TextAreaField("Add a comment", render_kw={"rows": 4})

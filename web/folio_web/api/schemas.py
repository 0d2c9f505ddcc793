"""Marshmallow schemas: they validate what comes in, shape what goes out and write the OpenAPI."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate

from folio_common.models import Export, ExportStatus, ImageStatus, PostStatus, Role
from folio_common.services import exports
from folio_common.services.posts import MAX_PAGE, MAX_TAGS, SLUG_PATTERN, TAG_PATTERN

MAX_PER_PAGE = 100


# What Text documents (JSON Schema patterns match anywhere, so these are anchored). White space
# is spelled out as Python's str.isspace() has it, since \s differs between regex dialects.
WHITE_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NO_NUL_PATTERN = r"^[^\x00]*$"
NOT_BLANK_PATTERN = rf"^[^\x00]*[^\x00{WHITE_SPACE}][^\x00]*$"


class Text(fields.String):
    """A string the database can store: no NUL characters and no lone surrogates.

    With `not_blank`, it must also hold something besides white space (the services trim it).
    The OpenAPI document says both, so generated requests and the server agree.
    """

    def __init__(self, *, not_blank: bool = False, **kwargs: Any) -> None:
        self.not_blank = not_blank
        metadata = {"pattern": NOT_BLANK_PATTERN if not_blank else NO_NUL_PATTERN}
        super().__init__(metadata={**metadata, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Must not contain NUL characters.")
        if self.not_blank and not text.strip():
            raise ValidationError("Must not be blank.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError("Must be valid Unicode text.") from exc
        return text


class Moment(fields.AwareDateTime):
    """An ISO 8601 date-time; one without an offset is taken as UTC."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", default_timezone=UTC, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError("Not a representable date and time.") from exc


# --- errors and paging --------------------------------------------------------------------------


class FieldErrorSchema(Schema):
    location = fields.String(metadata={"description": "json, query, path or headers"})
    field = fields.String(metadata={"description": "Dotted path of the failing field"})
    messages = fields.List(fields.String())


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(FieldErrorSchema))


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageMetaSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class PostPageMetaSchema(PageMetaSchema):
    total_capped = fields.Boolean(
        metadata={"description": "true when there are more matches than total counts"}
    )
    older = fields.Integer(
        allow_none=True, metadata={"description": "Pass as before= for the next older page"}
    )
    newer = fields.Integer(
        allow_none=True, metadata={"description": "Pass as after= for the next newer page"}
    )


# --- authentication -------------------------------------------------------------------------------


class TokenRequestSchema(Schema):
    username = Text(
        required=True,
        validate=validate.Length(min=1, max=254),
        metadata={"description": "Username or email address"},
    )
    password = Text(required=True, validate=validate.Length(min=1, max=1024))


class TokenPairSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Access token seconds"})


# --- users -------------------------------------------------------------------------------------


class UserSummarySchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(allow_none=True)


class ProfileSchema(UserSummarySchema):
    bio = fields.String(allow_none=True)
    role = fields.Enum(Role, by_value=True, required=True)
    joined_at = fields.DateTime(attribute="created_at", required=True)
    followers = fields.Integer(required=True)
    posts = fields.Integer(required=True)


class MeSchema(ProfileSchema):
    email = fields.String(required=True)
    confirmed = fields.Boolean(required=True)
    following = fields.Integer(required=True)


# --- posts -------------------------------------------------------------------------------------

SORTS = ("newest", "oldest", "title", "relevance")
SLUG_FIELD: dict[str, Any] = {
    "validate": validate.Length(min=1, max=200),
    "metadata": {
        "pattern": SLUG_PATTERN,
        "description": "Lower-case letters and digits in groups joined by '-'",
    },
}
TAG_FIELD: dict[str, Any] = {
    "validate": [validate.Length(min=1, max=40), validate.Regexp(TAG_PATTERN)],
    "metadata": {"description": "An ASCII letter or digit, then those, spaces and . + # _ -"},
}


class TagNameSchema(Schema):
    name = fields.String(required=True)


class PostSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(allow_none=True)
    body = fields.String(attribute="body_markdown", required=True)
    body_html = fields.String(required=True)
    status = fields.Enum(PostStatus, by_value=True, required=True)
    tags = fields.Pluck(TagNameSchema, "name", many=True, required=True)
    author = fields.Nested(UserSummarySchema, required=True)
    publish_at = fields.DateTime(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    cover_image_id = fields.Integer(allow_none=True, metadata={"description": "See /api/v1/images"})


class PostPageSchema(Schema):
    data = fields.List(fields.Nested(PostSchema), required=True)
    meta = fields.Nested(PostPageMetaSchema, required=True)


class PostListQuerySchema(PageQuerySchema):
    tag = Text(validate=validate.Length(max=48), metadata={"description": "Tag slug"})
    author = Text(validate=validate.Length(max=32), metadata={"description": "Author username"})
    q = Text(validate=validate.Length(max=200), metadata={"description": "Search words"})
    status = fields.Enum(
        PostStatus,
        by_value=True,
        load_default=PostStatus.PUBLISHED,
        metadata={"description": "draft or scheduled list your own unpublished posts"},
    )
    sort = fields.String(
        validate=validate.OneOf(SORTS),
        metadata={"description": "newest (the default), or relevance (the default with q)"},
    )
    before = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "Post id from meta.older: the next older page (newest sort)"},
    )
    after = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "Post id from meta.newer: the next newer page (newest sort)"},
    )


class PostWriteSchema(Schema):
    title = Text(not_blank=True, validate=validate.Length(min=1, max=200))
    body = Text(not_blank=True, validate=validate.Length(min=1))
    tags = fields.List(fields.String(**TAG_FIELD), validate=validate.Length(max=MAX_TAGS))
    slug = Text(**SLUG_FIELD)
    status = fields.Enum(PostStatus, by_value=True)
    publish_at = Moment(allow_none=True, metadata={"description": "For status scheduled"})
    cover_image_id = fields.Integer(
        allow_none=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "One of your images (POST /images); null removes the cover"},
    )


class PostCreateSchema(PostWriteSchema):
    title = Text(not_blank=True, required=True, validate=validate.Length(min=1, max=200))
    body = Text(not_blank=True, required=True, validate=validate.Length(min=1))


class PublishSchema(Schema):
    publish_at = Moment(
        allow_none=True,
        metadata={"description": "When to publish; omit (or a past time) to publish now"},
    )


# --- comments, tags, exports ---------------------------------------------------------------------


class CommentSchema(Schema):
    id = fields.Integer(required=True)
    post_id = fields.Integer(required=True)
    body = fields.String(required=True)
    author = fields.Nested(UserSummarySchema, required=True)
    created_at = fields.DateTime(required=True)


class CommentPageSchema(Schema):
    data = fields.List(fields.Nested(CommentSchema), required=True)
    meta = fields.Nested(PageMetaSchema, required=True)


class CommentCreateSchema(Schema):
    body = Text(not_blank=True, required=True, validate=validate.Length(min=1, max=5000))


class TagSchema(Schema):
    name = fields.String(required=True)
    slug = fields.String(required=True)
    posts = fields.Integer(required=True, metadata={"description": "Published posts"})


class TagPageSchema(Schema):
    data = fields.List(fields.Nested(TagSchema), required=True)
    meta = fields.Nested(PageMetaSchema, required=True)


class ExportSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.Enum(ExportStatus, by_value=True, required=True)
    progress = fields.Integer(required=True, metadata={"description": "Percent done"})
    size_bytes = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    download_url = fields.Method("_download_url", allow_none=True, metadata={"type": "string"})

    def _download_url(self, export: Export) -> str | None:
        if not exports.is_downloadable(export):
            return None
        return url_for("api-exports.download_export", export_id=export.id)


# --- images -----------------------------------------------------------------------------------


class ImageUploadSchema(Schema):
    file = Upload(
        required=True,
        metadata={"description": "A JPEG, PNG, WebP or GIF image, judged by its content"},
    )


class ImageSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.Enum(
        ImageStatus,
        by_value=True,
        required=True,
        metadata={"description": "pending until the resized WebP copies exist"},
    )
    format = fields.String(required=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    size_bytes = fields.Integer(required=True)
    url = fields.String(required=True, metadata={"description": "The stored original"})
    markdown = fields.String(required=True, metadata={"description": "Paste into a post's body"})
    srcset = fields.String(allow_none=True, metadata={"description": "Once ready"})
    created_at = fields.DateTime(required=True)

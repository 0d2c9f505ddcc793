"""Folio's typed SQLAlchemy models, importable from one place."""

from folio_common.models.base import Base, UTCDateTime, utcnow
from folio_common.models.images import Image, ImageStatus
from folio_common.models.jobs import Export, ExportStatus, JobRun, JobState
from folio_common.models.outbox import OutboxMessage
from folio_common.models.posts import Comment, Post, PostNotification, PostStatus, Tag, post_tags
from folio_common.models.tokens import AccountToken, LoginSession, RefreshToken, TokenPurpose
from folio_common.models.users import ROLE_PERMISSIONS, Follow, Permission, Role, User

__all__ = [
    "ROLE_PERMISSIONS",
    "AccountToken",
    "Base",
    "Comment",
    "Export",
    "ExportStatus",
    "Follow",
    "Image",
    "ImageStatus",
    "JobRun",
    "JobState",
    "LoginSession",
    "OutboxMessage",
    "Permission",
    "Post",
    "PostNotification",
    "PostStatus",
    "RefreshToken",
    "Role",
    "Tag",
    "TokenPurpose",
    "UTCDateTime",
    "User",
    "post_tags",
    "utcnow",
]

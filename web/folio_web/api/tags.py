"""/api/v1/tags: every tag with its number of published posts."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from folio_common.services import posts as post_service
from folio_web.api.responses import Page, paginated_list
from folio_web.api.schemas import PageQuerySchema, TagPageSchema
from folio_web.edge_cache import shared

blp = Blueprint("api-tags", __name__, url_prefix="/api/v1/tags", description="Tags")


@blp.route("", methods=["GET"])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, TagPageSchema)
@shared
def list_tags(args: dict[str, Any]) -> Page:
    """Tags in use, most used first."""
    tags = [
        {"name": tag.name, "slug": tag.slug, "posts": tag.posts}
        for tag in post_service.tags_with_counts()
    ]
    return paginated_list(tags, args)

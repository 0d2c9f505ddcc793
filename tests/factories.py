"""factory_boy factories for Folio's models, bound to the app's scoped session."""

from __future__ import annotations

from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from folio_common.extensions import db
from folio_common.markdown import count_words, plain_summary, render_comment, render_markdown
from folio_common.models import Comment, Post, PostStatus, Role, Tag, User, utcnow
from folio_common.passwords import hash_password

DEFAULT_PASSWORD = "correct horse battery"


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    # Hashed at build time, with whatever parameters the test session's hasher uses.
    password_hash = factory.LazyFunction(lambda: hash_password(DEFAULT_PASSWORD))
    role = Role.AUTHOR
    confirmed_at = factory.LazyFunction(utcnow)
    active = True

    class Params:
        unconfirmed = factory.Trait(confirmed_at=None)
        admin = factory.Trait(role=Role.ADMIN)
        reader = factory.Trait(role=Role.READER)


class TagFactory(BaseFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag{n}")
    slug = factory.LazyAttribute(lambda t: t.name.lower())


class PostFactory(BaseFactory):
    class Meta:
        model = Post

    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Post number {n}")
    slug = factory.Sequence(lambda n: f"post-number-{n}")
    body_markdown = "Some *Markdown* text."
    body_html = factory.LazyAttribute(lambda p: render_markdown(p.body_markdown))
    summary = factory.LazyAttribute(lambda p: plain_summary(p.body_markdown))
    word_count = factory.LazyAttribute(lambda p: count_words(p.body_html))
    status = PostStatus.PUBLISHED
    published_at = factory.LazyFunction(lambda: utcnow() - timedelta(minutes=5))

    class Params:
        draft = factory.Trait(status=PostStatus.DRAFT, published_at=None)
        # With a publish_at of the test's own.
        scheduled = factory.Trait(status=PostStatus.SCHEDULED, published_at=None)


class CommentFactory(BaseFactory):
    class Meta:
        model = Comment

    post = factory.SubFactory(PostFactory)
    author = factory.SubFactory(UserFactory)
    body = "A thoughtful comment."
    body_html = factory.LazyAttribute(lambda c: render_comment(c.body))

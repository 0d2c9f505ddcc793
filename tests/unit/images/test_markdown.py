"""Images in Markdown: own uploads with srcset, other sites' images as links (docs/writing.md)."""

from __future__ import annotations

import io
import re

import pytest

from folio_common.extensions import db
from folio_common.markdown import render_markdown
from folio_common.models import Image, ImageStatus
from folio_common.services import images
from tests.factories import UserFactory
from tests.unit.images.pictures import picture


@pytest.fixture
def uploaded(app_ctx) -> Image:
    owner = UserFactory()
    db.session.flush()
    image = images.store_upload(owner, io.BytesIO(picture("JPEG", size=(1000, 500))))
    db.session.commit()
    return db.session.get(Image, image.id)


def test_an_own_image_renders_with_srcset_sizes_width_height_and_lazy_loading(uploaded) -> None:
    html = render_markdown(f"![A harbour at dusk]({images.original_url(uploaded)})")

    img = re.search(r"<img [^>]*>", html).group(0)
    key = uploaded.key
    assert f'src="/media/{key[:2]}/{key}.jpg"' in img
    assert 'alt="A harbour at dusk"' in img
    assert 'width="1000"' in img and 'height="500"' in img
    assert 'loading="lazy"' in img
    assert (
        f'srcset="/media/{key[:2]}/{key}-480.webp 480w, /media/{key[:2]}/{key}-960.webp 960w, '
        f'/media/{key[:2]}/{key}-1000.webp 1000w"'
    ) in img
    assert 'sizes="' in img


def test_an_image_still_being_processed_shows_the_original_without_srcset(uploaded) -> None:
    uploaded.status = ImageStatus.PENDING
    db.session.flush()

    html = render_markdown(f"![]({images.original_url(uploaded)})")

    assert 'width="1000"' in html
    assert "srcset" not in html


def test_an_external_markdown_image_becomes_a_link_with_its_alt_text(app_ctx) -> None:
    html = render_markdown("![A cat](https://cats.example/cat.png)")

    assert "<img" not in html
    assert '<a href="https://cats.example/cat.png"' in html
    assert ">A cat</a>" in html


def test_an_external_image_without_alt_text_links_its_address(app_ctx) -> None:
    html = render_markdown("![](https://cats.example/cat.png)")

    assert ">https://cats.example/cat.png</a>" in html


@pytest.mark.parametrize(
    "raw",
    [
        '<img src="https://tracker.example/pixel.gif" alt="">',
        '<img src="data:image/png;base64,AAAA">',
        '<img src="//tracker.example/p.gif">',
        '<img src="/media/../etc/passwd">',
    ],
)
def test_raw_img_tags_from_elsewhere_are_removed(app_ctx, raw: str) -> None:
    assert "<img" not in render_markdown(f"Before {raw} after")


def test_a_raw_img_of_an_own_image_keeps_only_an_own_srcset(uploaded) -> None:
    src = images.original_url(uploaded)
    html = render_markdown(f'<img src="{src}" srcset="https://evil.example/x.png 2x" onerror="x">')

    assert f'src="{src}"' in html
    assert "evil.example" not in html
    assert "onerror" not in html


def test_script_and_event_handlers_stay_filtered_around_images(uploaded) -> None:
    src = images.original_url(uploaded)
    html = render_markdown(f'![x]({src} "t") <script>alert(1)</script>')

    assert "<script" not in html
    assert 'title="t"' in html

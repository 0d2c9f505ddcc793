"""Pictures made in the test with Pillow: a photo carrying GPS tags, other formats, non-images."""

from __future__ import annotations

import io

from PIL import Image as Pil

# EXIF tag ids (the EXIF 2.3 standard): the GPS block's pointer, and the orientation.
GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def photo_with_gps(width: int = 1200, height: int = 800, orientation: int | None = None) -> bytes:
    """A JPEG such as a phone takes: camera make, GPS position, maybe an orientation tag."""
    picture = Pil.new("RGB", (width, height), (200, 120, 40))
    # A marker in the top-left corner, to see where it ends up after rotation.
    picture.paste((0, 0, 255), (0, 0, width // 4, height // 4))
    exif = Pil.Exif()
    exif[MAKE] = "Folio Test Camera"
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    if orientation is not None:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def picture(image_format: str, size: tuple[int, int] = (640, 480), **options: object) -> bytes:
    mode = "P" if image_format == "GIF" else "RGBA" if image_format == "PNG" else "RGB"
    out = io.BytesIO()
    Pil.new(mode, size, 3 if mode == "P" else (10, 200, 90, 255)[: len(mode)]).save(
        out, format=image_format, **options
    )
    return out.getvalue()


def gps_of(data: bytes) -> dict[int, object]:
    with Pil.open(io.BytesIO(data)) as opened:
        return dict(opened.getexif().get_ifd(GPS_IFD))


def exif_of(data: bytes) -> dict[int, object]:
    with Pil.open(io.BytesIO(data)) as opened:
        return dict(opened.getexif())


NOT_AN_IMAGE = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"

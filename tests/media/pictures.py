"""Small real pictures made by Pillow in the tests (nothing is downloaded)."""

from __future__ import annotations

import io

from PIL import Image


def picture(fmt: str = "JPEG", size: tuple[int, int] = (320, 240), colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()

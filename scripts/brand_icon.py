"""Draw the Hearth brand icon: a flame under a fireplace arch.

Writes custom_components/hearth/brand/icon.png (256x256) and icon@2x.png
(512x512), which Home Assistant 2026.3+ and HACS read from the integration.
Run ``python -m scripts.brand_icon`` after changing the drawing.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
BRAND = ROOT / "custom_components" / "hearth" / "brand"
#: Drawn at this size, then scaled down for smooth edges.
CANVAS = 2048

BRICK = (122, 46, 30, 255)
MORTAR = (173, 86, 56, 255)
OUTER_FLAME = (240, 96, 24, 255)
MIDDLE_FLAME = (251, 158, 36, 255)
INNER_FLAME = (255, 222, 110, 255)
LOG = (92, 58, 36, 255)


def _flame(
    cx: float, base: float, width: float, height: float, lean: float
) -> list[tuple[float, float]]:
    """Return a teardrop with a leaning tip: round at ``base``, pointed at the top."""
    points = []
    steps = 240
    for i in range(steps):
        t = 2 * math.pi * i / steps
        # y runs from 0 (tip) to 1 (bottom); the bottom half is a half circle.
        y = (1 - math.cos(t)) / 2
        x = math.sin(t) * math.sin(t / 2) ** 1.4
        tip = (1 - y) ** 2
        points.append(
            (
                cx + width / 2 * x + lean * width * tip,
                base - height + height * y,
            )
        )
    return points


def draw(size: int) -> Image.Image:
    """Return the icon at ``size`` x ``size`` pixels, on a transparent background."""
    image = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    unit = CANVAS / 16

    # The fireplace: a brick arch with an opening.
    left, right, top, bottom = 1.0 * unit, 15.0 * unit, 1.5 * unit, 15.0 * unit
    pen.rounded_rectangle((left, top, right, bottom), radius=2.2 * unit, fill=BRICK)
    pen.rounded_rectangle(
        (left, top, right, top + 2.2 * unit), radius=1.1 * unit, fill=MORTAR
    )
    opening = (3.0 * unit, 5.0 * unit, 13.0 * unit, bottom)
    pen.rectangle(
        (opening[0], opening[1] + 5 * unit, opening[2], opening[3]),
        fill=(0, 0, 0, 0),
    )
    pen.pieslice(
        (opening[0], opening[1], opening[2], opening[1] + 10 * unit),
        180,
        360,
        fill=(0, 0, 0, 0),
    )

    # Two crossed logs and the flame on them.
    logs_y = 13.4 * unit
    pen.rounded_rectangle(
        (4.0 * unit, logs_y, 12.0 * unit, logs_y + 1.3 * unit),
        radius=0.65 * unit,
        fill=LOG,
    )
    cx = 8.0 * unit
    pen.polygon(
        _flame(cx, logs_y + 0.3 * unit, 7.0 * unit, 9.5 * unit, 0.10), fill=OUTER_FLAME
    )
    pen.polygon(
        _flame(cx, logs_y + 0.1 * unit, 4.8 * unit, 6.8 * unit, -0.12),
        fill=MIDDLE_FLAME,
    )
    pen.polygon(_flame(cx, logs_y, 2.6 * unit, 4.0 * unit, 0.08), fill=INNER_FLAME)

    # Trim the transparent margin, then fit into a square.
    image = image.crop(image.getbbox())
    side = max(image.size)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    return square.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write both icon sizes."""
    BRAND.mkdir(exist_ok=True)
    draw(256).save(BRAND / "icon.png", optimize=True)
    draw(512).save(BRAND / "icon@2x.png", optimize=True)


if __name__ == "__main__":
    main()

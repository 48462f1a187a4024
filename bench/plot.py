"""The README's plot: memory per session against the number of sessions, for each model (Pillow only)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 900, 520
LEFT, RIGHT, TOP, BOTTOM = 80, 250, 50, 60
COLOURS = [(31, 119, 180), (44, 160, 44), (148, 103, 189), (214, 39, 40), (255, 127, 14)]
ORIGINAL_MB = 200


def _font(size: int) -> ImageFont.ImageFont:
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def _nice_step(span: float) -> float:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500):
        if span / step <= 8:
            return step
    return 1000


def memory_plot(curves: dict[str, dict], path: Path) -> Path:
    series = {
        label: [(p["sessions"], p["pss_mb_per_session"]) for p in curve["points"][1:]]
        for label, curve in curves.items()
    }
    max_x = max(x for points in series.values() for x, _ in points)
    max_y = max([ORIGINAL_MB, *(y for points in series.values() for _, y in points)]) * 1.1
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(15), _font(12)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def xy(x: float, y: float) -> tuple[float, float]:
        return LEFT + plot_w * x / max_x, TOP + plot_h * (1 - y / max_y)

    draw.text((LEFT, 8), "Memory per linked session (PSS of the whole process tree)", fill="black", font=font)
    draw.text((LEFT - 8, TOP - 14), "MB per session", fill="black", font=small, anchor="ls")
    y_step = _nice_step(max_y)
    y = 0.0
    while y <= max_y:
        _, py = xy(0, y)
        draw.line([(LEFT, py), (LEFT + plot_w, py)], fill=(225, 225, 225))
        draw.text((LEFT - 8, py), f"{y:.0f}", fill="black", font=small, anchor="rm")
        y += y_step
    x_step = _nice_step(max_x)
    x = 0.0
    while x <= max_x:
        px, _ = xy(x, 0)
        draw.line([(px, TOP + plot_h), (px, TOP + plot_h + 5)], fill="black")
        draw.text((px, TOP + plot_h + 8), f"{x:.0f}", fill="black", font=small, anchor="mt")
        x += x_step
    draw.rectangle([LEFT, TOP, LEFT + plot_w, TOP + plot_h], outline="black")
    draw.text((LEFT + plot_w / 2, HEIGHT - 20), "linked sessions", fill="black", font=font, anchor="mm")

    # the original design's figure, dashed
    _, oy = xy(0, ORIGINAL_MB)
    for start in range(LEFT, LEFT + plot_w, 14):
        draw.line([(start, oy), (min(start + 7, LEFT + plot_w), oy)], fill=(120, 120, 120), width=2)
    legend = [("original design: ~200 MB", (120, 120, 120))]
    for index, (label, points) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        pixels = [xy(px, py) for px, py in points]
        if len(pixels) > 1:
            draw.line(pixels, fill=colour, width=3)
        for cx, cy in pixels:
            draw.ellipse([cx - 4, cy - 4, cx + 4, cy + 4], fill=colour)
        legend.append((label, colour))
    for index, (label, colour) in enumerate(legend):
        ly = TOP + 10 + index * 24
        draw.line([(LEFT + plot_w + 15, ly), (LEFT + plot_w + 40, ly)], fill=colour, width=3)
        draw.text((LEFT + plot_w + 48, ly), label, fill="black", font=small, anchor="lm")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
    return path

"""The printable report's charts as SVG, and the PDF made from the report's HTML.

WeasyPrint runs no JavaScript, so the report cannot use the desk's chart library: its charts are
drawn here as plain SVG from the same scorecard. They never rely on colour alone: each series
has its own fill pattern (bars) or marker and dash (lines), and the legend beside the chart
shows the same swatch with the series' name.

Text inside the SVG is only numbers and short numeric dates: WeasyPrint does not shape
right-to-left scripts inside SVG, so words (series names, titles) stay in the HTML around the
chart, where Persian is shaped and set right to left. Right-to-left reports draw time from right
to left too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

# (colour, pattern): distinct in grey print as well as in colour
STYLES = (("#1f5f99", "solid"), ("#b85c1a", "hatch"), ("#2d7a3e", "dots"), ("#6b3f8f", "cross"),
          ("#7a6500", "vertical"), ("#444444", "horizontal"))
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "plus")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 2")
WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 42  # plot margins (mirrored for right-to-left)


@dataclass(frozen=True)
class Series:
    values: Sequence[float | None]  # one per label; None: nothing to show in that period
    intervals: Sequence[tuple[float, float] | None] | None = None  # drawn as whiskers (lines only)


def _fill(index: int) -> str:
    """The series' fill: its colour itself when solid (a solid pattern shows tile seams in some viewers)."""
    colour, kind = STYLES[index % len(STYLES)]
    return colour if kind == "solid" else f"url(#p{index % len(STYLES)})"


def _defs() -> str:
    patterns = []
    for index, (colour, kind) in enumerate(STYLES):
        body = {"solid": f'<rect width="8" height="8" fill="{colour}"/>',
                "hatch": f'<rect width="8" height="8" fill="#fff"/><path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" '
                         f'stroke="{colour}" stroke-width="2.2"/>',
                "dots": f'<rect width="8" height="8" fill="#fff"/><circle cx="4" cy="4" r="2.3" fill="{colour}"/>',
                "cross": f'<rect width="8" height="8" fill="#fff"/><path d="M0,0 l8,8 M8,0 l-8,8" '
                         f'stroke="{colour}" stroke-width="1.6"/>',
                "vertical": f'<rect width="8" height="8" fill="#fff"/><path d="M2,0 v8 M6,0 v8" stroke="{colour}" '
                            f'stroke-width="1.6"/>',
                "horizontal": f'<rect width="8" height="8" fill="#fff"/><path d="M0,2 h8 M0,6 h8" stroke="{colour}" '
                              f'stroke-width="1.6"/>'}[kind]
        patterns.append(f'<pattern id="p{index}" width="8" height="8" patternUnits="userSpaceOnUse">{body}</pattern>')
    return f"<defs>{''.join(patterns)}</defs>"


def swatch(index: int, line: bool = False) -> str:
    """The legend's sample of series ``index``: its pattern, or its marker on its dash."""
    colour, _kind = STYLES[index % len(STYLES)]
    if line:
        dash = DASHES[index % len(DASHES)]
        return (f'<svg class="swatch" xmlns="http://www.w3.org/2000/svg" width="28" height="14" aria-hidden="true">'
                f'<line x1="1" y1="7" x2="27" y2="7" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
                f'{_marker(MARKERS[index % len(MARKERS)], 14, 7, colour)}</svg>')
    return (f'<svg class="swatch" xmlns="http://www.w3.org/2000/svg" width="14" height="14" aria-hidden="true">'
            f'{_defs()}<rect x="0.5" y="0.5" width="13" height="13" fill="{_fill(index)}" '
            f'stroke="{colour}"/></svg>')


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if kind == "triangle":
        return f'<path d="M{x:.1f},{y - 4.5:.1f} L{x + 4.5:.1f},{y + 3.5:.1f} L{x - 4.5:.1f},{y + 3.5:.1f} Z" fill="{colour}"/>'
    if kind == "diamond":
        return f'<path d="M{x:.1f},{y - 4.5:.1f} L{x + 4.5:.1f},{y:.1f} L{x:.1f},{y + 4.5:.1f} L{x - 4.5:.1f},{y:.1f} Z" fill="{colour}"/>'
    if kind in ("cross", "plus"):
        d = (f"M{x - 4:.1f},{y - 4:.1f} l8,8 M{x + 4:.1f},{y - 4:.1f} l-8,8" if kind == "cross"
             else f"M{x - 4.5:.1f},{y:.1f} h9 M{x:.1f},{y - 4.5:.1f} v9")
        return f'<path d="{d}" stroke="{colour}" stroke-width="2" fill="none"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'


def nice_top(value: float) -> float:
    """A round top for the value axis (1, 2, 2.5 or 5 times a power of ten) at or above ``value``;
    small counts get a top divisible by 4, so the four grid steps fall on whole numbers."""
    if value <= 0:
        return 4.0
    if value <= 40 and float(value).is_integer():
        return float(-(-int(value) // 4) * 4)
    power = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1.0
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


class _Frame:
    """The plot area and the value axis shared by bar and line charts."""

    def __init__(self, count: int, top: float, rtl: bool) -> None:
        self.count, self.top, self.rtl = max(count, 1), top, rtl
        self.left, self.right = (RIGHT, LEFT) if rtl else (LEFT, RIGHT)
        self.width = WIDTH - self.left - self.right
        self.height = HEIGHT - TOP - BOTTOM

    def slot(self, index: int) -> tuple[float, float]:
        """The x where the period's slot starts, and its width (time runs right to left when rtl)."""
        width = self.width / self.count
        place = self.count - 1 - index if self.rtl else index
        return self.left + place * width, width

    def y(self, value: float) -> float:
        return TOP + self.height - (value / self.top) * self.height

    def axes(self, labels: Sequence[str], fmt: Callable[[float], str]) -> str:
        parts = []
        axis_x = WIDTH - self.right if self.rtl else self.left
        anchor, shift = ("start", 4) if self.rtl else ("end", -4)
        for step in range(5):
            value = self.top * step / 4
            y = self.y(value)
            parts.append(f'<line x1="{self.left}" x2="{WIDTH - self.right}" y1="{y:.1f}" y2="{y:.1f}" '
                         f'stroke="#ccc" stroke-width="0.6"/>')
            parts.append(f'<text x="{axis_x + shift}" y="{y + 3:.1f}" text-anchor="{anchor}">{escape(fmt(value))}</text>')
        every = max(1, -(-len(labels) // 8))  # at most about 8 dates under the axis
        for index, label in enumerate(labels):
            if index % every:
                continue
            x, width = self.slot(index)
            parts.append(f'<text x="{x + width / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">'
                         f'{escape(label)}</text>')
        parts.append(f'<line x1="{self.left}" x2="{WIDTH - self.right}" y1="{self.y(0):.1f}" y2="{self.y(0):.1f}" '
                     f'stroke="#333"/>')
        return "".join(parts)


def _svg(body: str, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" '
            f'font-family="DejaVu Sans, sans-serif" font-size="10" fill="#222">{_defs()}{body}</svg>')


def bar_chart(labels: Sequence[str], series: Sequence[Series], fmt: Callable[[float], str], title: str,
              rtl: bool = False) -> str:
    """Grouped bars: one group per period, one patterned bar per series."""
    highest = max((v for s in series for v in s.values if v is not None), default=0.0)
    frame = _Frame(len(labels), nice_top(highest), rtl)
    parts = [frame.axes(labels, fmt)]
    for index in range(len(labels)):
        x, width = frame.slot(index)
        inner = width * 0.8 / max(len(series), 1)
        for number, found in enumerate(series):
            value = found.values[index]
            if not value:
                continue
            place = len(series) - 1 - number if rtl else number
            bar_x = x + width * 0.1 + place * inner
            colour = STYLES[number % len(STYLES)][0]
            parts.append(f'<rect x="{bar_x:.1f}" y="{frame.y(value):.1f}" width="{max(inner - 1, 0.8):.1f}" '
                         f'height="{frame.y(0) - frame.y(value):.1f}" fill="{_fill(number)}" '
                         f'stroke="{colour}" stroke-width="0.6"/>')
    return _svg("".join(parts), title)


def line_chart(labels: Sequence[str], series: Sequence[Series], fmt: Callable[[float], str], title: str,
               top: float | None = None, rtl: bool = False, steps: bool = False) -> str:
    """Lines with a marker at every value; a period without a value breaks the line. ``steps``
    draws a staircase (counts that change at a moment, like open commitments)."""
    highest = max((v for s in series for v in s.values if v is not None), default=0.0)
    frame = _Frame(len(labels), top or nice_top(highest), rtl)
    parts = [frame.axes(labels, fmt)]
    for number, found in enumerate(series):
        colour, marker = STYLES[number % len(STYLES)][0], MARKERS[number % len(MARKERS)]
        runs: list[list[tuple[float, float]]] = [[]]
        for index, value in enumerate(found.values):
            if value is None:
                runs.append([])
                continue
            x, width = frame.slot(index)
            runs[-1].append((x + width / 2, frame.y(value)))
        for run in runs:
            if len(run) > 1:
                points = []
                for i, (x, y) in enumerate(run):
                    if steps and i:
                        points.append(f"{x:.1f},{run[i - 1][1]:.1f}")
                    points.append(f"{x:.1f},{y:.1f}")
                parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="1.8" '
                             f'stroke-dasharray="{DASHES[number % len(DASHES)]}"/>')
            parts.extend(_marker(marker, x, y, colour) for x, y in run)
        for index, interval in enumerate(found.intervals or ()):
            if interval is None or found.values[index] is None:
                continue
            x, width = frame.slot(index)
            centre = x + width / 2 + (number - (len(series) - 1) / 2) * 3  # side by side, not on top
            low, high = frame.y(interval[0]), frame.y(interval[1])
            parts.append(f'<path d="M{centre:.1f},{low:.1f} V{high:.1f} M{centre - 2.5:.1f},{low:.1f} h5 '
                         f'M{centre - 2.5:.1f},{high:.1f} h5" stroke="{colour}" stroke-width="0.9" fill="none" '
                         f'opacity="0.8"/>')
    return _svg("".join(parts), title)


def write_pdf(html: str, stylesheet: str) -> bytes:
    """The report page as PDF, styled by ``stylesheet`` (CSS text). The page refers to no file or
    URL: the charts are inline SVG and the fonts the system's, so the fetcher refuses every URL
    but ``data:`` (titles and notes are the parties' own text; escaped, and still never fetched)."""
    from PIL import ImageFile

    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    import weasyprint  # on use: it loads pango and the fonts, which only the report needs

    # Importing WeasyPrint makes Pillow accept truncated images process-wide; the media probe must keep
    # refusing them (the report draws no image files, only inline SVG).
    ImageFile.LOAD_TRUNCATED_IMAGES = truncated
    fetcher_class = getattr(weasyprint, "URLFetcher", None)
    fetcher = fetcher_class(allowed_protocols=("data",)) if fetcher_class else None
    options = {"url_fetcher": fetcher} if fetcher else {}
    document = weasyprint.HTML(string=html, **options)
    return document.write_pdf(stylesheets=[weasyprint.CSS(string=stylesheet)])  # type: ignore[no-any-return]

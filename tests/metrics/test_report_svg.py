"""The report's SVG charts: well-formed, one distinct fill or marker per series (never colour alone),
numbers only inside the SVG, whiskers for intervals, and time running right to left when asked."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from newsbridge.metrics.report import Series, bar_chart, line_chart, nice_top, swatch

SVG = "{http://www.w3.org/2000/svg}"
LABELS = ["1/1/26", "2/1/26", "3/1/26"]


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def bars(svg: str) -> list[tuple[float, str]]:
    """(x, fill) of every bar, left to right."""
    root = parse(svg)
    found = [(float(r.get("x", 0)), r.get("fill", "")) for r in root.iter(f"{SVG}rect") if r.get("stroke-width") == "0.6"]
    return sorted(found)


def test_bars_have_a_fill_of_their_own_per_series_and_skip_empty_periods() -> None:
    svg = bar_chart(LABELS, [Series([3, 0, 5]), Series([1, 2, None])], str, "Items")
    found = bars(svg)
    assert len(found) == 4  # first series: 3 and 5; second: 1 and 2 (zero and None draw nothing)
    fills = {fill for _x, fill in found}
    assert fills == {"#1f5f99", "url(#p1)"}  # solid for the first, hatched for the second
    assert 'id="p1"' in svg and 'aria-label="Items"' in svg


def test_right_to_left_mirrors_time() -> None:
    [(ltr, _fill)] = bars(bar_chart(LABELS, [Series([1, 0, 0])], str, "Items"))
    [(rtl, _fill)] = bars(bar_chart(LABELS, [Series([1, 0, 0])], str, "Items", rtl=True))
    assert ltr < 100 < 400 < rtl  # the first period: leftmost, or rightmost from right to left


def test_lines_carry_markers_dashes_and_whiskers() -> None:
    svg = line_chart(LABELS, [Series([10, None, 30], [(5, 15), None, None]), Series([20, 25, 35])],
                     lambda v: f"{v:g}%", "Rate", top=100)
    root = parse(svg)
    dashes = [p.get("stroke-dasharray") for p in root.iter(f"{SVG}polyline")]
    assert dashes == ["6 3"]  # the first line is broken by its gap (single points), the second dashed
    markers = [c for c in root.iter(f"{SVG}circle") if c.get("r") == "3.5"]  # the dotted pattern's circles are smaller
    assert len(markers) == 2  # the first series' two values; the second series has squares
    whiskers = [p for p in root.iter(f"{SVG}path") if (p.get("d") or "").count("h5") == 2]
    assert len(whiskers) == 1
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "100%" in texts and "1/1/26" in texts
    assert all(re.fullmatch(r"[0-9/%.]+", t or "") for t in texts)  # numbers only: WeasyPrint shapes no words in SVG


def test_a_swatch_matches_its_series() -> None:
    assert 'fill="url(#p1)"' in swatch(1) and 'fill="#1f5f99"' in swatch(0)
    assert 'stroke-dasharray="6 3"' in swatch(1, line=True)


def test_value_axis_tops() -> None:
    assert [nice_top(v) for v in (0, 3, 17, 41, 63, 120, 0.5)] == [4.0, 4.0, 20.0, 50, 100, 200, 1.0]

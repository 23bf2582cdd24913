"""Pictures of the gap analysis, as SVG text drawn on the server: a gap's lineage as a timeline,
and coverage heatmaps.

SVG is built with :mod:`xml.etree.ElementTree`, so every label is escaped and the output is
well-formed XML. Colours are presentation attributes (never ``style``), so the pages' strict
Content-Security-Policy allows them. Each picture has a ``<title>`` and ``<desc>``, every mark a
``<title>`` (read by screen readers and shown as a tooltip), and the pages print the same content
as a list or table next to it. Labels come in the page language from the callers.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from .lineage import EVENT_LABELS, STATUS_LABELS, GapLineage, words

__all__ = ["STATUS_COLOURS", "heatmap_svg", "lineage_svg"]

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
TEXT = "#101828"
MUTED = "#475467"
GRID = "#d0d5dd"
STATUS_COLOURS = {"open": "#b42318", "partially-closed": "#b54708", "closed": "#067647"}
STATUS_TINTS = {"open": "#fee4e2", "partially-closed": "#fef0c7", "closed": "#d1fadf"}
KIND_COLOURS = {"report": "#344054", "recommendation": "#5925dc", "planned": "#026aa2"}
# Blues for counts, light to dark; a zero is a gap and gets its own colour.
SCALE = ["#eff8ff", "#d1e9ff", "#b2ddff", "#84caff", "#53b1fd", "#2e90fa", "#1570ef", "#175cd3"]
ZERO = "#fee4e2"

STRINGS = {
    "en": {
        "lanes": ("Reports", "Recommendations and plans", "Assessments", "Addressed by"),
        "timeline": "Lineage of the gap “{gap}”",
        "summary": "{n} events from {start} to {end}; status now: {status}.",
        "unassessed": "named, not yet assessed",
        "gap": "gap",
        "sources": "{n} source",
        "sources_plural": "{n} sources",
        "legend_zero": "0 = gap",
        "heatmap": "{rows} by {columns}",
    },
    "fr": {
        "lanes": ("Rapports", "Recommandations et plans", "Évaluations", "Comblée par"),
        "timeline": "Filiation de la lacune « {gap} »",
        "summary": "{n} événements de {start} à {end}; état actuel : {status}.",
        "unassessed": "relevée, pas encore évaluée",
        "gap": "lacune",
        "sources": "{n} source",
        "sources_plural": "{n} sources",
        "legend_zero": "0 = lacune",
        "heatmap": "{rows} par {columns}",
    },
}


def _text(lang: str) -> Mapping[str, object]:
    return STRINGS.get(lang, STRINGS["en"])


def _svg(width: int, height: int, title: str, desc: str, ident: str) -> ET.Element:
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "role": "img",
            "aria-labelledby": f"{ident}-title {ident}-desc",
            "font-family": FONT,
            "font-size": "12",
        },
    )
    ET.SubElement(root, "title", {"id": f"{ident}-title"}).text = title
    ET.SubElement(root, "desc", {"id": f"{ident}-desc"}).text = desc
    return root


def _tostring(root: ET.Element) -> str:
    # A picture whose marks are links is a group of links for assistive technology; "img" would
    # hide them (its children are presentational).
    if root.find(".//a") is not None:
        root.set("role", "group")
    return ET.tostring(root, encoding="unicode")


def _fit(text: str, width: float, char: float = 6.6) -> str:
    """Shorten text to about ``width`` pixels (the full text stays in the mark's title)."""
    limit = max(int(width / char), 4)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _link(parent: ET.Element, href: str | None) -> ET.Element:
    return ET.SubElement(parent, "a", {"href": href}) if href else parent


# ---------------------------------------------------------------------------------------------
# Lineage timeline
# ---------------------------------------------------------------------------------------------


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def lineage_svg(
    lineage: GapLineage,
    label: Callable[[str], str],
    lang: str = "en",
    href: Callable[[str], str | None] = lambda _iri: None,
    as_of: date | None = None,
    width: int = 880,
) -> str:
    """A gap's lineage as a timeline: a status band over the years, and one lane each for
    reports, recommendations and plans, assessments, and what addressed the gap."""
    strings = _text(lang)
    lanes: tuple[str, ...] = strings["lanes"]  # type: ignore[assignment]
    as_of = as_of or date.today()
    dated = [(_day(e.date), e) for e in lineage.events]
    days = [d for d, _ in dated if d is not None]
    start_year = min(days).year if days else as_of.year
    end_year = max([*(d.year for d in days), as_of.year]) + 1
    left, right, top = 190, 24, 12  # nothing is drawn above the status band
    span = (end_year - start_year) or 1

    def x(day: date) -> float:
        fraction = (day.toordinal() - date(start_year, 1, 1).toordinal()) / (
            date(end_year, 1, 1).toordinal() - date(start_year, 1, 1).toordinal()
        )
        return left + fraction * (width - left - right)

    lane_of = {
        "identified": 0,
        "reiterated": 0,
        "recommended": 1,
        "planned": 1,
        "recommendation-assessed": 1,
    }
    rows: dict[int, list[tuple[float, float, int]]] = {0: [], 1: [], 2: [], 3: []}
    placed: list[tuple[int, int, float, str, str, str | None, str, str]] = []

    def leftward(at: float, text: str) -> bool:
        # Labels near the right edge go to the left of their mark, so they stay in the picture.
        return at + 9 + len(text) * 6.6 > width - 4

    def place(lane: int, at: float, text: str) -> int:
        # The first row in the lane where this label does not overlap another.
        span = len(text) * 6.6
        extent = (at - 9 - span, at + 6) if leftward(at, text) else (at - 6, at + 9 + span)
        row = 0
        while any(r == row and a < extent[1] and extent[0] < b for a, b, r in rows[lane]):
            row += 1
        rows[lane].append((extent[0], extent[1], row))
        return row

    shown: set[tuple[str, date]] = set()
    for day, event in dated:
        if day is None:
            continue
        lane = lane_of.get(event.kind, 2)
        kind_word = words(EVENT_LABELS, event.kind, lang)
        text = f"{event.date_text} {kind_word}"
        at = x(day)
        placed.append(
            (
                lane,
                place(lane, at, text),
                at,
                text,
                event.subject,
                event.status,
                kind_word,
                event.kind,
            )
        )
        for addresser in event.addressed_by:
            if (addresser, day) in shown:
                continue  # a gap and its recommendation often cite the same closer
            shown.add((addresser, day))
            name = _fit(label(addresser), 200)
            placed.append(
                (3, place(3, at, name), at, name, addresser, None, label(addresser), "addressed")
            )
    lane_rows = [max((r for _, _, r in rows[n]), default=0) + 1 for n in range(4)]
    lane_height = [18 + 22 * n for n in lane_rows]
    lane_top = [top + 36]
    for n in range(3):
        lane_top.append(lane_top[-1] + lane_height[n] + 8)
    height = lane_top[3] + lane_height[3] + 34
    gap_label = label(lineage.gap)
    status_word = words(STATUS_LABELS, lineage.status, lang)
    root = _svg(
        width,
        height,
        str(strings["timeline"]).format(gap=gap_label),
        str(strings["summary"]).format(
            n=len(lineage.events),
            start=lineage.events[0].date_text if lineage.events else "",
            end=lineage.events[-1].date_text if lineage.events else "",
            status=status_word,
        ),
        "lineage",
    )
    # Year grid and labels.
    step = max(1, math.ceil(span / 12))
    for year in range(start_year, end_year + 1, step):
        gx = x(date(year, 1, 1))
        ET.SubElement(
            root,
            "line",
            {
                "x1": f"{gx:.1f}",
                "x2": f"{gx:.1f}",
                "y1": str(top - 4),
                "y2": str(height - 26),
                "stroke": GRID,
            },
        )
        ET.SubElement(
            root,
            "text",
            {"x": f"{gx:.1f}", "y": str(height - 10), "text-anchor": "middle", "fill": MUTED},
        ).text = str(year)
    # Status band: from first named to the first assessment, then each assessment's status.
    band_y = top
    changes: list[tuple[date, str, str]] = []
    first = _day(lineage.first_identified)
    if first is not None:
        changes.append((first, "open", str(strings["unassessed"])))
    for day, event in dated:
        if day is not None and event.status and event.kind != "recommendation-assessed":
            changes.append((day, event.status, words(EVENT_LABELS, event.kind, lang)))
    changes.sort(key=lambda c: c[0])
    ET.SubElement(
        root, "text", {"x": "8", "y": str(band_y + 13), "fill": TEXT, "font-weight": "600"}
    ).text = _fit(gap_label, left - 14)
    for n, (day, status, what) in enumerate(changes):
        end = changes[n + 1][0] if n + 1 < len(changes) else as_of
        x0, x1 = x(day), max(x(end), x(day) + 2)
        segment = ET.SubElement(
            root,
            "rect",
            {
                "x": f"{x0:.1f}",
                "y": str(band_y),
                "width": f"{x1 - x0:.1f}",
                "height": "18",
                "fill": STATUS_TINTS.get(status, "#f2f4f7"),
                "stroke": STATUS_COLOURS.get(status, MUTED),
            },
        )
        ET.SubElement(
            segment, "title"
        ).text = (
            f"{day.isoformat()} – {end.isoformat()}: {words(STATUS_LABELS, status, lang)} ({what})"
        )
    # Lanes.
    for n, name in enumerate(lanes):
        y0 = lane_top[n]
        ET.SubElement(
            root,
            "rect",
            {
                "x": str(left - 4),
                "y": str(y0 - 4),
                "width": str(width - left - right + 8),
                "height": str(lane_height[n]),
                "fill": "#f9fafb" if n % 2 == 0 else "#ffffff",
                "stroke": GRID,
            },
        )
        ET.SubElement(root, "text", {"x": "8", "y": str(y0 + 12), "fill": MUTED}).text = _fit(
            name, left - 16
        )
    for lane, row, at, text, subject, mark_status, full, kind in placed:
        y = lane_top[lane] + 10 + row * 22
        if mark_status:
            colour = STATUS_COLOURS.get(mark_status, MUTED)
        elif lane == 3:
            colour = STATUS_COLOURS["closed"]
        elif lane == 0:
            colour = KIND_COLOURS["report"]
        else:
            colour = KIND_COLOURS["planned" if kind == "planned" else "recommendation"]
        mark = _link(root, href(subject))
        group = ET.SubElement(mark, "g")
        ET.SubElement(group, "title").text = f"{text.split(' ', 1)[0]} {full}: {label(subject)}"
        if lane == 3:
            ET.SubElement(
                group,
                "rect",
                {
                    "x": f"{at - 5:.1f}",
                    "y": str(y - 5),
                    "width": "10",
                    "height": "10",
                    "fill": colour,
                },
            )
        else:
            ET.SubElement(
                group, "circle", {"cx": f"{at:.1f}", "cy": str(y), "r": "6", "fill": colour}
            )
        label_at = {"x": f"{at + 9:.1f}", "y": str(y + 4), "fill": TEXT}
        if leftward(at, text):
            label_at.update({"x": f"{at - 9:.1f}", "text-anchor": "end"})
        ET.SubElement(group, "text", label_at).text = text
    return _tostring(root)


# ---------------------------------------------------------------------------------------------
# Heatmaps
# ---------------------------------------------------------------------------------------------


def _colour(count: int, largest: int) -> tuple[str, str]:
    if count <= 0:
        return ZERO, STATUS_COLOURS["open"]
    step = 0 if largest <= 1 else int((len(SCALE) - 1) * math.log(count) / math.log(largest))
    fill = SCALE[min(step, len(SCALE) - 1)]
    return fill, ("#ffffff" if step >= 5 else TEXT)


def heatmap_svg(
    rows: Sequence[str],
    columns: Sequence[str],
    counts: Mapping[tuple[str, str], int],
    label: Callable[[str], str],
    lang: str = "en",
    href: Callable[[str, str, int], str | None] = lambda _r, _c, _n: None,
    title: str = "",
    rows_name: str = "",
    columns_name: str = "",
    ident: str = "heatmap",
) -> str:
    """A grid of counts, rows × columns, each cell a link (to the sources, or to the gap); zero
    cells, the gaps, stand out in red."""
    strings = _text(lang)
    cell_w, cell_h = 64, 26
    left = min(320, max(140, 8 + int(6.6 * max((len(label(r)) for r in rows), default=10))))
    top = 120
    width = left + cell_w * len(columns) + 130  # room for the last rotated column label
    height = top + cell_h * len(rows) + 40
    largest = max(counts.values(), default=0)
    desc = str(strings["heatmap"]).format(rows=rows_name, columns=columns_name)
    root = _svg(width, height, title or desc, desc, ident)
    for n, column in enumerate(columns):
        cx = left + n * cell_w + cell_w / 2
        text = ET.SubElement(
            root,
            "text",
            {
                "x": f"{cx:.1f}",
                "y": str(top - 8),
                "transform": f"rotate(-40 {cx:.1f} {top - 8})",
                "fill": TEXT,
            },
        )
        text.text = _fit(label(column), 150)
        ET.SubElement(text, "title").text = label(column)
    for m, row in enumerate(rows):
        y = top + m * cell_h
        name = ET.SubElement(
            root,
            "text",
            {
                "x": str(left - 8),
                "y": f"{y + cell_h / 2 + 4:.1f}",
                "text-anchor": "end",
                "fill": TEXT,
            },
        )
        name.text = _fit(label(row), left - 16)
        ET.SubElement(name, "title").text = label(row)
        for n, column in enumerate(columns):
            count = int(counts.get((row, column), 0))
            fill, ink = _colour(count, largest)
            x = left + n * cell_w
            cell = _link(root, href(row, column, count))
            group = ET.SubElement(cell, "g")
            sources = str(strings["sources" if count == 1 else "sources_plural"]).format(n=count)
            ET.SubElement(group, "title").text = f"{label(row)} × {label(column)}: {sources}" + (
                f" ({strings['gap']})" if count == 0 else ""
            )
            ET.SubElement(
                group,
                "rect",
                {
                    "x": str(x + 1),
                    "y": str(y + 1),
                    "width": str(cell_w - 2),
                    "height": str(cell_h - 2),
                    "fill": fill,
                    "stroke": STATUS_COLOURS["open"] if count == 0 else GRID,
                },
            )
            ET.SubElement(
                group,
                "text",
                {
                    "x": f"{x + cell_w / 2:.1f}",
                    "y": f"{y + cell_h / 2 + 4:.1f}",
                    "text-anchor": "middle",
                    "fill": ink,
                    "font-weight": "700" if count == 0 else "400",
                },
            ).text = str(count)
    legend_y = top + cell_h * len(rows) + 22
    ET.SubElement(
        root,
        "rect",
        {
            "x": str(left),
            "y": str(legend_y - 11),
            "width": "14",
            "height": "14",
            "fill": ZERO,
            "stroke": STATUS_COLOURS["open"],
        },
    )
    ET.SubElement(root, "text", {"x": str(left + 20), "y": str(legend_y), "fill": TEXT}).text = str(
        strings["legend_zero"]
    )
    for n, fill in enumerate(SCALE):
        ET.SubElement(
            root,
            "rect",
            {
                "x": str(left + 110 + n * 16),
                "y": str(legend_y - 11),
                "width": "16",
                "height": "14",
                "fill": fill,
            },
        )
    ET.SubElement(
        root, "text", {"x": str(left + 110 + len(SCALE) * 16 + 6), "y": str(legend_y), "fill": TEXT}
    ).text = f"1 – {max(largest, 1)}"
    return _tostring(root)

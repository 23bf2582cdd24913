"""The SVG pictures are well-formed XML, carry their labels in the page language, escape what
they print, link their marks, and use no inline style (the site's CSP forbids it)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from lmickg.diagrams import heatmap_svg, lineage_svg
from lmickg.lineage import LineageGraph, build_lineage
from lmickg.store import OxigraphStore

SVG = "{http://www.w3.org/2000/svg}"
ID = "https://w3id.org/lmickg/id/"
GAP = ID + "gap/local-job-vacancies"


@pytest.fixture(scope="module")
def lineage(fixture_store: OxigraphStore) -> LineageGraph:
    return build_lineage(fixture_store)


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def titles(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}title")]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            ["first named", "named again", "partly closed", "closed", "Reports", "Addressed by"],
        ),
        (
            "fr",
            [
                "relevée pour la première fois",
                "relevée de nouveau",
                "partiellement comblée",
                "comblée",
                "Rapports",
                "Comblée par",
            ],
        ),
    ],
)
def test_lineage_timeline_is_well_formed_and_labelled(
    lineage: LineageGraph, lang: str, expected: list[str]
) -> None:
    found = lineage.gap(GAP)
    svg = lineage_svg(
        found,
        lambda iri: lineage.label(iri, lang),
        lang,
        lambda iri: f"/{lang}/{iri.removeprefix(ID)}",
        as_of=date(2026, 12, 3),
    )
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "group"  # its marks are links
    plain = lineage_svg(found, lambda iri: lineage.label(iri, lang), lang, as_of=date(2026, 12, 3))
    assert ET.fromstring(plain).get("role") == "img"
    words = " ".join(texts(root))
    for word in expected:
        assert word in words
    assert "2009" in texts(root) and "2015" in texts(root)
    first_title = root.find(f"{SVG}title")
    assert first_title is not None and lineage.label(GAP, lang) in (first_title.text or "")
    links = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert f"/{lang}/assessment/local-job-vacancies-2015" in links
    assert f"/{lang}/source/beta-vacancies" in links
    assert links.count(f"/{lang}/source/beta-vacancies") == 1  # cited twice, drawn once
    assert all(el.get("style") is None for el in root.iter())
    # One status segment per change: not yet assessed, open, partly, still partly, closed.
    segments = [r for r in root.iter(f"{SVG}rect") if r.get("height") == "18"]
    assert len(segments) == 5


def test_labels_are_escaped(lineage: LineageGraph) -> None:
    found = lineage.gap(GAP)
    svg = lineage_svg(found, lambda iri: 'A <b>&"quoted"</b>', "en", as_of=date(2026, 12, 3))
    root = ET.fromstring(svg)
    assert any('A <b>&"quoted"</b>' in t for t in titles(root))
    assert "<b>" not in svg


def test_heatmap_cells_link_and_flag_gaps() -> None:
    rows = [ID + "variable/a", ID + "variable/b"]
    columns = [ID + "geo-level/x", ID + "geo-level/y", ID + "geo-level/z"]
    counts = {(rows[0], columns[0]): 5, (rows[0], columns[1]): 1, (rows[1], columns[0]): 0}
    labels = {
        rows[0]: "Emploi",
        rows[1]: "Postes <vacants>",
        columns[0]: "Canada",
        columns[1]: "Province",
        columns[2]: "Région",
    }
    svg = heatmap_svg(
        rows,
        columns,
        counts,
        lambda iri: labels[iri],
        "fr",
        lambda r, c, n: f"/fr/cell?{r[-1]}{c[-1]}{n}",
        title="Couverture",
        rows_name="variables",
        columns_name="niveaux",
    )
    root = ET.fromstring(svg)
    cells = [a for a in root.iter(f"{SVG}a")]
    assert len(cells) == 6
    assert [a.get("href") for a in cells][:3] == ["/fr/cell?ax5", "/fr/cell?ay1", "/fr/cell?az0"]
    cell_titles = [t for t in titles(root) if "×" in t]
    assert "Emploi × Canada: 5 sources" in cell_titles
    assert "Emploi × Province: 1 source" in cell_titles
    assert "Postes <vacants> × Région: 0 sources (lacune)" in cell_titles
    assert "0 = lacune" in texts(root)
    zero_rects = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == "#fee4e2"]
    assert len(zero_rects) == 4 + 1  # four empty cells and the legend swatch
    assert all(el.get("style") is None for el in root.iter())

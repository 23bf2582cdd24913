"""The lineage of every gap: who named it, who recommended what, how its status moved, what
closed it.

The catalog's reports, recommendations, gaps, assessments, plan projects and the sources and
initiatives that addressed gaps form a directed graph (networkx), with dates::

    report ──recommends──► recommendation ──addresses──► gap ──assessed-by──► assessment
    report ──identifies──► gap          recommendation ──assessed-by──► assessment
    plan report ──includes──► project ──answers──► gap     assessment ──addressed-by──► source
                                                                                    or initiative

The build computes it once (deriver ``lineage``, file ``analysis/lineage.json``); a gap's
lineage (:meth:`LineageGraph.gap`) and the catalog-wide overview (:meth:`LineageGraph.overview`)
are read from it. Exports: JSON (:func:`gap_lineage_json`) and GraphML (:func:`graphml`).

Dates may be a day, a month or a year (``xsd:date``, ``xsd:gYearMonth``, ``xsd:gYear``); they are
ordered as their first day ("2014" as 2014-01-01), as the named questions do.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import networkx as nx

from .entities import parse_entity_iri
from .labels import label_map, pick
from .namespaces import LMIC
from .store import Store

__all__ = [
    "LINEAGE_FILE",
    "CatalogLineage",
    "Event",
    "GapLineage",
    "LineageGraph",
    "build_lineage",
    "derive_lineage",
    "gap_lineage_json",
    "graphml",
    "load_lineage",
    "normalise_date",
]

LINEAGE_FILE = "lineage.json"
STATUS_RANK = {"open": 1, "partially-closed": 2, "closed": 3}
#: Same-day events read in this order: a report names a gap, then recommends, then assesses.
KIND_RANK = {
    "identified": 0,
    "reiterated": 0,
    "recommended": 1,
    "planned": 2,
    "assessed-open": 3,
    "still-open": 3,
    "partly-closed": 3,
    "still-partly-closed": 3,
    "closed": 3,
    "still-closed": 3,
    "reopened": 3,
    "recommendation-assessed": 4,
}
#: Words for the timeline, in both languages (shared by diagrams, pages and the CLI).
EVENT_LABELS: dict[str, dict[str, str]] = {
    "identified": {"en": "first named", "fr": "relevée pour la première fois"},
    "reiterated": {"en": "named again", "fr": "relevée de nouveau"},
    "recommended": {"en": "recommendation", "fr": "recommandation"},
    "planned": {"en": "planned", "fr": "prévue au plan"},
    "assessed-open": {"en": "assessed open", "fr": "évaluée ouverte"},
    "still-open": {"en": "still open", "fr": "toujours ouverte"},
    "partly-closed": {"en": "partly closed", "fr": "partiellement comblée"},
    "still-partly-closed": {"en": "still partly closed", "fr": "toujours partiellement comblée"},
    "closed": {"en": "closed", "fr": "comblée"},
    "still-closed": {"en": "still closed", "fr": "toujours comblée"},
    "reopened": {"en": "reopened", "fr": "rouverte"},
    "recommendation-assessed": {"en": "recommendation assessed", "fr": "recommandation évaluée"},
}
STATUS_LABELS: dict[str, dict[str, str]] = {
    "open": {"en": "open", "fr": "ouverte"},
    "partially-closed": {"en": "partially closed", "fr": "partiellement comblée"},
    "closed": {"en": "closed", "fr": "comblée"},
}


def words(table: Mapping[str, Mapping[str, str]], key: str, lang: str) -> str:
    """The word for ``key`` in ``lang`` (English if missing, the key itself if unknown)."""
    entry = table.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry["en"]


CONCERNS = {
    "variables": LMIC.concernsVariable,
    "levels": LMIC.concernsGeographicLevel,
    "groups": LMIC.concernsPopulationGroup,
    "frequencies": LMIC.concernsFrequency,
}


def normalise_date(text: str | None) -> str | None:
    """``2014`` → ``2014-01-01``, ``2011-03`` → ``2011-03-01``, a date as is (first 10 chars)."""
    if not text:
        return None
    padded = (text + "-01-01"[max(len(text) - 4, 0) :])[:10]
    try:
        return date.fromisoformat(padded).isoformat()
    except ValueError:
        return None


def _status_name(iri: str | None) -> str | None:
    if not iri:
        return None
    ref = parse_entity_iri(iri)
    return ref.key if ref is not None and ref.kind == "status" else iri


def _kind(iri: str, types: set[str]) -> str:
    ref = parse_entity_iri(iri)
    if ref is not None:
        return ref.kind
    if str(LMIC.Initiative) in types:
        return "initiative"
    return "source" if types else "entity"


# ---------------------------------------------------------------------------------------------
# Building the graph
# ---------------------------------------------------------------------------------------------


def _rows(store: Store, query: str) -> list[dict[str, str]]:
    return [{k: str(v) for k, v in row.items()} for row in store.select(query)]


def build_lineage(store: Store) -> LineageGraph:
    """Read reports, recommendations, gaps, assessments and plans from ``store`` into a graph."""
    graph = nx.DiGraph()

    def node(iri: str, kind: str, **attributes: Any) -> None:
        if iri not in graph:
            graph.add_node(iri, kind=kind)
        graph.nodes[iri].update({k: v for k, v in attributes.items() if v is not None})

    for row in _rows(
        store,
        "SELECT ?report ?issued WHERE { ?report a lmic:Report . "
        "OPTIONAL { ?report dct:issued ?issued } }",
    ):
        issued = row.get("issued")
        node(row["report"], "report", date=normalise_date(issued), date_text=issued)
    for row in _rows(
        store,
        "SELECT ?gap ?report WHERE { ?gap a lmic:Gap . OPTIONAL { ?gap lmic:identifiedIn ?report } }",
    ):
        node(row["gap"], "gap")
        if "report" in row:
            node(row["report"], "report")
            graph.add_edge(row["report"], row["gap"], relation="identifies")
    concerns: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for name, predicate in CONCERNS.items():
        for row in _rows(
            store, f"SELECT ?gap ?value WHERE {{ ?gap a lmic:Gap ; <{predicate}> ?value }}"
        ):
            concerns[row["gap"]][name].add(row["value"])
    for gap, values in concerns.items():
        for name, found in values.items():
            graph.nodes[gap][name] = sorted(found)
    for row in _rows(
        store,
        "SELECT ?recommendation ?report ?gap WHERE { ?recommendation a lmic:Recommendation . "
        "OPTIONAL { ?recommendation lmic:recommendedIn ?report } "
        "OPTIONAL { ?recommendation lmic:addresses ?gap } }",
    ):
        recommendation = row["recommendation"]
        node(recommendation, "recommendation")
        if "report" in row:
            node(row["report"], "report")
            graph.add_edge(row["report"], recommendation, relation="recommends")
        if "gap" in row:
            node(row["gap"], "gap")
            graph.add_edge(recommendation, row["gap"], relation="addresses")
    for row in _rows(
        store,
        "SELECT ?assessment ?target ?status ?date ?by ?evidence WHERE { "
        "?assessment a lmic:GapAssessment ; lmic:assesses ?target . "
        "OPTIONAL { ?assessment lmic:status ?status } OPTIONAL { ?assessment dct:date ?date } "
        "OPTIONAL { ?assessment prov:wasAttributedTo ?by } "
        "OPTIONAL { ?assessment prov:wasDerivedFrom ?evidence } }",
    ):
        assessment = row["assessment"]
        node(
            assessment,
            "assessment",
            status=_status_name(row.get("status")),
            date=normalise_date(row.get("date")),
            date_text=row.get("date"),
            attributed_to=row.get("by"),
            derived_from=row.get("evidence"),
        )
        target = row["target"]
        if target not in graph:
            ref = parse_entity_iri(target)
            node(target, ref.kind if ref is not None else "entity")
        graph.add_edge(target, assessment, relation="assessed-by")
    addressers: set[str] = set()
    for row in _rows(
        store,
        "SELECT ?assessment ?by WHERE { ?assessment a lmic:GapAssessment ; lmic:addressedBy ?by }",
    ):
        addressers.add(row["by"])
        graph.add_edge(row["assessment"], row["by"], relation="addressed-by")
    types: dict[str, set[str]] = defaultdict(set)
    dates: dict[str, str] = {}
    for iri in sorted(addressers):
        for row in _rows(
            store,
            f"SELECT ?type ?date WHERE {{ OPTIONAL {{ <{iri}> a ?type }} "
            f"OPTIONAL {{ <{iri}> dct:date ?date }} }}",
        ):
            if "type" in row:
                types[iri].add(row["type"])
            if "date" in row:
                dates[iri] = row["date"]
        graph.nodes[iri]["kind"] = _kind(iri, types[iri])
        if iri in dates:
            graph.nodes[iri]["date"] = normalise_date(dates[iri])
            graph.nodes[iri]["date_text"] = dates[iri]
    for row in _rows(
        store,
        "SELECT ?project ?gap ?plan WHERE { ?project a lmic:Project ; lmic:answers ?gap . "
        "?gap a lmic:Gap . OPTIONAL { ?project dct:isPartOf ?plan } }",
    ):
        node(row["project"], "project")
        graph.add_edge(row["project"], row["gap"], relation="answers")
        if "plan" in row:
            node(row["plan"], "report")
            graph.add_edge(row["plan"], row["project"], relation="includes")
    wanted = set(graph.nodes)
    for attributes in list(graph.nodes.values()):
        for name in CONCERNS:
            wanted.update(attributes.get(name, []))
        for name in ("attributed_to", "derived_from"):
            if attributes.get(name):
                wanted.add(attributes[name])
    labels = label_map(store, wanted)
    for iri, attributes in graph.nodes.items():
        own = labels.get(iri, {})
        attributes["label_en"] = pick(own, "en", iri)
        attributes["label_fr"] = pick(own, "fr", iri)
    return LineageGraph(graph, labels)


# ---------------------------------------------------------------------------------------------
# Reading it
# ---------------------------------------------------------------------------------------------


@dataclass
class Event:
    """One dated step in a gap's life."""

    date: str | None
    date_text: str | None
    kind: str
    subject: str
    status: str | None = None
    addressed_by: list[str] = field(default_factory=list)
    attributed_to: str | None = None
    derived_from: str | None = None


@dataclass
class GapLineage:
    """A gap's lineage: its timeline, what addressed it, what it still concerns, its relatives."""

    gap: str
    status: str
    first_identified: str | None
    first_report: str | None
    closed_on: str | None
    events: list[Event]
    addressed_by: list[dict[str, str | None]]
    recommendations: list[str]
    projects: list[str]
    concerns: dict[str, list[str]]
    still_concerns: dict[str, list[str]]
    related: list[dict[str, Any]]


@dataclass
class CatalogLineage:
    """The lineage of the whole catalog, as of a date."""

    as_of: str
    reports: list[dict[str, Any]]
    longest_open: list[dict[str, Any]]
    recommendations: list[dict[str, Any]]
    gaps: list[dict[str, Any]]


def _order(event: Event) -> tuple[str, int, str]:
    return (event.date or "9999-12-31", KIND_RANK.get(event.kind, 9), event.subject)


def _latest(assessments: list[tuple[str | None, str]]) -> str | None:
    """The latest of (normalised date, IRI) pairs, as the named questions choose it."""
    keyed = [(d or "", iri) for d, iri in assessments]
    return max(keyed)[1] if keyed else None


class LineageGraph:
    """The catalog's lineage graph, with the questions asked of it."""

    def __init__(self, graph: nx.DiGraph, labels: Mapping[str, Mapping[str, str]]) -> None:
        self.graph = graph
        self.labels = {k: dict(v) for k, v in labels.items()}
        self._by_concern: dict[str, set[str]] | None = None
        self._overviews: dict[date, CatalogLineage] = {}

    def label(self, iri: str, lang: str) -> str:
        """The label of any IRI the lineage mentions."""
        attributes = self.graph.nodes.get(iri)
        if attributes and attributes.get(f"label_{lang}"):
            return str(attributes[f"label_{lang}"])
        return pick(self.labels.get(iri), lang, iri)

    def gaps(self) -> list[str]:
        """Every gap, sorted."""
        return sorted(n for n, a in self.graph.nodes.items() if a.get("kind") == "gap")

    def _of_kind(self, nodes: Iterable[str], kind: str) -> list[str]:
        return sorted(n for n in nodes if self.graph.nodes[n].get("kind") == kind)

    def _assessments(self, target: str) -> list[str]:
        return sorted(
            v
            for v in self.graph.successors(target)
            if self.graph.edges[target, v].get("relation") == "assessed-by"
        )

    def status(self, gap: str) -> str:
        """A gap's status now: that of its latest assessment, open if never assessed."""
        assessments = self._assessments(gap)
        latest = _latest([(self.graph.nodes[a].get("date"), a) for a in assessments])
        if latest is None:
            return "open"
        return str(self.graph.nodes[latest].get("status") or "open")

    def gap(self, gap: str) -> GapLineage:
        """The lineage of one gap; KeyError if the catalog has no such gap."""
        if self.graph.nodes.get(gap, {}).get("kind") != "gap":
            raise KeyError(gap)
        g = self.graph
        events: list[Event] = []
        reports = sorted(
            (g.nodes[r].get("date") or "9999-12-31", r)
            for r in g.predecessors(gap)
            if g.edges[r, gap].get("relation") == "identifies"
        )
        for n, (_, report) in enumerate(reports):
            events.append(
                Event(
                    date=g.nodes[report].get("date"),
                    date_text=g.nodes[report].get("date_text"),
                    kind="identified" if n == 0 else "reiterated",
                    subject=report,
                )
            )
        recommendations = sorted(
            r for r in g.predecessors(gap) if g.edges[r, gap].get("relation") == "addresses"
        )
        for recommendation in recommendations:
            made_in = [
                p
                for p in g.predecessors(recommendation)
                if g.edges[p, recommendation].get("relation") == "recommends"
            ]
            report = sorted(made_in)[0] if made_in else None
            events.append(
                Event(
                    date=g.nodes[report].get("date") if report else None,
                    date_text=g.nodes[report].get("date_text") if report else None,
                    kind="recommended",
                    subject=recommendation,
                    derived_from=report,
                )
            )
            for assessment in self._assessments(recommendation):
                attributes = g.nodes[assessment]
                events.append(
                    Event(
                        date=attributes.get("date"),
                        date_text=attributes.get("date_text"),
                        kind="recommendation-assessed",
                        subject=assessment,
                        status=attributes.get("status"),
                        addressed_by=sorted(g.successors(assessment)),
                        attributed_to=attributes.get("attributed_to"),
                        derived_from=recommendation,
                    )
                )
        projects = sorted(
            p for p in g.predecessors(gap) if g.edges[p, gap].get("relation") == "answers"
        )
        for project in projects:
            plans = sorted(g.predecessors(project))
            plan = plans[0] if plans else None
            events.append(
                Event(
                    date=g.nodes[plan].get("date") if plan else None,
                    date_text=g.nodes[plan].get("date_text") if plan else None,
                    kind="planned",
                    subject=project,
                    derived_from=plan,
                )
            )
        ordered = sorted(self._assessments(gap), key=lambda a: (g.nodes[a].get("date") or "", a))
        previous = 0
        closed_on = None
        addressed: list[dict[str, str | None]] = []
        for assessment in ordered:
            attributes = g.nodes[assessment]
            status = attributes.get("status") or "open"
            rank = STATUS_RANK.get(status, 1)
            if previous and rank < previous:
                kind = "reopened"
            elif rank == previous:
                kind = {1: "still-open", 2: "still-partly-closed", 3: "still-closed"}[rank]
            else:
                kind = {1: "assessed-open", 2: "partly-closed", 3: "closed"}[rank]
            if rank == 3 and previous != 3:
                closed_on = attributes.get("date")
            elif rank != 3:
                closed_on = None
            previous = rank
            by = sorted(g.successors(assessment))
            for addresser in by:
                addressed.append(
                    {
                        "entity": addresser,
                        "kind": g.nodes[addresser].get("kind"),
                        "date": attributes.get("date"),
                        "date_text": attributes.get("date_text"),
                        "assessment": assessment,
                        "status": status,
                    }
                )
            events.append(
                Event(
                    date=attributes.get("date"),
                    date_text=attributes.get("date_text"),
                    kind=kind,
                    subject=assessment,
                    status=status,
                    addressed_by=by,
                    attributed_to=attributes.get("attributed_to"),
                    derived_from=attributes.get("derived_from"),
                )
            )
        events.sort(key=_order)
        status = self.status(gap)
        concerns = {name: list(g.nodes[gap].get(name, [])) for name in CONCERNS}
        return GapLineage(
            gap=gap,
            status=status,
            first_identified=g.nodes[reports[0][1]].get("date") if reports else None,
            first_report=reports[0][1] if reports else None,
            closed_on=closed_on if status == "closed" else None,
            events=events,
            addressed_by=addressed,
            recommendations=recommendations,
            projects=projects,
            concerns=concerns,
            still_concerns={} if status == "closed" else {k: v for k, v in concerns.items() if v},
            related=self.related(gap),
        )

    def related(self, gap: str) -> list[dict[str, Any]]:
        """Gaps sharing a variable, level or group with ``gap``, most shared first."""
        mine = {name: set(self.graph.nodes[gap].get(name, [])) for name in CONCERNS}
        if self._by_concern is None:
            # Which gaps concern each variable, level or group: a gap's relatives in one lookup.
            by_concern: dict[str, set[str]] = defaultdict(set)
            for other in self.gaps():
                for name in ("variables", "levels", "groups"):
                    for value in self.graph.nodes[other].get(name, []):
                        by_concern[value].add(other)
            self._by_concern = by_concern
        candidates = set()
        for name in ("variables", "levels", "groups"):
            for value in mine[name]:
                candidates |= self._by_concern.get(value, set())
        found: list[dict[str, Any]] = []
        for other in sorted(candidates):
            if other == gap:
                continue
            shared = {
                name: sorted(mine[name] & set(self.graph.nodes[other].get(name, [])))
                for name in ("variables", "levels", "groups")
            }
            count = sum(len(v) for v in shared.values())
            if count:
                found.append(
                    {"gap": other, "shared": {k: v for k, v in shared.items() if v}, "n": count}
                )
        found.sort(key=lambda f: (-f["n"], f["gap"]))
        return [{"gap": f["gap"], "shared": f["shared"]} for f in found]

    def subgraph(self, gap: str) -> nx.DiGraph:
        """The part of the graph that is this gap's lineage (for GraphML and diagrams)."""
        g = self.graph
        keep = {gap}
        for predecessor in g.predecessors(gap):
            keep.add(predecessor)
            keep.update(g.predecessors(predecessor))
            for assessment in self._assessments(predecessor):
                keep.add(assessment)
                keep.update(g.successors(assessment))
        for assessment in self._assessments(gap):
            keep.add(assessment)
            keep.update(g.successors(assessment))
        return g.subgraph(keep).copy()

    def overview(self, as_of: date | None = None) -> CatalogLineage:
        """Which reports' gaps are still open, the longest-open gaps, what closed most."""
        as_of = as_of or date.today()
        cached = self._overviews.get(as_of)
        if cached is None:
            cached = self._overviews[as_of] = self._overview(as_of)
        return cached

    def _overview(self, as_of: date) -> CatalogLineage:
        g = self.graph
        status = {gap: self.status(gap) for gap in self.gaps()}
        first: dict[str, tuple[str | None, str | None]] = {}
        for gap in status:
            naming = sorted(
                (g.nodes[r].get("date") or "9999-12-31", r)
                for r in g.predecessors(gap)
                if g.edges[r, gap].get("relation") == "identifies"
            )
            first[gap] = (
                (g.nodes[naming[0][1]].get("date"), naming[0][1]) if naming else (None, None)
            )
        reports: list[dict[str, Any]] = []
        for report in self._of_kind(g.nodes, "report"):
            named = sorted(
                v
                for v in g.successors(report)
                if g.edges[report, v].get("relation") == "identifies"
            )
            if not named:
                continue
            counts = {s: sum(1 for n in named if status[n] == s) for s in STATUS_RANK}
            reports.append(
                {
                    "report": report,
                    "date": g.nodes[report].get("date"),
                    "gaps": len(named),
                    **counts,
                    "still_open": [n for n in named if status[n] != "closed"],
                }
            )
        reports.sort(key=lambda r: (r["date"] or "9999", r["report"]))
        longest: list[dict[str, Any]] = []
        for gap, state in status.items():
            since = first[gap][0]
            if state == "closed" or since is None:
                continue
            days = (as_of - date.fromisoformat(since)).days
            longest.append(
                {
                    "gap": gap,
                    "status": state,
                    "since": since,
                    "first_report": first[gap][1],
                    "years_open": round(days / 365.25, 1),
                }
            )
        longest.sort(key=lambda r: (r["since"], r["gap"]))
        recommendations: list[dict[str, Any]] = []
        for recommendation in self._of_kind(g.nodes, "recommendation"):
            gaps = sorted(
                v
                for v in g.successors(recommendation)
                if g.edges[recommendation, v].get("relation") == "addresses"
            )
            own = _latest([(g.nodes[a].get("date"), a) for a in self._assessments(recommendation)])
            recommendations.append(
                {
                    "recommendation": recommendation,
                    "gaps": len(gaps),
                    "closed": sum(1 for n in gaps if status.get(n) == "closed"),
                    "partially_closed": sum(1 for n in gaps if status.get(n) == "partially-closed"),
                    "status": (g.nodes[own].get("status") if own else None) or "open",
                }
            )
        recommendations.sort(
            key=lambda r: (-r["closed"], -r["partially_closed"], r["recommendation"])
        )
        gaps = [
            {
                "gap": gap,
                "status": status[gap],
                "since": first[gap][0],
                "first_report": first[gap][1],
            }
            for gap in sorted(status, key=lambda n: (first[n][0] or "9999", n))
        ]
        return CatalogLineage(as_of.isoformat(), reports, longest, recommendations, gaps)

    # -- persistence -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The graph as node-link JSON plus the labels of everything it mentions."""
        return {"graph": nx.node_link_data(self.graph, edges="edges"), "labels": self.labels}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LineageGraph:
        """Read :meth:`to_json` output back."""
        graph = nx.node_link_graph(data["graph"], directed=True, edges="edges")
        return cls(graph, data.get("labels", {}))


def load_lineage(build_dir: Path) -> LineageGraph | None:
    """A build's lineage graph, or None if the build has none."""
    try:
        data = json.loads((build_dir / "analysis" / LINEAGE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return LineageGraph.from_json(data)


def derive_lineage(context: Any) -> dict[str, object]:
    """Deriver: the lineage graph into ``analysis/lineage.json``."""
    lineage = build_lineage(context.store)
    directory = Path(context.build_dir) / "analysis"
    directory.mkdir(exist_ok=True)
    (directory / LINEAGE_FILE).write_text(json.dumps(lineage.to_json()), encoding="utf-8")
    return {"nodes": lineage.graph.number_of_nodes(), "edges": lineage.graph.number_of_edges()}


# ---------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------


def gap_lineage_json(lineage: LineageGraph, gap: str, lang: str = "en") -> dict[str, Any]:
    """A gap's lineage as JSON: the timeline, what addressed it, and the labels of every IRI."""
    found = lineage.gap(gap)
    body = asdict(found)
    mentioned = {gap, *found.recommendations, *found.projects}
    for event in found.events:
        mentioned.update([event.subject, *event.addressed_by])
        mentioned.update(x for x in (event.attributed_to, event.derived_from) if x)
    for values in found.concerns.values():
        mentioned.update(values)
    mentioned.update(r["gap"] for r in found.related)
    body["labels"] = {iri: lineage.label(iri, lang) for iri in sorted(mentioned)}
    sub = lineage.subgraph(gap)
    body["graph"] = nx.node_link_data(sub, edges="edges")
    return body


def graphml(graph: nx.DiGraph) -> str:
    """GraphML for a lineage graph (lists become space-separated text, as GraphML needs)."""
    export = nx.DiGraph()
    for node, attributes in graph.nodes(data=True):
        export.add_node(
            node,
            **{
                k: (" ".join(v) if isinstance(v, list) else v)
                for k, v in attributes.items()
                if v is not None
            },
        )
    for u, v, attributes in graph.edges(data=True):
        export.add_edge(u, v, **{k: val for k, val in attributes.items() if val is not None})
    buffer = io.BytesIO()
    nx.write_graphml(export, buffer, encoding="utf-8")
    return buffer.getvalue().decode("utf-8")


def overview_json(overview: CatalogLineage) -> dict[str, Any]:
    """The catalog-wide lineage as JSON."""
    return asdict(overview)


__all__ += ["EVENT_LABELS", "STATUS_LABELS", "overview_json", "words"]

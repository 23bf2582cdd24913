"""What an entity's page shows, as plain data: its statements, what points to it, and the
kind-specific sections (a gap's dated assessments, a variable's providers with their coverages,
a geography's place in the hierarchy and the sources that cover it).

The web front end renders an :class:`EntityView` as HTML and as its JSON twin; both come from
the same object, so they always agree. Everything starts from the entity's concise bounded
description (:func:`lmickg.entities.describe`), which is also shown as Turtle.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node as RdfNode

from .entities import describe, parse_entity_iri
from .labels import labels_of
from .namespaces import DCAT, DCT, FOAF, ID, LMIC, PREFIXES, PROV, RDF, RDFS, SKOS
from .store import Store, to_oxigraph

if TYPE_CHECKING:
    from .search import SearchIndex

__all__ = ["EntityView", "Node", "Statement", "entity_view"]

_UNSAFE = re.compile(r'[\s<>"{}|^`\\]')
#: How many subjects pointing at an entity are listed per property (the rest are counted).
INCOMING_LIMIT = 50
#: How many providers a variable page lists.
PROVIDERS_LIMIT = 100
#: Properties shown first, in this order; the rest follow by IRI.
ORDER = [
    str(p)
    for p in (
        RDF.type,
        DCT.title,
        SKOS.prefLabel,
        FOAF.name,
        DCT.description,
        SKOS.definition,
        DCT.abstract,
        DCT.publisher,
        DCT.creator,
        DCT.issued,
        DCT.date,
        DCT.modified,
        DCT.accrualPeriodicity,
        DCT.accessRights,
        DCT.spatial,
        LMIC.geographicGranularity,
        DCT.temporal,
        LMIC.variable,
        LMIC.qualifiedVariable,
        LMIC.populationGroup,
        LMIC.excludedPopulationGroup,
        LMIC.targetPopulation,
        LMIC.usesClassification,
        DCAT.theme,
        DCAT.keyword,
    )
]
#: Properties the page header shows (title, description), so tables can skip them.
HEADER = frozenset(
    str(p) for p in (DCT.title, SKOS.prefLabel, FOAF.name, DCT.description, SKOS.definition)
)


@dataclass
class Node:
    """One value on a page: an IRI (with labels, and kind/key when it has a page), a literal,
    or a blank node with its own statements."""

    iri: str | None = None
    text: str | None = None
    lang: str | None = None
    datatype: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    kind: str | None = None
    key: str | None = None
    statements: list[Statement] = field(default_factory=list)


@dataclass
class Statement:
    """A property and its values; ``inverse`` ones list the subjects pointing at the entity
    (``via`` names the property of the blank node in between, if any)."""

    predicate: str
    values: list[Node]
    inverse: bool = False
    total: int = 0
    via: str | None = None
    #: The values are the members of an RDF list, in its order.
    ordered: bool = False


@dataclass
class EntityView:
    """Everything an entity page shows."""

    iri: str
    kind: str
    key: str
    types: list[Node]
    labels: dict[str, str]
    descriptions: dict[str, str]
    statements: list[Statement]
    incoming: list[Statement]
    predicate_labels: dict[str, dict[str, str]]
    sections: dict[str, Any]
    turtle: str
    #: The concise bounded description the view was made from (for reuse, not for JSON).
    description: Graph = field(default_factory=Graph, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data (everything but the description graph)."""
        return {
            f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name != "description"
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Node | Statement):
        return asdict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _order(predicate: str) -> tuple[int, str]:
    try:
        return (ORDER.index(predicate), predicate)
    except ValueError:
        return (len(ORDER), predicate)


def _literal(term: Literal) -> Node:
    return Node(
        text=str(term),
        lang=term.language,
        datatype=str(term.datatype) if term.datatype else None,
    )


def _value_node(term: RdfNode) -> Node:
    """A literal or IRI as a Node; a blank node (here only ever nested data) as an empty one."""
    if isinstance(term, Literal):
        return _literal(term)
    if isinstance(term, URIRef):
        return _iri_node(str(term))
    return Node()


def _iri_node(iri: str) -> Node:
    ref = parse_entity_iri(iri)
    return Node(iri=iri, kind=ref.kind if ref else None, key=ref.key if ref else None)


def _statements(graph: Graph, subject: RdfNode, depth: int = 0) -> list[Statement]:
    by_predicate: dict[str, list[Node]] = {}
    ordered: set[str] = set()
    for predicate, value in graph.predicate_objects(subject):
        nodes = by_predicate.setdefault(str(predicate), [])
        if isinstance(value, Literal):
            nodes.append(_literal(value))
        elif isinstance(value, BNode) and (value, RDF.first, None) in graph:
            # An RDF list (xkos:levels): its members, in the list's order.
            ordered.add(str(predicate))
            nodes += [_value_node(item) for item in _list_items(graph, value)]
        elif isinstance(value, BNode):
            nested = _statements(graph, value, depth + 1) if depth < 4 else []
            nodes.append(Node(statements=nested))
        else:
            nodes.append(_iri_node(str(value)))
    return [
        Statement(name, by_predicate[name], ordered=True)
        if name in ordered
        else Statement(name, sorted(by_predicate[name], key=_node_key))
        for name in sorted(by_predicate, key=_order)
    ]


def _list_members(store: Store, iri: str, predicate: str) -> list[Node]:
    rows = store.select(
        f"SELECT ?item (COUNT(?mid) AS ?position) WHERE {{ {_ref(iri)} {_ref(predicate)} ?list . "
        "?list rdf:rest* ?mid . ?mid rdf:rest* ?cell . ?cell rdf:first ?item } "
        "GROUP BY ?cell ?item ORDER BY ?position"
    )
    return [_value_node(row["item"]) for row in rows]


def _list_items(graph: Graph, head: RdfNode) -> list[RdfNode]:
    items: list[RdfNode] = []
    node: RdfNode | None = head
    while isinstance(node, BNode) and len(items) < 1000:
        first = graph.value(node, RDF.first)
        if first is None:
            break
        items.append(first)
        node = graph.value(node, RDF.rest)
    return items


def _node_key(node: Node) -> tuple[str, str, str]:
    first = node.statements[0].values[0] if node.statements and node.statements[0].values else None
    nested = (first.iri or first.text or "") if first else ""
    return (node.iri or "", node.text or nested, node.lang or "")


def _walk(statements: list[Statement]) -> list[Node]:
    found: list[Node] = []
    for statement in statements:
        for node in statement.values:
            found.append(node)
            found += _walk(node.statements)
    return found


def _turtle(graph: Graph) -> str:
    # pyoxigraph writes Turtle far faster than rdflib; sorting groups each subject's triples.
    triples = [
        ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))  # type: ignore[arg-type]
        for s, p, o in sorted(graph, key=lambda t: (isinstance(t[0], BNode), *map(str, t)))
    ]
    iris = {str(part) for t in graph for part in t if isinstance(part, URIRef)}
    iris |= {str(o.datatype) for o in graph.objects() if isinstance(o, Literal) and o.datatype}
    prefixes = {
        p: ns for p, ns in PREFIXES.items() if p != "id" and any(i.startswith(ns) for i in iris)
    }
    # One prefix per entity kind (source:, geo:, ...), as the catalog files write them.
    for iri in iris:
        ref = parse_entity_iri(iri)
        if ref is not None and "/" not in ref.key:
            prefixes.setdefault(ref.kind, f"{ID}{ref.kind}/")
    return bytes(
        ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b""
    ).decode()


def _ref(iri: str) -> str:
    """An IRI as it is written in a query; ValueError for one that could break out of it."""
    if _UNSAFE.search(iri):
        raise ValueError(f"not an IRI that can be queried: {iri!r}")
    return f"<{iri}>"


def _incoming(store: Store, iri: str) -> list[Statement]:
    x = _ref(iri)
    totals = store.select(
        f"SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p {x} . FILTER(isIRI(?s)) }} GROUP BY ?p"
    )
    out: list[Statement] = []
    for row in totals:
        predicate = row["p"]
        total = int(row["n"])  # type: ignore[call-overload]
        # Ordering a huge fan-in (a province, a publisher) costs more than the page is worth;
        # small ones are ordered so the page is stable.
        order = "ORDER BY ?s" if total <= 1000 else ""
        rows = store.select(
            f"SELECT DISTINCT ?s WHERE {{ ?s {_ref(str(predicate))} {x} . FILTER(isIRI(?s)) }} "
            f"{order} LIMIT {INCOMING_LIMIT}"
        )
        nodes = [_iri_node(str(r["s"])) for r in rows]
        out.append(Statement(str(predicate), nodes, inverse=True, total=total))
    via = store.select(
        f"SELECT DISTINCT ?s ?p0 ?p WHERE {{ ?s ?p0 ?b . ?b ?p {x} . FILTER(isBlank(?b) && isIRI(?s)) }} "
        f"ORDER BY ?p0 ?p ?s LIMIT {INCOMING_LIMIT * 4}"
    )
    grouped: dict[tuple[str, str], list[Node]] = {}
    for row in via:
        nodes = grouped.setdefault((str(row["p0"]), str(row["p"])), [])
        if len(nodes) < INCOMING_LIMIT:
            nodes.append(_iri_node(str(row["s"])))
    for (outer, inner), nodes in grouped.items():
        out.append(Statement(outer, nodes, inverse=True, total=len(nodes), via=inner))
    out.sort(key=lambda s: (_order(s.predicate), s.via or ""))
    return out


def _assessments(store: Store, iri: str) -> list[dict[str, Any]]:
    rows = store.select(f"SELECT ?a ?p ?o WHERE {{ ?a lmic:assesses {_ref(iri)} ; ?p ?o }}")
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        a = str(row["a"])
        entry = found.setdefault(
            a,
            {
                "assessment": _iri_node(a),
                "date": None,
                "status": None,
                "addressed_by": [],
                "attributed_to": [],
                "derived_from": [],
                "descriptions": {},
            },
        )
        predicate, value = row["p"], row["o"]
        if predicate == DCT.date:
            entry["date"] = str(value)
        elif predicate == LMIC.status:
            entry["status"] = _value_node(value)
        elif predicate == LMIC.addressedBy:
            entry["addressed_by"].append(_value_node(value))
        elif predicate == PROV.wasAttributedTo:
            entry["attributed_to"].append(_value_node(value))
        elif predicate == PROV.wasDerivedFrom:
            entry["derived_from"].append(_value_node(value))
        elif predicate == DCT.description and isinstance(value, Literal):
            entry["descriptions"][value.language or "en"] = str(value)
    for entry in found.values():
        for name in ("addressed_by", "attributed_to", "derived_from"):
            entry[name].sort(key=lambda n: n.iri or "")
    # Date order; a year or a month counts as its start, so "2014" comes before "2014-03".
    return sorted(found.values(), key=lambda e: ((e["date"] or "")[:10], e["assessment"].iri))


def _providers(store: Store, iri: str) -> dict[str, Any]:
    x = _ref(iri)
    count = store.select(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {{ ?s lmic:variable {x} }} UNION "
        f"{{ ?s lmic:qualifiedVariable ?c . ?c lmic:variable {x} }} FILTER(isIRI(?s)) }}"
    )
    total = int(count.rows[0]["n"]) if count.rows else 0  # type: ignore[call-overload]
    order = "ORDER BY ?s" if total <= 5000 else ""
    rows = store.select(
        f"SELECT DISTINCT ?s WHERE {{ {{ ?s lmic:variable {x} }} UNION "
        f"{{ ?s lmic:qualifiedVariable ?c . ?c lmic:variable {x} }} FILTER(isIRI(?s)) }} {order} "
        f"LIMIT {PROVIDERS_LIMIT}"
    )
    sources = [str(r["s"]) for r in rows]
    coverages: dict[str, dict[str, dict[str, list[Node]]]] = {}
    if sources:
        values = " ".join(f"<{s}>" for s in sources)
        details = store.select(
            f"SELECT ?s ?c ?p ?o WHERE {{ VALUES ?s {{ {values} }} ?s lmic:qualifiedVariable ?c . "
            f"?c lmic:variable {x} ; ?p ?o . FILTER(?p != lmic:variable && ?p != rdf:type) }}"
        )
        for row in details:
            by_coverage = coverages.setdefault(str(row["s"]), {})
            props = by_coverage.setdefault(str(row["c"]), {})
            value = row["o"]
            if isinstance(value, BNode):
                continue  # nested detail (a period, a note): the source's own page shows it
            node = _value_node(value)
            props.setdefault(str(row["p"]), []).append(node)
    defaults: dict[str, dict[str, list[Node]]] = {}
    if sources:
        # What each source states for all its variables, shown where no coverage refines it.
        rows = store.select(
            f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} VALUES ?p {{ "
            f"<{LMIC.geographicGranularity}> <{DCT.accrualPeriodicity}> <{DCT.accessRights}> }} ?s ?p ?o }}"
        )
        for row in rows:
            defaults.setdefault(str(row["s"]), {}).setdefault(str(row["p"]), []).append(
                _value_node(row["o"])
            )
    providers = []
    for source in sources:
        listed = [
            {
                p: sorted(nodes, key=_node_key)
                for p, nodes in sorted(props.items(), key=lambda i: _order(i[0]))
            }
            for _c, props in sorted(
                coverages.get(source, {}).items(), key=lambda i: repr(sorted(i[1]))
            )
        ]
        stated = {
            p: sorted(nodes, key=_node_key)
            for p, nodes in sorted(defaults.get(source, {}).items(), key=lambda i: _order(i[0]))
        }
        providers.append({"source": _iri_node(source), "coverages": listed, "defaults": stated})
    return {"total": total, "providers": providers}


def _geography(store: Store, iri: str, index: SearchIndex | None) -> dict[str, Any]:
    chain: list[Node] = []
    current, seen = iri, {iri}
    for _ in range(10):
        rows = store.select(
            f"SELECT ?b WHERE {{ {_ref(current)} skos:broader ?b }} ORDER BY ?b LIMIT 1"
        )
        if not rows.rows or str(rows.rows[0]["b"]) in seen:
            break
        current = str(rows.rows[0]["b"])
        seen.add(current)
        chain.insert(0, _iri_node(current))
    narrower = [
        _iri_node(str(r["n"]))
        for r in store.select(
            f"SELECT ?n ?code WHERE {{ ?n skos:broader {_ref(iri)} . "
            "OPTIONAL { ?n skos:notation ?code } } ORDER BY ?code ?n"
        )
    ]
    section: dict[str, Any] = {"broader": chain, "narrower": narrower}
    if index is not None:
        section["coverage"] = _coverage(index, iri)
    return section


def _coverage(index: SearchIndex, iri: str) -> dict[str, Any] | None:
    """The sources covering a geography (from the search index), by finest level."""
    from .search import SearchRequest

    value = index.facet_value("sources", "geo", iri)
    if value is None:
        return {"total": 0, "levels": [], "sources": [], "value": None}
    response = index.search(SearchRequest("sources", filters={"geo": (value["key"],)}, size=20))
    levels = [
        {"value": f.value, "iri": f.iri, "labels": f.labels, "count": f.count}
        for f in response.facets["level"]
        if f.count
    ]
    sources = [
        {
            "source": _iri_node(h.iri),
            "titles": h.titles,
            "levels": [v[0] for v in h.values.get("level", [])],
        }
        for h in response.hits
    ]
    return {"total": response.total, "levels": levels, "sources": sources, "value": value["key"]}


def _addressed(store: Store, iri: str) -> list[dict[str, Any]]:
    rows = store.select(
        f"SELECT ?a ?x ?status ?date WHERE {{ ?a lmic:addressedBy {_ref(iri)} ; lmic:assesses ?x . "
        "OPTIONAL { ?a lmic:status ?status } OPTIONAL { ?a dct:date ?date } } ORDER BY ?date ?a"
    )
    return [
        {
            "assessment": _iri_node(str(r["a"])),
            "assesses": _iri_node(str(r["x"])),
            "status": _iri_node(str(r["status"])) if "status" in r else None,
            "date": str(r["date"]) if "date" in r else None,
        }
        for r in rows
    ]


def _search_links(index: SearchIndex, iri: str) -> list[dict[str, Any]]:
    """Where the entity is a facet value: how many results filtering on it gives."""
    links = []
    for scope, scope_index in index.scopes.items():
        for facet, data in scope_index.facets.items():
            position = data.by_key.get(iri)
            if position is not None and int(data.totals[position]):
                links.append(
                    {
                        "scope": scope,
                        "facet": facet,
                        "value": data.values[position]["key"],
                        "count": int(data.totals[position]),
                    }
                )
    return links


def entity_view(store: Store, iri: str, index: SearchIndex | None = None) -> EntityView | None:
    """The page data of ``iri``, or None when the catalog says nothing about it."""
    ref = parse_entity_iri(iri)
    graph = describe(store, iri)
    subject = URIRef(iri)
    if ref is None or (subject, None, None) not in graph:
        return None
    statements = _statements(graph, subject)
    for statement in statements:
        if statement.ordered:
            # The description stops a few blank nodes deep; a longer list is read whole here.
            statement.values = _list_members(store, iri, statement.predicate)
    incoming = _incoming(store, iri)
    types = sorted(str(t) for t in graph.objects(subject, RDF.type))
    sections: dict[str, Any] = {}
    if str(LMIC.Gap) in types or str(LMIC.Recommendation) in types:
        sections["assessments"] = _assessments(store, iri)
    if str(LMIC.Variable) in types:
        sections["providers"] = _providers(store, iri)
    if str(DCT.Location) in types:
        sections["geography"] = _geography(store, iri, index)
    if any(t in types for t in (str(DCAT.Dataset), str(DCAT.DatasetSeries), str(DCAT.DataService))):
        sections["addressed"] = _addressed(store, iri)
        distributions = [
            n.iri for s in statements if s.predicate == str(DCAT.distribution) for n in s.values
        ]
        sections["distributions"] = [
            {"distribution": _iri_node(d), "statements": _statements(describe(store, d), URIRef(d))}
            for d in distributions
            if d
        ]
    if str(LMIC.Initiative) in types:
        sections["addressed"] = _addressed(store, iri)
    if index is not None:
        sections["search"] = _search_links(index, iri)

    # Labels for every IRI on the page and every property, in one pass.
    nodes = _walk(statements) + _walk(incoming)
    for section in sections.values():
        nodes += _section_nodes(section)
    wanted = {n.iri for n in nodes if n.iri} | set(types)
    predicates = {s.predicate for s in statements} | {s.predicate for s in incoming}
    predicates |= {s.via for s in incoming if s.via}
    for n in nodes:
        predicates |= {s.predicate for s in n.statements}
    for section in sections.values():
        predicates |= _section_predicates(section)
    labels = labels_of(store, wanted | predicates)
    for n in nodes:
        if n.iri:
            n.labels = labels.get(n.iri, {})
    type_nodes = [_iri_node(t) for t in types]
    for n in type_nodes:
        n.labels = labels.get(n.iri or "", {})
    own = labels_of(store, [iri]).get(iri, {})
    descriptions: dict[str, str] = {}
    for predicate in (DCT.description, SKOS.definition, DCT.abstract, RDFS.comment):
        for value in graph.objects(subject, predicate):
            if isinstance(value, Literal):
                descriptions.setdefault(value.language or "en", str(value))
        if descriptions:
            break
    return EntityView(
        iri=iri,
        kind=ref.kind,
        key=ref.key,
        types=type_nodes,
        labels=own,
        descriptions=descriptions,
        statements=statements,
        incoming=incoming,
        predicate_labels={p: labels[p] for p in sorted(predicates) if p in labels},
        sections=sections,
        turtle=_turtle(graph),
        description=graph,
    )


def _section_nodes(value: Any) -> list[Node]:
    if isinstance(value, Node):
        return [value, *_walk(value.statements)]
    if isinstance(value, Statement):
        return _walk([value])
    if isinstance(value, dict):
        return [n for v in value.values() for n in _section_nodes(v)]
    if isinstance(value, list):
        return [n for v in value for n in _section_nodes(v)]
    return []


def _section_predicates(value: Any) -> set[str]:
    if isinstance(value, Statement):
        return {value.predicate} | {p for n in value.values for p in _section_predicates(n)}
    if isinstance(value, Node):
        return {p for s in value.statements for p in _section_predicates(s)}
    if isinstance(value, dict):
        keys = {k for k in value if k.startswith("http")}
        return keys | {p for v in value.values() for p in _section_predicates(v)}
    if isinstance(value, list):
        return {p for v in value for p in _section_predicates(v)}
    return set()

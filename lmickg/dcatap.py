"""DCAT-AP 3: the catalog as DCAT-AP harvesters and validators expect to read it.

The native description of a data source says more than DCAT-AP (variables, coverages, quality
measurements) and leaves implicit what DCAT-AP's shapes check explicitly: a publisher that is
a ``foaf:Organization`` is not a ``foaf:Agent`` to a validator that does not reason, a landing
page is not a ``foaf:Document`` until said so, a concept used as a value needs its type and
label in the same document. So the DCAT-AP view of a set of resources is:

1. their descriptions restricted to the DCAT-AP properties of their class (blank nodes reached
   through those properties come along whole, e.g. a ``dct:PeriodOfTime``);
2. the distributions they point to, restricted the same way;
3. for every IRI those triples point to through a property with a DCAT-AP range, the class
   DCAT-AP expects (:data:`RANGE_CLASSES`) plus the types and labels the store has for it.

:func:`validate` checks a graph against the official DCAT-AP 3.0.1 shapes (``shapes.ttl`` and
``range.ttl`` for violations, ``shapes_recommended.ttl`` for warnings).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import ODRL2

from .namespaces import (
    ADMS,
    DCAT,
    DCATAP,
    DCT,
    FOAF,
    PROV,
    RDF,
    RDFS,
    SH,
    SKOS,
    VOID,
)
from .store import OxigraphStore, Store, to_oxigraph

__all__ = [
    "CATALOG_PROPERTIES",
    "DATA_SOURCE_PROPERTIES",
    "DISTRIBUTION_PROPERTIES",
    "RANGE_CLASSES",
    "DcatApReport",
    "closure",
    "construct",
    "dcat_ap_triples",
    "dcat_ap_view",
    "describe_many",
    "descriptions",
    "iri_ref",
    "restrict",
    "typing_triples",
    "validate",
]

#: DCAT-AP 3.0.1 properties of datasets, dataset series and data services (one set for the
#: three: the shapes of each class check only its own).
DATA_SOURCE_PROPERTIES = frozenset(
    {
        RDF.type,
        DCT.title,
        DCT.description,
        DCT.publisher,
        DCT.creator,
        DCT.identifier,
        DCT.issued,
        DCT.modified,
        DCT.language,
        DCT.spatial,
        DCT.temporal,
        DCT.accrualPeriodicity,
        DCT.accessRights,
        DCT.conformsTo,
        DCT.provenance,
        DCT.relation,
        DCT.source,
        DCT.type,
        DCT.hasVersion,
        DCT.isReferencedBy,
        DCT.license,
        DCT.format,
        DCAT.contactPoint,
        DCAT.distribution,
        DCAT.keyword,
        DCAT.theme,
        DCAT.landingPage,
        DCAT.inSeries,
        DCAT.qualifiedRelation,
        DCAT.spatialResolutionInMeters,
        DCAT.temporalResolution,
        DCAT.version,
        DCAT.endpointURL,
        DCAT.endpointDescription,
        DCAT.servesDataset,
        FOAF.page,
        ADMS.identifier,
        ADMS.sample,
        ADMS.versionNotes,
        PROV.qualifiedAttribution,
        PROV.wasGeneratedBy,
        DCATAP.applicableLegislation,
    }
)

DISTRIBUTION_PROPERTIES = frozenset(
    {
        RDF.type,
        DCT.title,
        DCT.description,
        DCT.format,
        DCT.license,
        DCT.rights,
        DCT.language,
        DCT.conformsTo,
        DCT.issued,
        DCT.modified,
        # Not in DCAT-AP's distribution, but plain DCAT and useful to LMI harvesters: a
        # Statistics Canada table number, restricted access for Research Data Centre files.
        DCT.identifier,
        DCT.accessRights,
        DCAT.accessURL,
        DCAT.downloadURL,
        DCAT.accessService,
        DCAT.byteSize,
        DCAT.compressFormat,
        DCAT.packageFormat,
        DCAT.mediaType,
        DCAT.spatialResolutionInMeters,
        DCAT.temporalResolution,
        FOAF.page,
        ADMS.status,
        ODRL2.hasPolicy,
        DCATAP.availability,
        DCATAP.applicableLegislation,
    }
)

CATALOG_PROPERTIES = frozenset(
    {
        RDF.type,
        DCT.title,
        DCT.description,
        DCT.publisher,
        DCT.creator,
        DCT.language,
        DCT.license,
        DCT.rights,
        DCT.issued,
        DCT.modified,
        DCT.spatial,
        DCT.hasPart,
        DCT.isPartOf,
        FOAF.homepage,
        DCAT.themeTaxonomy,
        DCAT.service,
        DCAT.catalog,
        DCAT.dataset,
        DCAT.record,
        DCATAP.applicableLegislation,
        # Discovery links harvesters may follow: the VoID description and SPARQL endpoint.
        RDFS.seeAlso,
        VOID.sparqlEndpoint,
    }
)

#: The class DCAT-AP's range shapes expect of a property's values. The store may type them
#: more specifically (foaf:Organization) or not at all (landing pages); DCAT-AP's shapes do not
#: infer, so the export states these classes outright.
RANGE_CLASSES: dict[URIRef, URIRef] = {
    DCT.publisher: FOAF.Agent,
    DCT.creator: FOAF.Agent,
    DCAT.landingPage: FOAF.Document,
    FOAF.page: FOAF.Document,
    FOAF.homepage: FOAF.Document,
    DCT.license: DCT.LicenseDocument,
    DCT.conformsTo: DCT.Standard,
    DCT.language: DCT.LinguisticSystem,
    DCT.spatial: DCT.Location,
    DCT.accrualPeriodicity: DCT.Frequency,
    DCT.accessRights: DCT.RightsStatement,
    DCT.rights: DCT.RightsStatement,
    DCT.format: DCT.MediaTypeOrExtent,
    DCT.type: SKOS.Concept,
    DCAT.theme: SKOS.Concept,
    DCAT.themeTaxonomy: SKOS.ConceptScheme,
    DCAT.mediaType: DCT.MediaType,
    DCAT.compressFormat: DCT.MediaType,
    DCAT.packageFormat: DCT.MediaType,
    ADMS.status: SKOS.Concept,
    DCATAP.availability: SKOS.Concept,
}

#: What the store says about a referenced IRI that a DCAT-AP reader needs: its types and label.
_LABELS = (RDF.type, SKOS.prefLabel, FOAF.name, DCT.title)
#: Classes whose instances DCAT-AP recommends to classify with dct:type.
_TYPED_CLASSES = (FOAF.Agent, DCT.LicenseDocument)
_BAD_IRI_CHARS = frozenset('<>"{}|^`\\ \t\n\r')
_BATCH = 400


def iri_ref(iri: str) -> str:
    """``<iri>`` for a SPARQL query; ValueError for text that cannot be an IRI reference."""
    if not iri or any(c in _BAD_IRI_CHARS or ord(c) < 0x20 for c in iri):
        raise ValueError(f"not an IRI: {iri!r}")
    return f"<{iri}>"


def construct(store: Store, query: str) -> list[ox.Triple]:
    """Run a CONSTRUCT and return pyoxigraph triples (natively when the store is Oxigraph)."""
    if isinstance(store, OxigraphStore):
        # The native path skips two term conversions per triple, which dominate a page.
        result = store.native.query(query, use_default_graph_as_union=True)
        return list(result)  # type: ignore[arg-type]
    return [
        ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))  # type: ignore[arg-type]
        for s, p, o in store.construct(query)
    ]


_DESCRIPTIONS = """
SELECT ?s ?p ?o WHERE {{
    VALUES ?t {{ {values} }}
    {{ ?t ?p ?o BIND(?t AS ?s) }}
    UNION {{ ?t ?q1 ?s FILTER(isBlank(?s)) ?s ?p ?o }}
    UNION {{ ?t ?q1 ?b1 FILTER(isBlank(?b1)) ?b1 ?q2 ?s FILTER(isBlank(?s)) ?s ?p ?o }}
    UNION {{ ?t ?q1 ?b1 FILTER(isBlank(?b1)) ?b1 ?q2 ?b2 FILTER(isBlank(?b2))
             ?b2 ?q3 ?s FILTER(isBlank(?s)) ?s ?p ?o }}
    {more}
}}"""
_WITH_DISTRIBUTIONS = f"""
    UNION {{ ?t <{DCAT.distribution}> ?s FILTER(isIRI(?s)) ?s ?p ?o }}
    UNION {{ ?t <{DCAT.distribution}> ?d FILTER(isIRI(?d)) ?d ?q1 ?s FILTER(isBlank(?s))
             ?s ?p ?o }}"""
_DISTRIBUTION = ox.NamedNode(str(DCAT.distribution))
_DISTRIBUTION_CLASS = ox.NamedNode(str(DCAT.Distribution))
_RDF_TYPE = ox.NamedNode(str(RDF.type))
_DOCUMENT = ox.NamedNode(str(FOAF.Document))


def descriptions(
    store: Store, iris: Iterable[str], *, distributions: bool = False
) -> dict[str, list[ox.Triple]]:
    """Each IRI's concise bounded description (blank nodes three deep) and, optionally, those
    of the distributions it links to, as pyoxigraph triples.

    Joins, not OPTIONALs: Oxigraph answers a nested OPTIONAL by scanning, a join by index. The
    query does not project which IRI a row belongs to (every term returned costs a lookup in
    the store); rows are sorted out here by following the description from each IRI.
    """
    ordered = sorted(set(iris))
    more = _WITH_DISTRIBUTIONS if distributions else ""
    out: dict[str, list[ox.Triple]] = {}
    for start in range(0, len(ordered), _BATCH):
        batch = ordered[start : start + _BATCH]
        values = " ".join(iri_ref(i) for i in batch)
        by_subject: dict[object, dict[ox.Triple, None]] = {}
        for triple in _rows(store, _DESCRIPTIONS.format(values=values, more=more)):
            # A triple stated in two files comes back once per graph: keep one.
            by_subject.setdefault(triple.subject, {})[triple] = None
        for iri in batch:
            out[iri] = closure(ox.NamedNode(iri), by_subject, distributions=distributions)
    return out


def closure(
    root: ox.NamedNode,
    by_subject: Mapping[object, Iterable[ox.Triple]],
    *,
    distributions: bool,
    depth: int = 3,
) -> list[ox.Triple]:
    """The triples of ``root``'s description in ``by_subject`` (triples grouped by subject):
    its own, those of blank nodes it reaches ``depth`` levels deep and, with
    ``distributions``, those of the distributions it links to (and their blank nodes one deep),
    exactly what :func:`descriptions` asks the store for."""
    found: dict[ox.Triple, None] = {}
    pending: list[tuple[object, int, int]] = [(root, 0, depth)]
    seen: set[object] = set()
    while pending:
        node, level, limit = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        for triple in by_subject.get(node, ()):
            found[triple] = None
            obj = triple.object
            if isinstance(obj, ox.BlankNode):
                if level < limit:
                    pending.append((obj, level + 1, limit))
            elif (
                distributions
                and node == root
                and triple.predicate == _DISTRIBUTION
                and isinstance(obj, ox.NamedNode)
            ):
                pending.append((obj, 0, 1))
    return list(found)


def _rows(store: Store, query: str) -> Iterable[ox.Triple]:
    if isinstance(store, OxigraphStore):
        for row in store.native.query(query, use_default_graph_as_union=True):  # type: ignore[union-attr]
            yield ox.Triple(row["s"], row["p"], row["o"])
        return
    for row in store.select(query):
        yield ox.Triple(to_oxigraph(row["s"]), to_oxigraph(row["p"]), to_oxigraph(row["o"]))  # type: ignore[arg-type]


def describe_many(store: Store, iris: Iterable[str]) -> list[ox.Triple]:
    """The concise bounded descriptions of many IRIs, as in :func:`lmickg.entities.describe`."""
    return [t for triples in descriptions(store, iris).values() for t in triples]


@cache
def _nodes(terms: frozenset[URIRef]) -> frozenset[ox.NamedNode]:
    return frozenset(ox.NamedNode(str(t)) for t in terms)


Index = dict[object, list[ox.Triple]]


def _index(triples: Iterable[ox.Triple]) -> Index:
    by_subject: Index = {}
    for triple in triples:
        by_subject.setdefault(triple.subject, []).append(triple)
    return by_subject


def _restrict(
    by_subject: Index, roots: Iterable[object], allowed: frozenset[ox.NamedNode]
) -> list[ox.Triple]:
    out: list[ox.Triple] = []
    for root in roots:
        for triple in by_subject.get(root, ()):
            if triple.predicate not in allowed:
                continue
            out.append(triple)
            pending = [triple.object]
            seen: set[object] = set()
            while pending:
                node = pending.pop()
                if not isinstance(node, ox.BlankNode) or node in seen:
                    continue
                seen.add(node)
                for inner in by_subject.get(node, ()):
                    out.append(inner)
                    pending.append(inner.object)
    return out


def restrict(
    triples: Sequence[ox.Triple], roots: Iterable[str], allowed: frozenset[URIRef]
) -> list[ox.Triple]:
    """The triples of ``roots`` with an ``allowed`` predicate, and the blank nodes they reach."""
    return _restrict(_index(triples), [ox.NamedNode(r) for r in roots], _nodes(allowed))


TypingCache = dict[tuple[str, str], list[ox.Triple]]


@cache
def _ranges() -> dict[ox.NamedNode, ox.NamedNode]:
    return {ox.NamedNode(str(p)): ox.NamedNode(str(c)) for p, c in RANGE_CLASSES.items()}


def typing_triples(
    store: Store, triples: Iterable[ox.Triple], cache: TypingCache | None = None
) -> list[ox.Triple]:
    """Types and labels of the IRIs ``triples`` point to through a property with a DCAT-AP range.

    Adds the class DCAT-AP expects, the store's own types and labels, and a ``dct:title``
    for concept schemes (DCAT-AP's category scheme needs one; SKOS gives a prefLabel). Agents
    and licence documents also bring their ``dct:type`` (publisher type, licence type), which
    DCAT-AP recommends, typed in turn. ``cache`` (one per build) remembers what the store said.
    """
    ranges = _ranges()
    rdf_type = _RDF_TYPE
    expected: dict[ox.NamedNode, set[ox.NamedNode]] = {}
    for triple in triples:
        cls = ranges.get(triple.predicate)
        if cls is not None and isinstance(triple.object, ox.NamedNode):
            expected.setdefault(triple.object, set()).add(cls)
    if not expected:
        return []
    out: list[ox.Triple] = [
        ox.Triple(node, rdf_type, cls) for node, classes in expected.items() for cls in classes
    ]
    # A landing page or homepage is a web page, not something the store describes: its class
    # is all DCAT-AP needs, and looking up every source's own page would dominate a page.
    document = _DOCUMENT
    described = sorted(n.value for n, classes in expected.items() if classes != {document})
    stated = _stated(store, described, _LABELS, cache)
    typed = {str(c) for c in _TYPED_CLASSES}
    kinds = sorted(n.value for n, classes in expected.items() if {c.value for c in classes} & typed)
    kinds_stated = _stated(store, kinds, (DCT.type,), cache) if kinds else []
    out.extend(stated)
    out.extend(kinds_stated)
    out.extend(typing_triples(store, kinds_stated, cache))
    scheme = ox.NamedNode(str(SKOS.ConceptScheme))
    schemes = {t.subject for t in out if t.predicate == rdf_type and t.object == scheme}
    titled = {t.subject for t in stated if t.predicate.value == str(DCT.title)}
    pref_label = str(SKOS.prefLabel)
    title = ox.NamedNode(str(DCT.title))
    out.extend(
        ox.Triple(t.subject, title, t.object)
        for t in stated
        if t.subject in schemes and t.subject not in titled and t.predicate.value == pref_label
    )
    return out


def _stated(
    store: Store, iris: Sequence[str], predicates: Sequence[URIRef], cache: TypingCache | None
) -> list[ox.Triple]:
    """What the store says about ``iris`` with ``predicates``, remembered per IRI in ``cache``."""
    kind = " ".join(str(p) for p in predicates)
    memo: TypingCache = cache if cache is not None else {}
    missing = [i for i in iris if (i, kind) not in memo]
    wanted = " ".join(f"<{p}>" for p in predicates)
    for start in range(0, len(missing), _BATCH):
        chunk = missing[start : start + _BATCH]
        for iri in chunk:
            memo[(iri, kind)] = []
        values = " ".join(iri_ref(i) for i in chunk)
        for triple in construct(
            store,
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} "
            f"VALUES ?p {{ {wanted} }} ?s ?p ?o }}",
        ):
            memo[(triple.subject.value, kind)].append(triple)  # type: ignore[union-attr]
    return [t for i in iris for t in memo[(i, kind)]]


def dcat_ap_view(topic: str, triples: Sequence[ox.Triple]) -> list[ox.Triple]:
    """A description (from :func:`descriptions`) cut down to DCAT-AP: the topic's DCAT-AP
    properties and those of the distributions it links to, or, for a distribution, its own."""
    by_subject = _index(triples)
    node = ox.NamedNode(topic)
    if any(
        t.predicate == _RDF_TYPE and t.object == _DISTRIBUTION_CLASS
        for t in by_subject.get(node, ())
    ):
        return _restrict(by_subject, [node], _nodes(DISTRIBUTION_PROPERTIES))
    out = _restrict(by_subject, [node], _nodes(DATA_SOURCE_PROPERTIES))
    linked = [
        t.object for t in out if t.predicate == _DISTRIBUTION and isinstance(t.object, ox.NamedNode)
    ]
    out.extend(_restrict(by_subject, linked, _nodes(DISTRIBUTION_PROPERTIES)))
    return out


def dcat_ap_triples(
    store: Store, topics: Iterable[str], cache: TypingCache | None = None
) -> list[ox.Triple]:
    """The DCAT-AP view of data sources (or distributions): descriptions, distributions, types."""
    out: list[ox.Triple] = []
    for topic, triples in descriptions(store, topics, distributions=True).items():
        out.extend(dcat_ap_view(topic, triples))
    out.extend(typing_triples(store, out, cache))
    return out


# ---------------------------------------------------------------------------------------------
# Validation against the official shapes
# ---------------------------------------------------------------------------------------------

SHAPES_FILES = ("shapes.ttl", "range.ttl")
RECOMMENDED_FILE = "shapes_recommended.ttl"


@dataclass
class DcatApReport:
    """Counts of DCAT-AP violations and recommended-property warnings, by shape path."""

    violations: list[tuple[str, str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.violations

    def summary(self) -> dict[str, object]:
        """Counts for the CLI and tests: totals, and per (class, property) for warnings."""

        def by_path(rows: list[tuple[str, str, str]]) -> dict[str, int]:
            return dict(sorted(Counter(f"{cls} {path}" for cls, path, _ in rows).items()))

        return {
            "conforms": self.conforms,
            "violations": len(self.violations),
            "warnings": len(self.warnings),
            "violations_by_property": by_path(self.violations),
            "warnings_by_property": by_path(self.warnings),
        }


def _short(term: object) -> str:
    text = str(term)
    for prefix, ns in (
        ("dcat:", str(DCAT)),
        ("dct:", str(DCT)),
        ("foaf:", str(FOAF)),
        ("adms:", str(ADMS)),
        ("skos:", str(SKOS)),
        ("dcatap:", str(DCATAP)),
    ):
        if text.startswith(ns):
            return prefix + text[len(ns) :]
    return text


def _results(report: Graph, data: Graph, severity: URIRef) -> list[tuple[str, str, str]]:
    rows = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) != severity:
            continue
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        shape = report.value(result, SH.sourceShape)
        classes = sorted(_short(c) for c in data.objects(focus, RDF.type)) if focus else []
        message = str(report.value(result, SH.resultMessage) or shape or "")
        rows.append(
            (
                classes[0] if classes else "(untyped)",
                _short(path) if path is not None else "(node)",
                f"{focus}: {message}",
            )
        )
    return sorted(rows)


def validate(triples: Iterable[ox.Triple], shapes_dir: Path) -> DcatApReport:
    """Validate an export against the DCAT-AP 3.0.1 shapes in ``shapes_dir``.

    ``shapes.ttl`` and ``range.ttl`` (conformance) and ``shapes_recommended.ttl`` run
    together; results are split by severity, so violations and warnings are counted apart.
    """
    import pyshacl

    missing = [f for f in (*SHAPES_FILES, RECOMMENDED_FILE) if not (shapes_dir / f).exists()]
    if missing:
        raise FileNotFoundError(
            f"DCAT-AP shapes not found in {shapes_dir}: missing {', '.join(missing)}"
        )
    data = Graph()
    data.parse(data=ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES), format="nt")
    shapes = Graph()
    for name in (*SHAPES_FILES, RECOMMENDED_FILE):
        shapes.parse(shapes_dir / name, format="turtle")
    _conforms, graph, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True
    )
    assert isinstance(graph, Graph)
    return DcatApReport(
        violations=_results(graph, data, SH.Violation),
        warnings=_results(graph, data, SH.Warning),
    )

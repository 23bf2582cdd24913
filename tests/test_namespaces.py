"""Every project term used in code, shapes, vocabularies, catalog and queries is in the ontology.

Three directions are checked between ``ontology/lmic.ttl`` (what is declared), the ``LMIC``
``DefinedNamespace`` in ``lmickg/namespaces.py`` (what code can name) and everything that uses a
term of ``https://w3id.org/lmickg/ns#``:

- every ``LMIC`` attribute is declared as an owl:Class, owl:ObjectProperty or
  owl:DatatypeProperty, with one English and one French rdfs:label and rdfs:comment;
- every project IRI used in Turtle (parsed, so any prefix spelling counts), SPARQL or Python
  (``LMIC.name``, ``LMIC["name"]``, a full IRI, or a prefixed name in embedded SPARQL/Turtle)
  is declared;
- every declared term is an ``LMIC`` attribute.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from lmickg.namespaces import LMIC

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_FILE = ROOT / "ontology" / "lmic.ttl"
NS = str(LMIC._NS)

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
OWL = "http://www.w3.org/2002/07/owl#"
TERM_TYPES = {OWL + "Class", OWL + "ObjectProperty", OWL + "DatatypeProperty"}
PROPERTY_TYPES = {OWL + "ObjectProperty", OWL + "DatatypeProperty"}

#: Turtle files whose every IRI is checked (parsed, not grepped).
TURTLE_GLOBS = (
    "ontology/lmic.ttl",
    "ontology/shapes/*.ttl",
    "ontology/vocab/*.ttl",
    "catalog_ttl/**/*.ttl",
    "tests/data/**/*.ttl",
)
#: Text files scanned for prefixed names and full IRIs.
SPARQL_GLOBS = ("queries/**/*.rq",)
PYTHON_GLOBS = ("lmickg/**/*.py", "webapp/**/*.py", "benchmarks/**/*.py", "tests/**/*.py")
TEMPLATE_GLOBS = ("webapp/**/*.html",)

_NAME = r"([A-Za-z_][A-Za-z0-9_-]*)"
FULL_IRI = re.compile(re.escape(NS) + _NAME)
PREFIXED = re.compile(r"(?<![\w:/.#-])lmic:" + _NAME)
ATTRIBUTE = re.compile(r"\bLMIC\.(?!_)" + _NAME)  # not LMIC._NS and friends
ITEM = re.compile(r"""\bLMIC\[\s*["']([^"']+)["']\s*\]""")


def _files(globs: Iterable[str]) -> Iterator[Path]:
    for pattern in globs:
        yield from sorted(ROOT.glob(pattern))


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _ontology() -> list[ox.Triple]:
    return list(ox.parse(path=str(ONTOLOGY_FILE), format=ox.RdfFormat.TURTLE))


def _declared() -> dict[str, set[str]]:
    """Project terms typed in ontology/lmic.ttl, with their rdf:types (local name -> types)."""
    declared: dict[str, set[str]] = defaultdict(set)
    for t in _ontology():
        subject, obj = t.subject, t.object
        if (
            t.predicate.value == RDF_TYPE
            and isinstance(subject, ox.NamedNode)
            and isinstance(obj, ox.NamedNode)
            and subject.value.startswith(NS)
        ):
            declared[subject.value.removeprefix(NS)].add(obj.value)
    return dict(declared)


def _code_terms() -> set[str]:
    """The attributes of the LMIC DefinedNamespace."""
    return {name for name in LMIC.__annotations__ if not name.startswith("_")}


def _uses() -> dict[str, set[str]]:
    """Every project term used, with the files using it (local name -> files)."""
    uses: dict[str, set[str]] = defaultdict(set)
    this_file = Path(__file__).resolve()
    for path in _files(TURTLE_GLOBS):
        for triple in ox.parse(
            path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()
        ):
            for term in (triple.subject, triple.predicate, triple.object):
                if isinstance(term, ox.Literal):
                    term = term.datatype  # a project datatype counts as a use
                if isinstance(term, ox.NamedNode) and term.value.startswith(NS):
                    uses[term.value.removeprefix(NS)].add(_shown(path))
    scans = [
        (SPARQL_GLOBS, (PREFIXED, FULL_IRI)),
        (TEMPLATE_GLOBS, (PREFIXED, FULL_IRI)),
        (PYTHON_GLOBS, (ATTRIBUTE, ITEM, FULL_IRI, PREFIXED)),
    ]
    for globs, patterns in scans:
        for path in _files(globs):
            if path.resolve() == this_file:
                continue
            text = path.read_text(encoding="utf-8")
            for pattern in patterns:
                for match in pattern.finditer(text):
                    uses[match.group(1)].add(_shown(path))
    return dict(uses)


def _languages(triples: list[ox.Triple], subject: str, predicate: str) -> list[str]:
    """Language tags of the subject's values ("" when untagged or not a literal), sorted."""
    node = ox.NamedNode(subject)
    return sorted(
        (t.object.language or "") if isinstance(t.object, ox.Literal) else ""
        for t in triples
        if t.subject == node and t.predicate.value == predicate
    )


def test_scans_find_terms() -> None:
    """A guard for the scans themselves: known uses are found where they are."""
    uses = _uses()
    assert "ontology/shapes/gaps.ttl" in uses["identifiedIn"]
    assert "ontology/vocab/eu-authorities.ttl" in uses["periodInDays"]
    assert any(f.startswith("catalog_ttl/") for f in uses["variable"])
    assert any(f.endswith(".py") for f in uses["geographicGranularity"])
    assert PREFIXED.findall("SELECT ?s { ?s lmic:concernsVariable ?v ; a lmic:Gap }") == [
        "concernsVariable",
        "Gap",
    ]
    assert ATTRIBUTE.findall("LMIC.Gap, LMIC._NS") == ["Gap"]
    assert ITEM.findall('LMIC["status"]') == ["status"]


def test_code_terms_are_declared_with_bilingual_labels_and_comments() -> None:
    """(a) Each LMIC attribute is an owl:Class or property with en + fr label and comment."""
    triples = _ontology()
    declared = _declared()
    problems: list[str] = []
    for name in sorted(_code_terms()):
        types = declared.get(name, set()) & TERM_TYPES
        if not types:
            problems.append(
                f"lmic:{name}: not declared as owl:Class/ObjectProperty/DatatypeProperty"
            )
            continue
        expected_types = {OWL + "Class"} if name[0].isupper() else PROPERTY_TYPES
        if not types & expected_types:
            kind = "an owl:Class" if name[0].isupper() else "a property"
            problems.append(f"lmic:{name}: should be {kind} (capitalised names are classes)")
        for predicate, label in ((RDFS_LABEL, "rdfs:label"), (RDFS_COMMENT, "rdfs:comment")):
            languages = _languages(triples, NS + name, predicate)
            if languages != ["en", "fr"]:
                problems.append(
                    f"lmic:{name}: {label} languages {languages}, want one 'en' and one 'fr'"
                )
    assert not problems, "LMIC terms badly declared in ontology/lmic.ttl:\n  " + "\n  ".join(
        problems
    )


def test_used_terms_are_declared() -> None:
    """(b) Every project IRI used in shapes, vocabularies, catalog, queries and code is declared."""
    declared = _declared()
    undeclared = {name: files for name, files in _uses().items() if name not in declared}
    assert not undeclared, "terms used but not declared in ontology/lmic.ttl:\n  " + "\n  ".join(
        f"lmic:{name} in {', '.join(sorted(files))}" for name, files in sorted(undeclared.items())
    )


def test_declared_terms_are_in_the_code_namespace() -> None:
    """(c) Every term ontology/lmic.ttl declares can be named in code as LMIC.<name>."""
    missing = sorted(set(_declared()) - _code_terms())
    assert not missing, (
        "declared in ontology/lmic.ttl but missing from LMIC in lmickg/namespaces.py: "
        + ", ".join(f"lmic:{name}" for name in missing)
    )

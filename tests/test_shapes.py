"""Every SHACL node shape has a conforming and a violating fixture, and the shapes judge them.

The cases live in ``tests/data/shape_cases/``: for each node shape ``lmicsh:Name`` declared in
``ontology/shapes/*.ttl``, ``Name.ok.ttl`` conforms (and exercises the shape's constraints,
optional ones included) and ``Name.bad.ttl`` breaks it. ``_context.ttl`` holds the valid
entities both point to (an organization, geographies, a variable, groups, reports, a gap...).
The node shapes are discovered from the shapes files, so a new shape without cases fails
``test_every_shape_has_fixtures`` and one without an entry in ``EXPECTED`` fails
``test_every_shape_has_an_expectation``.

The whole module validates twice through :func:`lmickg.build.validate_paths`, as ``lmickg
validate`` does: the context, every ok case and ``ontology/`` in one run; the context, every
bad case and ``ontology/`` in another. Results are matched to cases by the file they are
attributed to.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest

from lmickg.build import validate_paths
from lmickg.namespaces import PREFIXES
from lmickg.validation import ValidationReport, ValidationResult

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"
SHAPES = ONTOLOGY / "shapes"
CASES = Path(__file__).resolve().parent / "data" / "shape_cases"
CONTEXT = CASES / "_context.ttl"

LMICSH = "https://w3id.org/lmickg/shapes#"
TEST_ID = "https://w3id.org/lmickg/id/"
NAMES = {**PREFIXES, "lmicsh": LMICSH}

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SUBCLASS_OF = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
NODE_SHAPE = ox.NamedNode("http://www.w3.org/ns/shacl#NodeShape")
TARGET_CLASS = ox.NamedNode("http://www.w3.org/ns/shacl#targetClass")

V, W = "Violation", "Warning"

#: For each violating case, the severity it must produce and the shapes that must report it:
#: the node shape itself for its anonymous property shapes, or the shared named property shape
#: (lmicsh:BilingualTitle, lmicsh:DescriptionText, lmicsh:Citation) the broken constraint lives
#: in. lmicsh:DateLiteral has no target: it is reached through sh:node from the date properties
#: of reports, assessments and initiatives, whose node shapes report its failures.
EXPECTED: dict[str, tuple[str, set[str]]] = {
    "PeriodOfTimeShape.bad.ttl": (V, {"lmicsh:PeriodOfTimeShape"}),
    "AgentShape.bad.ttl": (V, {"lmicsh:AgentShape"}),
    "CatalogShape.bad.ttl": (V, {"lmicsh:CatalogShape"}),
    "ConceptShape.bad.ttl": (V, {"lmicsh:ConceptShape"}),
    "ConceptSchemeShape.bad.ttl": (V, {"lmicsh:ConceptSchemeShape"}),
    "BibliographicResourceShape.bad.ttl": (V, {"lmicsh:BibliographicResourceShape"}),
    "QualityMeasurementShape.bad.ttl": (V, {"lmicsh:QualityMeasurementShape"}),
    "MetricShape.bad.ttl": (V, {"lmicsh:MetricShape"}),
    "DimensionShape.bad.ttl": (V, {"lmicsh:DimensionShape"}),
    "DataSourceShape.bad.ttl": (V, {"lmicsh:DataSourceShape"}),
    "DataServiceShape.bad.ttl": (V, {"lmicsh:DataServiceShape"}),
    "DistributionShape.bad.ttl": (V, {"lmicsh:DistributionShape"}),
    "VariableCoverageShape.bad.ttl": (V, {"lmicsh:VariableCoverageShape"}),
    "VariableShape.bad.ttl": (V, {"lmicsh:VariableShape"}),
    "PopulationGroupShape.bad.ttl": (V, {"lmicsh:PopulationGroupShape"}),
    "GeographicLevelShape.bad.ttl": (V, {"lmicsh:GeographicLevelShape"}),
    "GeographyShape.bad.ttl": (V, {"lmicsh:GeographyShape"}),
    "ReportShape.bad.ttl": (
        V,
        {
            "lmicsh:ReportShape",
            "lmicsh:BilingualTitle",
            "lmicsh:DescriptionText",
            "lmicsh:Citation",
        },
    ),
    "RecommendationShape.bad.ttl": (V, {"lmicsh:RecommendationShape", "lmicsh:BilingualTitle"}),
    "GapShape.bad.ttl": (
        V,
        {"lmicsh:GapShape", "lmicsh:BilingualTitle", "lmicsh:DescriptionText", "lmicsh:Citation"},
    ),
    "GapConcernsSomething.bad.ttl": (W, {"lmicsh:GapConcernsSomething"}),
    "GapAssessmentShape.bad.ttl": (V, {"lmicsh:GapAssessmentShape", "lmicsh:DescriptionText"}),
    "InformationNeedShape.bad.ttl": (
        V,
        {"lmicsh:InformationNeedShape", "lmicsh:BilingualTitle"},
    ),
    "InitiativeShape.bad.ttl": (V, {"lmicsh:InitiativeShape", "lmicsh:BilingualTitle"}),
    "ProjectShape.bad.ttl": (V, {"lmicsh:ProjectShape"}),
    "PlanOutputShape.bad.ttl": (V, {"lmicsh:PlanOutputShape", "lmicsh:BilingualTitle"}),
    "OntologyTermShape.bad.ttl": (V, {"lmicsh:OntologyTermShape"}),
    "DateLiteral.bad.ttl": (
        V,
        {"lmicsh:ReportShape", "lmicsh:GapAssessmentShape", "lmicsh:InitiativeShape"},
    ),
}

#: Warnings the conforming run may give, as (case file, shape, path). Empty on purpose: every
#: ok case also follows the good practice the warnings ask for. Add an entry only with a reason.
ALLOWED_OK_WARNINGS: set[tuple[str, str, str | None]] = set()


# ---------------------------------------------------------------------------------------------
# Reading the shapes and the cases
# ---------------------------------------------------------------------------------------------


def _parse(path: Path) -> list[ox.Triple]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _node_shapes() -> dict[str, str]:
    """Named node shapes declared in ontology/shapes/*.ttl, by local name."""
    found: dict[str, str] = {}
    for path in sorted(SHAPES.glob("*.ttl")):
        for triple in _parse(path):
            if (
                triple.predicate == RDF_TYPE
                and triple.object == NODE_SHAPE
                and isinstance(triple.subject, ox.NamedNode)
            ):
                found[_local(triple.subject.value)] = triple.subject.value
    return dict(sorted(found.items()))


NODE_SHAPES = _node_shapes()


@cache
def _target_classes() -> dict[str, set[str]]:
    """sh:targetClass of each named shape, by local name."""
    targets: dict[str, set[str]] = {}
    for path in sorted(SHAPES.glob("*.ttl")):
        for triple in _parse(path):
            subject, obj = triple.subject, triple.object
            if triple.predicate == TARGET_CLASS and isinstance(subject, ox.NamedNode):
                assert isinstance(obj, ox.NamedNode), f"{subject} targets {obj}"
                targets.setdefault(_local(subject.value), set()).add(obj.value)
    return targets


@cache
def _superclasses() -> dict[str, set[str]]:
    """rdfs:subClassOf in ontology/ (not the shapes), closed transitively."""
    direct: dict[str, set[str]] = {}
    for path in sorted(ONTOLOGY.rglob("*.ttl")):
        if SHAPES in path.parents:
            continue
        for triple in _parse(path):
            subject, obj = triple.subject, triple.object
            if (
                triple.predicate == SUBCLASS_OF
                and isinstance(subject, ox.NamedNode)
                and isinstance(obj, ox.NamedNode)
            ):
                direct.setdefault(subject.value, set()).add(obj.value)
    closed: dict[str, set[str]] = {}
    for cls in direct:
        seen: set[str] = set()
        todo = [cls]
        while todo:
            for parent in direct.get(todo.pop(), set()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        closed[cls] = seen
    return closed


def expand(name: str | None) -> str | None:
    """A result's prefixed name (``dct:title``, ``lmicsh:GapShape``) as a full IRI."""
    if name is None:
        return None
    prefix, colon, local = name.partition(":")
    if colon and prefix in NAMES:
        return NAMES[prefix] + local
    return name


def case_file(result: ValidationResult) -> str | None:
    """The name of the case file a result is attributed to, or None for any other file."""
    return None if result.file is None else _case_name(result.file)


@cache
def _case_name(file: str) -> str | None:
    path = Path(file).resolve()
    return path.name if path.parent == CASES else None


def results_in(report: ValidationReport, name: str) -> list[ValidationResult]:
    return [r for r in report.results if case_file(r) == name]


def results_for(report: ValidationReport, focus: str) -> list[ValidationResult]:
    """Results about one case entity, ``focus`` given as ``kind/key`` under /id/."""
    iri = TEST_ID + focus
    return [r for r in report.results if expand(r.focus) == iri]


def describe(results: Iterable[ValidationResult]) -> str:
    lines = [
        f"  {r.severity} {r.file} {r.focus} {r.path} [{r.component}] {r.shape}: {r.message}"
        for r in results
    ]
    return "\n".join(lines) or "  (no results)"


def find(
    results: Iterable[ValidationResult],
    *,
    path: str,
    component: str,
    severity: str = V,
) -> list[ValidationResult]:
    return [
        r
        for r in results
        if expand(r.path) == expand(path) and r.component == component and r.severity == severity
    ]


# ---------------------------------------------------------------------------------------------
# The two validation runs, shared by the module
# ---------------------------------------------------------------------------------------------


def _validate(kind: str, scratch: Path) -> ValidationReport:
    cases = sorted(CASES.glob(f"*.{kind}.ttl"))
    return validate_paths([CONTEXT, *cases, ONTOLOGY], workers=1, scratch=scratch)


@pytest.fixture(scope="module")
def ok_report(tmp_path_factory: pytest.TempPathFactory) -> ValidationReport:
    """The context, every conforming case and ontology/, validated in one run."""
    return _validate("ok", tmp_path_factory.mktemp("shapes-ok"))


@pytest.fixture(scope="module")
def bad_report(tmp_path_factory: pytest.TempPathFactory) -> ValidationReport:
    """The context, every violating case and ontology/, validated in one run."""
    return _validate("bad", tmp_path_factory.mktemp("shapes-bad"))


# ---------------------------------------------------------------------------------------------
# The cases exist, stand alone, and are what they say
# ---------------------------------------------------------------------------------------------


def test_node_shapes_are_discovered() -> None:
    assert "DataSourceShape" in NODE_SHAPES
    assert "DateLiteral" in NODE_SHAPES
    assert len(NODE_SHAPES) >= 27


@pytest.mark.parametrize("shape", sorted(NODE_SHAPES))
def test_every_shape_has_fixtures(shape: str) -> None:
    missing = [
        f"{shape}.{kind}.ttl"
        for kind in ("ok", "bad")
        if not (CASES / f"{shape}.{kind}.ttl").is_file()
    ]
    assert not missing, f"{NODE_SHAPES[shape]} has no case file(s) {missing} in {CASES}"


def test_every_shape_has_an_expectation() -> None:
    expected = {f"{shape}.bad.ttl" for shape in NODE_SHAPES}
    assert not expected - EXPECTED.keys(), f"add to EXPECTED: {sorted(expected - EXPECTED.keys())}"
    assert not EXPECTED.keys() - expected, f"no such shape: {sorted(EXPECTED.keys() - expected)}"


def test_no_case_without_a_shape() -> None:
    orphans = [
        path.name
        for path in sorted(CASES.glob("*.ttl"))
        if path != CONTEXT and path.name.split(".")[0] not in NODE_SHAPES
    ]
    assert not orphans, f"case files for shapes that no longer exist: {orphans}"


@pytest.mark.parametrize("path", sorted(CASES.glob("*.ttl")), ids=lambda p: p.name)
def test_case_is_standalone_turtle(path: Path) -> None:
    """Each case parses on its own and starts with a one-line comment saying what it checks."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ") and len(first) > 10, f"{path.name} starts with {first!r}"
    assert _parse(path), f"{path.name} has no triples"


@pytest.mark.parametrize("shape", sorted(_target_classes()))
def test_ok_case_has_focus_nodes(shape: str) -> None:
    """A conforming case describes at least one node the shape targets (it is not vacuous)."""
    case = CASES / f"{shape}.ok.ttl"
    assert case.is_file(), f"no conforming case {case.name}"
    targets = _target_classes()[shape]
    superclasses = _superclasses()
    types = {
        t.object.value
        for t in _parse(case)
        if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode)
    }
    reached = {c for t in types for c in {t, *superclasses.get(t, set())}}
    assert reached & targets, f"{shape}.ok.ttl has no instance of {sorted(targets)}"


# ---------------------------------------------------------------------------------------------
# Conforming cases conform; violating cases are caught by the shape they break
# ---------------------------------------------------------------------------------------------


def test_ok_cases_conform(ok_report: ValidationReport) -> None:
    """No violation anywhere: not in the cases, the context or the ontology."""
    assert ok_report.files_checked >= len(NODE_SHAPES) + 1
    assert not ok_report.violations, "violations in the ok run:\n" + describe(ok_report.violations)


def test_ok_cases_follow_good_practice(ok_report: ValidationReport) -> None:
    """No warning either, except those listed in ALLOWED_OK_WARNINGS."""
    allowed = {(name, expand(shape), expand(path)) for name, shape, path in ALLOWED_OK_WARNINGS}
    unexpected = [
        r
        for r in ok_report.warnings
        if (case_file(r) or r.file, r.shape, expand(r.path)) not in allowed
    ]
    assert not unexpected, "warnings in the ok run:\n" + describe(unexpected)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_case_is_caught(bad_report: ValidationReport, name: str) -> None:
    severity, shapes = EXPECTED[name]
    results = results_in(bad_report, name)
    assert results, f"{name} gave no result at all"
    found = {r.shape for r in results if r.severity == severity}
    missing = sorted(s for s in shapes if expand(s) not in found)
    assert not missing, f"{name}: no {severity} from {missing}; its results:\n" + describe(results)
    if severity == W:
        assert not [r for r in results if r.severity == V], (
            f"{name} should only warn:\n" + describe(results)
        )


def test_bad_run_blames_only_bad_cases(bad_report: ValidationReport) -> None:
    """The context and the ontology stay valid; every result names a violating case."""
    stray = [r for r in bad_report.results if not (case_file(r) or "").endswith(".bad.ttl")]
    assert not stray, "results outside the bad cases:\n" + describe(stray)


# ---------------------------------------------------------------------------------------------
# The rules issue 2 names, checked precisely
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("focus", "component", "shape"),
    [
        ("test-source/bad-title", "MinCount", "lmicsh:DataSourceShape"),
        ("test-source/bad-links", "LanguageIn", "lmicsh:DataSourceShape"),
        ("test-report/bad-title", "MinCount", "lmicsh:BilingualTitle"),
        ("test-gap/bad-title", "MinCount", "lmicsh:BilingualTitle"),
        ("test-gap/bad-links", "LanguageIn", "lmicsh:BilingualTitle"),
        ("test-recommendation/bad-links", "MinCount", "lmicsh:BilingualTitle"),
    ],
)
def test_titles_in_english_and_french(
    bad_report: ValidationReport, focus: str, component: str, shape: str
) -> None:
    """Data sources, reports, gaps and recommendations have one English and one French title."""
    results = results_for(bad_report, focus)
    hits = [
        r
        for r in find(results, path="dct:title", component=component)
        if expand(r.shape) == expand(shape)
    ]
    assert hits, f"no {component} on dct:title from {shape} for {focus}:\n" + describe(results)
    assert all("English" in r.message and "French" in r.message for r in hits)


def test_gap_cites_a_report(bad_report: ValidationReport) -> None:
    uncited = results_for(bad_report, "test-gap/bad-uncited")
    assert [(r.severity, expand(r.path), r.component) for r in uncited] == [
        (V, expand("lmic:identifiedIn"), "MinCount")
    ], describe(uncited)
    assert uncited[0].message.startswith("A gap cites at least one report")
    assert expand(uncited[0].shape) == expand("lmicsh:GapShape")

    not_a_report = find(
        results_for(bad_report, "test-gap/bad-links"), path="lmic:identifiedIn", component="Class"
    )
    assert [expand(r.value) for r in not_a_report] == [TEST_ID + "test-doc/ctx-notes"]


def test_recommendation_comes_from_a_report_and_addresses_a_gap(
    bad_report: ValidationReport,
) -> None:
    orphan = results_for(bad_report, "test-recommendation/bad-orphan")
    assert {(r.severity, expand(r.path), r.component) for r in orphan} == {
        (V, expand("lmic:recommendedIn"), "MinCount"),
        (V, expand("lmic:addresses"), "MinCount"),
    }, describe(orphan)
    messages = {expand(r.path): r.message for r in orphan}
    assert "comes from exactly one report" in messages[expand("lmic:recommendedIn")]
    assert "addresses at least one gap" in messages[expand("lmic:addresses")]

    links = results_for(bad_report, "test-recommendation/bad-links")
    assert find(links, path="lmic:recommendedIn", component="MaxCount"), describe(links)
    assert [expand(r.value) for r in find(links, path="lmic:recommendedIn", component="Class")] == [
        TEST_ID + "test-gap/ctx-gap"
    ]
    assert [expand(r.value) for r in find(links, path="lmic:addresses", component="Class")] == [
        TEST_ID + "test-report/ctx-report"
    ]


def test_assessment_has_a_date_a_status_and_a_subject(bad_report: ValidationReport) -> None:
    empty = results_for(bad_report, "test-assessment/bad-empty")
    assert {(r.severity, expand(r.path), r.component) for r in empty} == {
        (V, expand("dct:date"), "MinCount"),
        (V, expand("lmic:status"), "MinCount"),
        (V, expand("lmic:assesses"), "MinCount"),
    }, describe(empty)
    assert all(expand(r.shape) == expand("lmicsh:GapAssessmentShape") for r in empty)

    values = results_for(bad_report, "test-assessment/bad-values")
    # What it assesses must be a gap or a recommendation, its date a typed date.
    assert find(values, path="lmic:assesses", component="Or"), describe(values)
    dates = find(values, path="dct:date", component="Node")
    assert [r.value for r in dates] == ["June 2020"], describe(values)
    assert find(values, path="lmic:status", component="MaxCount"), describe(values)


def test_dates_are_typed(bad_report: ValidationReport) -> None:
    """lmicsh:DateLiteral (through sh:node) rejects untyped, xsd:string and integer dates."""
    for focus, path in [
        ("test-report/bad-dated", "dct:issued"),
        ("test-assessment/bad-dated", "dct:date"),
        ("test-initiative/bad-dated", "dct:date"),
    ]:
        results = results_for(bad_report, focus)
        assert find(results, path=path, component="Node"), f"{focus}:\n" + describe(results)


def test_geography_has_a_notation(bad_report: ValidationReport) -> None:
    missing = results_for(bad_report, "test-geo/bad-no-notation")
    assert [(r.severity, expand(r.path), r.component) for r in missing] == [
        (V, expand("skos:notation"), "MinCount")
    ], describe(missing)
    assert "skos:notation" in missing[0].message
    assert expand(missing[0].shape) == expand("lmicsh:GeographyShape")

    values = results_for(bad_report, "test-geo/bad-values")
    assert find(values, path="skos:notation", component="MaxCount"), describe(values)
    assert [r.value for r in find(values, path="skos:notation", component="Datatype")] == ["3520"]


@pytest.mark.parametrize(
    ("focus", "path", "value"),
    [
        (
            "test-source/bad-controlled",
            "dct:accrualPeriodicity",
            "http://purl.org/cld/freq/monthly",
        ),
        ("test-source/bad-controlled", "dct:accessRights", "access:CONFIDENTIAL"),
        ("test-distribution/bad", "dct:accessRights", "access:CONFIDENTIAL"),
        ("test-coverage/bad-values", "dct:accessRights", "access:CONFIDENTIAL"),
        (
            "test-assessment/bad-unlisted-status",
            "lmic:status",
            "https://w3id.org/lmickg/id/status/resolved",
        ),
    ],
)
def test_controlled_values(bad_report: ValidationReport, focus: str, path: str, value: str) -> None:
    """Frequency, access rights and status come from their lists (sh:in)."""
    results = results_for(bad_report, focus)
    hits = find(results, path=path, component="In")
    assert [expand(r.value) for r in hits] == [expand(value)], describe(results)

"""UI names for what the catalog's data does not label itself: facets, scopes, sorts, entity
kinds and standard properties (lmic: properties carry their own English and French labels in
the ontology and need no entry here). Every string goes through Flask-Babel."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from lmickg.namespaces import (
    DCAT,
    DCT,
    DQV,
    FOAF,
    LMIC,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SKOS,
    XKOS,
)

__all__ = [
    "FACETS",
    "KINDS",
    "SCOPES",
    "SORTS",
    "inverse_label",
    "kind_label",
    "predicate_label",
    "ui",
    "value_label",
]

SCOPES = {
    "sources": _l("Data sources"),
    "variables": _l("Variables"),
    "gaps": _l("Gaps"),
    "recommendations": _l("Recommendations"),
    "reports": _l("Reports"),
}
FACETS = {
    "type": _l("Type"),
    "publisher": _l("Publisher"),
    "theme": _l("Theme"),
    "frequency": _l("Frequency"),
    "level": _l("Finest geographic level"),
    "geo": _l("Geographic coverage"),
    "access": _l("Access"),
    "group": _l("Population group"),
    "variable": _l("Variable"),
    "classification": _l("Classification"),
    "unit": _l("Unit of measure"),
    "breakdown": _l("Breakdown"),
    "status": _l("Status (latest assessment)"),
    "priority": _l("Priority area"),
    "report": _l("Report"),
    "to": _l("Recommended to"),
    "creator": _l("Author"),
    "year": _l("Year"),
}
SORTS = {
    "relevance": _l("Relevance"),
    "title": _l("Title (A–Z)"),
    "newest": _l("Newest first"),
}
KINDS = {
    "source": _l("Data source"),
    "variable": _l("Variable"),
    "geo": _l("Geography"),
    "group": _l("Population group"),
    "org": _l("Organisation"),
    "report": _l("Report"),
    "recommendation": _l("Recommendation"),
    "gap": _l("Gap"),
    "assessment": _l("Gap assessment"),
    "need": _l("Information need"),
    "initiative": _l("Initiative"),
    "project": _l("Plan project"),
    "output": _l("Plan output"),
    "distribution": _l("Distribution"),
    "reference": _l("Reference"),
    "geo-level": _l("Geographic level"),
    "scheme": _l("Concept scheme"),
    "classification": _l("Classification"),
    "dimension": _l("Breakdown dimension"),
    "unit": _l("Unit of measure"),
    "theme": _l("Theme"),
    "status": _l("Gap status"),
    "plan": _l("Strategic plan"),
    "audience": _l("Audience"),
    "quality": _l("Quality dimension"),
    "quality-metric": _l("Quality metric"),
}
#: Standard classes and concepts the catalog's data does not label (shown as types and values).
VALUES = {
    str(DCAT.Dataset): _l("Dataset"),
    str(DCAT.DatasetSeries): _l("Dataset series"),
    str(DCAT.DataService): _l("Data service"),
    str(DCAT.Distribution): _l("Distribution"),
    str(DCAT.Catalog): _l("Catalog"),
    str(DCT.Location): _l("Geographic area"),
    str(DCT.PeriodOfTime): _l("Period of time"),
    str(DCT.BibliographicResource): _l("Document"),
    str(DCT.Frequency): _l("Frequency"),
    str(DCT.RightsStatement): _l("Access right"),
    str(DCT.MediaTypeOrExtent): _l("File type"),
    str(SKOS.Concept): _l("Concept"),
    str(SKOS.ConceptScheme): _l("Concept scheme"),
    str(FOAF.Organization): _l("Organisation"),
    str(FOAF.Agent): _l("Agent"),
    str(DQV.QualityMeasurement): _l("Quality measurement"),
    str(DQV.Metric): _l("Quality metric"),
    str(DQV.Dimension): _l("Quality dimension"),
    str(DQV.Category): _l("Quality category"),
    str(OWL.Ontology): _l("Ontology"),
}
PREDICATES = {
    str(RDF.type): _l("Type"),
    str(DCT.title): _l("Title"),
    str(DCT.description): _l("Description"),
    str(DCT.abstract): _l("Abstract"),
    str(DCT.publisher): _l("Publisher"),
    str(DCT.creator): _l("Author"),
    str(DCT.issued): _l("Issued"),
    str(DCT.modified): _l("Last modified"),
    str(DCT.date): _l("Date"),
    str(DCT.accrualPeriodicity): _l("Frequency"),
    str(DCT.accessRights): _l("Access"),
    str(DCT.spatial): _l("Geographic coverage"),
    str(DCT.temporal): _l("Time period"),
    str(DCT.identifier): _l("Identifier"),
    str(DCT.format): _l("Format"),
    str(DCT.license): _l("Licence"),
    str(DCT.type): _l("Level"),
    str(DCT.isPartOf): _l("Part of"),
    str(DCT.audience): _l("Audience"),
    str(DCT.bibliographicCitation): _l("Citation"),
    str(DCT.source): _l("Source"),
    str(DCAT.theme): _l("Theme"),
    str(DCAT.keyword): _l("Keyword"),
    str(DCAT.landingPage): _l("Landing page"),
    str(DCAT.distribution): _l("Distribution"),
    str(DCAT.accessURL): _l("Access URL"),
    str(DCAT.downloadURL): _l("Download URL"),
    str(DCAT.endpointURL): _l("Endpoint URL"),
    str(DCAT.startDate): _l("Start"),
    str(DCAT.endDate): _l("End"),
    str(DCAT.mediaType): _l("Media type"),
    str(DCAT.inSeries): _l("In series"),
    str(SKOS.prefLabel): _l("Name"),
    str(SKOS.altLabel): _l("Also called"),
    str(SKOS.definition): _l("Definition"),
    str(SKOS.notation): _l("Code"),
    str(SKOS.inScheme): _l("In scheme"),
    str(SKOS.broader): _l("Broader"),
    str(SKOS.narrower): _l("Narrower"),
    str(SKOS.related): _l("Related"),
    str(SKOS.topConceptOf): _l("Top concept of"),
    str(SKOS.hasTopConcept): _l("Top concepts"),
    str(SKOS.scopeNote): _l("Scope note"),
    str(SKOS.editorialNote): _l("Editorial note"),
    str(FOAF.name): _l("Name"),
    str(FOAF.homepage): _l("Home page"),
    str(PROV.wasDerivedFrom): _l("Source of the facts"),
    str(PROV.wasAttributedTo): _l("Judged by"),
    str(PROV.wasAssociatedWith): _l("Carried out by"),
    str(PROV.wasGeneratedBy): _l("Produced by"),
    str(PROV.generated): _l("Produced"),
    str(DQV.hasQualityMeasurement): _l("Quality measurement"),
    str(DQV.isMeasurementOf): _l("Metric"),
    str(DQV.value): _l("Value"),
    str(DQV.inDimension): _l("Quality dimension"),
    str(DQV.inCategory): _l("Category"),
    str(XKOS.depth): _l("Depth"),
    str(XKOS.levels): _l("Levels"),
    str(RDFS.label): _l("Label"),
    str(RDFS.comment): _l("Comment"),
    str(RDFS.seeAlso): _l("See also"),
    str(DCT.contributor): _l("Contributor"),
    str(DCT.created): _l("Created"),
    str(DCT.references): _l("References"),
    str(DCT.hasPart): _l("Has part"),
    str(DCT.relation): _l("Related resource"),
    str(DCT.language): _l("Language"),
    str(DCT.conformsTo): _l("Conforms to"),
    str(DCT.rights): _l("Rights"),
    str(DCAT.contactPoint): _l("Contact point"),
    str(SKOS.note): _l("Note"),
    str(SKOS.member): _l("Members"),
    str(SKOS.example): _l("Example"),
    str(XKOS.numberOfLevels): _l("Number of levels"),
    str(OWL.versionInfo): _l("Version"),
    str(OWL.sameAs): _l("Same as"),
    str(ORG.headOf): _l("Head of"),
    str(FOAF.familyName): _l("Family name"),
    str(FOAF.givenName): _l("Given name"),
    str(FOAF.page): _l("Web page"),
    str(PROV.used): _l("Used"),
    str(PROV.generatedAtTime): _l("Produced on"),
    str(PROV.startedAtTime): _l("Started"),
    str(PROV.endedAtTime): _l("Ended"),
}
INVERSES = {
    str(DCT.publisher): _l("Publisher of"),
    str(DCT.creator): _l("Author of"),
    str(DCT.spatial): _l("Geographic coverage of"),
    str(DCT.isPartOf): _l("Parts"),
    str(DCAT.distribution): _l("Distribution of"),
    str(DCAT.theme): _l("Theme of"),
    str(SKOS.broader): _l("Narrower"),
    str(SKOS.inScheme): _l("Concepts in this scheme"),
    str(PROV.wasDerivedFrom): _l("Cited by"),
    str(PROV.wasAttributedTo): _l("Assessments made"),
    str(PROV.wasGeneratedBy): _l("Outputs"),
    str(LMIC.identifiedIn): _l("Gaps identified"),
    str(LMIC.recommendedIn): _l("Recommendations made"),
    str(LMIC.recommendedTo): _l("Recommendations addressed to it"),
    str(LMIC.addresses): _l("Recommendations addressing it"),
    str(LMIC.assesses): _l("Assessments"),
    str(LMIC.addressedBy): _l("Assessments citing it as addressing a gap"),
    str(LMIC.answers): _l("Answered by"),
    str(LMIC.variable): _l("Provided by"),
    str(LMIC.concernsVariable): _l("Gaps and needs about it"),
    str(LMIC.concernsPopulationGroup): _l("Gaps and needs about it"),
    str(LMIC.concernsGeographicLevel): _l("Gaps and needs at this level"),
    str(LMIC.populationGroup): _l("Sources covering it"),
    str(LMIC.excludedPopulationGroup): _l("Sources excluding it"),
    str(LMIC.geographicGranularity): _l("Sources publishing at this level"),
    str(LMIC.usesClassification): _l("Sources using it"),
    str(LMIC.status): _l("Assessments giving this status"),
    str(LMIC.priorityArea): _l("Gaps, needs and projects under it"),
    str(LMIC.strategicGoal): _l("Projects under it"),
    str(LMIC.unitOfMeasure): _l("Variables in this unit"),
    str(LMIC.breakdown): _l("Broken down by it"),
}


_TRANSLATED: dict[tuple[str, int, str], str] = {}


def ui(table: Mapping[str, object], key: str, default: str | None = None) -> str:
    """``table[key]`` translated into the page language (memoized: pages use hundreds)."""
    from ..i18n import current_lang

    if key not in table:
        return key if default is None else default
    memo = (current_lang(), id(table), key)
    text = _TRANSLATED.get(memo)
    if text is None:
        text = _TRANSLATED[memo] = str(table[key])
    return text


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def predicate_label(
    iri: str, ontology: Mapping[str, Mapping[str, str]], lang: str
) -> dict[str, str]:
    """A property's label in ``lang`` as ``{"text", "lang"}``: UI table, ontology, or the IRI."""
    if iri in PREDICATES:
        return {"text": ui(PREDICATES, iri), "lang": lang}
    labels = ontology.get(iri) or {}
    if labels.get(lang):
        return {"text": _capital(labels[lang]), "lang": lang}
    for other, text in sorted(labels.items()):
        if text:
            return {"text": _capital(text), "lang": other}
    return {"text": iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1], "lang": "en"}


def value_label(iri: str) -> str | None:
    """The UI name of a standard class or concept the data leaves unlabelled (None if unknown)."""
    return ui(VALUES, iri) if iri in VALUES else None


def inverse_label(iri: str, ontology: Mapping[str, Mapping[str, str]], lang: str) -> dict[str, str]:
    """The label of a property read backwards ("Publisher of")."""
    if iri in INVERSES:
        return {"text": ui(INVERSES, iri), "lang": lang}
    forward = predicate_label(iri, ontology, lang)
    return {
        "text": gettext("Is “%(property)s” of", property=forward["text"]),
        "lang": forward["lang"],
    }


def kind_label(kind: str) -> str:
    """The name of an entity kind in the page language (the kind itself when unknown)."""
    return ui(KINDS, kind)

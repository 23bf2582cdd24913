"""A synthetic LMI catalog at any scale, shaped like the curated one and valid against the shapes.

``generate(n_sources, out_dir)`` writes a catalog directory (to be built together with
``ontology/``) with one file per data source, like ``catalog_ttl/``: sources with titles and
descriptions in English and French, publishers, frequencies, access rights, coverage of Canada,
provinces or economic regions, finest levels, variables (some qualified by coverages),
population groups, classifications, themes, keywords, distributions and quality measurements;
plus variables, geographies (Canada, 13 provinces and territories, 76 economic regions),
population groups, organisations, reports, recommendations, gaps with dated assessments, and
information needs. Everything is invented and deterministic for a given seed; the names say so.

    python -m benchmarks.synthetic 10000 /tmp/synthetic
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

__all__ = ["generate"]

PREFIXES = """@prefix lmic: <https://w3id.org/lmickg/ns#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dqv: <http://www.w3.org/ns/dqv#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix freq: <http://publications.europa.eu/resource/authority/frequency/> .
@prefix access: <http://publications.europa.eu/resource/authority/access-right/> .
@prefix ftype: <http://publications.europa.eu/resource/authority/file-type/> .
@prefix source: <https://w3id.org/lmickg/id/source/> .
@prefix distribution: <https://w3id.org/lmickg/id/distribution/> .
@prefix variable: <https://w3id.org/lmickg/id/variable/> .
@prefix geo: <https://w3id.org/lmickg/id/geo/> .
@prefix geolevel: <https://w3id.org/lmickg/id/geo-level/> .
@prefix group: <https://w3id.org/lmickg/id/group/> .
@prefix org: <https://w3id.org/lmickg/id/org/> .
@prefix report: <https://w3id.org/lmickg/id/report/> .
@prefix recommendation: <https://w3id.org/lmickg/id/recommendation/> .
@prefix gap: <https://w3id.org/lmickg/id/gap/> .
@prefix assessment: <https://w3id.org/lmickg/id/assessment/> .
@prefix need: <https://w3id.org/lmickg/id/need/> .
@prefix reference: <https://w3id.org/lmickg/id/reference/> .
@prefix scheme: <https://w3id.org/lmickg/id/scheme/> .
@prefix classification: <https://w3id.org/lmickg/id/classification/> .
@prefix dimension: <https://w3id.org/lmickg/id/dimension/> .
@prefix unit: <https://w3id.org/lmickg/id/unit/> .
@prefix theme: <https://w3id.org/lmickg/id/theme/> .
@prefix status: <https://w3id.org/lmickg/id/status/> .
@prefix priority: <https://w3id.org/lmickg/id/plan/priority/> .
@prefix audience: <https://w3id.org/lmickg/id/audience/> .
@prefix qmetric: <https://w3id.org/lmickg/id/quality-metric/> .

"""

# SGC 2021 provinces and territories, and how many economic regions each has (76 in all).
PROVINCES = [
    ("10", "Newfoundland and Labrador", "Terre-Neuve-et-Labrador", 4),
    ("11", "Prince Edward Island", "Île-du-Prince-Édouard", 1),
    ("12", "Nova Scotia", "Nouvelle-Écosse", 5),
    ("13", "New Brunswick", "Nouveau-Brunswick", 5),
    ("24", "Quebec", "Québec", 17),
    ("35", "Ontario", "Ontario", 11),
    ("46", "Manitoba", "Manitoba", 8),
    ("47", "Saskatchewan", "Saskatchewan", 6),
    ("48", "Alberta", "Alberta", 8),
    ("59", "British Columbia", "Colombie-Britannique", 8),
    ("60", "Yukon", "Yukon", 1),
    ("61", "Northwest Territories", "Territoires du Nord-Ouest", 1),
    ("62", "Nunavut", "Nunavut", 1),
]
FREQUENCIES = [
    "WEEKLY",
    "MONTHLY",
    "MONTHLY",
    "QUARTERLY",
    "QUARTERLY",
    "ANNUAL",
    "ANNUAL",
    "QUINQUENNIAL",
]
ACCESS = ["PUBLIC", "PUBLIC", "PUBLIC", "RESTRICTED"]
LEVELS = [
    "canada",
    "province-territory",
    "economic-region",
    "cma-ca",
    "census-division",
    "census-subdivision",
    "dissemination-area",
]
LEVEL_WEIGHTS = [2, 6, 5, 3, 2, 1, 1]
THEMES = [
    "labour-supply",
    "labour-demand",
    "earnings",
    "hours",
    "education-outcomes",
    "skills",
    "projections",
    "immigration",
    "disability",
    "employment-insurance",
    "businesses",
    "population",
]
DIMENSIONS = [
    "occupation",
    "industry",
    "field-of-study",
    "geography",
    "population-group",
    "age",
    "sex",
    "education",
    "teer",
]
UNITS = ["persons", "jobs", "percent", "cad", "cad-per-hour", "hours", "count"]
GROUPS = [
    ("women", "Women", "Femmes"),
    ("youth", "Youth", "Jeunes"),
    (
        "persons-with-disabilities",
        "Persons with disabilities",
        "Personnes en situation de handicap",
    ),
    ("recent-immigrants", "Recent immigrants", "Immigrants récents"),
    ("indigenous-peoples", "Indigenous peoples", "Peuples autochtones"),
    ("indigenous-on-reserve", "Indigenous peoples on reserve", "Autochtones dans les réserves"),
    ("students-graduates", "Students and recent graduates", "Étudiants et nouveaux diplômés"),
    ("older-workers", "Older workers", "Travailleurs âgés"),
]
SCHEMES = ["noc2021", "naics2022", "cip2021", "teer"]
PRIORITIES = [
    "identify-gaps",
    "local-granular",
    "collaboration-investment",
    "jobs-today-tomorrow",
    "outcomes",
    "best-practices",
    "tailor-user-needs",
    "hands-of-canadians",
    "information-sharing",
]
AUDIENCES = [
    "job-seekers",
    "employers",
    "students",
    "career-practitioners",
    "policy-makers",
    "educators",
    "researchers",
]
STATUSES = ["open", "partially-closed", "closed"]

# (English, French) word pairs for titles, descriptions and variable names, with accents.
SUBJECTS = [
    ("employment", "emploi"),
    ("unemployment", "chômage"),
    ("job vacancies", "postes vacants"),
    ("wages", "salaires"),
    ("earnings", "rémunération"),
    ("hours worked", "heures travaillées"),
    ("participation", "activité"),
    ("payroll", "paie"),
    ("graduates", "diplômés"),
    ("apprenticeship", "apprentissage"),
    ("immigrant outcomes", "résultats des immigrants"),
    ("skills", "compétences"),
    ("job postings", "offres d'emploi"),
    ("benefits", "prestations"),
    ("businesses", "entreprises"),
    ("projections", "projections"),
    ("income", "revenu"),
    ("training", "formation"),
    ("occupations", "professions"),
    ("industries", "industries"),
]
QUALIFIERS = [
    ("regional", "régional"),
    ("local", "local"),
    ("national", "national"),
    ("longitudinal", "longitudinal"),
    ("administrative", "administratif"),
    ("experimental", "expérimental"),
    ("detailed", "détaillé"),
    ("annual", "annuel"),
]
KINDS = [
    ("survey", "enquête"),
    ("statistics", "statistiques"),
    ("database", "base de données"),
    ("platform", "plateforme"),
    ("register", "registre"),
    ("dashboard", "tableau de bord"),
]
PLACES = [(p[1], p[2]) for p in PROVINCES] + [
    ("Canada", "Canada"),
    ("Northern Canada", "Nord canadien"),
]


def _lit(text: str, lang: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}'


def _write(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PREFIXES + body, encoding="utf-8")


def _geographies() -> tuple[str, list[str], list[str]]:
    lines = [
        'geo:CA a skos:Concept , dct:Location ; skos:inScheme scheme:sgc2021 ; skos:notation "CA" ;',
        '    dct:type geolevel:canada ; skos:prefLabel "Canada"@en , "Canada"@fr .',
    ]
    provinces, regions = [], []
    for code, en, fr, n_regions in PROVINCES:
        provinces.append(code)
        lines.append(
            f'geo:{code} a skos:Concept , dct:Location ; skos:inScheme scheme:sgc2021 ; skos:notation "{code}" ;\n'
            f"    dct:type geolevel:province-territory ; skos:broader geo:CA ;\n"
            f"    skos:prefLabel {_lit(en, 'en')} , {_lit(fr, 'fr')} ."
        )
        for i in range(1, n_regions + 1):
            er = f"{code}{i * 5:02d}"
            regions.append(er)
            lines.append(
                f'geo:{er} a skos:Concept , dct:Location ; skos:inScheme scheme:sgc2021 ; skos:notation "{er}" ;\n'
                f"    dct:type geolevel:economic-region ; skos:broader geo:{code} ;\n"
                f"    skos:prefLabel {_lit(f'Synthetic region {er}', 'en')} , {_lit(f'Région synthétique {er}', 'fr')} ."
            )
    return "\n".join(lines) + "\n", provinces, regions


def generate(n_sources: int, out_dir: Path, seed: int = 0) -> dict[str, int]:
    """Write a synthetic catalog of ``n_sources`` data sources into ``out_dir``; return counts.

    Build it together with the ontology: ``lmickg build --catalog OUT_DIR --catalog ontology``.
    """
    rng = random.Random(seed)
    out_dir = Path(out_dir)
    n_variables = max(20, min(400, n_sources // 50))
    n_orgs = max(5, min(200, n_sources // 200))
    n_reports = max(3, min(60, n_sources // 1000))
    n_gaps = max(4, min(2000, n_sources // 50))
    n_needs = max(4, min(1000, n_sources // 100))

    geography, provinces, regions = _geographies()
    _write(out_dir / "geography.ttl", geography)

    common = [
        "reference:synthetic a dct:BibliographicResource ;",
        '    dct:title "Synthetic benchmark data (invented)"@en ;',
        '    dct:bibliographicCitation "lmickg benchmarks/synthetic.py: invented records for benchmarks" .',
        'scheme:variables a skos:ConceptScheme ; skos:prefLabel "Variables"@en , "Variables"@fr .',
        'scheme:population-groups a skos:ConceptScheme ; skos:prefLabel "Population groups"@en , "Groupes de population"@fr .',
    ]
    for key in SCHEMES:
        common.append(
            f"classification:{key} a skos:ConceptScheme ; skos:prefLabel {_lit(key.upper(), 'en')} , {_lit(key.upper(), 'fr')} ."
        )
    for key, en, fr in GROUPS:
        broader = (
            " ; skos:broader group:indigenous-peoples" if key == "indigenous-on-reserve" else ""
        )
        common.append(
            f"group:{key} a lmic:PopulationGroup ; skos:inScheme scheme:population-groups{broader} ;\n"
            f"    skos:prefLabel {_lit(en, 'en')} , {_lit(fr, 'fr')} ."
        )
    for i in range(n_orgs):
        common.append(
            f"org:synthetic-{i:04d} a foaf:Organization ;\n"
            f"    foaf:name {_lit(f'Synthetic Agency {i}', 'en')} , {_lit(f'Agence synthétique {i}', 'fr')} ."
        )
    variables = []
    for i in range(n_variables):
        (s_en, s_fr), (q_en, q_fr) = rng.choice(SUBJECTS), rng.choice(QUALIFIERS)
        dims = rng.sample(DIMENSIONS, rng.randint(1, 4))
        variables.append(f"v{i:04d}")
        common.append(
            f"variable:v{i:04d} a lmic:Variable ; skos:inScheme scheme:variables ;\n"
            f"    skos:prefLabel {_lit(f'{q_en} {s_en} {i}', 'en')} , {_lit(f'{s_fr} {q_fr} {i}', 'fr')} ;\n"
            f"    skos:definition {_lit(f'Synthetic measure of {s_en} ({q_en}).', 'en')} ;\n"
            f"    lmic:unitOfMeasure unit:{rng.choice(UNITS)} ;\n"
            f"    lmic:breakdown {' , '.join(f'dimension:{d}' for d in dims)} ."
        )
    _write(out_dir / "common.ttl", "\n".join(common) + "\n")

    for i in range(n_sources):
        _write(
            out_dir / "sources" / f"{i % 100:02d}" / f"s{i:07d}.ttl",
            _source(rng, i, n_orgs, variables, provinces, regions),
        )

    report_lines = []
    for r in range(n_reports):
        year = 2005 + r % 20
        report_lines.append(
            f"report:synthetic-{r:03d} a lmic:Report ;\n"
            f"    dct:title {_lit(f'Synthetic assessment {r}', 'en')} , {_lit(f'Évaluation synthétique {r}', 'fr')} ;\n"
            f'    dct:issued "{year}-{1 + r % 12:02d}-15"^^xsd:date ; dct:creator org:synthetic-{r % n_orgs:04d} ;\n'
            f"    dct:abstract {_lit('Invented findings about local and granular labour market information.', 'en')} ;\n"
            f"    prov:wasDerivedFrom reference:synthetic ."
        )
    _write(out_dir / "reports.ttl", "\n".join(report_lines) + "\n")

    for g in range(n_gaps):
        _write(
            out_dir / "gaps" / f"gap-{g:05d}.ttl",
            _gap(rng, g, n_reports, n_orgs, n_sources, variables),
        )

    need_lines = []
    for n in range(n_needs):
        level = rng.choice(["province-territory", "economic-region", "census-division"])
        group = (
            f" ; lmic:concernsPopulationGroup group:{rng.choice(GROUPS)[0]}" if n % 3 == 0 else ""
        )
        need_lines.append(
            f"need:synthetic-{n:05d} a lmic:InformationNeed ;\n"
            f"    dct:title {_lit(f'Synthetic need {n}', 'en')} , {_lit(f'Besoin synthétique {n}', 'fr')} ;\n"
            f"    dct:audience audience:{rng.choice(AUDIENCES)} ; lmic:concernsVariable variable:{rng.choice(variables)} ;\n"
            f"    lmic:concernsGeographicLevel geolevel:{level} ; lmic:concernsFrequency freq:{rng.choice(FREQUENCIES)}{group} ;\n"
            f"    lmic:priorityArea priority:{rng.choice(PRIORITIES)} ; prov:wasDerivedFrom reference:synthetic ."
        )
    _write(out_dir / "needs.ttl", "\n".join(need_lines) + "\n")
    return {
        "sources": n_sources,
        "variables": n_variables,
        "organizations": n_orgs,
        "reports": n_reports,
        "gaps": n_gaps,
        "needs": n_needs,
        "geographies": 1 + len(provinces) + len(regions),
    }


def _source(
    rng: random.Random,
    i: int,
    n_orgs: int,
    variables: list[str],
    provinces: list[str],
    regions: list[str],
) -> str:
    (s_en, s_fr), (q_en, q_fr), (k_en, k_fr) = (
        rng.choice(SUBJECTS),
        rng.choice(QUALIFIERS),
        rng.choice(KINDS),
    )
    place_en, place_fr = rng.choice(PLACES)
    frequency = rng.choice(FREQUENCIES)
    access = rng.choice(ACCESS)
    scope = rng.random()
    if scope < 0.5:
        spatial = ["CA"]
    elif scope < 0.85:
        spatial = rng.sample(provinces, rng.randint(1, 3))
    else:
        spatial = rng.sample(regions, rng.randint(1, 4))
    levels = sorted(set(rng.choices(LEVELS, LEVEL_WEIGHTS, k=rng.randint(1, 2))))
    chosen = rng.sample(variables, rng.randint(2, 6))
    groups = rng.sample(
        [g[0] for g in GROUPS if g[0] != "indigenous-on-reserve"], rng.randint(0, 3)
    )
    themes = rng.sample(THEMES, rng.randint(1, 2))
    schemes = rng.sample(SCHEMES, rng.randint(0, 2))
    start = rng.randint(1945, 2022)
    modified = f"{rng.randint(2015, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    lines = [
        f"source:s{i:07d} a dcat:Dataset ;",
        f"    dct:title {_lit(f'{q_en.capitalize()} {s_en} {k_en} {i} for {place_en}', 'en')} ,",
        f"        {_lit(f'{k_fr.capitalize()} {q_fr} sur {s_fr} {i} pour {place_fr}', 'fr')} ;",
        f"    dct:description {_lit(f'Synthetic {frequency.lower()} {k_en} of {s_en} and {rng.choice(SUBJECTS)[0]} in {place_en}.', 'en')} ,",
        f"        {_lit(f'{k_fr.capitalize()} synthétique sur {s_fr} et {rng.choice(SUBJECTS)[1]} au {place_fr}.', 'fr')} ;",
        f"    dct:publisher org:synthetic-{rng.randrange(n_orgs):04d} ;",
        f"    dct:accrualPeriodicity freq:{frequency} ;",
        f"    dct:accessRights access:{access} ;",
        f"    dct:spatial {' , '.join(f'geo:{g}' for g in spatial)} ;",
        f"    lmic:geographicGranularity {' , '.join(f'geolevel:{lv}' for lv in levels)} ;",
        f'    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "{start}"^^xsd:gYear ] ;',
        f"    lmic:variable {' , '.join(f'variable:{v}' for v in chosen)} ;",
        f"    dcat:theme {' , '.join(f'theme:{t}' for t in themes)} ;",
        f"    dcat:keyword {_lit(s_en, 'en')} , {_lit(s_fr, 'fr')} , {_lit(q_en, 'en')} ;",
        f"    dcat:landingPage <https://example.org/synthetic/{i}> ;",
        f'    dct:identifier "SYN-{i:07d}" ;',
        f'    dct:modified "{modified}"^^xsd:date ;',
        f"    lmic:targetPopulation {_lit('Invented population for benchmarks', 'en')} ;",
        f"    dcat:distribution distribution:s{i:07d}-table ;",
        "    prov:wasDerivedFrom reference:synthetic",
    ]
    if groups:
        lines.insert(-1, f"    lmic:populationGroup {' , '.join(f'group:{g}' for g in groups)} ;")
    if rng.random() < 0.2:
        lines.insert(-1, "    lmic:excludedPopulationGroup group:indigenous-on-reserve ;")
    if schemes:
        lines.insert(
            -1,
            f"    lmic:usesClassification {' , '.join(f'classification:{s}' for s in schemes)} ;",
        )
    if rng.random() < 0.4:
        coverage_level = rng.choice(LEVELS[1:4])
        lines.insert(
            -1,
            f"    lmic:qualifiedVariable [ a lmic:VariableCoverage ; lmic:variable variable:{chosen[0]} ;\n"
            f"        lmic:breakdown dimension:{rng.choice(DIMENSIONS)} ; lmic:geographicGranularity geolevel:{coverage_level} ;\n"
            f"        dct:accrualPeriodicity freq:{rng.choice(FREQUENCIES)} ] ;",
        )
    if rng.random() < 0.3:
        lines.insert(
            -1,
            "    dqv:hasQualityMeasurement [ a dqv:QualityMeasurement ;\n"
            f"        dqv:isMeasurementOf qmetric:sample-size ; dqv:value {rng.randint(500, 100000)} ;\n"
            "        prov:wasDerivedFrom reference:synthetic ] ;",
        )
    body = "\n".join(lines) + " .\n\n"
    body += (
        f"distribution:s{i:07d}-table a dcat:Distribution ;\n"
        f"    dct:title {_lit(f'Table {i}', 'en')} , {_lit(f'Tableau {i}', 'fr')} ;\n"
        f"    dcat:accessURL <https://example.org/synthetic/{i}/table> ;\n"
        f'    dct:format ftype:CSV ; dct:identifier "SYN-{i:07d}-01" ; dct:accessRights access:{access} .\n'
    )
    return body


def _gap(
    rng: random.Random, g: int, n_reports: int, n_orgs: int, n_sources: int, variables: list[str]
) -> str:
    reports = sorted(rng.sample(range(n_reports), rng.randint(1, min(3, n_reports))))
    first_year = 2005 + reports[0] % 20
    lines = [
        f"gap:synthetic-{g:05d} a lmic:Gap ;",
        f"    dct:title {_lit(f'Synthetic gap {g} in {rng.choice(SUBJECTS)[0]}', 'en')} ,",
        f"        {_lit(f'Lacune synthétique {g} en {rng.choice(SUBJECTS)[1]}', 'fr')} ;",
        f"    dct:description {_lit('An invented shortfall for benchmarks.', 'en')} ;",
        f"    lmic:identifiedIn {' , '.join(f'report:synthetic-{r:03d}' for r in reports)} ;",
        f"    lmic:concernsVariable variable:{rng.choice(variables)} ;",
        f"    lmic:concernsGeographicLevel geolevel:{rng.choice(['economic-region', 'census-division', 'province-territory'])} ;",
        f"    lmic:priorityArea priority:{rng.choice(PRIORITIES)} ;",
        "    prov:wasDerivedFrom reference:synthetic .",
        "",
    ]
    status_index = 0
    for a in range(rng.randint(1, 5)):
        year = min(2026, first_year + 2 * a)
        if a:
            status_index = min(2, status_index + rng.choice([0, 0, 1]))
        addressed = (
            f" ; lmic:addressedBy source:s{rng.randrange(n_sources):07d}" if status_index else ""
        )
        lines.append(
            f"assessment:synthetic-{g:05d}-{a} a lmic:GapAssessment ; lmic:assesses gap:synthetic-{g:05d} ;\n"
            f'    lmic:status status:{STATUSES[status_index]} ; dct:date "{year}-06-30"^^xsd:date ;\n'
            f"    prov:wasAttributedTo org:synthetic-{rng.randrange(n_orgs):04d} ; prov:wasDerivedFrom reference:synthetic{addressed} ."
        )
    if g % 4 == 0:
        lines.append(
            f"\nrecommendation:synthetic-{g:05d} a lmic:Recommendation ;\n"
            f"    dct:title {_lit(f'Synthetic recommendation {g}', 'en')} , {_lit(f'Recommandation synthétique {g}', 'fr')} ;\n"
            f"    lmic:recommendedIn report:synthetic-{reports[0]:03d} ; lmic:addresses gap:synthetic-{g:05d} ;\n"
            "    prov:wasDerivedFrom reference:synthetic ."
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m benchmarks.synthetic N_SOURCES OUT_DIR")
    print(generate(int(sys.argv[1]), Path(sys.argv[2])))

"""Profile negotiation: the _profile parameter is strict, Accept-Profile is a preference."""

from __future__ import annotations

import pytest

from lmickg.profiles import (
    DCAT_AP,
    LMIC,
    SCHEMA_ORG,
    ProfileError,
    choose_profile,
    entity_profiles,
    serialize,
)

BOTH = [LMIC, DCAT_AP]


@pytest.mark.parametrize(
    ("param", "header", "expected"),
    [
        (None, None, LMIC),
        ("dcat-ap", None, DCAT_AP),
        ("http://data.europa.eu/r5r/", None, DCAT_AP),
        ("<https://w3id.org/lmickg/ns>", None, LMIC),
        (None, "<http://data.europa.eu/r5r/>", DCAT_AP),
        (None, "<http://data.europa.eu/r5r/>;q=0.4, <https://w3id.org/lmickg/ns>;q=0.9", LMIC),
        (None, "<http://example.org/other>, dcat-ap;q=0.1", DCAT_AP),
        (None, "<http://example.org/other>", LMIC),
        (None, "<http://data.europa.eu/r5r/>;q=0", LMIC),
        ("lmic", "<http://data.europa.eu/r5r/>", LMIC),
    ],
)
def test_choose_profile(param: str | None, header: str | None, expected: object) -> None:
    assert choose_profile(param, header, BOTH, LMIC) is expected


def test_unknown_profile_parameter_is_a_400_naming_the_profiles() -> None:
    with pytest.raises(ProfileError) as error:
        choose_profile("ckan", None, BOTH, LMIC)
    assert error.value.status == 400
    assert "dcat-ap" in str(error.value) and "schema" in str(error.value)


def test_profile_not_offered_is_a_406_naming_the_offered_ones() -> None:
    with pytest.raises(ProfileError) as error:
        choose_profile("schema", None, BOTH, LMIC)
    assert error.value.status == 406
    assert error.value.allowed == BOTH


def test_entity_profiles_by_type() -> None:
    dataset = entity_profiles(["http://www.w3.org/ns/dcat#Dataset"])
    assert dataset[:2] == [LMIC, DCAT_AP]
    assert entity_profiles(["http://www.w3.org/ns/dcat#Distribution"]) == [LMIC, DCAT_AP]
    assert entity_profiles(["https://w3id.org/lmickg/ns#Gap"]) == [LMIC]
    assert SCHEMA_ORG not in entity_profiles(["http://www.w3.org/ns/dcat#Distribution"])


def test_serialize_refuses_unknown_media_types() -> None:
    with pytest.raises(ValueError, match="text/turtle"):
        serialize([], "text/csv")

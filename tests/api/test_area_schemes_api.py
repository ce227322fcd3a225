"""Areas' official code, scheme and successor through the API."""

import pytest

from tests.factories import AreaFactory

pytestmark = pytest.mark.django_db


def test_the_api_shows_and_checks_the_official_code(planner):
    AreaFactory(code="HN", level="province")
    answer = planner.post(
        "/api/v1/areas/",
        {
            "code": "HN.XA_X",
            "name": "Xã X",
            "level": "commune",
            "parent": "HN",
            "official_code": "x1",
        },
        format="json",
    )
    assert answer.status_code == 400 and "official_code" in answer.json()
    answer = planner.post(
        "/api/v1/areas/",
        {
            "code": "HN.XA_X",
            "name": "Xã X",
            "level": "commune",
            "parent": "HN",
            "official_code": "00577",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["scheme"] == "current" and answer.json()["successor"] is None

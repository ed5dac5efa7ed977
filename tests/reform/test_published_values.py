"""Published figures (PCI sub-indices) entered by an appraiser feed the ranking."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from org.models import AdministrativeUnit, AuditEntry, Role, UnitLevel
from reform.catalog import SHIPPED_DIR
from reform.results import round_results
from reform.services import framework_import, round_open
from tests.factories import member
from tests.reform.scoring.test_totals import PCI_2020


@pytest.fixture
def country(db):
    nation = UnitLevel.objects.create(code="nation", name="Quốc gia", rank=0)
    province = UnitLevel.objects.create(code="province", name="Tỉnh", rank=1)
    root = AdministrativeUnit.objects.create(code="VN", name="Việt Nam", level=nation)
    for code, name in (("QN", "Quảng Ninh"), ("HP", "Hải Phòng"), ("DT", "Đồng Tháp")):
        AdministrativeUnit.objects.create(code=code, name=name, level=province, parent=root)
    return root


def test_pci_2020_entered_from_the_published_tables_ranks_as_published(country):
    framework = framework_import(
        data=json.loads((SHIPPED_DIR / "pci-2013-2021.json").read_text(encoding="utf-8")),
        actor="test",
    )
    now = timezone.now()
    round_open(
        framework=framework,
        code="pci-2020",
        name="PCI 2020",
        year=2020,
        scope=country,
        self_score_deadline=now,
        appraisal_deadline=now + dt.timedelta(days=1),
        publication_date=now + dt.timedelta(days=2),
        actor="test",
    )
    client = Client()
    client.force_login(member("vcci", Role.APPRAISER, country))

    for code, name in (("QN", "Quảng Ninh"), ("HP", "Hải Phòng"), ("DT", "Đồng Tháp")):
        for j, value in enumerate(PCI_2020[name][0], start=1):
            response = client.put(
                f"/api/v1/index/rounds/pci-2020/survey-values/{code}/S{j}/",
                {"value": value, "source": "pcivietnam.vn, PCI 2020"},
                content_type="application/json",
            )
            assert response.status_code == 200, response.content
    above = client.put(
        "/api/v1/index/rounds/pci-2020/survey-values/QN/S1/",
        {"value": 10.5, "source": "x"},
        content_type="application/json",
    )

    results = round_results(scoring_round=framework.rounds.get(), draws=0)

    assert above.status_code == 400
    assert [(r.unit.code, r.rank) for r in results.rows] == [("QN", 1), ("HP", 2), ("DT", 3)]
    assert results.rows[0].total == pytest.approx(73.02, abs=0.03)
    assert AuditEntry.objects.filter(action="reform.survey_value").count() == 30

"""The reform demo loads on top of the analysis demo, ranks the communes, and is idempotent."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from reform.models import Score, SurveyPoints

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_reform_demo_ranks_the_demo_communes(celery_worker, settings, tmp_path):
    call_command("load_demo", transactions=600)
    call_command("load_reform_demo")
    scores = Score.objects.count()
    call_command("load_reform_demo")

    # The lockout backend (axes) authenticates only with a request: sign in directly,
    # after checking the demo password the README gives.
    leader = get_user_model().objects.get(username="lanhdao")
    assert leader.check_password("hailong-demo")
    client = Client()
    client.force_login(leader)
    page = client.get("/index/cchc-xa-2026/")

    assert Score.objects.count() == scores > 0
    assert SurveyPoints.objects.count() == 8 * 6
    assert page.status_code == 200
    assert page.content.decode().count('data-unit="X') == 8
    # the leader dashboard compares with last year's published round
    dashboard = client.get("/index/cchc-xa-2026/dashboard/").content.decode()
    assert dashboard.count('data-unit="X') == 8
    assert 'data-gain="X' in dashboard and 'data-loss="X' in dashboard
    assert "Tiêu chí yếu nhất" in dashboard
    assert client.get("/index/dashboard/")["Location"] == "/index/cchc-xa-2026/dashboard/"

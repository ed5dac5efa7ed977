"""Two processes submit on the same link at the same moment: exactly one response.

Needs PostgreSQL (row locks); SQLite serialises whole-database writes, which proves
nothing about the locking, so the test skips there.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from survey.models import Invitation, Response
from tests.survey.conftest import answers, register

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, os, sys, time
import django
django.setup()
from survey.services import SurveyClosed, response_submit
token, start, rating = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
answers = json.loads(sys.stdin.read())
while time.time() < start:
    time.sleep(0.001)
try:
    response = response_submit(token=token, answers=answers)
    print(json.dumps({"ok": response.pk}))
except SurveyClosed as closed:
    print(json.dumps({"closed": closed.reason}))
"""


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    auth = f"{auth}@" if auth else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{auth}{host}:{db.get('PORT') or 5432}/{connection.settings_dict['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_two_processes_on_one_token_store_exactly_one_response(version, x1):
    if connection.vendor != "postgresql":
        pytest.skip("row locking is only meaningful on PostgreSQL (set DATABASE_URL)")
    token = register(x1).invitation.token
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": _database_url(),
    }
    start = time.time() + 4  # both processes are loaded and waiting by then
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, token, str(start), str(rating)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rating in (5, 1)
    ]
    outcomes = []
    for process in processes:
        out, err = process.communicate(json.dumps(answers(4)), timeout=60)
        assert process.returncode == 0, err
        outcomes.append(json.loads(out.strip().splitlines()[-1]))

    assert sorted(outcomes, key=str) == sorted(
        [{"ok": Response.objects.get().pk}, {"closed": "used"}], key=str
    )
    assert Response.objects.count() == 1
    assert Invitation.objects.get(token=token).completed_at is not None

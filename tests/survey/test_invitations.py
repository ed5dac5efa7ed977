"""Business invitations: sample list → personal links → emails, tracking, reminders;
open links with quotas per unit."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from survey.invitations import (
    campaign_tracking,
    firms_upload,
    invitations_mark_bounced,
    invitations_send,
    reminders_send,
)
from survey.models import Campaign, CampaignQuota, Firm, Invitation, Response
from survey.services import response_submit
from tests.survey.conftest import answers

pytestmark = pytest.mark.django_db

FIRMS = (
    "email,unit,name,size,sector,ownership\n"
    "a@firm.vn,X1,Công ty A,small,trade,private\n"
    "b@firm.vn,X1,Công ty B,medium,industry,fdi\n"
    "c@firm.vn,X2,,micro,services,private\n"
).encode()


@pytest.fixture
def campaign(version, province):
    return Campaign.objects.create(
        code="ddci-2026",
        name="DDCI 2026",
        mode="firm",
        questionnaire=version.questionnaire,
        token_ttl_days=45,
        reminder_interval_days=7,
        max_reminders=2,
    )


def test_upload_makes_one_personal_link_per_firm_and_is_repeatable(campaign):
    first = firms_upload(campaign=campaign, file_name="firms.csv", content=FIRMS)
    again = firms_upload(campaign=campaign, file_name="firms.csv", content=FIRMS)

    assert (first.created, first.existing, first.errors) == (3, 0, [])
    assert (again.created, again.existing) == (0, 3)
    assert Invitation.objects.filter(kind="firm").count() == 3
    invitation = Invitation.objects.get(firm__email="a@firm.vn")
    # Reached by e-mail: that is the link's kind; the service channel is not known.
    assert invitation.unit.code == "X1" and invitation.channel == ""


def test_bad_rows_reject_the_list(campaign):
    content = FIRMS + b"not-an-email,X1\nd@firm.vn,ZZ\n"

    result = firms_upload(campaign=campaign, file_name="firms.csv", content=content)

    assert [(e["row"], e["column"]) for e in result.errors] == [(5, "email"), (6, "unit")]
    assert Firm.objects.count() == 0


def test_sending_tracking_and_reminders(campaign):
    firms_upload(campaign=campaign, file_name="firms.csv", content=FIRMS)

    assert invitations_send(campaign_id=campaign.pk) == 3
    assert invitations_send(campaign_id=campaign.pk) == 0  # safe to run twice
    message = mail.outbox[0]
    invitation = Invitation.objects.get(firm__email=message.to[0])
    assert invitation.token in message.body and message.alternatives

    # opened (email beacon), partial, complete, bounced
    a, b, c = Invitation.objects.order_by("firm__email")
    Client().get(f"/s/{a.token}/o.gif")
    Client().post(f"/s/{b.token}/", {"_section": "access", "_action": "save", "a1": "4"})
    response = response_submit(token=c.token, answers=answers(4))
    assert response.profile == {
        "firm_size": "micro",
        "firm_sector": "services",
        "ownership": "private",
    }
    assert "c@firm.vn" not in str(Response.objects.values().get())
    assert campaign_tracking(campaign) == {
        "created": 0,
        "sent": 0,
        "opened": 1,
        "partial": 1,
        "complete": 1,
        "bounced": 0,
    }
    assert invitations_mark_bounced(campaign=campaign, emails=["A@firm.vn"]) == 1

    # reminders: none before the interval, then one per interval, at most two
    mail.outbox.clear()
    now = timezone.now()
    assert reminders_send(now=now + dt.timedelta(days=1)) == 0
    assert reminders_send(now=now + dt.timedelta(days=8)) == 1  # b only: a bounced, c done
    assert mail.outbox[0].to == ["b@firm.vn"]
    assert reminders_send(now=now + dt.timedelta(days=9)) == 0
    Invitation.objects.filter(firm__email="b@firm.vn").update(
        last_contact_at=now - dt.timedelta(days=8)
    )
    call_command("survey_send_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Invitation.objects.get(firm__email="b@firm.vn").reminders_sent == 2
    assert reminders_send(now=now + dt.timedelta(days=30)) == 0  # max_reminders reached


def test_open_link_hands_out_personal_links_until_the_quota(version, x1, x2):
    campaign = Campaign.objects.create(
        code="web", name="Web", mode="open", open_token="OPEN1", questionnaire=version.questionnaire
    )
    CampaignQuota.objects.create(campaign=campaign, unit=x1, quota=1)
    CampaignQuota.objects.create(campaign=campaign, unit=x2, quota=5)
    visitor = Client(REMOTE_ADDR="203.0.113.7")

    chooser = visitor.get("/o/OPEN1/")
    started = visitor.post("/o/OPEN1/", {"unit": "X1"})
    token = started["Location"].split("/")[2]
    response_submit(token=token, answers=answers(5), client_hash="h")
    later = Client().get("/o/OPEN1/").content.decode()
    full = Client().post("/o/OPEN1/", {"unit": "X1"})

    assert chooser.status_code == 200 and "X1" in chooser.content.decode()
    invitation = Invitation.objects.get(token=token)
    assert invitation.kind == "open" and invitation.unit == x1
    assert 'value="X1"' not in later and 'value="X2"' in later
    assert full.status_code == 400  # X1 is no longer offered
    assert Client().get("/o/NOPE/").status_code == 404


def test_open_link_refuses_the_same_answers_twice_from_one_sender(version, x1):
    campaign = Campaign.objects.create(
        code="web", name="Web", mode="open", open_token="OPEN2", questionnaire=version.questionnaire
    )
    CampaignQuota.objects.create(campaign=campaign, unit=x1, quota=10)
    sender = Client(REMOTE_ADDR="198.51.100.1")
    tokens = [sender.post("/o/OPEN2/", {"unit": "X1"})["Location"].split("/")[2] for _ in range(2)]

    first = sender.post(f"/s/{tokens[0]}/", answers(5))
    second = sender.post(f"/s/{tokens[1]}/", answers(5))

    assert first.status_code == 302 and second.status_code == 409
    assert Response.objects.count() == 1


def test_open_link_is_rate_limited(version, x1, settings):
    # Hourly windows: a fixed minute window could reset between two requests (flaky).
    settings.SURVEY_RATE_LIMITS = {"open": "2/h", "submit": "60/h"}
    campaign = Campaign.objects.create(
        code="web", name="Web", mode="open", open_token="OPEN3", questionnaire=version.questionnaire
    )
    CampaignQuota.objects.create(campaign=campaign, unit=x1, quota=10)

    codes = [Client().post("/o/OPEN3/", {"unit": "X1"}).status_code for _ in range(4)]

    assert codes == [302, 302, 429, 429]
    assert Invitation.objects.count() == 2

"""Tokens, registration and submission: the service layer."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from questionnaires.services import questionnaire_publish
from survey.models import Campaign, Invitation, Response, ResponseDraft, ServiceTransaction
from survey.services import (
    AnswersInvalid,
    SurveyClosed,
    TransactionConflict,
    TransactionData,
    TransactionsInvalid,
    api_client_create,
    draft_save,
    response_submit,
    response_submit_idempotent,
    transactions_register,
)
from tests.survey.conftest import COMPLETED, answers, register

pytestmark = pytest.mark.django_db


def test_token_is_unguessable_and_url_safe(version, x1):
    tokens = {register(x1, f"T-{i}").invitation.token for i in range(50)}

    assert len(tokens) == 50
    for token in tokens:
        # 24 random bytes → 32 URL-safe characters = 192 bits ≥ 128
        assert len(token) == 32
        assert token.replace("-", "").replace("_", "").isalnum()


def test_token_expires_after_the_default_lifetime(version, x1, settings):
    settings.SURVEY_TOKEN_TTL_DAYS = 30
    before = timezone.now()

    invitation = register(x1).invitation

    assert before + dt.timedelta(days=30) <= invitation.expires_at
    assert invitation.expires_at <= timezone.now() + dt.timedelta(days=30)


def test_token_lifetime_comes_from_the_most_specific_campaign(version, province, x1, x2):
    Campaign.objects.create(
        code="all",
        name="All",
        questionnaire=version.questionnaire,
        mode="transaction",
        token_ttl_days=20,
    )
    Campaign.objects.create(
        code="p",
        name="Province",
        questionnaire=version.questionnaire,
        scope=province,
        mode="transaction",
        token_ttl_days=10,
    )
    Campaign.objects.create(
        code="x2",
        name="X2",
        questionnaire=version.questionnaire,
        scope=x2,
        mode="transaction",
        token_ttl_days=3,
    )
    now = timezone.now()

    in_x1 = register(x1, "A").invitation
    in_x2 = register(x2, "B").invitation

    assert round((in_x1.expires_at - now) / dt.timedelta(days=1), 3) == 10
    assert round((in_x2.expires_at - now) / dt.timedelta(days=1), 3) == 3
    assert in_x2.campaign.code == "x2"


def test_token_lifecycle_open_used_then_refused(version, x1):
    registration = register(x1)
    token = registration.invitation.token

    response = response_submit(token=token, answers=answers(5))

    assert response.unit == x1 and response.sector == "land" and response.channel == "counter"
    assert response.answers["a1"] == 5
    assert Invitation.objects.get(token=token).completed_at == response.submitted_at
    with pytest.raises(SurveyClosed) as closed:
        response_submit(token=token, answers=answers(1))
    assert closed.value.reason == "used"
    assert Response.objects.count() == 1
    assert Response.objects.get().answers["a1"] == 5


def test_expired_token_is_refused_and_nothing_is_written(version, x1):
    invitation = register(x1).invitation
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    with pytest.raises(SurveyClosed) as closed:
        response_submit(token=invitation.token, answers=answers())

    assert closed.value.reason == "expired"
    assert Response.objects.count() == 0
    assert Invitation.objects.get(pk=invitation.pk).completed_at is None


def test_unknown_token_raises_does_not_exist(version):
    with pytest.raises(Invitation.DoesNotExist):
        response_submit(token="nope", answers=answers())


def test_link_stays_bound_to_the_version_current_at_registration(version, x1):
    invitation = register(x1).invitation
    questionnaire = version.questionnaire
    questionnaire.draft = {**questionnaire.draft, "description": {"vi": "v2", "en": "v2"}}
    questionnaire.save()
    newer = questionnaire_publish(questionnaire=questionnaire)

    response = response_submit(token=invitation.token, answers=answers())

    assert newer.number == version.number + 1
    assert response.version == version
    assert register(x1, "T-2").invitation.version == newer


def test_registration_is_idempotent_on_external_id(version, x1, x2):
    first = register(x1)

    again = register(x2)

    assert first.created is True and again.created is False
    assert again.invitation.token == first.invitation.token
    assert again.transaction.unit == x1  # the first registration wins, unchanged
    assert ServiceTransaction.objects.count() == 1 and Invitation.objects.count() == 1


def _item(external_id, unit, **extra):
    return TransactionData(
        external_id=external_id,
        unit=unit,
        procedure_code="1.001",
        sector="land",
        channel="counter",
        completed_at=COMPLETED,
        **extra,
    )


def test_batch_registration_is_idempotent(version, x1, x2):
    items = [_item(f"B-{i}", x1 if i % 2 else x2) for i in range(300)]

    first = transactions_register(items=items)
    second = transactions_register(items=[*items, _item("B-new", x1)])

    assert [r.created for r in first] == [True] * 300
    assert [r.created for r in second] == [False] * 300 + [True]
    assert [r.invitation.token for r in second[:300]] == [r.invitation.token for r in first]
    assert ServiceTransaction.objects.count() == 301 == Invitation.objects.count()
    assert Invitation.objects.filter(unit=x1).count() == 151


def test_batch_repeating_an_id_registers_it_once(version, x1):
    result = transactions_register(items=[_item("D", x1), _item("D", x1)])

    assert [r.created for r in result] == [True, False]
    assert result[0].invitation.pk == result[1].invitation.pk


def test_batch_over_the_limit_writes_nothing(version, x1):
    with pytest.raises(ValidationError):
        transactions_register(items=[_item(f"L-{i}", x1) for i in range(1001)])
    assert ServiceTransaction.objects.count() == 0


def test_client_may_register_only_in_its_units_and_read_only_its_own(version, province, x1, x2):
    client_x1, _key = api_client_create(name="X1 one-stop", units=[x1])
    client_p, _key = api_client_create(name="Province", units=[province])

    with pytest.raises(TransactionConflict):
        register(x2, "C-1", client=client_x1)
    register(x1, "C-2", client=client_x1)
    with pytest.raises(TransactionConflict) as conflict:
        register(x1, "C-2", client=client_p)  # someone else's id: no link handed out

    assert conflict.value.external_ids == ["C-2"]
    assert register(x2, "C-3", client=client_p).created  # the province covers X2
    assert ServiceTransaction.objects.count() == 2


def test_invalid_answers_change_nothing(version, x1):
    token = register(x1).invitation.token
    bad = answers(4)
    del bad["a1"]
    bad["a2"] = 9

    with pytest.raises(AnswersInvalid) as invalid:
        response_submit(token=token, answers=bad)

    assert set(invalid.value.errors) == {"a1", "a2"}
    assert Response.objects.count() == 0
    assert Invitation.objects.get(token=token).completed_at is None


def test_skip_logic_is_rechecked_on_the_server(version, x1):
    token = register(x1).invitation.token
    sent = answers(4, f0="no", f1=5)  # f1 is shown only when f0 == 'yes'

    response = response_submit(token=token, answers=sent)

    assert "f1" not in response.answers


def test_personal_data_typed_into_comments_is_redacted(version, x1):
    token = register(x1).invitation.token
    comment = "Gọi tôi 0912 345 678 hoặc a.b@mail.vn, CCCD 001203004567. Cảm ơn"

    response = response_submit(token=token, answers=answers(comment=comment))

    assert response.answers["comment"] == "Gọi tôi […] hoặc […], CCCD […]. Cảm ơn"


def test_draft_lives_outside_responses_and_is_removed_on_submit(version, x1):
    invitation = register(x1).invitation

    draft_save(invitation=invitation, answers={"a1": 3}, section="procedures")

    assert Response.objects.count() == 0
    assert Invitation.objects.get(pk=invitation.pk).status == "partial"
    response_submit(token=invitation.token, answers=answers())
    assert not ResponseDraft.objects.exists()
    assert Invitation.objects.get(pk=invitation.pk).status == "complete"


def test_idempotency_key_replays_the_first_result(version, x1):
    token = register(x1).invitation.token

    first = response_submit_idempotent(token=token, answers=answers(5), idempotency_key="k-1")
    retry = response_submit_idempotent(token=token, answers=answers(1), idempotency_key="k-1")

    assert first.replayed is False and retry.replayed is True
    assert retry.response.pk == first.response.pk
    assert Response.objects.count() == 1


def test_draft_with_nul_and_lone_surrogate_is_saved_clean(version, x1):
    # PostgreSQL refuses NUL in jsonb: the draft must still be kept
    invitation = register(x1).invitation

    draft_save(
        invitation=invitation, answers={"comment": "a\x00b\ud800", "a\x00": ["x\x00"]}, section="x"
    )

    assert ResponseDraft.objects.get().answers == {"comment": "ab", "a": ["x"]}


def test_submission_with_nul_in_a_comment_is_stored_without_it(version, x1):
    token = register(x1).invitation.token

    response = response_submit(token=token, answers=answers(comment="Tốt\x00 lắm"))

    assert Response.objects.get(pk=response.pk).answers["comment"] == "Tốt lắm"


def test_batch_repeating_an_id_with_other_data_writes_nothing(version, x1, x2):
    item = TransactionData(
        external_id="T-1",
        unit=x1,
        procedure_code="1.001",
        sector="land",
        channel="counter",
        completed_at=COMPLETED,
    )
    other = TransactionData(**{**item.__dict__, "unit": x2})

    with pytest.raises(TransactionsInvalid) as raised:
        transactions_register(items=[item, item, other])

    assert list(raised.value.errors) == [2]
    assert ServiceTransaction.objects.count() == 0
    assert Invitation.objects.count() == 0

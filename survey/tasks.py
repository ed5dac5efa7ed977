"""Celery tasks of collection: thin wrappers, idempotent, safe to retry."""

from celery import shared_task

from survey.invitations import invitations_send, receipt_send, reminders_send


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5, time_limit=1800
)
def campaign_invitations_send(campaign_id: int) -> int:
    return invitations_send(campaign_id=campaign_id)


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3, time_limit=3600
)
def survey_reminders_send() -> int:
    return reminders_send()


@shared_task(
    name="survey.tasks.firm_receipt_send",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=120,
)
def firm_receipt_send(invitation_id: int) -> bool:
    return receipt_send(invitation_id=invitation_id)

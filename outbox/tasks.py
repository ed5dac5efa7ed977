"""Celery beat runs the relay: once the broker is back, what it refused is published."""

from celery import shared_task

from outbox.services import outbox_relay


@shared_task(name="outbox.tasks.outbox_relay", acks_late=True, time_limit=600)
def outbox_relay_task() -> int:
    return outbox_relay()

"""Writes of the outbox: record a task with the change that asks for it, publish it after
commit, and relay whatever the broker refused once it is back."""

import logging
from typing import Any

from celery import current_app
from django.db import transaction
from django.utils import timezone

from outbox.breaker import Breaker
from outbox.models import OutboxMessage

logger = logging.getLogger(__name__)

# Shared by every publish in this process: while the broker is down, requests store
# their message and move on instead of each waiting for a connection to fail.
broker_breaker = Breaker("Celery broker")

# A down broker should cost a request milliseconds, not Celery's default retries.
_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}
_BATCH = 200


def outbox_enqueue(task: str, *args: Any, **kwargs: Any) -> OutboxMessage:
    """Record ``task(*args, **kwargs)`` in the current transaction; publish after commit.

    Arguments must be JSON values (ids, not objects). If the broker is down the message
    stays pending and ``outbox_relay`` publishes it later; the caller never sees an error.
    """
    message = OutboxMessage.objects.create(task=task, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: outbox_publish(message_id=message.pk))
    return message


def outbox_publish(*, message_id: int) -> bool:
    """Publish one pending message now; False when it stays pending (or is not ours)."""
    if broker_breaker.is_open:
        return False
    try:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, sent_at__isnull=True)
                .first()
            )
            # None: already sent, or the relay holds it right now.
            return message is not None and _publish(message)
    except Exception:  # the answer is stored; the relay will try again
        logger.exception("outbox message %s not published", message_id)
        return False


def outbox_relay(*, limit: int = 10_000) -> int:
    """Publish pending messages oldest first; stop at the first refusal. Returns the count.

    Rows are locked with SKIP LOCKED, so several relays (beat, a command, a request's
    own after-commit publish) never publish the same message twice.
    """
    published = 0
    while published < limit:
        with transaction.atomic():
            batch = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True)
                .order_by("id")[: min(_BATCH, limit - published)]
            )
            if not batch:
                break
            for message in batch:
                if not _publish(message):
                    return published
                published += 1
    return published


def _publish(message: OutboxMessage) -> bool:
    """Hand one locked message to Celery and mark it sent; False if the broker refused."""
    signature = current_app.signature(message.task, args=message.args, kwargs=message.kwargs)
    error = ""
    if current_app.conf.task_always_eager:
        # No broker: the task runs here and now. Its own failure is not a publishing
        # failure (a worker would not retry it either), so it is logged and kept.
        try:
            signature.apply_async()
        except Exception as failure:
            logger.exception("eager task %s failed", message.task)
            error = repr(failure)
    else:
        try:
            signature.apply_async(retry=True, retry_policy=_RETRY_POLICY)
        except Exception as failure:
            broker_breaker.trip(failure)
            message.attempts += 1
            message.last_error = repr(failure)[:500]
            message.save(update_fields=["attempts", "last_error"])
            return False
        broker_breaker.reset()
    message.sent_at = timezone.now()
    message.attempts += 1
    message.last_error = error[:500]
    message.save(update_fields=["sent_at", "attempts", "last_error"])
    return True


def outbox_pending_count() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()

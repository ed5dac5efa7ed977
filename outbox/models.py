"""The transactional outbox: work to hand to Celery, written in the same transaction as
the change that asks for it, so a broker that is down delays the work but never loses it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One Celery task to publish: its name and JSON arguments.

    ``sent_at`` is set once the broker accepted it. Publishing is at least once (a crash
    between the broker's acceptance and the update publishes it again), so the tasks it
    names must be idempotent — ours are.
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"], name="outbox_pending", condition=models.Q(sent_at__isnull=True)
            )
        ]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"

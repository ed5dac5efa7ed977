"""The administrative-unit tree, memberships (roles scoped to units) and the audit log.

The bottom of the house: every other app may import org; org imports none of them.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UnitLevel(models.Model):
    """A tier of the administrative map (province, district, commune/ward, department).

    Levels are data: the 2025 reform removed the district tier, older rounds keep it.
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("0 = top of the tree"))

    class Meta:
        db_table = "survey_unitlevel"  # the table predates the org app; kept, not copied
        ordering = ["rank", "code"]
        verbose_name = _("unit level")
        verbose_name_plural = _("unit levels")

    def __str__(self) -> str:
        return self.name


class AdministrativeUnit(models.Model):
    """A province, district, commune/ward or department, valid over a period.

    ``successors`` record the merges and splits: a unit that ceased to exist points to
    the unit(s) that took over its area (the reverse accessor is ``predecessors``).
    The M2M table keeps its old name (survey_administrativeunit_successors) because
    Django derives it from ``db_table``.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    level = models.ForeignKey(UnitLevel, on_delete=models.PROTECT, related_name="units")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    successors = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="predecessors"
    )

    class Meta:
        db_table = "survey_administrativeunit"
        ordering = ["level__rank", "code"]
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    SYSADMIN = "sysadmin", _("System administrator")
    DESIGNER = "designer", _("Questionnaire designer")
    STATISTICIAN = "statistician", _("Statistician")
    OFFICER = "officer", _("Unit officer")
    APPRAISER = "appraiser", _("Appraiser")
    LEADER = "leader", _("Leader")


class Membership(models.Model):
    """A user holds a role over a unit and everything below it (see org.permissions)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "role", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="membership_unique")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


class AuditEntryQuerySet(models.QuerySet):
    """Bulk writes would bypass the model's guard: refuse them too."""

    def update(self, **kwargs: Any) -> int:
        raise AuditImmutable

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutable


class AuditImmutable(Exception):
    """The audit log is append-only."""


class AuditEntry(models.Model):
    """One append-only record: who did what to which object, before → after, and why.

    Written by org.services.audit_record only. Updates and deletes are refused here and,
    on PostgreSQL, by a trigger (migration 0002), so neither the admin nor a bulk query
    nor raw SQL through the ORM's connection can rewrite history.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # deactivate people who leave; their entries stay
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(_("actor"), max_length=200)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The unit the object belongs to; empty for system-wide objects."),
    )
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutable
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditImmutable

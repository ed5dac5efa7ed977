"""The administrative-unit tree, memberships (roles scoped to units) and the audit log.

The bottom of the house: every other app may import org; org imports none of them.
"""

from django.db import models
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

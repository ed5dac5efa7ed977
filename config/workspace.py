"""The staff workspace: what a signed-in user's roles allow, as links (config only links).

A section without a page yet shows its name without a link, never a dead URL.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from org.models import Membership
from org.permissions import Capability, has_capability, roles_of


@dataclass(frozen=True)
class Section:
    title: str
    description: str
    url: str | None  # None: the page does not exist yet


def workspace_sections(user: object) -> list[Section]:
    sections: list[Section] = []
    if has_capability(user, Capability.DESIGN):
        sections.append(
            Section(
                _("Questionnaire builder"),
                _("Design, translate, preview and publish questionnaires."),
                reverse("questionnaires:list"),
            )
        )
        sections.append(
            Section(
                _("Kiosk short forms"),
                _("Choose the short form the counter kiosks of your units show."),
                reverse("survey:kiosk-forms"),
            )
        )
    if has_capability(user, Capability.RAW_ANSWERS):
        sections.append(
            Section(
                _("Imports"),
                _("Import paper and kiosk answers for your units."),
                reverse("survey:imports"),
            )
        )
    if has_capability(user, Capability.RUNS):
        sections.append(
            Section(
                _("Rounds and runs"),
                _("Survey rounds and their analysis runs."),
                reverse("analysis:rounds"),
            )
        )
    if roles_of(user):
        sections.append(
            Section(
                _("Results"),
                _("Satisfaction indices per unit, with their margins of error."),
                reverse("analysis:results"),
            )
        )
    if any(
        has_capability(user, c)
        for c in (Capability.DASHBOARDS, Capability.SELF_SCORE, Capability.APPRAISE)
    ):
        sections.append(
            Section(
                _("Reform index"),
                _("Self-assessment with evidence, appraisal, rankings with their uncertainty."),
                reverse("reform:rounds"),
            )
        )
    if has_capability(user, Capability.DASHBOARDS):
        sections.append(
            Section(
                _("Reform index dashboard"),
                _(
                    "Rankings with their rank intervals, movers against last year and the "
                    "weakest criteria."
                ),
                reverse("reform:dashboard-latest"),
            )
        )
    if roles_of(user):
        sections.append(
            Section(
                _("Audit log"),
                _("Who did what, when and why, for the objects you may see."),
                reverse("api-audit"),
            )
        )
    if has_capability(user, Capability.ADMIN):
        sections.append(
            Section(
                _("Administration"),
                _("Units, memberships, API keys and settings."),
                reverse("admin:index"),
            )
        )
    return sections


def workspace_memberships(user: object) -> list[Membership]:
    return list(Membership.objects.filter(user_id=getattr(user, "pk", None)).select_related("unit"))

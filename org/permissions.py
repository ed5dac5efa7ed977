"""Who may do what, and where: the one place that decides.

A Membership (user, role, unit) covers the unit and its whole subtree. Each capability
below is held by some roles; a user's scope for a capability is the union of the
subtrees of their memberships in those roles.

| capability  | what it allows                                        | roles                |
|-------------|-------------------------------------------------------|----------------------|
| DESIGN      | questionnaire builder pages and API (system-wide)     | designer, sysadmin   |
| RAW_ANSWERS | raw answers (list, CSV/XLSX/JSON exports), imports    | statistician,        |
|             | (page, API, reports), transactions registered by a    | officer, sysadmin    |
|             | person, firm lists of a campaign                      |                      |
| RUNS        | list and start the analysis runs of a round           | statistician,        |
|             |                                                       | sysadmin             |
| UNPUBLISHED | unpublished rounds and their estimates (page, API,    | statistician,        |
|             | CSV export)                                           | sysadmin             |
| DASHBOARDS  | read-only dashboards and rankings                     | leader, appraiser,   |
|             |                                                       | officer, statistician|
|             |                                                       | sysadmin             |
| SELF_SCORE  | self-score assessed criteria, evidence (reform index) | officer, sysadmin    |
|             | until the round's self-assessment deadline            |                      |
| APPRAISE    | review and adjust self-scores (reform index); over a  | appraiser, sysadmin  |
|             | round's scope: open it, move deadlines, enter         |                      |
|             | published figures, lock (council), publish            |                      |
| AUDIT       | the whole audit log (others: entries of what they see)| sysadmin             |
| ADMIN       | the Django admin, memberships                         | sysadmin             |

Rules of thumb:
- A system administrator (a superuser, or anyone holding the sysadmin role at any unit)
  holds every capability everywhere: the unit of a sysadmin membership is bookkeeping.
- Questionnaires are not unit-scoped: designers design for the whole system, so DESIGN
  is "any designer membership".
- A round (and its runs and estimates) is in a user's scope when the round's scope unit
  lies in the user's subtree for that capability.
- API clients of one-stop-shop systems (survey.ApiClient) are not users; their unit
  scope stays on the client (survey.services.api_client_unit_ids).
- Out-of-scope objects are filtered out of the query, so they answer 404, not 403.

Scopes are computed once per request and user (cached on the user object): one query
for the memberships, one for the (id, parent) pairs of the tree, then a breadth-first
walk; the result is a set of ids for ``unit_id__in`` filters, never a per-row loop.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Q, QuerySet

from org.models import AdministrativeUnit, Membership, Role


class Capability(StrEnum):
    DESIGN = "design"
    RAW_ANSWERS = "raw_answers"
    RUNS = "runs"
    UNPUBLISHED = "unpublished"
    DASHBOARDS = "dashboards"
    SELF_SCORE = "self_score"
    APPRAISE = "appraise"
    AUDIT = "audit"
    ADMIN = "admin"


CAPABILITY_ROLES: dict[Capability, frozenset[Role]] = {
    Capability.DESIGN: frozenset({Role.DESIGNER, Role.SYSADMIN}),
    Capability.RAW_ANSWERS: frozenset({Role.STATISTICIAN, Role.OFFICER, Role.SYSADMIN}),
    Capability.RUNS: frozenset({Role.STATISTICIAN, Role.SYSADMIN}),
    Capability.UNPUBLISHED: frozenset({Role.STATISTICIAN, Role.SYSADMIN}),
    Capability.DASHBOARDS: frozenset(
        {Role.LEADER, Role.APPRAISER, Role.OFFICER, Role.STATISTICIAN, Role.SYSADMIN}
    ),
    Capability.SELF_SCORE: frozenset({Role.OFFICER, Role.SYSADMIN}),
    Capability.APPRAISE: frozenset({Role.APPRAISER, Role.SYSADMIN}),
    Capability.AUDIT: frozenset({Role.SYSADMIN}),
    Capability.ADMIN: frozenset({Role.SYSADMIN}),
}


@dataclass(frozen=True)
class Scope:
    """The units a user may act on for one capability: everything, or a set of ids."""

    everything: bool
    unit_ids: frozenset[int]

    def __bool__(self) -> bool:
        return self.everything or bool(self.unit_ids)

    def __contains__(self, unit_id: object) -> bool:
        return self.everything or unit_id in self.unit_ids

    def filter(self, queryset: QuerySet[Any], field: str = "unit") -> QuerySet[Any]:
        """Keep the rows whose ``field`` (a unit foreign key) lies in the scope."""
        if self.everything:
            return queryset
        return queryset.filter(**{f"{field}__in": self.unit_ids})

    def q(self, field: str = "unit") -> Q:
        """The same condition as a Q, to combine with others (e.g. published OR in scope)."""
        # Not Q(): an empty Q vanishes when OR-ed, and "everything" must not.
        return ~Q(pk__in=[]) if self.everything else Q(**{f"{field}__in": self.unit_ids})


EVERYTHING = Scope(everything=True, unit_ids=frozenset())
NOTHING = Scope(everything=False, unit_ids=frozenset())


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def _roles(user: Any) -> dict[str, set[int]]:
    """role → unit ids of the user's memberships; one query, cached on the user."""
    cached = getattr(user, "_org_roles", None)
    if cached is None:
        cached = defaultdict(set)
        for role, unit_id in Membership.objects.filter(user_id=user.pk).values_list(
            "role", "unit_id"
        ):
            cached[role].add(unit_id)
        user._org_roles = cached
    return cached


def unit_children() -> dict[int, list[int]]:
    """parent id → child ids of the whole tree: one query of two integer columns."""
    children: dict[int, list[int]] = defaultdict(list)
    for unit_id, parent_id in AdministrativeUnit.objects.values_list("id", "parent_id"):
        if parent_id is not None:
            children[parent_id].append(unit_id)
    return children


def subtree_ids(
    roots: Iterable[int], children: dict[int, list[int]] | None = None
) -> frozenset[int]:
    """The given units and every unit below them (breadth-first over ``children``)."""
    frontier = list(set(roots))
    if not frontier:
        return frozenset()
    if children is None:
        children = unit_children()
    seen = set(frontier)
    while frontier:
        below = [c for unit_id in frontier for c in children.get(unit_id, ()) if c not in seen]
        seen.update(below)
        frontier = below
    return frozenset(seen)


def is_system_admin(user: Any) -> bool:
    if not _signed_in(user):
        return False
    return bool(user.is_superuser or _roles(user).get(Role.SYSADMIN))


def roles_of(user: Any) -> set[str]:
    """The roles a user holds anywhere (a superuser counts as a system administrator)."""
    if not _signed_in(user):
        return set()
    roles = {role for role, units in _roles(user).items() if units}
    return roles | {Role.SYSADMIN} if user.is_superuser else roles


def units_in_scope(user: Any, capability: Capability) -> Scope:
    """The units where ``user`` holds ``capability``; use ``.filter(qs, field)`` in queries."""
    if not _signed_in(user):
        return NOTHING
    if is_system_admin(user):
        return EVERYTHING
    cache: dict[Capability, Scope] | None = getattr(user, "_org_scopes", None)
    if cache is None:
        cache = {}
        user._org_scopes = cache
    if capability not in cache:
        roles = _roles(user)
        roots = {u for role in CAPABILITY_ROLES[capability] for u in roles.get(role, ())}
        if capability == Capability.DESIGN:
            # Questionnaires belong to the whole system, not to a unit.
            cache[capability] = EVERYTHING if roots else NOTHING
        else:
            # The tree is read once per user object (i.e. per request), for all capabilities.
            if roots and getattr(user, "_org_children", None) is None:
                user._org_children = unit_children()
            ids = subtree_ids(roots, getattr(user, "_org_children", None))
            cache[capability] = Scope(everything=False, unit_ids=ids) if ids else NOTHING
    return cache[capability]


def has_capability(user: Any, capability: Capability) -> bool:
    """Holds the capability somewhere (the view then filters by ``units_in_scope``)."""
    return bool(units_in_scope(user, capability))


def may(user: Any, capability: Capability, unit: AdministrativeUnit | int | None) -> bool:
    """Holds the capability over this unit; ``None`` (system-wide) needs the whole tree."""
    scope = units_in_scope(user, capability)
    if unit is None:
        return scope.everything
    return (unit if isinstance(unit, int) else unit.pk) in scope


def may_design(user: Any) -> bool:
    return has_capability(user, Capability.DESIGN)


def may_export_raw_answers(user: Any, unit: AdministrativeUnit | int | None) -> bool:
    return may(user, Capability.RAW_ANSWERS, unit)


def may_start_run(user: Any, round_scope: AdministrativeUnit | int) -> bool:
    return may(user, Capability.RUNS, round_scope)


def may_see_unpublished(user: Any, round_scope: AdministrativeUnit | int) -> bool:
    return may(user, Capability.UNPUBLISHED, round_scope)


def may_read_audit(user: Any) -> bool:
    """The whole log; others read the entries of objects they may see (org.selectors)."""
    return has_capability(user, Capability.AUDIT)


def may_use_admin(user: Any) -> bool:
    return is_system_admin(user)

"""Editing a framework's tree in place: add, update (rename, points or weight, leaf kind,
conversion rule, move under another parent), move among siblings, remove.

Writes on Criterion rows of a framework no scoring round uses (``framework.frozen`` is
set when a round opens: every edit is then refused). Edits may leave the tree
unbalanced for a while (moving 2 points from 1.1 to 1.2 takes two edits), so they are
saved and ``framework_problems`` lists what is wrong, each problem naming its node (the
checks of reform.scoring.framework.validate); ``round_open`` refuses a framework that
still has problems. Every edit is audited with the node before and after.

Rows stay in preorder (``position``), siblings in their order, and kinds follow the
depth: domain → criterion → sub-criterion; bonus and penalty items are top-level.
"""

import math
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from org.services import audit_record
from reform.messages import problem_text
from reform.models import Criterion, Framework
from reform.scoring import framework as pure
from reform.scoring.problems import FrameworkInvalid
from reform.selectors import framework_dict

EXTRA = (Criterion.Kind.BONUS, Criterion.Kind.PENALTY)
DEPTH_KIND = (Criterion.Kind.DOMAIN, Criterion.Kind.CRITERION, Criterion.Kind.SUBCRITERION)
UNSET: Any = object()


class FrameworkLocked(ValidationError):
    """The framework is used by a scoring round: its tree can no longer change."""


@dataclass(frozen=True)
class FrameworkProblem:
    code: str | None  # the node it names, None for the whole framework
    message: str


def framework_problems(*, framework: Framework) -> list[FrameworkProblem]:
    """Every problem of the stored tree, translated, each with the code of its node."""
    try:
        pure.from_dict(framework_dict(framework=framework))
    except FrameworkInvalid as invalid:
        return [
            FrameworkProblem(code=p.params.get("code"), message=problem_text(p))
            for p in invalid.problems
        ]
    return []


def framework_editable(*, framework: Framework) -> bool:
    return not framework.frozen and not framework.rounds.exists()


def _lock(framework: Framework) -> Framework:
    framework = Framework.objects.select_for_update().get(pk=framework.pk)
    if not framework_editable(framework=framework):
        raise FrameworkLocked(
            _("The framework %(code)s is frozen: a scoring round uses it.")
            % {"code": framework.code}
        )
    return framework


def _number(value: Any, field: str, errors: dict[str, list[str]]) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Enter a number."))
        return None
    if not math.isfinite(number) or number < 0:
        errors.setdefault(field, []).append(_("Enter a number not below 0."))
        return None
    return number


def rule_clean(rule: Any, *, maximum: float | None) -> dict[str, Any]:
    """A conversion rule as reform.scoring.rules reads it, or ValidationError({"rule"})."""
    errors: list[str] = []
    if not isinstance(rule, dict) or rule.get("type") not in pure.RULES:
        raise ValidationError(
            {"rule": [_("Choose a conversion rule: %(rules)s.") % {"rules": ", ".join(pure.RULES)}]}
        )
    kind = rule["type"]
    out: dict[str, Any] = {"type": kind}
    if kind == "linear":
        scale = rule.get("scale", 1)
        if not isinstance(scale, int | float) or isinstance(scale, bool) or not scale > 0:
            errors.append(_("The scale of a linear rule is a number above 0."))
        else:
            out["scale"] = scale
    elif kind == "bands":
        bands = rule.get("bands")
        valid = isinstance(bands, list) and bands and all(
            isinstance(b, list | tuple) and len(b) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in b)
            and all(math.isfinite(x) for x in b)
            for b in bands
        )  # fmt: skip
        if not valid:
            errors.append(_("Bands are threshold:points pairs, e.g. 0.7:1; 0.8:2; 0.9:3."))
        else:
            out["bands"] = sorted([float(t), float(p)] for t, p in bands)
            if maximum is not None and any(p > maximum + 1e-9 for _t, p in out["bands"]):
                errors.append(_("A band gives more points than the maximum."))
    elif kind in ("minmax", "rescale_1_10"):
        direction = rule.get("direction", "positive")
        if direction not in ("positive", "negative"):
            errors.append(_("The direction is positive or negative."))
        out["direction"] = direction
        years = rule.get("years")
        if years not in (None, ""):
            if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= 20:
                errors.append(_("Years is a whole number from 1 to 20."))
            elif years > 1:
                out["years"] = years
    if errors:
        raise ValidationError({"rule": errors})
    return out


def _state(c: Criterion) -> dict[str, Any]:
    return {
        "code": c.code, "name": c.name, "name_en": c.name_en, "kind": c.kind,
        "parent": c.parent.code if c.parent_id else None, "maximum": c.maximum,
        "weight": c.weight, "leaf": c.leaf, "rule": c.rule, "component": c.component,
    }  # fmt: skip


def _rows(framework: Framework) -> list[Criterion]:
    return list(Criterion.objects.filter(framework=framework).order_by("position", "pk"))


def _normalise(framework: Framework) -> None:
    """Preorder positions, kinds by depth, leaf fields only on leaves."""
    rows = _rows(framework)
    children: dict[int | None, list[Criterion]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ordered: list[tuple[Criterion, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in children.get(parent, []):
            ordered.append((row, depth))
            walk(row.pk, depth + 1)

    walk(None, 0)
    for position, (row, depth) in enumerate(ordered):
        row.position = position
        if not (depth == 0 and row.kind in EXTRA):
            row.kind = DEPTH_KIND[min(depth, 2)]
        if row.pk in children:
            row.leaf, row.rule, row.component = "", None, ""
        elif not row.leaf:
            row.leaf = Criterion.Leaf.ASSESSED
    Criterion.objects.bulk_update(
        [row for row, _depth in ordered], ["position", "kind", "leaf", "rule", "component"]
    )


def _below(criterion: Criterion) -> set[int]:
    ids, frontier = {criterion.pk}, [criterion.pk]
    while frontier:
        frontier = list(
            Criterion.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        ids.update(frontier)
    return ids


def _apply(
    criterion: Criterion, framework: Framework, values: dict[str, Any]
) -> dict[str, list[str]]:
    """Set the given fields (absent: unchanged) on ``criterion``; the field errors."""
    errors: dict[str, list[str]] = {}
    for field in ("name", "name_en", "component"):
        if field in values:
            setattr(criterion, field, str(values[field] or "").strip())
    if "name" in values and not criterion.name:
        errors.setdefault("name", []).append(_("Give a name."))
    for field in ("maximum", "weight"):
        if field in values:
            setattr(criterion, field, _number(values[field], field, errors))
    if "kind" in values:
        kind = values["kind"] or Criterion.Kind.DOMAIN
        if kind not in (Criterion.Kind.DOMAIN, *EXTRA):
            errors.setdefault("kind", []).append(_("A node is a domain, a bonus or a penalty."))
        elif kind in EXTRA and criterion.parent_id is not None:
            errors.setdefault("kind", []).append(_("Bonus and penalty items are top-level."))
        else:
            criterion.kind = kind
    if "leaf" in values:
        leaf = values["leaf"] or Criterion.Leaf.ASSESSED
        if leaf not in Criterion.Leaf.values:
            errors.setdefault("leaf", []).append(_("A leaf is assessed or survey-based."))
        else:
            criterion.leaf = leaf
    if "rule" in values:
        criterion.rule = values["rule"] or None
    if criterion.leaf == Criterion.Leaf.SURVEY:
        try:
            criterion.rule = rule_clean(criterion.rule, maximum=criterion.maximum)
        except ValidationError as invalid:
            for field, messages in invalid.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    elif "leaf" in values or "rule" in values:
        criterion.rule, criterion.component = None, ""  # assessed: no rule
    if framework.kind == Framework.Kind.PAR and criterion.weight is not None:
        errors.setdefault("weight", []).append(_("A PAR framework scores in points, not weights."))
    return errors


def _save(criterion: Criterion, errors: dict[str, list[str]]) -> None:
    try:
        criterion.full_clean(exclude=["framework", "parent", "position"])
    except ValidationError as invalid:
        for field, messages in invalid.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    criterion.save()


@transaction.atomic
def criterion_add(
    *,
    framework: Framework,
    parent: Criterion | None,
    code: str,
    name: str,
    actor: Any,
    **values: Any,
) -> Criterion:
    """A new node, last among its siblings (``values``: name_en, kind, maximum, weight,
    leaf, rule, component). A leaf parent becomes an inner node."""
    framework = _lock(framework)
    code = (code or "").strip()
    errors: dict[str, list[str]] = {}
    if not code:
        errors["code"] = [_("Give a code.")]
    elif Criterion.objects.filter(framework=framework, code=code).exists():
        errors["code"] = [_("The code %(code)s is taken.") % {"code": code}]
    if parent is not None and parent.framework_id != framework.pk:
        raise ValidationError({"parent": [_("Not a node of this framework.")]})
    last = Criterion.objects.filter(framework=framework).order_by("-position").first()
    criterion = Criterion(
        framework=framework, parent=parent, code=code, position=(last.position + 1) if last else 0,
        kind=Criterion.Kind.DOMAIN, leaf=Criterion.Leaf.ASSESSED,
    )  # fmt: skip
    errors_more = _apply(criterion, framework, {"name": name, **values})
    for field, messages in errors_more.items():
        errors.setdefault(field, []).extend(messages)
    _save(criterion, errors)
    _normalise(framework)
    criterion.refresh_from_db()
    audit_record(
        actor=actor, action="reform.criterion_add", obj=criterion, after=_state(criterion),
        object_label=f"{framework.code} {criterion.code}",
    )  # fmt: skip
    return criterion


@transaction.atomic
def criterion_update(
    *, criterion: Criterion, actor: Any, parent: Any = UNSET, **values: Any
) -> Criterion:
    """Change a node: any of name, name_en, kind, maximum, weight, leaf, rule, component;
    ``parent`` (a Criterion or None) moves it with its subtree, last among its new
    siblings."""
    framework = _lock(criterion.framework)
    criterion = Criterion.objects.select_related("parent").get(pk=criterion.pk)
    before = _state(criterion)
    errors: dict[str, list[str]] = {}
    if parent is not UNSET and parent != criterion.parent:
        if parent is not None and (
            parent.framework_id != framework.pk or parent.pk in _below(criterion)
        ):
            errors["parent"] = [_("A node cannot move under itself or another framework.")]
        else:
            criterion.parent = parent
            last = Criterion.objects.filter(framework=framework).order_by("-position").first()
            criterion.position = last.position + 1 if last else 0
            if parent is not None and criterion.kind in EXTRA:
                criterion.kind = Criterion.Kind.CRITERION
    if criterion.children.exists() and any(k in values for k in ("leaf", "rule", "component")):
        values = {k: v for k, v in values.items() if k not in ("leaf", "rule", "component")}
        errors.setdefault("leaf", []).append(_("Only a leaf is assessed or survey-based."))
    for field, messages in _apply(criterion, framework, values).items():
        errors.setdefault(field, []).extend(messages)
    _save(criterion, errors)
    _normalise(framework)
    criterion.refresh_from_db()
    audit_record(
        actor=actor, action="reform.criterion_update", obj=criterion, before=before,
        after=_state(criterion), object_label=f"{framework.code} {criterion.code}",
    )  # fmt: skip
    return criterion


@transaction.atomic
def criterion_move(*, criterion: Criterion, offset: int, actor: Any) -> Criterion:
    """Move a node ``offset`` places among its siblings (−1 up, +1 down), clamped."""
    framework = _lock(criterion.framework)
    siblings = list(
        Criterion.objects.filter(framework=framework, parent_id=criterion.parent_id).order_by(
            "position"
        )
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == criterion.pk)
    target = min(max(index + offset, 0), len(siblings) - 1)
    if target != index:
        moved = siblings.pop(index)
        siblings.insert(target, moved)
        # Sibling order is all the preorder walk reads; positions are rewritten there.
        for rank, sibling in enumerate(siblings):
            sibling.position = rank
        Criterion.objects.bulk_update(siblings, ["position"])
        _normalise(framework)
        audit_record(
            actor=actor, action="reform.criterion_move", obj=criterion,
            before={"index": index}, after={"index": target},
            object_label=f"{framework.code} {criterion.code}",
        )  # fmt: skip
    criterion.refresh_from_db()
    return criterion


@transaction.atomic
def criterion_remove(*, criterion: Criterion, actor: Any) -> None:
    """Remove a node and everything below it."""
    framework = _lock(criterion.framework)
    before = _state(criterion)
    removed = sorted(
        Criterion.objects.filter(pk__in=_below(criterion)).values_list("code", flat=True)
    )
    audit_record(
        actor=actor, action="reform.criterion_remove", obj=criterion,
        before={**before, "removed": removed}, object_label=f"{framework.code} {criterion.code}",
    )  # fmt: skip
    criterion.delete()
    _normalise(framework)


@transaction.atomic
def framework_particulars_set(
    *, framework: Framework, actor: Any, name: str, total: Any
) -> Framework:
    """The framework's name and its total (points of the domains, or the weights' sum)."""
    framework = _lock(framework)
    before = {"name": framework.name, "total": framework.total}
    errors: dict[str, list[str]] = {}
    value = _number(total, "total", errors)
    framework.name = (name or "").strip()
    if value is None and "total" not in errors:
        errors["total"] = [_("Enter a number.")]
    elif value is not None:
        framework.total = value
    try:
        framework.full_clean()
    except ValidationError as invalid:
        for field, messages in invalid.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    framework.save(update_fields=["name", "total"])
    audit_record(
        actor=actor, action="reform.framework_update", obj=framework, before=before,
        after={"name": framework.name, "total": framework.total},
    )  # fmt: skip
    return framework

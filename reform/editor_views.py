"""The framework editor pages (administrators): the tree with its problems, and a form
per node. Server-rendered; static/js/framework-editor.js only shows the rule fields
that apply and asks before a removal."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from org.permissions import may_use_admin
from reform.editor import (
    UNSET,
    criterion_add,
    criterion_move,
    criterion_remove,
    criterion_update,
    framework_editable,
    framework_particulars_set,
    framework_problems,
)
from reform.editor_forms import CriterionForm, initial_of
from reform.models import Criterion, Framework


def _framework(request: HttpRequest, code: str) -> Framework:
    if not may_use_admin(request.user):
        raise Http404
    framework = Framework.objects.filter(code=code).first()
    if framework is None:
        raise Http404
    return framework


def _node(framework: Framework, code: str) -> Criterion:
    found = framework.criteria.select_related("parent").filter(code=code).first()
    if found is None:
        raise Http404
    return found


def rule_summary(criterion: Criterion) -> str:
    rule = criterion.rule or {}
    kind = rule.get("type")
    if criterion.leaf != Criterion.Leaf.SURVEY or not kind:
        return ""
    if kind == "linear":
        return _("linear, value %(scale)s = maximum") % {"scale": f"{rule.get('scale', 1):g}"}
    if kind == "bands":
        return _("bands %(bands)s") % {
            "bands": "; ".join(f"{t:g}:{p:g}" for t, p in rule.get("bands", []))
        }
    if kind in ("minmax", "rescale_1_10"):
        label = _("min–max") if kind == "minmax" else _("1–10")
        direction = _("negative") if rule.get("direction") == "negative" else _("positive")
        years = rule.get("years")
        if years:
            return _("%(rule)s, %(direction)s, over %(years)s years") % {
                "rule": label, "direction": direction, "years": years,
            }  # fmt: skip
        return f"{label}, {direction}"
    return _("as published")


def _errors(request: HttpRequest, invalid: ValidationError) -> None:
    if hasattr(invalid, "error_dict"):
        for field, problems in invalid.message_dict.items():
            for problem in problems:
                messages.error(request, f"{field}: {problem}")
    else:
        for problem in invalid.messages:
            messages.error(request, problem)


@login_required
def framework_edit(request: HttpRequest, code: str) -> HttpResponse:
    framework = _framework(request, code)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "particulars":
                framework_particulars_set(
                    framework=framework, name=request.POST.get("name", ""),
                    total=request.POST.get("total", ""), actor=request.user,
                )  # fmt: skip
            elif action in ("up", "down", "remove"):
                node = _node(framework, request.POST.get("node", ""))
                if action == "remove":
                    criterion_remove(criterion=node, actor=request.user)
                else:
                    offset = -1 if action == "up" else 1
                    criterion_move(criterion=node, offset=offset, actor=request.user)
            else:
                messages.error(request, _("Unknown action."))
                return redirect("reform:framework-edit", code=code)
        except ValidationError as invalid:
            _errors(request, invalid)
        else:
            messages.success(request, _("Framework saved."))
        return redirect("reform:framework-edit", code=code)
    rows = list(framework.criteria.all())
    depth: dict[int, int] = {}
    problems = framework_problems(framework=framework)
    by_code: dict[str | None, list[str]] = {}
    for problem in problems:
        by_code.setdefault(problem.code, []).append(problem.message)
    lines = []
    for row in rows:
        depth[row.pk] = 0 if row.parent_id is None else depth[row.parent_id] + 1
        lines.append(
            {"node": row, "depth": depth[row.pk], "rule": rule_summary(row),
             "problems": by_code.get(row.code, []), "is_leaf": True}
        )  # fmt: skip
    parents = {row.parent_id for row in rows}
    for line in lines:
        line["is_leaf"] = line["node"].pk not in parents
    context = {
        "framework": framework,
        "lines": lines,
        "problems": problems,
        "framework_problems": by_code.get(None, []),
        "editable": framework_editable(framework=framework),
    }
    return render(request, "reform/framework_edit.html", context)


def _parents(framework: Framework, exclude: Criterion | None = None) -> list[tuple[str, str]]:
    return [
        (c.code, f"{c.code} {c.name}")
        for c in framework.criteria.all()
        if exclude is None or c.pk != exclude.pk
    ]


def _node_page(request: HttpRequest, framework: Framework, node: Criterion | None) -> HttpResponse:
    editable = framework_editable(framework=framework)
    parents = _parents(framework, node)
    if request.method == "POST" and editable:
        form = CriterionForm(request.POST, parents=parents)
        if form.is_valid():
            parent_code = form.cleaned_data.get("parent") or ""
            parent = _node(framework, parent_code) if parent_code else None
            values: dict[str, Any] = form.values()
            try:
                if node is None:
                    saved = criterion_add(
                        framework=framework, parent=parent, code=form.cleaned_data["code"],
                        actor=request.user, **values,
                    )  # fmt: skip
                else:
                    if node.children.exists():
                        for name in ("leaf", "rule", "component"):
                            values.pop(name)
                    saved = criterion_update(
                        criterion=node, parent=parent if parent != node.parent else UNSET,
                        actor=request.user, **values,
                    )  # fmt: skip
            except ValidationError as invalid:
                if hasattr(invalid, "error_dict"):
                    for field, problems in invalid.message_dict.items():
                        for problem in problems:
                            form.add_error(field if field in form.fields else None, problem)
                else:
                    form.add_error(None, invalid)
            else:
                messages.success(request, _("%(code)s saved.") % {"code": saved.code})
                return redirect("reform:framework-edit", code=framework.code)
        status = 400
    else:
        initial = initial_of(node) if node else {"parent": request.GET.get("parent", "")}
        form = CriterionForm(initial=initial, parents=parents)
        status = 200
    context = {
        "framework": framework,
        "node": node,
        "form": form,
        "editable": editable,
        "has_children": node is not None and node.children.exists(),
    }
    return render(request, "reform/criterion_edit.html", context, status=status)


@login_required
def criterion_new(request: HttpRequest, code: str) -> HttpResponse:
    return _node_page(request, _framework(request, code), None)


@login_required
def criterion_edit(request: HttpRequest, code: str, node: str) -> HttpResponse:
    framework = _framework(request, code)
    return _node_page(request, framework, _node(framework, node))

"""The page of a round's ranking blocks (appraisal council over the round's scope)."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from org.models import UnitLevel
from org.permissions import Capability, may
from reform.blocks import ranking_block_remove, ranking_block_set, unit_blocks
from reform.selectors import round_units, rounds_visible


def _codes(raw: str) -> list[str]:
    """Unit codes separated by commas, semicolons, spaces or lines."""
    return [c for c in re.split(r"[\s,;]+", raw.strip()) if c]


@login_required
def blocks(request: HttpRequest, code: str) -> HttpResponse:
    scoring_round = rounds_visible(user=request.user).filter(code=code).first()
    if scoring_round is None or not may(request.user, Capability.APPRAISE, scoring_round.scope_id):
        raise Http404
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("remove"):
                ranking_block_remove(
                    scoring_round=scoring_round, code=request.POST["remove"], actor=request.user
                )
            else:
                try:
                    position = int(request.POST.get("position") or 0)
                except ValueError:
                    position = -1  # refused by the model's check below
                ranking_block_set(
                    scoring_round=scoring_round,
                    code=request.POST.get("code", "").strip(),
                    name=request.POST.get("name", "").strip(),
                    name_en=request.POST.get("name_en", "").strip(),
                    position=position,
                    levels=request.POST.getlist("levels"),
                    unit_codes=_codes(request.POST.get("units", "")),
                    actor=request.user,
                )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as invalid:
            if hasattr(invalid, "error_dict"):
                errors = [f"{f}: {m}" for f, ms in invalid.message_dict.items() for m in ms]
            else:
                errors = invalid.messages
            status = 400
        else:
            messages.success(request, _("Ranking blocks saved."))
            return redirect("reform:blocks", code=code)
    units = list(round_units(scoring_round=scoring_round))
    members: dict[str, list] = {}
    for unit, block in zip(
        units, unit_blocks(scoring_round=scoring_round, units=units), strict=True
    ):
        members.setdefault(block.code, []).append(unit)
    defined = list(scoring_round.blocks.prefetch_related("units"))
    for block in defined:
        block.members = members.get(block.code, [])
        block.listed = ", ".join(sorted(u.code for u in block.units.all()))
    context = {
        "round": scoring_round,
        "blocks": defined,
        "levels": UnitLevel.objects.all(),
        "errors": errors,
        "form": request.POST if status == 400 else {},
        "locked": scoring_round.locked_at is not None,
    }
    return render(request, "reform/blocks.html", context, status=status)

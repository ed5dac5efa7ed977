"""Pages of counter kiosks (survey.kiosks): the tablet's page and its state, and the
staff page that pairs a tablet to a counter."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from org.access import capability_required
from org.models import AdministrativeUnit
from org.permissions import Capability, units_in_scope
from questionnaires.models import Questionnaire
from survey.kiosks import (
    idle_seconds,
    kiosk_form_choose,
    kiosk_form_stop,
    kiosk_pair,
    kiosk_reset,
    kiosk_start,
    kiosk_state,
    kiosk_unpair,
)
from survey.models import Kiosk
from survey.privacy import request_retry_after
from survey.selectors import kiosk_design_scope, kiosk_forms_visible


def _kiosk(device_token: str) -> Kiosk:
    kiosk = (
        Kiosk.objects.select_related("invitation").filter(device_token=device_token).first()
        if 0 < len(device_token) <= 64
        else None
    )
    if kiosk is None:
        raise Http404
    return kiosk


@never_cache
@require_http_methods(["GET", "POST"])
def kiosk_begin(request: HttpRequest) -> HttpResponse:
    """GET: a button to turn this device into a kiosk; POST: the kiosk, with its code."""
    if request.method == "POST":
        # Anyone may start a kiosk: counted as an open-link start, so a script cannot
        # fill the table (and the million pairing codes) with unpaired kiosks.
        wait = request_retry_after(request, "open")
        if wait:
            reply = render(request, "survey/closed.html", {"reason": "limited"}, status=429)
            reply["Retry-After"] = str(wait)
            return reply
        return redirect("survey:kiosk", device_token=kiosk_start().device_token)
    return render(request, "survey/kiosk_begin.html")


@never_cache
@require_GET
def kiosk_page(request: HttpRequest, device_token: str) -> HttpResponse:
    kiosk = _kiosk(device_token)
    return render(
        request,
        "survey/kiosk.html",
        {"kiosk": kiosk, "state": kiosk_state(kiosk), "idle_seconds": idle_seconds()},
    )


@never_cache
@require_GET
def kiosk_state_view(request: HttpRequest, device_token: str) -> JsonResponse:
    return JsonResponse(kiosk_state(_kiosk(device_token)).as_dict())


@never_cache
@require_POST
def kiosk_reset_view(request: HttpRequest, device_token: str) -> JsonResponse:
    kiosk = _kiosk(device_token)
    kiosk_reset(kiosk, request.POST.get("token", ""))
    return JsonResponse(kiosk_state(_kiosk(device_token)).as_dict())


@capability_required(Capability.RAW_ANSWERS)
@require_http_methods(["GET", "POST"])
def kiosks_page(request: HttpRequest) -> HttpResponse:
    """Pair a kiosk to a counter of a unit in the user's scope; list and unpair them."""
    scope = units_in_scope(request.user, Capability.RAW_ANSWERS)
    units = AdministrativeUnit.objects.order_by("code")
    if not scope.everything:
        units = units.filter(pk__in=scope.unit_ids)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if request.POST.get("unpair"):
            kiosk = Kiosk.objects.filter(pk=request.POST["unpair"], unit__in=units).first()
            if kiosk is not None:
                kiosk_unpair(kiosk=kiosk, actor=request.user)
            return redirect("survey:kiosks")
        unit = units.filter(code=request.POST.get("unit", "")).first()
        if unit is None:
            errors["unit"] = [_("Choose a unit.")]
        else:
            try:
                kiosk_pair(
                    code=request.POST.get("code", ""),
                    unit=unit,
                    counter=request.POST.get("counter", ""),
                    actor=request.user,
                )
            except ValidationError as error:
                errors = error.message_dict
            else:
                return redirect("survey:kiosks")
    paired = (
        Kiosk.objects.filter(unit__in=units)
        .select_related("unit")
        .order_by("unit__code", "counter")
    )
    return render(
        request,
        "survey/kiosks.html",
        {"units": units, "paired": paired, "errors": errors, "posted": request.POST},
        status=400 if errors else 200,
    )


@capability_required(Capability.DESIGN)
@require_http_methods(["GET", "POST"])
def kiosk_forms_page(request: HttpRequest) -> HttpResponse:
    """The designer chooses the short form counter kiosks show, per unit of their scope
    (kiosks under a unit show the form chosen for the nearest unit above them)."""
    scope = kiosk_design_scope(user=request.user)
    units = scope.filter(AdministrativeUnit.objects.order_by("code"), "pk")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if request.POST.get("stop"):
            campaign = get_object_or_404(
                kiosk_forms_visible(scope=scope), pk=_int(request.POST["stop"])
            )
            kiosk_form_stop(campaign=campaign, actor=request.user)
            return redirect("survey:kiosk-forms")
        unit = units.filter(code=request.POST.get("unit", "")).first()
        questionnaire = Questionnaire.objects.filter(
            code=request.POST.get("questionnaire", ""), versions__isnull=False
        ).first()
        if unit is None:
            errors["unit"] = [_("Choose a unit.")]
        if questionnaire is None:
            errors["questionnaire"] = [_("Choose a published questionnaire.")]
        if not errors:
            try:
                kiosk_form_choose(scope=unit, questionnaire=questionnaire, actor=request.user)
            except ValidationError as error:
                errors = error.message_dict
            else:
                return redirect("survey:kiosk-forms")
    questionnaires = (
        Questionnaire.objects.filter(versions__isnull=False).distinct().order_by("code")
    )
    return render(
        request,
        "survey/kiosk_forms.html",
        {
            "units": units,
            "questionnaires": questionnaires,
            "choices": kiosk_forms_visible(scope=scope),
            "errors": errors,
            "posted": request.POST,
        },
        status=400 if errors else 200,
    )


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Http404 from None

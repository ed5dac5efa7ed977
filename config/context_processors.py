from django.http import HttpRequest


def language_switch(request: HttpRequest) -> dict[str, str]:
    """The current page in the other language, keeping its query (round, filters, …)."""
    other = "en" if getattr(request, "LANGUAGE_CODE", "vi") == "vi" else "vi"
    query = request.GET.copy()
    query["lang"] = other
    return {"other_language": other, "other_language_url": f"{request.path}?{query.urlencode()}"}

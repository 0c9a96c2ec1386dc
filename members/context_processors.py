from django.conf import settings
from django.http import HttpRequest

from .models import timezone_choices
from .permissions import access_for


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        "access": access_for(user) if user is not None else None,
        "viewer_tz_name": getattr(request, "viewer_tz_name", "UTC"),
        "viewer_tz_source": getattr(request, "viewer_tz_source", "default"),
        "site_url": settings.SITE_URL,
        # Called only by a template that lists the zones (the footer's switcher).
        "zone_choices": timezone_choices,
    }

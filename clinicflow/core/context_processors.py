"""What every page's layout needs: who is signed in, where, and the navigation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from clinicflow.core.actor import Actor
from clinicflow.core.banners import banners_for
from clinicflow.core.navigation import navigation_for

#: The cookie that remembers a folded sidebar (set by clinicflow.js): read here, so the page
#: is drawn folded from the start, with no inline script and no flash of the open sidebar.
SIDEBAR_COOKIE = "clinicflow_sidebar"


def clinicflow(request: HttpRequest) -> dict[str, Any]:
    actor: Actor = getattr(request, "actor", None) or Actor.anonymous()
    if not request.user.is_authenticated:
        # Signed out during this request (the signed-out page): show nobody's menu.
        actor = Actor.anonymous()
    return {
        "actor": actor,
        "current_clinic": actor.clinic,
        # Like the banners, only where the layout draws it (a fragment never does).
        "navigation": SimpleLazyObject(lambda: navigation_for(actor, request)),
        "sidebar_folded": request.COOKIES.get(SIDEBAR_COOKIE) == "folded",
        "debug_banner": settings.DEBUG and not settings.TESTING,
        # Asked for only where the layout draws them: a fragment costs no query.
        "page_banners": SimpleLazyObject(lambda: banners_for(actor)),
    }

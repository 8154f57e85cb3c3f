"""The REST API, version 1, with its OpenAPI schema and documentation served locally."""

from typing import ClassVar

from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from clinicflow.core.api import MeView


class SchemaView(SpectacularAPIView):
    policy_action: ClassVar[str] = "api.docs"


class SwaggerView(SpectacularSwaggerSplitView):
    # The split view serves its script from a URL, so no inline script breaks the CSP.
    policy_action: ClassVar[str] = "api.docs"
    url_name = "api:schema"


class RedocView(SpectacularRedocView):
    policy_action: ClassVar[str] = "api.docs"
    url_name = "api:schema"


app_name = "api"
urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(), name="docs"),
    path("redoc/", RedocView.as_view(), name="redoc"),
]

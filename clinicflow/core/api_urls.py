"""The REST API: version 1 under /api/v1/, its OpenAPI schema at /api/schema/ and the Swagger
UI at /api/docs/, served locally.

/api/redoc/ (once a Redoc page) leads to Swagger UI: Redoc cannot run under our CSP (it writes
unsigned <style> elements as it loads, starts its search in a blob: worker) and fetches its
logo from a CDN, which an offline clinic network does not reach."""

from typing import ClassVar

from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from clinicflow.billing import api as billing_api
from clinicflow.clinical import api as clinical_api
from clinicflow.core.api import MeView
from clinicflow.frontdesk import api as frontdesk_api
from clinicflow.lab import api as lab_api
from clinicflow.patients import api as patients_api
from clinicflow.pharmacy import api as pharmacy_api
from clinicflow.portal import api as portal_api
from clinicflow.scheduling import api as scheduling_api


class SchemaView(SpectacularAPIView):
    policy_action: ClassVar[str] = "api.docs"


class SwaggerView(SpectacularSwaggerSplitView):
    # The split view serves its script from a URL, so no inline script breaks the CSP.
    policy_action: ClassVar[str] = "api.docs"
    url_name = "api:schema"


class RedocView(RedirectView):
    policy_action: ClassVar[str] = "api.docs"
    pattern_name = "api:docs"


#: Each app's API router, mounted under /api/v1/.
router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
patients_api.register(router)
scheduling_api.register(router)
frontdesk_api.register(router)
clinical_api.register(router)
pharmacy_api.register(router)
billing_api.register(router)
lab_api.register(router)

app_name = "api"
urlpatterns = [
    path("v1/me/", MeView.as_view(), name="me"),
    path("v1/icd10/", clinical_api.Icd10View.as_view(), name="icd10"),
    path("v1/", include(billing_api.urlpatterns)),
    path("v1/portal/", include(portal_api.urlpatterns)),
    path("v1/", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(), name="docs"),
    path("redoc/", RedocView.as_view(), name="redoc"),
]

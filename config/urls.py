"""URLs of ClinicFlow. Every view names its policy action; ``tests/test_policy_matrix.py``
walks this tree for every role."""

from django.contrib import admin
from django.urls import include, path

from clinicflow.accounts.views.auth import password_change

handler403 = "clinicflow.core.views.errors.forbidden"
handler404 = "clinicflow.core.views.errors.not_found"
handler500 = "clinicflow.core.views.errors.server_error"

urlpatterns = [
    path("", include("clinicflow.core.urls")),
    path("accounts/", include("clinicflow.accounts.urls")),
    path("patients/", include("clinicflow.patients.urls")),
    path("scheduling/", include("clinicflow.scheduling.urls")),
    path("frontdesk/", include("clinicflow.frontdesk.urls")),
    path("clinical/", include("clinicflow.clinical.urls")),
    path("pharmacy/", include("clinicflow.pharmacy.urls")),
    path("billing/", include("clinicflow.billing.urls")),
    path("lab/", include("clinicflow.lab.urls")),
    path("notifications/", include("clinicflow.notifications.urls")),
    path("portal/", include("clinicflow.portal.urls")),
    path("api/", include("clinicflow.core.api_urls")),
    # The admin site's own password form would skip ending other sessions and the audit.
    path("platform/password_change/", password_change, name="admin_password_change"),
    path("platform/", admin.site.urls),
]

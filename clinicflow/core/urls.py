from django.urls import path

from clinicflow.core.lists import export_urls
from clinicflow.core.views import audit, clinic, pages

app_name = "core"
urlpatterns = [
    path("", pages.home, name="home"),
    path("health/", pages.health, name="health"),
    path("dashboard/", pages.dashboard, name="dashboard"),
    path("clinic/switch/", pages.clinic_switch, name="clinic_switch"),
    path("clinic/settings/", clinic.clinic_settings, name="clinic_settings"),
    path("audit/", audit.AuditListView.as_view(), name="audit_list"),
    *export_urls(audit.AuditExportView, "audit/export", "audit_export"),
]

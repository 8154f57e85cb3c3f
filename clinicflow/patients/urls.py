from django.urls import path

from clinicflow.core.lists import export_urls
from clinicflow.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.search, name="search"),
    path("new/", views.register, name="register"),
    *export_urls(views.PatientExportView, "export", "export"),
    path("<uuid:pk>/", views.chart, name="chart"),
    path("<uuid:pk>/edit/", views.edit, name="edit"),
    path("<uuid:pk>/allergies/", views.allergy_add, name="allergy_add"),
    path("<uuid:pk>/no-known-allergies/", views.no_known_allergies, name="no_known_allergies"),
    path("<uuid:pk>/conditions/", views.condition_add, name="condition_add"),
    path("<uuid:pk>/deactivate/", views.deactivate, name="deactivate"),
    path("<uuid:pk>/reactivate/", views.reactivate, name="reactivate"),
    path("<uuid:pk>/merge/", views.merge, name="merge"),
    path("<uuid:pk>/documents/", views.document_upload, name="document_upload"),
    path("documents/<uuid:pk>/", views.document, name="document"),
    path("documents/<uuid:pk>/thumbnail/", views.document_thumbnail, name="document_thumbnail"),
    path(
        "documents/<uuid:pk>/entered-in-error/",
        views.document_entered_in_error,
        name="document_entered_in_error",
    ),
    path(
        "allergies/<int:pk>/status/", views.entry_status, {"kind": "allergy"}, name="allergy_status"
    ),
    path(
        "conditions/<int:pk>/status/",
        views.entry_status,
        {"kind": "condition"},
        name="condition_status",
    ),
]

from django.urls import path

from clinicflow.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.search, name="search"),
    path("new/", views.register, name="register"),
    path("export.csv", views.PatientExportView.as_view(), name="export"),
    path("<uuid:pk>/", views.chart, name="chart"),
    path("<uuid:pk>/edit/", views.edit, name="edit"),
    path("<uuid:pk>/allergies/", views.allergy_add, name="allergy_add"),
    path("<uuid:pk>/no-known-allergies/", views.no_known_allergies, name="no_known_allergies"),
    path("<uuid:pk>/conditions/", views.condition_add, name="condition_add"),
    path("<uuid:pk>/deactivate/", views.deactivate, name="deactivate"),
    path("<uuid:pk>/reactivate/", views.reactivate, name="reactivate"),
    path("<uuid:pk>/merge/", views.merge, name="merge"),
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

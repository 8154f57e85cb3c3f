from django.urls import path

from clinicflow.lab import catalogue_views, print_views, views

app_name = "lab"

urlpatterns = [
    path("orders/<uuid:pk>/", views.order, name="order"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    path("alerts/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    # What the lab prints: sample labels, the report, and the report's public verification.
    path("samples/<int:pk>/label/", print_views.sample_label, name="sample_label"),
    path("orders/<uuid:pk>/report.pdf", print_views.report, name="report"),
    path("verify/<uuid:token>/", print_views.verify, name="verify"),
    # The catalogue and the lab's settings (catalogue_views).
    path("catalogue/", catalogue_views.CatalogueView.as_view(), name="catalogue"),
    path("catalogue/<int:pk>/", catalogue_views.lab_test_page, name="catalogue_test"),
    path("catalogue/<int:pk>/change/", catalogue_views.change_test, name="catalogue_change"),
    path("catalogue/import/", catalogue_views.import_catalogue, name="catalogue_import"),
    path("catalogue/export.csv", catalogue_views.export_catalogue, name="catalogue_export"),
    path("settings/", catalogue_views.lab_settings, name="settings"),
    path("settings/sections/", catalogue_views.add_section, name="settings_section_add"),
]

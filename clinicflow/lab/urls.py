from django.urls import path

from clinicflow.lab import (
    catalogue_views,
    dashboard,
    entry_views,
    order_views,
    outside_views,
    print_views,
    trend_views,
    views,
    worklist_views,
)

app_name = "lab"

urlpatterns = [
    path("orders/<uuid:pk>/", views.order, name="order"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    path("alerts/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    # What the lab prints: sample labels, the report, and the report's public verification.
    path("samples/<int:pk>/label/", print_views.sample_label, name="sample_label"),
    path("orders/<uuid:pk>/report.pdf", print_views.report, name="report"),
    path("verify/<uuid:token>/", print_views.verify, name="verify"),
    # Ordering (the consultation's panel, the direct lab visit) and trends.
    path("tests/pick/", order_views.test_picker, name="test_picker"),
    path(
        "encounters/<uuid:pk>/order/",
        order_views.order_from_consultation,
        name="order_from_consultation",
    ),
    path("ordered-tests/<int:pk>/cancel/", order_views.cancel_test, name="cancel_test"),
    path("visits/new/", order_views.direct_visit, name="direct_visit"),
    # An outside lab's report of an order's tests, and its file.
    path("orders/<uuid:pk>/outside-report/", outside_views.attach, name="attach_outside"),
    path("outside-reports/<int:pk>/", outside_views.report_file, name="outside_report"),
    path("patients/<uuid:patient>/trends/<str:code>/", trend_views.trend, name="trend"),
    path("patients/<uuid:patient>/results/", trend_views.results_section, name="results"),
    # The catalogue and the lab's settings (catalogue_views).
    path("catalogue/", catalogue_views.CatalogueView.as_view(), name="catalogue"),
    path("catalogue/<int:pk>/", catalogue_views.lab_test_page, name="catalogue_test"),
    path("catalogue/<int:pk>/change/", catalogue_views.change_test, name="catalogue_change"),
    path("catalogue/import/", catalogue_views.import_catalogue, name="catalogue_import"),
    path("catalogue/export.csv", catalogue_views.export_catalogue, name="catalogue_export"),
    path("settings/", catalogue_views.lab_settings, name="settings"),
    path("settings/sections/", catalogue_views.add_section, name="settings_section_add"),
]

# The nurse's and the bench's pages: collection, worklists, result entry, the lab's day.
urlpatterns += [
    path("collect/", worklist_views.collect_list, name="collect_list"),
    path("collect/<uuid:pk>/", worklist_views.collect, name="collect"),
    path("worklist/", worklist_views.worklist, name="worklist"),
    path("worklist/verify/", worklist_views.to_verify, name="to_verify"),
    path("samples/<int:pk>/receive/", worklist_views.receive, name="receive"),
    path("samples/<int:pk>/reject/", worklist_views.reject, name="reject"),
    path("samples/<int:pk>/results/", entry_views.sample_entry, name="sample_entry"),
    path("tests/<int:pk>/", entry_views.test_entry, name="test_entry"),
    path("tests/<int:pk>/preview/", entry_views.preview, name="entry_preview"),
    path("tests/<int:pk>/verify/", entry_views.verify, name="verify_test"),
    path("results/<int:pk>/amend/", entry_views.amend, name="amend"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
]

from django.urls import path

from clinicflow.core.lists import export_urls
from clinicflow.pharmacy import dispense_views, report_views, views

app_name = "pharmacy"

urlpatterns = [
    path("", views.pending, name="queue"),
    path("medicines/", views.CatalogueView.as_view(), name="catalogue"),
    path("medicines/import/", views.import_catalogue, name="import"),
    path("medicines/options/", views.medicine_options, name="medicine_options"),
    *export_urls(views.CatalogueExportView, "medicines/export", "export"),
    # Dispensing: the prescription, its review and items, returns, labels and the receipt.
    path("prescriptions/<uuid:pk>/", dispense_views.prescription, name="dispense"),
    path("prescriptions/<uuid:pk>/review/", dispense_views.review, name="review"),
    path(
        "prescriptions/<uuid:pk>/items/<int:item>/dispense/",
        dispense_views.dispense,
        name="dispense_item",
    ),
    path("prescriptions/<uuid:pk>/cancel/", dispense_views.cancel, name="cancel"),
    path("prescriptions/<uuid:pk>/labels/", dispense_views.labels, name="labels"),
    path("prescriptions/<uuid:pk>/receipt/", dispense_views.receipt, name="receipt"),
    path("dispenses/<int:pk>/label/", dispense_views.label, name="label"),
    path("dispenses/<int:pk>/return/", dispense_views.return_to_stock, name="return"),
    # Stock alerts and reports (report_views).
    path("stock/alerts/", report_views.stock_alerts, name="alerts"),
    path("reports/", report_views.reports_index, name="reports"),
    *report_views.report_urls(report_views.stock_report, "reports/stock", "report_stock"),
    *report_views.report_urls(
        report_views.movements_report, "reports/movements", "report_movements"
    ),
    *report_views.report_urls(
        report_views.dispensed_report, "reports/dispensed", "report_dispensed"
    ),
]

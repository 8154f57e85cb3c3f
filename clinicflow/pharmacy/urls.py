from django.urls import path

from clinicflow.core.lists import export_urls
from clinicflow.pharmacy import report_views, views

app_name = "pharmacy"

urlpatterns = [
    path("", views.pending, name="queue"),
    path("medicines/", views.CatalogueView.as_view(), name="catalogue"),
    path("medicines/import/", views.import_catalogue, name="import"),
    path("medicines/options/", views.medicine_options, name="medicine_options"),
    *export_urls(views.CatalogueExportView, "medicines/export", "export"),
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

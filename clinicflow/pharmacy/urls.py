from django.urls import path

from clinicflow.core.lists import export_urls
from clinicflow.pharmacy import dispense_views, report_views, stock_views, views

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
    # Stock, goods receipts, the ledger and the dispensing history (stock_views).
    path("stock/", stock_views.StockListView.as_view(), name="stock"),
    path("stock/<int:pk>/", stock_views.medicine_stock, name="stock_medicine"),
    path("stock/batches/<int:pk>/", stock_views.batch_page, name="stock_batch"),
    *[
        path(
            f"stock/batches/<int:pk>/{action.replace('_', '-')}/",
            stock_views.batch_action,
            {"action": action},
            name=f"stock_{action}",
        )
        for action in stock_views.BATCH_ACTIONS
    ],
    path("stock/receipts/", stock_views.ReceiptListView.as_view(), name="goods_receipts"),
    path("stock/receipts/new/", stock_views.receive_goods, name="receive"),
    path("stock/receipts/new/line/", stock_views.receipt_line, name="goods_receipt_line"),
    path("stock/receipts/<int:pk>/", stock_views.receipt, name="goods_receipt"),
    path("stock/ledger/", stock_views.LedgerView.as_view(), name="ledger"),
    *export_urls(stock_views.LedgerExportView, "stock/ledger/export", "ledger_export"),
    path("history/", stock_views.HistoryView.as_view(), name="history"),
    *export_urls(stock_views.HistoryExportView, "history/export", "history_export"),
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

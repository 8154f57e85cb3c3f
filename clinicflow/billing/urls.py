from django.urls import path

from clinicflow.billing import (
    account_views,
    claim_views,
    desk_views,
    document_views,
    invoice_views,
    price_views,
    print_views,
    report_views,
    shift_views,
)

app_name = "billing"

urlpatterns = [
    # The cash desk and a patient's bill (desk_views).
    path("", desk_views.desk, name="desk"),
    path("patients/<uuid:pk>/", desk_views.patient_bill, name="patient"),
    path("patients/<uuid:pk>/charges/add/", desk_views.add_charge, name="add_charge"),
    path("patients/<uuid:pk>/invoice/", desk_views.invoice_selected, name="invoice_selected"),
    path("charges/<int:pk>/void/", desk_views.void_charge, name="void_charge"),
    # The patient's account: deposits and refunds (account_views).
    path("patients/<uuid:pk>/deposit/", account_views.deposit, name="deposit"),
    path("patients/<uuid:pk>/refund/", account_views.refund, name="refund"),
    path("refunds/<int:pk>/pay-out/", account_views.pay_out, name="pay_out"),
    # One invoice (invoice_views).
    path("invoices/<int:pk>/", invoice_views.invoice, name="invoice"),
    path("invoices/<int:pk>/discount/", invoice_views.discount, name="discount"),
    path("invoices/<int:pk>/approve/", invoice_views.approve_discount, name="approve_discount"),
    path("invoices/<int:pk>/issue/", invoice_views.issue, name="issue"),
    path("invoices/<int:pk>/discard/", invoice_views.discard, name="discard"),
    path("invoices/<int:pk>/pay/", invoice_views.pay, name="pay"),
    path("invoices/<int:pk>/use-credit/", invoice_views.use_credit, name="use_credit"),
    path("invoices/<int:pk>/credit-note/", invoice_views.credit_note, name="credit_note"),
    # Printing (print_views).
    path("invoices/<int:pk>/print/", print_views.invoice_print, name="invoice_print"),
    path("receipts/<int:pk>/print/", print_views.receipt_print, name="receipt_print"),
    # Shifts (shift_views).
    path("shift/", shift_views.shift, name="shift"),
    path("shift/open/", shift_views.open_shift, name="shift_open"),
    path("shifts/<int:pk>/", shift_views.shift_detail, name="shift_detail"),
    path("shifts/<int:pk>/close/", shift_views.close_shift, name="shift_close"),
    path("shifts/review/", shift_views.review, name="review"),
    path("shifts/<int:pk>/sign-off/", shift_views.sign_off, name="sign_off"),
    path("refunds/<int:pk>/approve/", shift_views.approve_refund, name="approve_refund"),
    # The price list and billing settings (price_views).
    path("prices/", price_views.price_list, name="prices"),
    path("prices/add/", price_views.add_item, name="add_item"),
    path("prices/<int:pk>/set/", price_views.set_price, name="set_price"),
    path("settings/", price_views.billing_settings, name="settings"),
    # Payers' claims (claim_views).
    path("claims/<int:pk>/submit/", claim_views.submit, name="claim_submit"),
    path("claims/<int:pk>/paid/", claim_views.paid, name="claim_paid"),
    path("claims/<int:pk>/rejected/", claim_views.rejected, name="claim_rejected"),
    # PDFs, and the public page a printed copy's QR opens (document_views).
    path("invoices/<int:pk>/pdf/", document_views.invoice_pdf, name="invoice_pdf"),
    path("receipts/<int:pk>/pdf/", document_views.receipt_pdf, name="receipt_pdf"),
    path("verify/<str:token>/", document_views.verify, name="verify"),
    # Reports for managers (report_views): each page with its .csv and .xlsx.
    *report_views.report_urls(),
]

from django.urls import path

from clinicflow.portal import (
    bills_views,
    booking_views,
    family_views,
    medicine_views,
    profile_views,
    queue_views,
    records_views,
    review_views,
    settings_views,
    views,
)

app_name = "portal"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/code/", views.register_code, name="register_code"),
    path("sign-in/", views.sign_in_code, name="sign_in_code"),
    path("sign-in/code/", views.sign_in_code_verify, name="sign_in_code_verify"),
    path("family/", views.family, name="family"),
    path("family/link/", views.link, name="link"),
    path("family/link/code/", views.link_code, name="link_code"),
    path("family/add/", family_views.add_member, name="add_member"),
    path("family/<uuid:pk>/", views.member, name="member"),
    path("family/<uuid:pk>/select/", views.select, name="select"),
    path("family/<uuid:pk>/remove/", views.remove, name="remove"),
    path("desk/<uuid:pk>/link/", views.desk_link, name="desk_link"),
    path("desk/links/<int:pk>/remove/", views.desk_remove, name="desk_remove"),
    # Booking online, the upcoming appointments, the clinic's online-booking settings.
    path("book/", booking_views.book, name="book"),
    path("book/<int:pk>/", booking_views.book_doctor, name="book_doctor"),
    path("appointments/", booking_views.appointments, name="appointments"),
    path(
        "appointments/<uuid:pk>/cancel/",
        booking_views.appointment_cancel,
        name="appointment_cancel",
    ),
    path("appointments/<uuid:pk>/move/", booking_views.appointment_move, name="appointment_move"),
    path("settings/booking/", booking_views.booking_settings, name="booking_settings"),
    path("settings/portal/", settings_views.portal_settings, name="portal_settings"),
    # The chosen member's message preferences and SMS consent, and the account's own pages.
    path("preferences/", profile_views.message_preferences, name="preferences"),
    path("preferences/sms/", profile_views.sms, name="preferences_sms"),
    path("profile/contact/", profile_views.contact_details, name="contact"),
    path("profile/contact/code/", profile_views.contact_code, name="contact_code"),
    path("profile/contact/postal/", profile_views.postal_address, name="contact_postal"),
    # The visit today: token, place in the queue, the wait.
    path("today/", queue_views.today, name="today"),
    # The medicine schedule and its doses.
    path("medicines/", medicine_views.medicines, name="medicines"),
    path("medicines/dose/", medicine_views.dose, name="dose"),
    # Reviews of completed visits, and their moderation.
    path("reviews/", review_views.review_list, name="reviews"),
    path("reviews/visit/<uuid:pk>/", review_views.review_write, name="review_write"),
    path("reviews/manage/", review_views.moderation, name="review_moderation"),
    path("reviews/manage/<int:pk>/", review_views.moderate, name="review_moderate"),
    # The chosen member's record and bills (records_views.py, bills_views.py).
    path("records/", records_views.index, name="records"),
    path("records/visits/", records_views.visits, name="records_visits"),
    path("records/prescriptions/", records_views.prescriptions, name="records_prescriptions"),
    path(
        "records/prescriptions/<uuid:pk>/pdf/",
        records_views.prescription_pdf,
        name="records_prescription_pdf",
    ),
    path("records/lab/", records_views.lab, name="records_lab"),
    path("records/lab/<uuid:pk>/", records_views.lab_report, name="records_lab_report"),
    path("records/lab/<uuid:pk>/pdf/", records_views.lab_report_pdf, name="records_lab_pdf"),
    path("records/lab/trend/<str:code>/", records_views.lab_trend, name="records_lab_trend"),
    path("records/vitals/", records_views.vitals, name="records_vitals"),
    path("records/health/", records_views.health, name="records_health"),
    path("records/appointments/", records_views.appointments, name="records_appointments"),
    path("records/documents/", records_views.documents_page, name="records_documents"),
    path("records/documents/add/", records_views.document_upload, name="records_document_add"),
    path("records/documents/<uuid:pk>/", records_views.document, name="records_document"),
    path("records/viewed/", records_views.chart_reads, name="records_chart_reads"),
    path("records/summary.pdf", records_views.summary_pdf, name="records_summary"),
    path("bills/", bills_views.bills, name="bills"),
    path("bills/invoices/<int:pk>/", bills_views.invoice, name="bills_invoice"),
    path("bills/invoices/<int:pk>/pdf/", bills_views.invoice_pdf, name="bills_invoice_pdf"),
    path("bills/receipts/<int:pk>/pdf/", bills_views.receipt_pdf, name="bills_receipt_pdf"),
]

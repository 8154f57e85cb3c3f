from django.urls import path

from clinicflow.notifications import (
    email_reports,
    inbound_views,
    log_views,
    preference_views,
    settings_views,
    views,
)

app_name = "notifications"

TEXT = "templates/<str:event>/<slug:channel>/<slug:language>/"

urlpatterns = [
    path("", views.NoticeListView.as_view(), name="list"),
    path("<int:pk>/read/", views.read, name="read"),
    path("read-all/", views.read_all, name="read_all"),
    path("log/", log_views.MessageLogView.as_view(), name="log"),
    path("log/<int:pk>/resend/", log_views.resend, name="resend"),
    path("inbound/<slug:provider>/", inbound_views.receive, name="inbound"),
    path("email-events/<slug:provider>/", email_reports.webhook, name="email_events"),
    # The clinic's messaging (settings_views).
    path("settings/", settings_views.messaging_settings, name="settings"),
    path("templates/", settings_views.template_list, name="templates"),
    path(TEXT, settings_views.template_edit, name="template_edit"),
    path(TEXT + "preview/", settings_views.template_preview, name="template_preview"),
    path(TEXT + "reset/", settings_views.template_reset, name="template_reset"),
    # Preferences: one's own, and a patient's at the desk (preference_views).
    path("preferences/", preference_views.own_preferences, name="preferences"),
    path(
        "patients/<uuid:pk>/preferences/",
        preference_views.patient_preferences,
        name="patient_preferences",
    ),
    path(
        "patients/<uuid:pk>/sms-consent/",
        preference_views.patient_sms_consent,
        name="patient_sms_consent",
    ),
]

from django.urls import path

from clinicflow.notifications import email_reports, inbound_views, log_views, views

app_name = "notifications"

urlpatterns = [
    path("", views.NoticeListView.as_view(), name="list"),
    path("<int:pk>/read/", views.read, name="read"),
    path("read-all/", views.read_all, name="read_all"),
    path("log/", log_views.MessageLogView.as_view(), name="log"),
    path("log/<int:pk>/resend/", log_views.resend, name="resend"),
    path("inbound/<slug:provider>/", inbound_views.receive, name="inbound"),
    path("email-events/<slug:provider>/", email_reports.webhook, name="email_events"),
]

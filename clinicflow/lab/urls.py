from django.urls import path

from clinicflow.lab import print_views, views

app_name = "lab"

urlpatterns = [
    path("orders/<uuid:pk>/", views.order, name="order"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    path("alerts/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    # What the lab prints: sample labels, the report, and the report's public verification.
    path("samples/<int:pk>/label/", print_views.sample_label, name="sample_label"),
    path("orders/<uuid:pk>/report.pdf", print_views.report, name="report"),
    path("verify/<uuid:token>/", print_views.verify, name="verify"),
]

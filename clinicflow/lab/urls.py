from django.urls import path

from clinicflow.lab import order_views, print_views, trend_views, views

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
    path("patients/<uuid:patient>/trends/<str:code>/", trend_views.trend, name="trend"),
]

from django.urls import path

from clinicflow.lab import views

app_name = "lab"

urlpatterns = [
    path("orders/<uuid:pk>/", views.order, name="order"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    path("alerts/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
]

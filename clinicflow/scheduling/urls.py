from django.urls import path

from clinicflow.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("doctors/", views.directory, name="directory"),
    path("book/", views.book, name="book"),
    path("appointments/", views.AppointmentListView.as_view(), name="appointments"),
    path("appointments/<uuid:pk>/", views.appointment, name="appointment"),
    path("appointments/<uuid:pk>/status/", views.appointment_status, name="appointment_status"),
    path("appointments/<uuid:pk>/move/", views.appointment_move, name="appointment_move"),
    path("practitioners/", views.practitioners, name="practitioners"),
    path("practitioners/<int:pk>/availability/", views.availability, name="availability"),
    path("rules/<int:pk>/remove/", views.rule_remove, name="rule_remove"),
]

from django.urls import path

from clinicflow.core.lists import export_urls
from clinicflow.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("doctors/", views.directory, name="directory"),
    path("doctors/<int:pk>/photo/", views.practitioner_photo, name="practitioner_photo"),
    path("today/", views.doctor_day, name="doctor_day"),
    path("book/", views.book, name="book"),
    path("appointments/", views.AppointmentListView.as_view(), name="appointments"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/events/", views.calendar_events, name="calendar_events"),
    path("appointments/<uuid:pk>/", views.appointment, name="appointment"),
    path("appointments/<uuid:pk>/status/", views.appointment_status, name="appointment_status"),
    path("appointments/<uuid:pk>/move/", views.appointment_move, name="appointment_move"),
    path(
        "appointments/<uuid:pk>/documents/",
        views.appointment_documents,
        name="appointment_documents",
    ),
    path("appointments/<uuid:pk>/calendar.ics", views.appointment_ics, name="appointment_ics"),
    *export_urls(views.AppointmentExportView, "appointments/export", "appointments_export"),
    path("feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path(
        "practitioners/<int:pk>/calendar-feed/",
        views.calendar_feed_renew,
        name="calendar_feed_renew",
    ),
    path("practitioners/", views.practitioners, name="practitioners"),
    path("practitioners/<int:pk>/availability/", views.availability, name="availability"),
    path(
        "practitioners/<int:pk>/photo/",
        views.practitioner_photo_change,
        name="practitioner_photo_change",
    ),
    path("rules/<int:pk>/remove/", views.rule_remove, name="rule_remove"),
]

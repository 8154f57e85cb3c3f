from django.urls import path

from clinicflow.portal import booking_views, medicine_views, queue_views, review_views, views

app_name = "portal"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/code/", views.register_code, name="register_code"),
    path("sign-in/", views.sign_in_code, name="sign_in_code"),
    path("sign-in/code/", views.sign_in_code_verify, name="sign_in_code_verify"),
    path("family/", views.family, name="family"),
    path("family/link/", views.link, name="link"),
    path("family/link/code/", views.link_code, name="link_code"),
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
]

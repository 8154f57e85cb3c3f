from django.urls import path

from clinicflow.core.lists import export_urls
from clinicflow.frontdesk import views, walk_in_views

app_name = "frontdesk"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("check-in/", views.check_in, name="check_in"),
    path("walk-in/", views.walk_in, name="walk_in"),
    path("call-next/", views.call_next, name="call_next"),
    path("visits/<uuid:pk>/", views.entry, name="entry"),
    path("visits/<uuid:pk>/move/", views.move, name="move"),
    path("visits/<uuid:pk>/priority/", views.set_priority, name="priority"),
    path("visits/<uuid:pk>/assign/", views.assign, name="assign"),
    path("visits/<uuid:pk>/register/", walk_in_views.register_walk_in, name="register_walk_in"),
    path("visits/<uuid:pk>/link/", walk_in_views.link_patient, name="link_patient"),
    path("visits/<uuid:pk>/slip/", views.slip, name="slip"),
    path("board/<str:token>/", views.board, name="board"),
    path("waits/", views.waits, name="waits"),
    path("setup/", views.setup, name="setup"),
    *export_urls(views.QueueExportView, "export", "export"),
]

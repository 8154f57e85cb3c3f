from django.urls import path

from clinicflow.lab import dashboard, entry_views, views, worklist_views

app_name = "lab"

urlpatterns = [
    path("orders/<uuid:pk>/", views.order, name="order"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    path("alerts/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
]

# The nurse's and the bench's pages: collection, worklists, result entry, the lab's day.
urlpatterns += [
    path("collect/", worklist_views.collect_list, name="collect_list"),
    path("collect/<uuid:pk>/", worklist_views.collect, name="collect"),
    path("worklist/", worklist_views.worklist, name="worklist"),
    path("worklist/verify/", worklist_views.to_verify, name="to_verify"),
    path("samples/<int:pk>/receive/", worklist_views.receive, name="receive"),
    path("samples/<int:pk>/reject/", worklist_views.reject, name="reject"),
    path("samples/<int:pk>/results/", entry_views.sample_entry, name="sample_entry"),
    path("tests/<int:pk>/", entry_views.test_entry, name="test_entry"),
    path("tests/<int:pk>/preview/", entry_views.preview, name="entry_preview"),
    path("tests/<int:pk>/verify/", entry_views.verify, name="verify"),
    path("results/<int:pk>/amend/", entry_views.amend, name="amend"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
]

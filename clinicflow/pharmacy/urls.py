from django.urls import path

from clinicflow.core.lists import export_urls
from clinicflow.pharmacy import views

app_name = "pharmacy"

urlpatterns = [
    path("", views.pending, name="queue"),
    path("medicines/", views.CatalogueView.as_view(), name="catalogue"),
    path("medicines/import/", views.import_catalogue, name="import"),
    path("medicines/options/", views.medicine_options, name="medicine_options"),
    *export_urls(views.CatalogueExportView, "medicines/export", "export"),
]

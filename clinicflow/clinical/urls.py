from django.urls import path

from clinicflow.clinical import views

app_name = "clinical"

urlpatterns = [
    path("start/<uuid:entry>/", views.start, name="start"),
    path("encounters/<uuid:pk>/", views.encounter, name="encounter"),
    path("encounters/<uuid:pk>/autosave/", views.autosave, name="autosave"),
    path("encounters/<uuid:pk>/diagnoses/", views.add_diagnosis, name="add_diagnosis"),
    path("encounters/<uuid:pk>/template/", views.use_template, name="use_template"),
    path("encounters/<uuid:pk>/save-template/", views.save_template, name="save_template"),
    path("encounters/<uuid:pk>/sign/", views.sign, name="sign"),
    path("encounters/<uuid:pk>/follow-up/", views.follow_up, name="follow_up"),
    path("encounters/<uuid:pk>/amend/", views.amend, name="amend"),
    path("encounters/<uuid:pk>/allergies/", views.record_allergy, name="record_allergy"),
    path(
        "encounters/<uuid:pk>/no-known-allergies/",
        views.no_known_allergies,
        name="no_known_allergies",
    ),
    path("encounters/<uuid:pk>/pregnancy/", views.record_pregnancy, name="record_pregnancy"),
    path("diagnoses/<int:pk>/remove/", views.remove_diagnosis, name="remove_diagnosis"),
    path("encounters/<uuid:pk>/medicines/", views.add_item, name="add_item"),
    path("encounters/<uuid:pk>/repeat/", views.repeat_last, name="repeat_last"),
    path("medicines/<int:pk>/stop/", views.stop_item, name="stop_item"),
    path("alerts/<int:pk>/override/", views.override_alert, name="override_alert"),
    path("prescriptions/<uuid:pk>/", views.prescription, name="prescription"),
    path("prescriptions/<uuid:pk>/pdf/", views.prescription_pdf, name="prescription_pdf"),
    path("icd10/", views.icd10, name="icd10"),
]

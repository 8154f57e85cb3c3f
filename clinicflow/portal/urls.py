from django.urls import path

from clinicflow.portal import views

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
]

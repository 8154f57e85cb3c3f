"""A URLconf with views that forget to name a policy action (for the default-deny test)."""

from django.http import HttpResponse
from django.urls import include, path


def undeclared(request):
    return HttpResponse("this must never be seen")


def unknown_action(request):
    return HttpResponse("this must never be seen")


unknown_action.policy_action = "no.such.action"

urlpatterns = [
    path("undeclared/", undeclared),
    path("unknown-action/", unknown_action),
    path("", include("config.urls")),
]

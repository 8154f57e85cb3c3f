"""A manager's page for the clinic's own details and security settings."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clinicflow.accounts.selectors import staff_limits_overview
from clinicflow.core.access import actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.core.forms import ClinicSettingsForm
from clinicflow.core.services import update_clinic_settings


@requires("clinic.settings")
def clinic_settings(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    assert actor.clinic is not None
    form = ClinicSettingsForm(request.POST or None, instance=actor.clinic)
    if request.method == "POST" and form.is_valid():
        try:
            update_clinic_settings(actor=actor, changes=form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("The clinic's settings were saved."))
            return redirect("core:clinic_settings")
    return render(
        request,
        "core/clinic_settings.html",
        {"form": form, "limits": staff_limits_overview(actor.clinic)},
    )

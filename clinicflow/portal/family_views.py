"""The family page's "add a family member who has no record here yet": their details and the
relationship make a new record and link it to the account (``services.add_family_member``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clinicflow.core.access import actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.portal import access, services
from clinicflow.portal.forms import NewMemberForm


@requires("portal.add_member")
def add_member(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = NewMemberForm(request.POST or None, initial={"clinic": actor.clinic})
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = services.add_family_member(
                actor=actor,
                clinic=data["clinic"],
                member=services.NewMember(
                    given_name=data["given_name"],
                    family_name=data["family_name"],
                    birth_date=data["birth_date"],
                    sex=data["sex"],
                    relationship=data["relationship"],
                ),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status = exc.status_code
        else:
            name, clinic = added.patient.full_name, added.clinic
            if actor.clinic is not None and clinic.pk == actor.clinic.pk:
                access.select_member(request, added.patient)
                messages.success(request, _("%(name)s is now in your family.") % {"name": name})
            else:
                messages.success(
                    request,
                    _("%(name)s now has a record at %(clinic)s: switch to that clinic to see it.")
                    % {"name": name, "clinic": clinic.name},
                )
            return redirect("portal:family")
    elif request.method == "POST":
        status = 400
    return render(request, "portal/add_member.html", {"form": form}, status=status)

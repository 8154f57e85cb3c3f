"""A manager's pages for the clinic's staff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.accounts.forms import StaffFilter, StaffForm, TemporaryPasswordForm
from clinicflow.accounts.lockout import is_locked_out
from clinicflow.accounts.models import User
from clinicflow.accounts.selectors import staff_limits_overview, staff_queryset
from clinicflow.accounts.services import staff as staff_services
from clinicflow.accounts.services.credentials import confirmed_device
from clinicflow.core import policy
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError
from clinicflow.core.feedback import submit_and_report
from clinicflow.core.forms import ReasonForm
from clinicflow.core.lists import FilteredListView
from clinicflow.core.roles import Role


def _staff(actor: Actor) -> QuerySet[Any]:
    assert actor.clinic is not None
    return staff_queryset(actor.clinic, User.objects.all())


def _person(actor: Actor, action: str, pk: Any) -> User:
    """One person of the clinic's staff the actor may take ``action`` on, or 404."""
    return access_object(actor, action, _staff(actor), pk=pk)


def _memberships_here(person: User) -> list[Any]:
    """The person's roles in the actor's clinic, prefetched by ``staff_queryset``."""
    return list(getattr(person, "clinic_memberships", []))


class StaffListView(FilteredListView):
    policy_action = "staff.view"
    model = User
    filterset_class = StaffFilter
    template_name = "accounts/staff_list.html"
    page_key = "username"
    page_descending = False

    def base_queryset(self) -> QuerySet[Any]:
        actor = actor_of(self.request)
        return policy.restrict(actor, self.policy_action, _staff(actor))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        actor = actor_of(self.request)
        assert actor.clinic is not None
        context["limits"] = staff_limits_overview(actor.clinic)
        context["may_manage"] = policy.allows(actor, "staff.manage")
        return context


def _details(data: dict[str, Any]) -> staff_services.StaffDetails:
    return staff_services.StaffDetails(
        first_name=data["first_name"],
        last_name=data.get("last_name", ""),
        email=data.get("email", ""),
        phone=data.get("phone", ""),
        job_title=data.get("job_title", ""),
    )


def _staff_form(actor: Actor, data: Any, *, creating: bool, **kwargs: Any) -> StaffForm:
    return StaffForm(
        data,
        creating=creating,
        may_grant_manager=policy.allows(actor, "staff.manage_managers"),
        **kwargs,
    )


@requires("staff.manage")
def staff_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = _staff_form(actor, request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = staff_services.create_staff(
                actor=actor,
                username=data["username"],
                details=_details(data),
                roles=[Role(r) for r in data["roles"]],
                password=data.get("password") or "",
                request=request,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": user})
            return redirect("accounts:staff_detail", pk=user.pk)
    return render(request, "accounts/staff_form.html", {"form": form, "creating": True})


@requires("staff.view")
def staff_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    person = _person(actor, "staff.view", pk)
    may_manage = policy.allows_object(actor, "staff.manage", person)
    return render(
        request,
        "accounts/staff_detail.html",
        {
            "person": person,
            "may_manage": may_manage and person.pk != actor.user.pk,
            "is_active_here": getattr(person, "active_here", False) and person.is_active,
            "locked_out": is_locked_out(person.username),
            "has_two_factor": confirmed_device(person) is not None,
            "reason_form": ReasonForm(),
            "password_form": TemporaryPasswordForm(),
        },
    )


@requires("staff.manage")
def staff_edit(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    person = _person(actor, "staff.manage", pk)
    initial = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "phone": person.phone,
        "job_title": person.job_title,
        "roles": [m.role for m in _memberships_here(person) if m.is_active],
    }
    form = _staff_form(actor, request.POST or None, creating=False, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            staff_services.update_staff(
                actor=actor,
                user=person,
                details=_details(form.cleaned_data),
                roles=[Role(r) for r in form.cleaned_data["roles"]],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("%(name)s was updated.") % {"name": person})
            return redirect("accounts:staff_detail", pk=person.pk)
    return render(
        request, "accounts/staff_form.html", {"form": form, "creating": False, "person": person}
    )


@dataclass(frozen=True)
class Operation:
    """One button on a person's page: its form (if it needs input), the service, the message."""

    run: Callable[[Actor, User, dict[str, Any], HttpRequest], Any]
    done: str
    form: type[forms.Form] | None = None


OPERATIONS: dict[str, Operation] = {
    "deactivate": Operation(
        lambda actor, user, data, request: staff_services.deactivate_staff(
            actor=actor, user=user, reason=data["reason"]
        ),
        _("%(name)s was deactivated and signed out everywhere."),
        ReasonForm,
    ),
    "activate": Operation(
        lambda actor, user, data, request: staff_services.activate_staff(actor=actor, user=user),
        _("%(name)s is active again."),
    ),
    "set_password": Operation(
        lambda actor, user, data, request: staff_services.set_temporary_password(
            actor=actor, user=user, password=data["password"]
        ),
        _("%(name)s has a temporary password and must change it at the next sign-in."),
        TemporaryPasswordForm,
    ),
    "email_reset": Operation(
        lambda actor, user, data, request: staff_services.email_password_reset(
            actor=actor, user=user, request=request
        ),
        _("A password-reset link was e-mailed to %(name)s."),
    ),
    "unlock": Operation(
        lambda actor, user, data, request: staff_services.unlock_account(actor=actor, user=user),
        _("%(name)s can sign in again."),
    ),
    "reset_two_factor": Operation(
        lambda actor, user, data, request: staff_services.reset_two_factor(actor=actor, user=user),
        _("%(name)s's authenticator app was removed."),
    ),
}


@requires("staff.manage")
@require_POST
def staff_operation(request: HttpRequest, pk: Any, operation: str) -> HttpResponse:
    actor = actor_of(request)
    person = _person(actor, "staff.manage", pk)
    op = OPERATIONS[operation]
    form = op.form(request.POST) if op.form is not None else forms.Form(request.POST)
    submit_and_report(
        request,
        form,
        lambda data: op.run(actor, person, data, request),
        op.done % {"name": person},
    )
    return redirect("accounts:staff_detail", pk=person.pk)

"""The portal's pages, phone first: registering, signing in with a code, the family and its
switcher, linking records; and the desk's linking on the chart.

Every page that names a patient fetches them through ``access.access_member`` (the account's
own family only: any other id is a 404) or, at the desk, through the policy's
``access_object``. Each code step (a page asking for a code, a page taking it) is a
``code_steps.CodeStep``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clinicflow.accounts.models import User
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditAction
from clinicflow.patients.models import Patient
from clinicflow.portal import access, services
from clinicflow.portal.code_steps import CodeStep, ip_of
from clinicflow.portal.forms import CodeSignInForm, DeskLinkForm, LinkForm, RegisterForm
from clinicflow.portal.models import OneTimeCode, PatientLink

BACKEND = "clinicflow.accounts.backends.UsernameOrEmailBackend"

REGISTER = CodeStep(
    start="portal:register",
    verify="portal:register_code",
    purpose="register",
    heading=gettext_lazy("Enter the code we sent you"),
)
SIGN_IN = CodeStep(
    start="portal:sign_in_code",
    verify="portal:sign_in_code_verify",
    purpose="sign_in",
    heading=gettext_lazy("Enter the code sent to your phone"),
)
LINK = CodeStep(
    start="portal:link",
    verify="portal:link_code",
    purpose="link",
    heading=gettext_lazy("Enter the code sent to the record's phone or e-mail"),
)


# ---------------------------------------------------------------- registering


@requires("portal.register")
def register(request: HttpRequest) -> HttpResponse:
    if actor_of(request).is_authenticated:
        return redirect("core:dashboard")

    def send(data: Mapping[str, Any]) -> OneTimeCode:
        return services.start_registration(
            clinic=data["clinic"],
            registration=services.Registration(
                given_name=data["given_name"],
                family_name=data["family_name"],
                birth_date=data["birth_date"],
                sex=data["sex"],
                address=data["address"],
                password=data["password"],
            ),
            ip=ip_of(request),
        )

    return REGISTER.ask(
        request,
        RegisterForm(request.POST or None),
        template="portal/register.html",
        send=send,
        invalid_status=400,
    )


@requires("portal.register")
def register_code(request: HttpRequest) -> HttpResponse:
    def welcome(user: User) -> HttpResponse:
        login(request, user, backend=BACKEND)
        messages.success(request, _("Welcome! Your account and your record are ready."))
        return redirect("core:dashboard")

    return REGISTER.take(
        request,
        redeem=lambda code_id, digits: services.complete_registration(
            code_id=code_id, digits=digits, ip=ip_of(request)
        ),
        done=welcome,
    )


# ---------------------------------------------------------------- signing in with a code


@requires("portal.code_sign_in")
def sign_in_code(request: HttpRequest) -> HttpResponse:
    if actor_of(request).is_authenticated:
        return redirect("core:dashboard")
    return SIGN_IN.ask(
        request,
        CodeSignInForm(request.POST or None),
        template="portal/sign_in_code.html",
        send=lambda data: services.start_code_sign_in(phone=data["phone"], ip=ip_of(request)),
    )


@requires("portal.code_sign_in")
def sign_in_code_verify(request: HttpRequest) -> HttpResponse:
    def signed_in(user: User) -> HttpResponse:
        login(request, user, backend=BACKEND)
        return redirect(_next(request))

    return SIGN_IN.take(
        request,
        redeem=lambda code_id, digits: services.complete_code_sign_in(
            code_id=code_id, digits=digits, ip=ip_of(request)
        ),
        done=signed_in,
    )


def _next(request: HttpRequest) -> str:
    wanted = request.GET.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}):
        return wanted
    return reverse("core:dashboard")


# ---------------------------------------------------------------- the family


@requires("portal.family")
def family(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    members = access.family_of(actor.user, actor.clinic)
    return render(
        request,
        "portal/family.html",
        {"family": members, "member": access.selected_member(request, members)},
    )


@requires("portal.family")
@require_POST
def select(request: HttpRequest, pk: Any) -> HttpResponse:
    patient = access.access_member(request, pk)
    access.select_member(request, patient)
    messages.success(request, _("Now showing %(name)s.") % {"name": patient.full_name})
    return redirect(_next(request))


@requires("portal.family")
def member(request: HttpRequest, pk: Any) -> HttpResponse:
    """One family member's own details (a read of their chart, audited)."""
    patient = access.access_member(request, pk)
    record(AuditAction.VIEW, obj=patient, changes={"part": "details", "via": "portal"})
    return render(request, "portal/member.html", {"patient": patient})


@requires("portal.family")
def remove(request: HttpRequest, pk: Any) -> HttpResponse:
    patient = access.access_member(request, pk)
    if request.method == "POST":
        try:
            services.stop_looking_after(actor=actor_of(request), patient=patient)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Your account no longer looks after %(name)s.") % {"name": patient.full_name},
            )
        return redirect("portal:family")
    return render(request, "portal/remove.html", {"patient": patient})


# ---------------------------------------------------------------- linking a record


@requires("portal.link")
def link(request: HttpRequest) -> HttpResponse:
    def send(data: Mapping[str, Any]) -> OneTimeCode:
        return services.request_link(
            actor=actor_of(request),
            mrn=data["mrn"],
            birth_date=data["birth_date"],
            relationship=data["relationship"],
            ip=ip_of(request),
        )

    return LINK.ask(request, LinkForm(request.POST or None), template="portal/link.html", send=send)


@requires("portal.link")
def link_code(request: HttpRequest) -> HttpResponse:
    def linked(made: PatientLink) -> HttpResponse:
        access.select_member(request, made.patient)
        messages.success(
            request, _("%(name)s is now in your family.") % {"name": made.patient.full_name}
        )
        return redirect("portal:family")

    return LINK.take(
        request,
        redeem=lambda code_id, digits: services.confirm_link(
            actor=actor_of(request), code_id=code_id, digits=digits, ip=ip_of(request)
        ),
        done=linked,
    )


# ---------------------------------------------------------------- at the desk


@requires("portal.desk_link")
@require_POST
def desk_link(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    patient = access_object(
        actor, "portal.desk_link", Patient.objects.for_clinic(actor.clinic), pk=pk
    )
    form = DeskLinkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    else:
        try:
            linked = services.link_at_desk(
                actor=actor,
                patient=patient,
                account=form.cleaned_data["account"],
                relationship=form.cleaned_data["relationship"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(account)s now looks after this record in the portal.")
                % {"account": linked.user},
            )
    return redirect("patients:chart", pk=patient.pk)


@requires("portal.desk_link")
@require_POST
def desk_remove(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    found = access_object(actor, "portal.desk_link", PatientLink.objects.all(), pk=pk)
    try:
        ended = services.remove_at_desk(actor=actor, link_id=found.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(account)s no longer looks after this record.") % {"account": ended.user}
        )
    return redirect("patients:chart", pk=found.patient_id)

"""The portal's pages, phone first: registering, signing in with a code, the family and its
switcher, linking records; and the desk's linking on the chart.

Every page that names a patient fetches them through ``access.access_member`` (the account's
own family only: any other id is a 404) or, at the desk, through the policy's
``access_object``. Codes in progress are remembered in the session by their id only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.context import client_ip
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditAction
from clinicflow.patients.models import Patient
from clinicflow.portal import access, services
from clinicflow.portal.forms import (
    CodeForm,
    CodeSignInForm,
    DeskLinkForm,
    LinkForm,
    RegisterForm,
)
from clinicflow.portal.models import PatientLink

BACKEND = "clinicflow.accounts.backends.UsernameOrEmailBackend"
PENDING = {
    "register": "portal.code.register",
    "sign_in": "portal.code.sign_in",
    "link": "portal.code.link",
}


def _ip(request: HttpRequest) -> str:
    return client_ip(request) or ""


def _show(form: Any, exc: DomainError, status: list[int]) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    status[0] = getattr(exc, "status_code", 400)


def _code_page(
    request: HttpRequest, form: CodeForm, *, purpose: str, heading: str, again: str, status: int
) -> HttpResponse:
    return render(
        request,
        "portal/code.html",
        {"form": form, "purpose": purpose, "heading": heading, "again_url": again},
        status=status,
    )


# ---------------------------------------------------------------- registering


@requires("portal.register")
def register(request: HttpRequest) -> HttpResponse:
    if actor_of(request).is_authenticated:
        return redirect("core:dashboard")
    form = RegisterForm(request.POST or None)
    status = [200]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            code = services.start_registration(
                clinic=data["clinic"],
                registration=services.Registration(
                    given_name=data["given_name"],
                    family_name=data["family_name"],
                    birth_date=data["birth_date"],
                    sex=data["sex"],
                    address=data["address"],
                    password=data["password"],
                ),
                ip=_ip(request),
            )
        except DomainError as exc:
            _show(form, exc, status)
        else:
            request.session[PENDING["register"]] = str(code.pk)
            return redirect("portal:register_code")
    elif request.method == "POST":
        status[0] = 400
    return render(request, "portal/register.html", {"form": form}, status=status[0])


@requires("portal.register")
def register_code(request: HttpRequest) -> HttpResponse:
    code_id = request.session.get(PENDING["register"])
    if not code_id:
        return redirect("portal:register")
    form = CodeForm(request.POST or None)
    status = [200]
    if request.method == "POST" and form.is_valid():
        try:
            user = services.complete_registration(
                code_id=code_id, digits=form.cleaned_data["code"], ip=_ip(request)
            )
        except DomainError as exc:
            _show(form, exc, status)
        else:
            request.session.pop(PENDING["register"], None)
            login(request, user, backend=BACKEND)
            messages.success(request, _("Welcome! Your account and your record are ready."))
            return redirect("core:dashboard")
    return _code_page(
        request,
        form,
        purpose="register",
        heading=_("Enter the code we sent you"),
        again=reverse("portal:register"),
        status=status[0],
    )


# ---------------------------------------------------------------- signing in with a code


@requires("portal.code_sign_in")
def sign_in_code(request: HttpRequest) -> HttpResponse:
    if actor_of(request).is_authenticated:
        return redirect("core:dashboard")
    form = CodeSignInForm(request.POST or None)
    status = [200]
    if request.method == "POST" and form.is_valid():
        try:
            code = services.start_code_sign_in(phone=form.cleaned_data["phone"], ip=_ip(request))
        except DomainError as exc:
            _show(form, exc, status)
        else:
            request.session[PENDING["sign_in"]] = str(code.pk)
            return redirect("portal:sign_in_code_verify")
    return render(request, "portal/sign_in_code.html", {"form": form}, status=status[0])


@requires("portal.code_sign_in")
def sign_in_code_verify(request: HttpRequest) -> HttpResponse:
    code_id = request.session.get(PENDING["sign_in"])
    if not code_id:
        return redirect("portal:sign_in_code")
    form = CodeForm(request.POST or None)
    status = [200]
    if request.method == "POST" and form.is_valid():
        try:
            user = services.complete_code_sign_in(
                code_id=code_id,
                digits=form.cleaned_data["code"],
                ip=_ip(request),
            )
        except DomainError as exc:
            _show(form, exc, status)
        else:
            request.session.pop(PENDING["sign_in"], None)
            login(request, user, backend=BACKEND)
            return redirect(_next(request))
    return _code_page(
        request,
        form,
        purpose="sign_in",
        heading=_("Enter the code sent to your phone"),
        again=reverse("portal:sign_in_code"),
        status=status[0],
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
    form = LinkForm(request.POST or None)
    status = [200]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            code = services.request_link(
                actor=actor_of(request),
                mrn=data["mrn"],
                birth_date=data["birth_date"],
                relationship=data["relationship"],
                ip=_ip(request),
            )
        except DomainError as exc:
            _show(form, exc, status)
        else:
            request.session[PENDING["link"]] = str(code.pk)
            return redirect("portal:link_code")
    return render(request, "portal/link.html", {"form": form}, status=status[0])


@requires("portal.link")
def link_code(request: HttpRequest) -> HttpResponse:
    code_id = request.session.get(PENDING["link"])
    if not code_id:
        return redirect("portal:link")
    form = CodeForm(request.POST or None)
    status = [200]
    if request.method == "POST" and form.is_valid():
        try:
            linked = services.confirm_link(
                actor=actor_of(request),
                code_id=code_id,
                digits=form.cleaned_data["code"],
                ip=_ip(request),
            )
        except DomainError as exc:
            _show(form, exc, status)
        else:
            request.session.pop(PENDING["link"], None)
            access.select_member(request, linked.patient)
            messages.success(
                request,
                _("%(name)s is now in your family.") % {"name": linked.patient.full_name},
            )
            return redirect("portal:family")
    return _code_page(
        request,
        form,
        purpose="link",
        heading=_("Enter the code sent to the record's phone or e-mail"),
        again=reverse("portal:link"),
        status=status[0],
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

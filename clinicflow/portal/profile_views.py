"""The chosen family member's message preferences (which messages, through what, in which
language, quiet hours) and SMS consent, set by the patient themselves: the desk's form and
services under the portal's policy action, the consent recorded as given by the person; and
their contact details (a new phone or e-mail proved by a code sent to it, ``contact``).

A form that acts on a record posts its id, fetched again through ``access.access_member``: a
tab left open on another family member acts on the one it shows, and an id the account does
not look after is a 404."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clinicflow.core.access import actor_of, requires
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditAction
from clinicflow.notifications import preferences
from clinicflow.notifications.models.preferences import ConsentSource
from clinicflow.notifications.preference_views import patient_form, saved_patient_form
from clinicflow.patients.models import Patient
from clinicflow.portal import access, contact
from clinicflow.portal.code_steps import CodeStep, ip_of
from clinicflow.portal.forms import ContactForm, PostalAddressForm
from clinicflow.portal.models import OneTimeCode

ACTION = "portal.preferences"
#: Kept with a consent change made in the portal: who asked is the account recorded with it.
PORTAL_EVIDENCE = "Chosen in the patient portal"


@requires(ACTION)
def message_preferences(request: HttpRequest) -> HttpResponse:
    member = access.selected_member(request)
    if member is None:
        return redirect("core:dashboard")
    actor = actor_of(request)
    form, current = patient_form(member, request.POST or None)
    if request.method == "POST" and saved_patient_form(
        form, actor=actor, patient=member, action=ACTION
    ):
        flash.success(request, _("Your message preferences were saved."))
        return redirect("portal:preferences")
    if request.method == "GET":
        record(
            AuditAction.VIEW, obj=member, changes={"part": "message preferences", "via": "portal"}
        )
    return render(
        request,
        "portal/preferences.html",
        {"member": member, "form": form, "sms_opted_out_at": current.sms_opted_out_at},
    )


@requires(ACTION)
@require_POST
def sms(request: HttpRequest) -> HttpResponse:
    """Stop SMS from the clinic, or have them again (``on``: "1" or "0") for the record the
    form names (``patient``), not the one the session shows now."""
    member = access.access_member(request, request.POST.get("patient"), ACTION)
    wanted = request.POST.get("on")
    if wanted not in ("0", "1"):
        flash.error(request, _("Choose whether to receive SMS."))
        return redirect("portal:preferences")
    try:
        changed = preferences.record_sms_consent(
            actor=actor_of(request),
            patient=member,
            opted_in=wanted == "1",
            evidence=PORTAL_EVIDENCE,
            action=ACTION,
            source=ConsentSource.SELF,
        )
    except DomainError as exc:
        flash.error(request, exc.message)
    else:
        if not changed:
            flash.info(request, _("Nothing changed: it was already so."))
        elif wanted == "1":
            flash.success(request, _("You will receive SMS from the clinic again."))
        else:
            flash.success(
                request, _("You will get no more SMS from the clinic, reminders included.")
            )
    return redirect("portal:preferences")


# ---------------------------------------------------------------- contact details

CONTACT = CodeStep(
    purpose="contact",
    start="portal:contact",
    verify="portal:contact_code",
    heading=gettext_lazy("Enter the code sent to the new phone or e-mail"),
)


def _member(request: HttpRequest, action: str) -> Patient | None:
    """The record a form names (``patient``, posted or in the address), else the chosen one."""
    named = request.POST.get("patient") or request.GET.get("patient")
    if named:
        return access.access_member(request, named, action)
    return access.selected_member(request)


@requires(contact.ACTION)
def contact_details(request: HttpRequest) -> HttpResponse:
    """The record's phone, e-mail and postal address; a new phone or e-mail gets a code."""
    member = _member(request, contact.ACTION)
    if member is None:
        return redirect("core:dashboard")
    if request.method == "GET":
        record(AuditAction.VIEW, obj=member, changes={"part": "contact details", "via": "portal"})

    def send(data: Mapping[str, Any]) -> OneTimeCode:
        return contact.request_contact_change(
            actor=actor_of(request), patient=member, address=data["address"], ip=ip_of(request)
        )

    return CONTACT.ask(
        request,
        ContactForm(request.POST or None, initial={"patient": member.pk}),
        template="portal/contact.html",
        send=send,
        invalid_status=400,
        context={
            "member": member,
            "postal": PostalAddressForm(initial={"patient": member.pk, "address": member.address}),
        },
    )


@requires(contact.ACTION)
def contact_code(request: HttpRequest) -> HttpResponse:
    def changed(patient: Patient) -> HttpResponse:
        flash.success(
            request, _("Saved: %(name)s's contact details changed.") % {"name": patient.full_name}
        )
        return redirect(f"{reverse('portal:contact')}?patient={patient.pk}")

    return CONTACT.take(
        request,
        redeem=lambda code_id, digits: contact.confirm_contact_change(
            actor=actor_of(request), code_id=code_id, digits=digits, ip=ip_of(request)
        ),
        done=changed,
    )


@requires(contact.ACTION)
@require_POST
def postal_address(request: HttpRequest) -> HttpResponse:
    member = access.access_member(request, request.POST.get("patient"), contact.ACTION)
    form = PostalAddressForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                flash.error(request, str(error))
    else:
        try:
            contact.change_postal_address(
                actor=actor_of(request), patient=member, address=form.cleaned_data["address"]
            )
        except DomainError as exc:
            flash.error(request, exc.message)
        else:
            flash.success(request, _("The postal address was saved."))
    return redirect(f"{reverse('portal:contact')}?patient={member.pk}")

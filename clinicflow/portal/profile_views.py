"""The chosen family member's message preferences (which messages, through what, in which
language, quiet hours) and SMS consent, set by the patient themselves: the desk's form and
services under the portal's policy action, the consent recorded as given by the person."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.core.access import actor_of, requires
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError
from clinicflow.core.models import AuditAction
from clinicflow.notifications import preferences
from clinicflow.notifications.models.preferences import ConsentSource
from clinicflow.notifications.preference_views import patient_form, saved_patient_form
from clinicflow.portal import access

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
    """Stop SMS from the clinic, or have them again (``on``: "1" or "0")."""
    member = access.selected_member(request)
    if member is None:
        return redirect("core:dashboard")
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

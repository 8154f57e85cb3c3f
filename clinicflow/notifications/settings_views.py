"""The manager's messaging pages: the clinic's settings (reminder times, quiet hours, patients'
language) and the message texts, each editable with a live preview and reset to its default."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.core.access import actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.notifications import message_templates, messaging
from clinicflow.notifications.events import EventKind
from clinicflow.notifications.forms import MessagingSettingsForm, TemplateForm

ACTION = "notifications.manage"


@requires(ACTION)
def messaging_settings(request: HttpRequest) -> HttpResponse:
    """When reminders go, the quiet hours, the language of patients who chose none."""
    actor = actor_of(request)
    current = messaging.settings_of(actor.clinic)
    form = MessagingSettingsForm(
        request.POST or None,
        initial={
            "first_reminder_hours": current.first_reminder_hours,
            "second_reminder_hours": current.second_reminder_hours,
            "quiet_from": current.quiet_from,
            "quiet_until": current.quiet_until,
            "language": current.language,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            messaging.update_settings(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            flash.success(request, _("The messaging settings were saved."))
            return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})


@requires(ACTION)
def template_list(request: HttpRequest) -> HttpResponse:
    """Every message the clinic may send, per channel and language: its own text or the
    default."""
    rows = message_templates.catalogue(actor_of(request).clinic)
    groups = [(kind, list(texts)) for kind, texts in groupby(rows, key=lambda w: w.kind)]
    return render(request, "notifications/templates.html", {"groups": groups})


def _kind(event: str, channel: str, language: str) -> EventKind:
    try:
        return message_templates.kind_for(event, channel, language)
    except DomainError:
        raise Http404 from None


@requires(ACTION)
def template_edit(request: HttpRequest, event: str, channel: str, language: str) -> HttpResponse:
    """One text: the form, the preview with sample values (live through HTMX), and a way back
    to the default."""
    actor = actor_of(request)
    kind = _kind(event, channel, language)
    current = message_templates.wording_of(actor.clinic, kind, channel, language)
    form = TemplateForm(
        request.POST or None,
        channel=channel,
        placeholders=kind.all_placeholders,
        initial={"subject": current.subject, "body": current.body},
    )
    if request.method == "POST" and form.is_valid():
        try:
            message_templates.save_template(
                actor=actor,
                event=kind.key,
                channel=channel,
                language=language,
                subject=form.cleaned_data.get("subject", ""),
                body=form.cleaned_data["body"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            flash.success(request, _("The text was saved."))
            return redirect("notifications:templates")
    if form.is_bound:
        subject, body = form.data.get("subject", ""), form.data.get("body", "")
    else:
        subject, body = current.subject, current.body
    return render(
        request,
        "notifications/template_edit.html",
        {
            "current": current,
            "channel": channel,
            "form": form,
            "preview": message_templates.preview(
                clinic=actor.clinic, kind=kind, channel=channel, subject=subject, body=body
            ),
        },
    )


@requires(ACTION)
@require_POST
def template_preview(request: HttpRequest, event: str, channel: str, language: str) -> HttpResponse:
    """The preview of the text being typed (an HTMX fragment; nothing is saved)."""
    actor = actor_of(request)
    kind = _kind(event, channel, language)
    preview = message_templates.preview(
        clinic=actor.clinic,
        kind=kind,
        channel=channel,
        subject=request.POST.get("subject", ""),
        body=request.POST.get("body", ""),
    )
    context: dict[str, Any] = {"channel": channel, "preview": preview}
    return render(request, "notifications/template_edit.html#preview", context)


@requires(ACTION)
@require_POST
def template_reset(request: HttpRequest, event: str, channel: str, language: str) -> HttpResponse:
    """Back to the default text: the clinic's own is deleted."""
    kind = _kind(event, channel, language)
    try:
        reset = message_templates.reset_template(
            actor=actor_of(request), event=kind.key, channel=channel, language=language
        )
    except DomainError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(
            request,
            _("The default text is used again.") if reset else _("The default text was in use."),
        )
    return redirect("notifications:templates")

"""Telling the person at the page how an action went."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinicflow.core.errors import DomainError


def run_and_report(request: HttpRequest, action: Callable[[], Any], done: str) -> bool:
    """Run a service call; show its refusal as an error message, or ``done`` when it worked."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True


def report_form_errors(request: HttpRequest, form: Any) -> None:
    """A small inline form's errors as messages (its page is the one redirected to)."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


def submit_and_report(
    request: HttpRequest, form: Any, run: Callable[[dict[str, Any]], Any], done: str
) -> bool:
    """A small inline form: when valid, run the service with its data and report the outcome;
    otherwise report its errors."""
    if not form.is_valid():
        report_form_errors(request, form)
        return False
    return run_and_report(request, lambda: run(form.cleaned_data), done)


def ask_to_confirm(request: HttpRequest, question: str, *, back: str) -> HttpResponse:
    """The page that asks ``question`` about the form just sent (a ``NeedsConfirmation``):
    a button sends the same form again with ``confirm``, a link goes ``back``. Works without
    JavaScript."""
    sent = [
        (name, value)
        for name in request.POST
        if name not in ("csrfmiddlewaretoken", "confirm")
        for value in request.POST.getlist(name)
    ]
    return render(
        request,
        "core/confirm.html",
        {"question": question, "action": request.path, "sent": sent, "back": back},
    )

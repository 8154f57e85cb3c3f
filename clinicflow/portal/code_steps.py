"""A code step: the page that asks for a one-time code (to register, to sign in, to link a
record, to prove a new phone or e-mail) and the page that takes the code back.

Every such step has one shape, written once here: a form; a service called with what the form
holds; a ``DomainError`` shown at the form with its status; the code in progress remembered in
the session by its id only, under the step's own key, and forgotten once it has done its work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from clinicflow.core.audit.context import client_ip
from clinicflow.core.errors import DomainError
from clinicflow.portal.forms import CodeForm
from clinicflow.portal.models import OneTimeCode

T = TypeVar("T")


def ip_of(request: HttpRequest) -> str:
    return client_ip(request) or ""


def show_error(form: Any, exc: DomainError) -> int:
    """Put ``exc`` at its field (or over the form) and answer the page's status."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return int(getattr(exc, "status_code", 400))


@dataclass(frozen=True)
class CodeStep:
    """One code-guarded step. ``purpose``: what the code page says was sent (and the session
    key of the code in progress); ``start`` and ``verify``: the URL names of its two pages."""

    purpose: str
    start: str
    verify: str
    heading: Any  # a lazy translation: read when the page is drawn, in the visitor's language

    @property
    def pending(self) -> str:
        return f"portal.code.{self.purpose}"

    def ask(
        self,
        request: HttpRequest,
        form: Any,
        *,
        template: str,
        send: Callable[[Mapping[str, Any]], OneTimeCode],
        context: Mapping[str, Any] | None = None,
        invalid_status: int = 200,
    ) -> HttpResponse:
        """The page asking for a code: ``send`` (a service given the form's cleaned data)
        issues it, and the visitor goes on to the code page."""
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    code = send(form.cleaned_data)
                except DomainError as exc:
                    status = show_error(form, exc)
                else:
                    request.session[self.pending] = str(code.pk)
                    return redirect(self.verify)
            else:
                status = invalid_status
        return render(request, template, {**(context or {}), "form": form}, status=status)

    def take(
        self,
        request: HttpRequest,
        *,
        redeem: Callable[[str, str], T],
        done: Callable[[T], HttpResponse],
    ) -> HttpResponse:
        """The page taking the code: ``redeem(code_id, digits)`` (a service) does the step,
        ``done`` answers with what it returned. Without a code in progress: the start page."""
        code_id = request.session.get(self.pending)
        if not code_id:
            return redirect(self.start)
        form = CodeForm(request.POST or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            try:
                result = redeem(str(code_id), form.cleaned_data["code"])
            except DomainError as exc:
                status = show_error(form, exc)
            else:
                request.session.pop(self.pending, None)
                return done(result)
        return render(
            request,
            "portal/code.html",
            {
                "form": form,
                "purpose": self.purpose,
                "heading": self.heading,
                "again_url": reverse(self.start),
            },
            status=status,
        )

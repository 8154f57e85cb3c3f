"""Reviews: the patient rates a completed visit (of the family member the portal shows, or any
record the account looks after: the policy's object rule), and managers read every review and
hide one with the reason (or show it again)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.core import policy
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.portal import access
from clinicflow.portal.booking_forms import HideReviewForm, ReviewForm, first_error
from clinicflow.scheduling import reviews
from clinicflow.scheduling.models import Appointment, VisitReview


@requires("portal.reviews")
def review_list(request: HttpRequest) -> HttpResponse:
    """The shown member's completed visits still to review, and their reviews so far."""
    member = access.selected_member(request)
    if member is None:
        return redirect("core:dashboard")
    written = (
        VisitReview.objects.for_clinic(member.clinic)
        .filter(patient=member)
        .select_related("practitioner__user", "appointment")
    )
    return render(
        request,
        "portal/reviews.html",
        {"member": member, "visits": reviews.reviewable(member.clinic, member), "written": written},
    )


@requires("portal.reviews")
def review_write(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    visit = (
        policy.restrict(actor, reviews.WRITE, Appointment.objects.for_clinic(actor.clinic))
        .select_related("practitioner__user")
        .filter(pk=pk)
        .first()
    )
    if visit is None:
        raise Http404
    form = ReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                reviews.write_review(
                    actor=actor,
                    appointment=visit,
                    doctor_rating=form.cleaned_data["doctor_rating"],
                    clinic_rating=form.cleaned_data["clinic_rating"],
                    comment=form.cleaned_data["comment"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                status = getattr(exc, "status_code", 400)
            else:
                messages.success(request, _("Thank you for your review."))
                return redirect("portal:reviews")
        else:
            messages.error(request, first_error(form))
            status = 400
    return render(
        request, "portal/review_write.html", {"visit": visit, "form": form}, status=status
    )


@requires("reviews.moderate")
def moderation(request: HttpRequest) -> HttpResponse:
    """Every review of the clinic, newest first, hidden ones marked, with hide / show."""
    actor = actor_of(request)
    rows = policy.restrict(actor, reviews.MODERATE, VisitReview.objects.all()).select_related(
        "practitioner__user", "patient", "hidden_by"
    )
    if request.GET.get("hidden") == "1":
        rows = rows.filter(hidden_at__isnull=False)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request, "portal/review_moderation.html", {"page": page, "form": HideReviewForm()}
    )


@requires("reviews.moderate")
@require_POST
def moderate(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    review = access_object(actor, reviews.MODERATE, VisitReview.objects.all(), pk=pk)
    try:
        if request.POST.get("show"):
            reviews.show_review(actor=actor, review=review)
            messages.success(request, _("The review is shown again."))
        else:
            form = HideReviewForm(request.POST)
            if not form.is_valid():
                raise DomainError(first_error(form), field="reason")
            reviews.hide_review(actor=actor, review=review, reason=form.cleaned_data["reason"])
            messages.success(request, _("The review is hidden."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal:review_moderation")

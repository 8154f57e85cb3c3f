"""A patient (or the family member looking after them) adds a document to the record: the
same checks of the file as the desk's uploads (``patients.uploads``: type by content, size,
pixels, PDFs without scripts), kept by the patients app's own service."""

from __future__ import annotations

from datetime import date

from django.http.response import HttpResponseBase

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.patients.file_responses import uploaded_file_response
from clinicflow.patients.models import Patient, PatientDocument
from clinicflow.patients.services import keep_document

UPLOAD = "portal.documents.upload"


def add_document(
    *,
    actor: Actor,
    patient: Patient,
    content: bytes,
    original_name: str,
    category: str,
    title: str,
    document_date: date | None = None,
) -> PatientDocument:
    """Keep the document on the record of a patient the account looks after. Errors: a
    refusal for any other record; ``DomainError`` at ``file`` (type, size, content) or
    ``title``, and then nothing is kept."""
    clinic = policy.require(actor, UPLOAD, patient)
    return keep_document(
        clinic=clinic,
        actor=actor,
        patient=patient,
        content=content,
        original_name=original_name,
        category=category,
        title=title,
        document_date=document_date,
    )


def document_file(member: Patient, doc: PatientDocument, *, download: bool) -> HttpResponseBase:
    """The member's document as the portal hands it out (its page and its API): sandboxed, an
    image shown in the browser or anything as a download, named by MRN (never the name it was
    uploaded with), never cached."""
    extension = (doc.file.name or "").rsplit(".", 1)[-1]
    response = uploaded_file_response(
        doc.file,
        content_type=doc.content_type,
        filename=f"{member.mrn}-{doc.pk.hex[:8]}.{extension}",
        download=download,
    )
    response["Cache-Control"] = "private, no-store"
    return response

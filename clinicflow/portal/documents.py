"""A document of the record as the portal hands it out, to its page and its API. Adding one is
the patients app's own service (``patients.services.upload_document`` under the portal's
action)."""

from __future__ import annotations

from django.http.response import HttpResponseBase

from clinicflow.patients.file_responses import uploaded_file_response
from clinicflow.patients.models import Patient, PatientDocument


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

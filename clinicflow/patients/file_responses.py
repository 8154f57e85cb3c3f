"""How a kept upload goes back to a browser: never as a page of this site.

Every response carries ``Content-Security-Policy: sandbox`` (without ``allow-scripts`` or
``allow-same-origin``): the file gets an opaque origin where nothing runs, so even content that
slipped past the checks could not act as the clinic's site (read its pages, send its forms). An
image displays normally in such a document, so images open in the browser. Chromium refuses to
start its PDF viewer in a sandboxed document, so a PDF cannot be both shown and sandboxed: PDFs
(and anything that is not an image) are downloads, opened by the person's own reader, outside
the site's origin."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse

#: Shown in the browser (sandboxed); any other type is a download.
INLINE_TYPES = frozenset({"image/png", "image/jpeg"})

#: Nothing runs and nothing else loads; the browser's own page around an image styles itself
#: inline, harmless without scripts (and its console stays clean).
SANDBOX_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'"


def uploaded_file_response(
    stored: FieldFile, *, content_type: str, filename: str = "", download: bool = False
) -> FileResponse:
    """The stored file as a sandboxed response: an image inline unless ``download``, anything
    else as an attachment."""
    inline = content_type in INLINE_TYPES and not download
    response = FileResponse(
        stored.open("rb"), content_type=content_type, as_attachment=not inline, filename=filename
    )
    response["Content-Security-Policy"] = SANDBOX_POLICY
    return response

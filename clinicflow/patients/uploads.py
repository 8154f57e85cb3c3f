"""Checking an uploaded medical document by what it *is*, not what it is called.

Only PDF, PNG and JPEG are kept. The type comes from the file's first bytes; images must decode
fully and end where their format ends; PDFs must parse and carry no scripts, launch actions or
embedded files; nothing may carry markup or an archive inside (polyglots). Anything else gets a
message a receptionist understands."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from clinicflow.core.errors import DomainError

THUMBNAIL_SIZE = (240, 240)

#: Signatures at offset 0 → (content type, file extension).
_SIGNATURES = [
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
]
#: Found anywhere in a kept file, these mean markup, script or an archive riding along.
_FORBIDDEN = [b"<script", b"<html", b"<svg", b"<?php", b"<!doctype", b"<iframe", b"pk\x03\x04"]
_PDF_ACTIVE = [b"/javascript", b"/js ", b"/js(", b"/launch", b"/embeddedfile", b"/richmedia"]


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    extension: str
    sha256: str
    thumbnail: bytes | None  # JPEG, for images


def _refuse(message: str) -> DomainError:
    return DomainError(message, field="file")


def max_bytes() -> int:
    return int(settings.CLINICFLOW_MAX_UPLOAD_MB) * 1024 * 1024


def _too_large() -> DomainError:
    return _refuse(
        _("The file is larger than %(mb)s MB.") % {"mb": settings.CLINICFLOW_MAX_UPLOAD_MB}
    )


def read_upload(upload: Any) -> bytes:
    """An uploaded file's bytes, refused by its declared size before anything is read."""
    if upload.size is not None and upload.size > max_bytes():
        raise _too_large()
    return bytes(upload.read())


def check_upload(content: bytes) -> CheckedFile:
    """The file if it is a clean PDF, PNG or JPEG within the size limit; otherwise
    ``DomainError`` at the ``file`` field."""
    if not content:
        raise _refuse(_("The file is empty."))
    if len(content) > max_bytes():
        raise _too_large()
    kind = next(((ct, ext) for sig, ct, ext in _SIGNATURES if content.startswith(sig)), None)
    if kind is None:
        raise _refuse(_("Only PDF documents and PNG or JPEG images can be kept."))
    lowered = content.lower()
    if any(marker in lowered for marker in _FORBIDDEN):
        raise _refuse(_("This file carries web content or an archive inside; it was refused."))
    content_type, extension = kind
    thumbnail = None
    if content_type == "application/pdf":
        _check_pdf(content, lowered)
    else:
        thumbnail = _check_image(content, content_type)
    return CheckedFile(
        content=content,
        content_type=content_type,
        extension=extension,
        sha256=hashlib.sha256(content).hexdigest(),
        thumbnail=thumbnail,
    )


def _check_pdf(content: bytes, lowered: bytes) -> None:
    if any(marker in lowered for marker in _PDF_ACTIVE):
        raise _refuse(_("This PDF contains scripts or attachments; save it as a plain PDF."))
    try:
        pages = len(PdfReader(io.BytesIO(content)).pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        pages = 0
    if pages == 0:
        raise _refuse(_("This PDF cannot be read."))


_IMAGE_ENDS = {"image/png": b"IEND\xaeB`\x82", "image/jpeg": b"\xff\xd9"}
_PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}


def _check_image(content: bytes, content_type: str) -> bytes:
    """Decode the whole image (a thumbnail proves it) and refuse data after its end."""
    if not content.rstrip(b"\x00\r\n ").endswith(_IMAGE_ENDS[content_type]):
        raise _refuse(_("This image has something attached after it; it was refused."))
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format != _PIL_FORMATS[content_type]:
                raise _refuse(_("This image is damaged."))
            image.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=80)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(_("This image is damaged.")) from None
    return out.getvalue()

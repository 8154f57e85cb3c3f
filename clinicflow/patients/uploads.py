"""Checking an uploaded medical document by what it *is*, not what it is called.

Only PDF, PNG and JPEG are kept. The type comes from the file's first bytes; images must be no
larger than ``CLINICFLOW_MAX_IMAGE_MEGAPIXELS`` (read from the header, before any decoding),
decode fully and end where their format ends; PDFs must parse and carry nothing that acts
(``pdf_content``); nothing may carry markup or an archive inside (polyglots). Anything else gets a
message a receptionist understands. Every upload path (documents on the chart and in the API,
appointment attachments, doctors' photos) comes through ``check_upload``."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from clinicflow.core.errors import DomainError
from clinicflow.patients.pdf_content import pdf_problem

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
    # The plain-bytes look is cheap and also sees objects outside the cross-reference, which a
    # lenient reader may still find; the walk of the decoded objects sees through escapes and
    # object streams.
    if any(marker in lowered for marker in _PDF_ACTIVE):
        raise _refuse(_("This PDF contains scripts or attachments; save it as a plain PDF."))
    problem = pdf_problem(content)
    if problem is not None:
        raise _refuse(problem)


_IMAGE_ENDS = {"image/png": b"IEND\xaeB`\x82", "image/jpeg": b"\xff\xd9"}
_PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}


def max_image_pixels() -> int:
    return int(settings.CLINICFLOW_MAX_IMAGE_MEGAPIXELS) * 1_000_000


def bound_image_decoding() -> None:
    """Make Pillow itself refuse, anywhere in the process, an image above the limit (called once
    at start-up). Pillow only warns between its limit and twice it, so the warning is made an
    error: no path that opens an image can decode a bigger one."""
    Image.MAX_IMAGE_PIXELS = max_image_pixels()
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


def _too_many_pixels() -> DomainError:
    return _refuse(
        _("The image is larger than %(mp)s megapixels; send a smaller scan or photo.")
        % {"mp": settings.CLINICFLOW_MAX_IMAGE_MEGAPIXELS}
    )


def _check_image(content: bytes, content_type: str) -> bytes:
    """Refuse an image too large by its header, then decode it whole (a thumbnail proves it) and
    refuse data after its end."""
    if not content.rstrip(b"\x00\r\n ").endswith(_IMAGE_ENDS[content_type]):
        raise _refuse(_("This image has something attached after it; it was refused."))
    pil_format = _PIL_FORMATS[content_type]
    try:
        with Image.open(io.BytesIO(content), formats=[pil_format]) as image:
            # ``open`` has read the header only. A few hundred kilobytes can claim 13000×13000
            # pixels, which decode to 676 MB: the size is judged here, before anything decodes.
            width, height = image.size
            if width * height > max_image_pixels():
                raise _too_many_pixels()
            if image.format != pil_format:
                raise _refuse(_("This image is damaged."))
            # ``thumbnail`` has a JPEG decoded at a reduced scale (``draft``) and reduces a PNG
            # before resampling: full-size pixels, where any, are held once, within the limit.
            image.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=80)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit (``bound_image_decoding``) caught it first, still in ``open``.
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _refuse(_("This image is damaged.")) from None
    return out.getvalue()

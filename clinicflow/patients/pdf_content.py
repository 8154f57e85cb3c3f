"""What a kept PDF may carry: pages to read, nothing that acts.

A PDF is a graph of objects, and a reader acts on what the graph says, not on its bytes: a name
may be written with ``#xx`` escapes (``/J#61vaScript`` is ``/JavaScript``) and objects may sit
compressed inside object streams, so looking for words in the file misses both. pypdf decodes
names and object streams; every object the file's cross-reference lists (the catalog, pages,
annotations, actions, names trees, forms, and all the rest, in object streams too) is walked and
every name in it, key or value, compared with the names below.

The walk is bounded: a hostile file could hold millions of objects, object streams that inflate
to gigabytes, or nesting deep enough to exhaust the stack. Past a bound the file is refused as
too complex rather than checked for longer."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypdf import Configuration, PasswordType, PdfReader, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)

_SCRIPTS = gettext_lazy("scripts")
_PROGRAM = gettext_lazy("a command that starts a program or opens a file")
_FILES = gettext_lazy("attached files")
_MEDIA = gettext_lazy("embedded media or 3D content")
_XML_FORM = gettext_lazy("an XML (XFA) form")
_FORM_DATA = gettext_lazy("a form that sends or loads data")
_OTHER_FILE = gettext_lazy("a link that opens another file")

#: Names (decoded) that make a PDF do something beyond showing its pages, with what the refusal
#: calls it. Links to web pages (``/URI``), moves within the document (``/GoTo``, ``/Named``) and
#: ordinary form fields stay allowed: a referral letter may have them, and they run nothing.
ACTIVE_NAMES: dict[str, Promise] = {
    # Scripts run inside the reader: Acrobat gives them file, network and printer access, and
    # they have been the way in for most exploits of PDF readers. ``/JavaScript`` is the action
    # type and the document-level names tree of scripts; ``/JS`` holds the script itself.
    "/JavaScript": _SCRIPTS,
    "/JS": _SCRIPTS,
    # Starts a program or opens a file on the reader's computer (``/F (calc.exe)``).
    "/Launch": _PROGRAM,
    # Files carried inside (an executable, a web page, another PDF) that the reader offers to
    # open: the embedded file stream, the names tree listing them, a file specification's
    # ``/EF`` entry and the paper-clip annotation that shows one.
    "/EmbeddedFile": _FILES,
    "/EmbeddedFiles": _FILES,
    "/EF": _FILES,
    "/FileAttachment": _FILES,
    # Players with scripting of their own (Flash, video, sound, 3D artwork); an old exploit path.
    "/RichMedia": _MEDIA,
    "/Rendition": _MEDIA,
    "/Movie": _MEDIA,
    "/Sound": _MEDIA,
    "/3D": _MEDIA,
    # XML Forms Architecture: its own script language and data connections.
    "/XFA": _XML_FORM,
    # Send the form's fields (patient data) to an address, or fill them from a file.
    "/SubmitForm": _FORM_DATA,
    "/ImportData": _FORM_DATA,
    # Open another document: a "remote" file (a network path leaks the reader's Windows
    # credentials) or one embedded in this file.
    "/GoToR": _OTHER_FILE,
    "/GoToE": _OTHER_FILE,
}

#: Bounds of one check. A clinic's PDF (a scanned report, a 300-page discharge summary) stays far
#: below them; a file built to exhaust the server does not.
MAX_OBJECTS = 200_000  # dictionaries, arrays and references visited
MAX_SECONDS = 5.0
MAX_STREAM_BYTES = 16 * 1024 * 1024  # one decoded stream (pypdf's own default is 75 MB)
MAX_OBJECT_STREAM_BYTES = 64 * 1024 * 1024  # all object streams together, decoded

#: pypdf's limits for this check (its defaults suit trusted files): decoding a stream stops at
#: ``MAX_STREAM_BYTES`` whatever its filter, and the page tree may not be huge.
_PYPDF_LIMITS = Configuration(
    zlib_maximum_output_length=MAX_STREAM_BYTES,
    lzw_maximum_output_length=MAX_STREAM_BYTES,
    run_length_maximum_output_length=MAX_STREAM_BYTES,
    brotli_maximum_output_length=MAX_STREAM_BYTES,
    jbig2_maximum_output_length=MAX_STREAM_BYTES,
    array_based_stream_maximum_output_length=MAX_STREAM_BYTES,
    stream_decoding_work_maximum_length=4 * MAX_STREAM_BYTES,
    page_tree_maximum_entries=20_000,
    page_tree_maximum_page_entries=200_000,
)


class _TooComplex(Exception):
    """The file passed a bound of the check."""


@dataclass
class _Budget:
    objects: int = field(default_factory=lambda: MAX_OBJECTS)
    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_SECONDS)
    object_stream_bytes: int = field(default_factory=lambda: MAX_OBJECT_STREAM_BYTES)

    def spend(self, objects: int = 1) -> None:
        self.objects -= objects
        if self.objects < 0 or time.monotonic() > self.deadline:
            raise _TooComplex

    def spend_decoded(self, size: int) -> None:
        self.object_stream_bytes -= size
        if self.object_stream_bytes < 0:
            raise _TooComplex


def pdf_problem(content: bytes) -> str | None:
    """Why this PDF may not be kept, in words for the person uploading it; ``None`` when it is a
    readable PDF with pages and nothing active in it."""
    cannot_read = _("This PDF cannot be read.")
    try:
        with apply_configuration(_PYPDF_LIMITS):
            reader = PdfReader(io.BytesIO(content))
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                return _("This PDF is protected by a password; save it without one.")
            if len(reader.pages) == 0:
                return cannot_read
            found = _first_active_name(reader, _Budget())
    except (_TooComplex, LimitReachedError):
        return _("This PDF is too complex to check; save it again as a plain PDF.")
    except Exception:
        # pypdf meeting a file it cannot parse may raise nearly anything (its own errors,
        # ValueError, KeyError, AssertionError, RecursionError on deep nesting): a file nobody
        # can vouch for is not kept.
        return cannot_read
    if found is None:
        return None
    return _(
        "This PDF contains %(what)s; save it as a plain PDF (for example with “Print to PDF”) "
        "and upload that."
    ) % {"what": ACTIVE_NAMES[found]}


def _first_active_name(reader: PdfReader, budget: _Budget) -> str | None:
    """The first refused name met walking every object the file lists, or ``None``."""
    listed = [(number, gen) for gen, numbers in reader.xref.items() for number in numbers]
    listed += [(number, 0) for number in reader.xref_objStm]
    budget.spend(len(listed))  # a file listing millions of objects is refused before any is read
    _decode_object_streams(reader, budget)
    pending: list[PdfObject | None] = [reader.trailer]
    pending += [IndirectObject(number, generation, reader) for number, generation in listed]
    seen: set[tuple[int, int]] = set()
    while pending:
        item = pending.pop()
        budget.spend()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue  # reference cycles are legal; each object is read once
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        # Raw entries (``dict.items``, list iteration): references are followed by the walk
        # above, once each. A stream is walked as its dictionary; its data is never decoded.
        if isinstance(item, NameObject):
            if item in ACTIVE_NAMES:
                return str(item)
        elif isinstance(item, DictionaryObject):
            for key, value in dict.items(item):
                if key in ACTIVE_NAMES:
                    return str(key)
                pending.append(value)
        elif isinstance(item, ArrayObject):
            pending.extend(item)
    return None


def _decode_object_streams(reader: PdfReader, budget: _Budget) -> None:
    """Decode each object stream once, counting what they inflate to, before the walk reads the
    objects inside them (pypdf keeps the decoded data while the reader lives)."""
    for number in {stream for stream, _index in reader.xref_objStm.values()}:
        budget.spend()
        stream = reader.get_object(number)
        if not isinstance(stream, StreamObject):
            raise ValueError("an object stream that is not a stream")
        budget.spend_decoded(len(stream.get_data()))

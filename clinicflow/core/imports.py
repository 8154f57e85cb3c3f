"""Spreadsheet imports that change nothing unless every row is good: reading an uploaded CSV,
one cell at a time, and the report that names the row, the column and what is wrong (the
pharmacy's and the lab's catalogues)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from clinicflow.core.errors import DomainError
from clinicflow.core.text import refuse_control_characters


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    field: str  # the column
    error: str


class ImportRefused(DomainError):
    """The file has errors; nothing was imported."""

    def __init__(self, errors: list[RowError]):
        super().__init__(
            _("Nothing was imported: %(n)d error(s) in the file.") % {"n": len(errors)},
            code="import_refused",
        )
        self.errors = errors

    @property
    def payload(self) -> dict[str, object]:
        return {"errors": [e.__dict__ for e in self.errors]}


def csv_rows(content: bytes, columns: Sequence[str], *, max_rows: int) -> list[dict[str, str]]:
    """The rows of an uploaded CSV (UTF-8, with or without a byte-order mark) that has every
    one of ``columns``; ``DomainError`` at the ``file`` field otherwise."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(
            _("The file is not UTF-8 text (save it as CSV UTF-8)."), field="file"
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise DomainError(_("Missing columns: %s") % ", ".join(missing), field="file")
    rows = list(reader)
    if len(rows) > max_rows:
        raise DomainError(_("At most %d rows per file.") % max_rows, field="file")
    return rows


def cell(raw: str | None) -> str:
    """A cell's text, trimmed; ``ValueError`` for an invisible control character (the rule
    every form applies). The apostrophe our exports put before text a spreadsheet would run
    as a formula (``'+``) is taken off again, so an export reads back as it was."""
    text = (raw or "").strip()
    try:
        refuse_control_characters(text)
    except ValidationError:
        raise ValueError(_("holds an invisible control character")) from None
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return text

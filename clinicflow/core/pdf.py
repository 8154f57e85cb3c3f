"""What every printed PDF of ClinicFlow shares (prescriptions, invoices, receipts, lab
reports): a page with a font that writes any script, text that cannot break the PDF's core
font where there is none, QR codes drawn as images, a roll of paper as long as what is printed
on it, and the download response.

fpdf2 draws; segno draws the QR codes as PNG (it needs no Pillow to do so). Nepali (and any
Devanagari) text is written in Noto Sans Devanagari, which DejaVu lacks, as fpdf2's fallback
font: Latin text stays in DejaVu. Devanagari needs shaping (conjuncts, vowel signs placed
around their consonant), which fpdf2 does with HarfBuzz (``uharfbuzz``). Without the font or
HarfBuzz the document is still written, the Devanagari only less well."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import segno
from django.conf import settings
from django.http import HttpResponse
from fpdf import FPDF

#: A Unicode font when the system has one (names in any script); else the PDF core font.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
#: Where a Devanagari font may be: the project's own copy (``scripts/vendor_assets.py`` copies
#: it from the npm package at install), else Debian's ``fonts-noto-core``.
DEVANAGARI_DIRS = (
    ("vendor", "fonts/noto-sans-devanagari"),
    ("system", "/usr/share/fonts/truetype/noto"),
)
#: The longest roll measured: far beyond any bill, within what a PDF page may be (5080 mm).
LONGEST_ROLL_MM = 5000.0


def _vendor_root() -> Path:
    return Path(settings.BASE_DIR) / "static" / "vendor"


@cache
def devanagari_font() -> tuple[Path, Path] | None:
    """The regular and bold Noto Sans Devanagari files, the first place that has both."""
    for where, folder in DEVANAGARI_DIRS:
        base = _vendor_root() / folder if where == "vendor" else Path(folder)
        regular, bold = (
            base / "NotoSansDevanagari-Regular.ttf",
            base / "NotoSansDevanagari-Bold.ttf",
        )
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


@cache
def can_shape() -> bool:
    """Whether fpdf2 can shape text (it asks HarfBuzz through ``uharfbuzz``)."""
    return find_spec("uharfbuzz") is not None


class Document(FPDF):
    """An FPDF document whose body font is DejaVu Sans when installed, else Helvetica (and
    then text outside Latin-1 is shown as "?" rather than failing the whole document). With
    DejaVu, characters it lacks (Devanagari) fall back to Noto Sans Devanagari where there
    is one, and text is shaped where HarfBuzz is installed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            self.add_font("body", "", str(regular))
            self.add_font("body", "B", str(bold))
            self.body_font, self.unicode_ok = "body", True
            self._add_devanagari()
        else:
            self.body_font, self.unicode_ok = "helvetica", False

    def _add_devanagari(self) -> None:
        font = devanagari_font()
        if font is not None:
            self.add_font("devanagari", "", str(font[0]))
            self.add_font("devanagari", "B", str(font[1]))
            # Not an exact match: an italic or bold-italic line still finds the glyphs.
            self.set_fallback_fonts(["devanagari"], exact_match=False)
        if can_shape():
            self.set_text_shaping(True)

    def clean(self, value: Any) -> str:
        value = str(value)
        return value if self.unicode_ok else value.encode("latin-1", "replace").decode("latin-1")

    def use(self, size: float = 10, style: str = "") -> None:
        self.set_font(self.body_font, style, size)

    def paragraph(
        self,
        value: Any,
        size: float = 10,
        style: str = "",
        height: float = 5.5,
        align: str = "L",
        width: float = 0,
    ) -> None:
        """A paragraph, wrapped (across the page, or ``width`` mm), then the next line."""
        self.use(size, style)
        self.multi_cell(
            width, height, self.clean(value), align=align, new_x="LMARGIN", new_y="NEXT"
        )

    def qr(self, data: str, *, x: float, y: float, size: float, error: str = "m") -> None:
        """``data`` as a QR code, ``size`` mm square, its top left corner at ``x``, ``y``."""
        self.image(qr_png(data, error=error), x=x, y=y, w=size, h=size)


def qr_png(data: str, *, error: str = "m", scale: int = 4) -> io.BytesIO:
    """A full QR code (never Micro QR) as PNG, with a one-module quiet zone (the paper's
    margin gives the rest)."""
    out = io.BytesIO()
    segno.make_qr(data, error=error).save(out, kind="png", scale=scale, border=1)
    out.seek(0)
    return out


def roll(draw: Callable[[Document], None], *, width: float, margin: float = 4) -> bytes:
    """A receipt-printer roll ``width`` mm wide and as long as ``draw`` writes: drawn once on
    a very long page to measure, then again on a page of that length."""
    measure = Document(format=(width, LONGEST_ROLL_MM))
    measure.set_margins(margin, margin, margin)
    measure.set_auto_page_break(auto=False)
    measure.add_page()
    draw(measure)
    length = min(max(measure.get_y() + margin, width), LONGEST_ROLL_MM)
    pdf = Document(format=(width, length))
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    draw(pdf)
    return bytes(pdf.output())


def response(content: bytes, filename: str) -> HttpResponse:
    """The PDF shown in the browser (its viewer downloads or prints it)."""
    reply = HttpResponse(content, content_type="application/pdf")
    reply["Content-Disposition"] = f'inline; filename="{filename}"'
    return reply

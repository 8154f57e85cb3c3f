"""The one check every upload passes (``check_upload``): images judged by the size their header
claims before anything decodes them, PDFs by every object they hold once names and object
streams are decoded, and the check itself bounded against files built to exhaust it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter

from clinicflow.core.errors import DomainError
from clinicflow.patients import pdf_content, uploads
from clinicflow.patients.tests.files import (
    jpeg_claiming,
    pdf_bytes,
    pdf_file,
    pdf_objects,
    png_bytes,
    png_claiming,
)

TOO_MANY_PIXELS = "larger than 40 megapixels"
ROOT = Path(__file__).resolve().parents[3]


def refusal(content: bytes) -> str:
    with pytest.raises(DomainError) as refused:
        uploads.check_upload(content)
    assert refused.value.field == "file"
    return refused.value.message


# ---------------------------------------------------------------- images


# Pillow warns between its limit and twice it (a started server makes that an error); here the
# warning is let by, so the check's own reading of the header is what refuses.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(
    "content",
    [
        png_claiming(13000, 13000),  # the reviewer's bomb: 169 MP in a few hundred bytes
        png_claiming(10000, 5000),  # 50 MP: above our limit, below twice Pillow's
        jpeg_claiming(9000, 5000),
    ],
    ids=["png-169mp", "png-50mp", "jpeg-45mp"],
)
def test_an_image_claiming_more_pixels_than_allowed_is_refused(content):
    assert len(content) < 1024
    assert TOO_MANY_PIXELS in refusal(content)


def test_an_image_within_the_limit_is_kept_with_its_thumbnail():
    checked = uploads.check_upload(png_bytes((1200, 800)))
    assert checked.content_type == "image/png"
    with Image.open(io.BytesIO(checked.thumbnail)) as thumbnail:
        assert thumbnail.size == (240, 160)


def test_the_size_is_judged_from_the_header_before_any_decoding(settings):
    """Pixel data no decoder accepts behind a header claiming 2 MP, with the limit at 1 MP: the
    size refusal proves nothing tried to decode first (a decode would fail as "damaged")."""
    corrupt = png_claiming(2000, 1000, pixels=b"not zlib at all")
    settings.CLINICFLOW_MAX_IMAGE_MEGAPIXELS = 1
    assert "larger than 1 megapixels" in refusal(corrupt)
    settings.CLINICFLOW_MAX_IMAGE_MEGAPIXELS = 3
    assert refusal(corrupt) == "This image is damaged."  # the same file, once it is decoded


def test_pillow_itself_refuses_any_image_above_the_limit_in_a_started_server(tmp_path):
    """At start-up the setting becomes Pillow's own limit, and its warning an error: an image
    opened by any other code of the process is refused at ``open`` too (Pillow alone would
    decode up to twice its limit after a warning). A fresh process, as a server starts."""
    image = tmp_path / "big.png"
    image.write_bytes(png_claiming(2000, 1000))
    opened = f"from PIL import Image; Image.open({str(image)!r}); print('decoded')"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", opened],
        cwd=ROOT,
        env={**os.environ, "MAX_IMAGE_MEGAPIXELS": "1", "CLINICFLOW_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "DecompressionBombWarning: Image size (2000000 pixels) exceeds limit" in result.stderr
    assert "decoded" not in result.stdout


# ---------------------------------------------------------------- PDFs

OPEN_ACTION = b"/OpenAction 4 0 R"


def _unseen_by_a_byte_search(content: bytes) -> bytes:
    """The hostile PDFs below hide their names from a search of the raw bytes; asserting it keeps
    each test about the walk of decoded objects."""
    assert not any(marker in content.lower() for marker in uploads._PDF_ACTIVE)
    return content


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # /S /JavaScript /JS (…), both names written with #xx escapes.
        (
            pdf_file(pdf_objects(OPEN_ACTION, rb"<< /S /J#61vaScript /J#53 (app.alert\(1\)) >>")),
            "contains scripts",
        ),
        # The same action, plainly written, inside a FlateDecode object stream.
        (
            pdf_file(
                pdf_objects(OPEN_ACTION, rb"<< /S /JavaScript /JS (app.alert\(1\)) >>"), packed=[4]
            ),
            "contains scripts",
        ),
        (
            pdf_file(pdf_objects(b"/OpenAction << /S /L#61unch /F (calc.exe) >>")),
            "starts a program",
        ),
        # Document-level scripts in the names tree, in an object stream.
        (
            pdf_file(
                pdf_objects(
                    b"/Names 4 0 R",
                    b"<< /JavaScript << /Names [(init) 5 0 R] >> >>",
                    rb"<< /S /JavaScript /JS (app.alert\(1\)) >>",
                ),
                packed=[4, 5],
            ),
            "contains scripts",
        ),
        (
            pdf_file(
                pdf_objects(
                    b"/Names << /EmbeddedFiles << /Names [(a.exe) 4 0 R] >> >>",
                    b"<< /Type /Filespec /F (a.exe) /EF << /F 5 0 R >> >>",
                    b"<< /Type /EmbeddedFile /Length 0 >>",
                ),
                packed=[1, 4, 5],
            ),
            "attached files",
        ),
        (
            pdf_file(
                pdf_objects(b"/AcroForm << /Fields [] /XFA 4 0 R >>", b"[(template) 5 0 R]"),
                packed=[1],
            ),
            "XML (XFA) form",
        ),
        # A page's button that posts the form (patient data) elsewhere.
        (
            pdf_file(
                {
                    **pdf_objects(),
                    3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
                    4: b"<< /Type /Annot /Subtype /Widget /Rect [0 0 9 9] /A 5 0 R >>",
                    5: b"<< /S /Subm#69tForm /F << /FS /URL /F (http://x.test/) >> >>",
                },
                packed=[3, 4],
            ),
            "sends or loads data",
        ),
        (
            pdf_file(pdf_objects(b"/OpenAction << /S /GoToR /F (//host/a.pdf) >>"), packed=[1]),
            "opens another file",
        ),
        (
            pdf_file(
                {
                    **pdf_objects(),
                    3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
                    4: b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>",
                },
                packed=[4],
            ),
            "embedded media",
        ),
    ],
    ids=[
        "escaped-javascript",
        "javascript-in-object-stream",
        "escaped-launch",
        "names-tree-scripts",
        "embedded-file",
        "xfa-form",
        "submit-form",
        "remote-goto",
        "rich-media",
    ],
)
def test_a_pdf_that_acts_is_refused_whatever_its_names_or_streams_hide(content, message):
    refused = refusal(_unseen_by_a_byte_search(content))
    assert message in refused
    assert "save it as a plain PDF" in refused


@pytest.mark.parametrize(
    "content",
    [
        pdf_bytes(),
        # An opening view, a web link and a reference cycle, all inside an object stream.
        pdf_file(
            {
                **pdf_objects(OPEN_ACTION, b"<< /S /GoTo /D [3 0 R /Fit] /Next 5 0 R >>"),
                3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R] >>",
                5: b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /P 3 0 R "
                b"/A << /S /URI /URI (https://clinic.example/) >> >>",
            },
            packed=[2, 3, 4, 5],
        ),
    ],
    ids=["blank-page", "links-in-object-stream"],
)
def test_a_plain_pdf_with_links_is_kept(content):
    assert uploads.check_upload(content).content_type == "application/pdf"


def test_a_pdf_locked_with_a_password_is_refused_and_one_only_restricted_is_kept():
    def encrypted(user_password: str) -> bytes:
        writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes()))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    assert "protected by a password" in refusal(encrypted("secret"))
    assert uploads.check_upload(encrypted("")).content_type == "application/pdf"


def test_a_pdf_nested_beyond_any_reason_is_refused_as_unreadable_not_an_error():
    deep = pdf_file(pdf_objects(b"/Deep 4 0 R", b"[" * 50_000 + b"]" * 50_000))
    assert refusal(deep) == "This PDF cannot be read."


@pytest.mark.parametrize(
    ("bound", "value", "content"),
    [
        ("MAX_OBJECTS", 5, pdf_bytes()),
        ("MAX_SECONDS", -1.0, pdf_bytes()),
        (
            "MAX_OBJECT_STREAM_BYTES",
            1024,
            pdf_file(pdf_objects(b"/Pad 4 0 R", b"(" + b"x" * 2048 + b")"), packed=[4]),
        ),
    ],
    ids=["objects", "time", "object-streams"],
)
def test_the_check_stops_at_its_bounds_and_refuses(monkeypatch, bound, value, content):
    uploads.check_upload(content)  # within the usual bounds, the same file is kept
    monkeypatch.setattr(pdf_content, bound, value)
    assert "too complex to check" in refusal(content)


def test_an_object_stream_inflating_past_the_stream_limit_is_refused():
    """A few kilobytes that inflate to 17 MB: decoding stops at the limit."""
    bomb = pdf_file(
        pdf_objects(b"/Pad 4 0 R", b"(" + b" " * (pdf_content.MAX_STREAM_BYTES + 2**20) + b")"),
        packed=[4],
    )
    assert len(bomb) < 64 * 1024
    assert "too complex to check" in refusal(bomb)

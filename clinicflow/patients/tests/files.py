"""Files for upload tests, built in a few bytes: a small PNG that claims a huge picture, and PDFs
written object by object (escaped names, object streams) the way a hostile one would be."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence

from PIL import Image
from pypdf import PdfWriter

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int, *, pixels: bytes | None = None) -> bytes:
    """A PNG whose header says ``width`` × ``height`` RGBA, with only ``pixels`` as its data: by
    default one row's worth compressed (the rest would decode as missing), a few hundred bytes
    whatever the size claimed. Give ``pixels=b"garbage"`` for data no decoder accepts."""
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    data = zlib.compress(b"\x00" * (1 + 4 * width), 9) if pixels is None else pixels
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header is rewritten to claim ``width`` × ``height``."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 90, 90)).save(out, format="JPEG")
    data = bytearray(out.getvalue())
    frame = data.index(b"\xff\xc0")  # baseline frame: marker, length, precision, height, width
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png_bytes(size: tuple[int, int] = (600, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


#: A one-page document; object 1 (the catalog) takes ``extra`` entries and objects 4, 5, …
#: whatever a test adds.
def pdf_objects(catalog_extra: bytes = b"", *more: bytes) -> dict[int, bytes]:
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    }
    objects.update({4 + i: body for i, body in enumerate(more)})
    return objects


def pdf_file(objects: dict[int, bytes], *, packed: Sequence[int] = ()) -> bytes:
    """A PDF 1.5 of ``objects`` (number → body; 1 is the catalog) found through a compressed
    cross-reference stream; the ``packed`` objects sit inside one FlateDecode object stream, so
    none of their bytes appear in the file as written."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}

    def write(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    for number in sorted(set(objects) - set(packed)):
        write(number, objects[number])
    stream_number = max(objects) + 1
    if packed:
        index, bodies = [], b""
        for number in packed:
            index.append(b"%d %d" % (number, len(bodies)))
            bodies += objects[number] + b"\n"
        head = b" ".join(index) + b"\n"
        data = zlib.compress(head + bodies)
        write(
            stream_number,
            b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\n"
            b"endstream" % (len(packed), len(head), len(data), data),
        )
    xref_number = stream_number + 1
    offsets[xref_number] = len(out)
    rows = b"".join(
        struct.pack(">BIH", 2, stream_number, packed.index(n))
        if n in packed
        else struct.pack(">BIH", 1, offsets[n], 0)
        if n in offsets
        else struct.pack(">BIH", 0, 0, 65535 if n == 0 else 0)
        for n in range(xref_number + 1)
    )
    data = zlib.compress(rows)
    out.extend(
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode "
        b"/Length %d >>\nstream\n%s\nendstream\nendobj\n"
        % (xref_number, xref_number + 1, len(data), data)
    )
    out.extend(b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number])
    return bytes(out)

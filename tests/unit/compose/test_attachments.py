"""Attachment rules: sizes, types, content sniffing and duplicates, on real minimal files."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import (
    SimpleUploadedFile,
    TemporaryUploadedFile,
    UploadedFile,
)

from messaging.compose.attachments import (
    MB,
    ORACLE_HEALTH_RULES,
    SNIFF_BYTES,
    STANDARD_RULES,
    AttachmentError,
    AttachmentRules,
    CheckedFile,
    check_attachments,
    check_upload_sizes,
    rules_for,
)

STANDARD_TYPE_ERROR = (
    "We can't attach this file type. Try attaching a DOC, DOCX, GIF, JPG, JPEG, PDF, PNG, "
    "RTF, TXT, XLS, XLSX, JFIF, PJPEG or PJP."
)
OH_TYPE_ERROR = (
    "We can't attach this file type. Try attaching a DOC, DOCX, GIF, JPG, JPEG, PDF, PNG, "
    "RTF, TXT, XLS, XLSX, JFIF, PJPEG, PJP, BMP, TIFF, TIF, PPT, PPTX, PPS, PPSX, ODT, MP4, "
    "M4V, MOV, WMV or MPG."
)
EMPTY = "Your file is empty. Try attaching a different file."
DUPLICATE = "You have already attached this file."


def mismatch(extension: str) -> str:
    return (
        "We can't attach this file. Its contents don't match its file type "
        f"(.{extension}). Try attaching a different file."
    )


# --- Real minimal files ---------------------------------------------------------------------


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte + one red pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def pdf(body: bytes = b"") -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + obj + b"\nendobj\n")
    out.write(body)
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
    b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
JPEG = (
    b"\xff\xd8"  # SOI
    b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"  # APP0
    b"\xff\xd9"  # EOI
)
RTF = b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0 Hello from a veteran.\\par}"
TEXT = "Refill request for my prescription — thank you, café.\n".encode()


def ole2() -> bytes:
    """The 512-byte header of an OLE2 compound file (version 3, 512-byte sectors)."""
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + bytes(16)  # CLSID
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)  # versions, byte order, shifts
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 0, 0, 0x1000, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    )
    header += struct.pack("<I", 0) + b"\xff" * 4 * 108  # DIFAT
    return header.ljust(512, b"\x00") + b"\xff" * 512


def zip_of(*members: tuple[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members:
            archive.writestr(name, data, compress_type=compression)
    return out.getvalue()


def ooxml(main_part: str, main_type: str) -> bytes:
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/></Types>'
    ).encode()
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="' + main_part + '" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
        "</Relationships>"
    ).encode()
    return zip_of(
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", rels),
        (main_part, b'<?xml version="1.0" encoding="UTF-8"?><root/>'),
    )


DOCX = ooxml(
    "word/document.xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
)
XLSX = ooxml(
    "xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
)
PPTX = ooxml(
    "ppt/presentation.xml",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
)
PPSX = ooxml(
    "ppt/presentation.xml",
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
)


def odf(mimetype: bytes) -> bytes:
    return zip_of(
        ("mimetype", mimetype),
        ("content.xml", b'<?xml version="1.0"?><office:document-content/>'),
        ("META-INF/manifest.xml", b'<?xml version="1.0"?><manifest:manifest/>'),
        compression=zipfile.ZIP_STORED,
    )


ODT = odf(b"application/vnd.oasis.opendocument.text")


def bmp() -> bytes:
    pixel_row = b"\x00\x00\xff\x00"  # one red pixel, padded to 4 bytes
    info = struct.pack("<IiiHHIIiiII", 40, 1, 1, 1, 24, 0, len(pixel_row), 2835, 2835, 0, 0)
    size = 14 + len(info) + len(pixel_row)
    return b"BM" + struct.pack("<IHHI", size, 0, 0, 14 + len(info)) + info + pixel_row


def tiff(big_endian: bool = False) -> bytes:
    order = ">" if big_endian else "<"
    entries = [  # 1x1 bilevel image, one strip of one byte after the IFD
        (256, 3, 1, 1),
        (257, 3, 1, 1),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 8 + 2 + 12 * 6 + 4),
        (279, 4, 1, 1),
    ]
    ifd = struct.pack(order + "H", len(entries))
    for tag, kind, count, value in entries:
        if kind == 3:
            ifd += struct.pack(order + "HHIHH", tag, kind, count, value, 0)
        else:
            ifd += struct.pack(order + "HHII", tag, kind, count, value)
    ifd += struct.pack(order + "I", 0)
    magic = b"MM\x00*" if big_endian else b"II*\x00"
    return magic + struct.pack(order + "I", 8) + ifd + b"\x00"


def iso_media(major_brand: bytes, *compatible: bytes) -> bytes:
    brands = major_brand + struct.pack(">I", 0x200) + b"".join(compatible)
    ftyp = struct.pack(">I", 8 + len(brands)) + b"ftyp" + brands
    mdat = struct.pack(">I", 16) + b"mdat" + bytes(8)
    return ftyp + mdat


MP4 = iso_media(b"isom", b"isom", b"iso2", b"avc1", b"mp41")
M4V = iso_media(b"M4V ", b"M4V ", b"M4A ", b"mp42", b"isom")
MOV = iso_media(b"qt  ", b"qt  ")
HEIC = iso_media(b"heic", b"mif1", b"heic")

ASF_HEADER_GUID = bytes.fromhex("3026B2758E66CF11A6D900AA0062CE6C")
WMV = ASF_HEADER_GUID + struct.pack("<QIBB", 30, 0, 1, 2)
MPG_PROGRAM = b"\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01\x01\x89\xc3\xf8" + b"\x00\x00\x01\xb9"
MPG_ELEMENTARY = b"\x00\x00\x01\xb3\x01\x40\xf0\x13\xff\xff\xe0\x18" + b"\x00\x00\x01\xb7"

# extension -> (content, detected MIME type): one real sample for every allowed extension
SAMPLES: dict[str, tuple[bytes, str]] = {
    "doc": (ole2(), "application/msword"),
    "docx": (DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "gif": (GIF, "image/gif"),
    "jpg": (JPEG, "image/jpeg"),
    "jpeg": (JPEG, "image/jpeg"),
    "pdf": (pdf(), "application/pdf"),
    "png": (png(), "image/png"),
    "rtf": (RTF, "application/rtf"),
    "txt": (TEXT, "text/plain"),
    "xls": (ole2(), "application/vnd.ms-excel"),
    "xlsx": (XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "jfif": (JPEG, "image/jpeg"),
    "pjpeg": (JPEG, "image/jpeg"),
    "pjp": (JPEG, "image/jpeg"),
    "bmp": (bmp(), "image/bmp"),
    "tiff": (tiff(), "image/tiff"),
    "tif": (tiff(big_endian=True), "image/tiff"),
    "ppt": (ole2(), "application/vnd.ms-powerpoint"),
    "pptx": (
        PPTX,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "pps": (ole2(), "application/vnd.ms-powerpoint"),
    "ppsx": (PPSX, "application/vnd.openxmlformats-officedocument.presentationml.slideshow"),
    "odt": (ODT, "application/vnd.oasis.opendocument.text"),
    "mp4": (MP4, "video/mp4"),
    "m4v": (M4V, "video/x-m4v"),
    "mov": (MOV, "video/quicktime"),
    "wmv": (WMV, "video/x-ms-wmv"),
    "mpg": (MPG_PROGRAM, "video/mpeg"),
}
OH_ONLY = [ext for ext in ORACLE_HEALTH_RULES.extensions if ext not in STANDARD_RULES.extensions]


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def sample(extension: str, stem: str = "attachment") -> SimpleUploadedFile:
    return upload(f"{stem}.{extension}", SAMPLES[extension][0])


def check(rules: AttachmentRules, *files: UploadedFile):
    return check_attachments(list(files), rules)


def one_error(rules: AttachmentRules, file: UploadedFile) -> str:
    checked, errors = check(rules, file)
    assert checked == []
    assert errors == [AttachmentError(file.name, errors[0].message)]
    return errors[0].message


class UnreadableUpload(UploadedFile):
    """An upload with a name and size whose content must not be touched."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__(file=None, name=name, content_type="application/pdf", size=size)

    def _touched(self, *args, **kwargs):
        raise AssertionError(f"{self.name} was read")

    read = chunks = seek = tell = open = readline = readlines = readinto = _touched

    def __iter__(self):
        raise AssertionError(f"{self.name} was read")


# --- Rules and messages ---------------------------------------------------------------------


def test_rules_for_each_source():
    assert rules_for("vista") is STANDARD_RULES
    assert rules_for("oracle_health") is ORACLE_HEALTH_RULES
    with pytest.raises(ValueError, match="nope"):
        rules_for("nope")


def test_limits_are_as_specified():
    assert (STANDARD_RULES.max_files, STANDARD_RULES.max_file_bytes) == (4, 6 * 1024 * 1024)
    assert STANDARD_RULES.max_total_bytes == 10 * 1024 * 1024
    assert (ORACLE_HEALTH_RULES.max_files, ORACLE_HEALTH_RULES.max_file_bytes) == (10, 25 * MB)
    assert ORACLE_HEALTH_RULES.max_total_bytes == 25 * 1024 * 1024


def test_type_messages_list_the_allowed_extensions_in_order():
    assert STANDARD_RULES.type_error() == STANDARD_TYPE_ERROR
    assert ORACLE_HEALTH_RULES.type_error() == OH_TYPE_ERROR


def test_size_messages():
    assert STANDARD_RULES.too_many_error() == "You can attach up to 4 files."
    assert ORACLE_HEALTH_RULES.too_many_error() == "You can attach up to 10 files."
    assert STANDARD_RULES.file_too_large_error() == (
        "Your file is too large. Try attaching a file smaller than 6MB."
    )
    assert ORACLE_HEALTH_RULES.file_too_large_error() == (
        "Your file is too large. Try attaching a file smaller than 25MB."
    )
    assert STANDARD_RULES.total_too_large_error() == (
        "Your files are too large. The total size of all files must be smaller than 10MB."
    )
    assert ORACLE_HEALTH_RULES.total_too_large_error() == (
        "Your files are too large. The total size of all files must be smaller than 25MB."
    )


def test_every_allowed_extension_has_a_sample():
    assert set(SAMPLES) == set(ORACLE_HEALTH_RULES.extensions)
    assert set(STANDARD_RULES.extensions) < set(ORACLE_HEALTH_RULES.extensions)


# --- Types allowed per source -----------------------------------------------------------------


@pytest.mark.parametrize("extension", STANDARD_RULES.extensions)
def test_standard_types_accepted_for_vista(extension):
    content, mime = SAMPLES[extension]
    checked, errors = check(STANDARD_RULES, sample(extension))
    assert errors == []
    assert checked == [
        CheckedFile(
            name=f"attachment.{extension}",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content_type=mime,
        )
    ]


@pytest.mark.parametrize("extension", ORACLE_HEALTH_RULES.extensions)
def test_every_type_accepted_for_oracle_health(extension):
    checked, errors = check(ORACLE_HEALTH_RULES, sample(extension))
    assert errors == []
    assert [(f.name, f.content_type) for f in checked] == [
        (f"attachment.{extension}", SAMPLES[extension][1])
    ]


@pytest.mark.parametrize("extension", OH_ONLY)
def test_oracle_health_only_types_refused_for_vista(extension):
    assert one_error(STANDARD_RULES, sample(extension)) == STANDARD_TYPE_ERROR


def test_oracle_health_only_types_are_the_specified_ones():
    assert OH_ONLY == [
        "bmp",
        "tiff",
        "tif",
        "ppt",
        "pptx",
        "pps",
        "ppsx",
        "odt",
        "mp4",
        "m4v",
        "mov",
        "wmv",
        "mpg",
    ]


@pytest.mark.parametrize("name", ["notes.exe", "page.html", "archive.zip", "photo.webp"])
def test_other_types_refused_with_the_source_type_message(name):
    assert one_error(STANDARD_RULES, upload(name, TEXT)) == STANDARD_TYPE_ERROR
    assert one_error(ORACLE_HEALTH_RULES, upload(name, TEXT)) == OH_TYPE_ERROR


@pytest.mark.parametrize("name", ["README", "notes.", "archive.tar.gz"])
def test_name_without_an_allowed_extension_is_a_type_error(name):
    assert one_error(STANDARD_RULES, upload(name, TEXT)) == STANDARD_TYPE_ERROR


def test_upper_case_extension_accepted():
    checked, errors = check(STANDARD_RULES, upload("SCAN.PDF", pdf()))
    assert errors == []
    assert [(f.name, f.content_type) for f in checked] == [("SCAN.PDF", "application/pdf")]


def test_jpeg_with_exif_header_accepted():
    exif = b"\xff\xd8\xff\xe1\x00\x08Exif\x00\x00" + JPEG[2:]
    checked, errors = check(STANDARD_RULES, upload("camera.jpg", exif))
    assert errors == []
    assert checked[0].content_type == "image/jpeg"


# --- Content must match the extension ---------------------------------------------------------


def test_pdf_holding_png_bytes_refused():
    assert one_error(STANDARD_RULES, upload("lab-results.pdf", png())) == mismatch("pdf")


def test_mismatch_message_names_the_extension_in_lower_case():
    assert one_error(STANDARD_RULES, upload("LAB.PDF", png())) == mismatch("pdf")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", JPEG),
        ("photo.jpg", png()),
        ("photo.jfif", GIF),
        ("anim.gif", b"gif89a lower case is not a GIF"),
        ("letter.rtf", TEXT),
        ("letter.doc", DOCX),
        ("sheet.xls", pdf()),
        ("letter.docx", ole2()),
        ("letter.docx", XLSX),
        ("sheet.xlsx", DOCX),
        ("letter.docx", zip_of(("word/document.xml", b"<w/>"))),  # no [Content_Types].xml
        ("letter.docx", zip_of(("readme.txt", b"hello"))),
        ("letter.docx", DOCX[: len(DOCX) // 2]),  # starts like a zip, is not one
        ("letter.docx", b"PK\x03\x04" + bytes(200)),
        ("letter.docx", b"MZ\x90\x00" + bytes(60) + DOCX),  # a program with a zip appended
        ("program.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("page.pdf", b"<!DOCTYPE html><html><body>Sign in</body></html>"),
    ],
)
def test_content_not_matching_extension_refused_for_vista(name, content):
    extension = name.rsplit(".", 1)[1]
    assert one_error(STANDARD_RULES, upload(name, content)) == mismatch(extension)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("image.bmp", png()),
        ("scan.tiff", b"II+\x00" + bytes(20)),  # BigTIFF-like but not classic TIFF
        ("slides.pptx", DOCX),
        ("slides.ppsx", XLSX),
        ("slides.ppt", PPTX),
        ("essay.odt", odf(b"application/vnd.oasis.opendocument.spreadsheet")),
        ("essay.odt", DOCX),
        ("clip.mp4", HEIC),  # a still image in an ISO media box
        ("clip.mov", b"\x00\x00\x00\x18moov" + bytes(16)),
        ("clip.m4v", WMV),
        ("clip.wmv", MP4),
        ("clip.mpg", b"\x00\x00\x01\xb9"),  # an MPEG end code alone
        ("clip.mpg", MP4),
    ],
)
def test_content_not_matching_extension_refused_for_oracle_health(name, content):
    extension = name.rsplit(".", 1)[1]
    assert one_error(ORACLE_HEALTH_RULES, upload(name, content)) == mismatch(extension)


def broken_odt(compression: int, damage: bytes) -> bytes:
    """An ODT whose ``mimetype`` member cannot be read back."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text", compression)
    data = bytearray(out.getvalue())
    start = data.index(b"mimetype") + len(b"mimetype")
    data[start + 4 : start + 4 + len(damage)] = damage
    return bytes(data)


def encrypted_odt() -> bytes:
    data = bytearray(ODT)
    data[6] |= 1  # local header: "encrypted"
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 1  # central directory: "encrypted"
    return bytes(data)


@pytest.mark.parametrize(
    "content",
    [
        broken_odt(zipfile.ZIP_LZMA, b"\xff" * 16),
        broken_odt(zipfile.ZIP_BZIP2, b"\x00" * 8),
        broken_odt(zipfile.ZIP_DEFLATED, b"\xff" * 8),
        encrypted_odt(),
    ],
    ids=["lzma", "bzip2", "deflate", "encrypted"],
)
def test_unreadable_zip_member_refused_not_raised(content):
    assert one_error(ORACLE_HEALTH_RULES, upload("essay.odt", content)) == mismatch("odt")


@pytest.mark.parametrize("content", [MPG_PROGRAM, MPG_ELEMENTARY])
def test_mpeg_program_and_elementary_streams_accepted(content):
    checked, errors = check(ORACLE_HEALTH_RULES, upload("clip.mpg", content))
    assert (errors, [f.content_type for f in checked]) == ([], ["video/mpeg"])


def test_video_brands_accepted_under_any_iso_media_extension():
    checked, errors = check(
        ORACLE_HEALTH_RULES, upload("a.mov", MP4), upload("b.mp4", MOV), upload("c.mp4", M4V)
    )
    assert errors == []
    assert [f.content_type for f in checked] == ["video/quicktime", "video/mp4", "video/mp4"]


@pytest.mark.parametrize(
    "content",
    [
        b"hello\x00world",
        b"\x00",
        b"caf\xe9",  # Latin-1, not UTF-8
        b"\xff\xfeh\x00i\x00\x00\x00",  # UTF-16 with a NUL character
        b"\xff\xfe\x00\xd8a\x00",  # UTF-16 with a lone surrogate
        b"\xff\xfeh\x00i",  # UTF-16 cut in half a character
        "no BOM".encode("utf-16-le"),
        png(),
    ],
)
def test_text_that_is_not_text_refused(content):
    assert one_error(STANDARD_RULES, upload("notes.txt", content)) == mismatch("txt")


def test_text_checked_past_the_sniffed_start():
    content = b"a" * (SNIFF_BYTES * 2) + b"\x00" + b"b" * 10
    assert one_error(STANDARD_RULES, upload("long.txt", content)) == mismatch("txt")


def test_text_with_a_character_split_across_chunks_accepted():
    content = b"a" * (SNIFF_BYTES - 1) + "é".encode() * 3
    checked, errors = check(STANDARD_RULES, upload("long.txt", content))
    assert (errors, len(checked)) == ([], 1)


@pytest.mark.parametrize(
    "content",
    [
        TEXT,
        b"\xef\xbb\xbf" + TEXT,  # UTF-8 with a BOM
        "\ufeffUTF-16 little-endian \u2713\r\n".encode("utf-16-le"),
        "\ufeffUTF-16 big-endian \u2713\r\n".encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom"],
)
def test_text_encodings_accepted(content):
    checked, errors = check(STANDARD_RULES, upload("notes.txt", content))
    assert errors == []
    assert [f.content_type for f in checked] == ["text/plain"]


# --- Empty and duplicate files --------------------------------------------------------------


def test_empty_file_refused():
    assert one_error(STANDARD_RULES, upload("blank.pdf", b"")) == EMPTY


def test_empty_is_reported_before_type():
    assert one_error(STANDARD_RULES, upload("blank.exe", b"")) == EMPTY


def test_duplicate_content_under_another_name_refused():
    checked, errors = check(
        STANDARD_RULES, upload("first.png", png()), upload("copy of first.png", png())
    )
    assert [f.name for f in checked] == ["first.png"]
    assert errors == [AttachmentError("copy of first.png", DUPLICATE)]


def test_duplicate_same_name_and_size_refused():
    first = b"%PDF-1.4 first version\n%%EOF\n"
    second = b"%PDF-1.4 other version\n%%EOF\n"
    assert len(first) == len(second) and first != second
    checked, errors = check(STANDARD_RULES, upload("form.pdf", first), upload("form.pdf", second))
    assert [f.sha256 for f in checked] == [hashlib.sha256(first).hexdigest()]
    assert errors == [AttachmentError("form.pdf", DUPLICATE)]


def test_same_size_different_name_and_content_is_not_a_duplicate():
    first = b"%PDF-1.4 first version\n%%EOF\n"
    second = b"%PDF-1.4 other version\n%%EOF\n"
    checked, errors = check(STANDARD_RULES, upload("a.pdf", first), upload("b.pdf", second))
    assert (errors, [f.name for f in checked]) == ([], ["a.pdf", "b.pdf"])


def test_refused_file_does_not_make_its_twin_a_duplicate():
    # The first copy is refused for its type, so the second is the only one attached.
    checked, errors = check(
        ORACLE_HEALTH_RULES, upload("scan.exe", pdf()), upload("scan.pdf", pdf())
    )
    assert [f.name for f in checked] == ["scan.pdf"]
    assert errors == [AttachmentError("scan.exe", OH_TYPE_ERROR)]


def test_each_offending_file_gets_its_first_error_only():
    checked, errors = check(
        STANDARD_RULES,
        upload("empty.exe", b""),  # empty and wrong type: empty wins
        upload("tool.exe", b"MZ\x90\x00"),  # wrong type and wrong content: type wins
        upload("fake.pdf", png()),
        upload("real.png", png()),  # fine: the fake pdf was not attached
    )
    assert errors == [
        AttachmentError("empty.exe", EMPTY),
        AttachmentError("tool.exe", STANDARD_TYPE_ERROR),
        AttachmentError("fake.pdf", mismatch("pdf")),
    ]
    assert [f.name for f in checked] == ["real.png"]


# --- Counts and sizes -----------------------------------------------------------------------


def distinct_pdfs(count: int) -> list[SimpleUploadedFile]:
    return [upload(f"page-{i}.pdf", pdf(b"%% page %d\n" % i)) for i in range(count)]


def test_four_files_fine_for_vista():
    checked, errors = check(STANDARD_RULES, *distinct_pdfs(4))
    assert (errors, len(checked)) == ([], 4)


def test_five_files_refused_for_vista():
    checked, errors = check(STANDARD_RULES, *distinct_pdfs(5))
    assert checked == []
    assert errors == [AttachmentError(None, "You can attach up to 4 files.")]


def test_five_and_ten_files_fine_for_oracle_health():
    for count in (5, 10):
        checked, errors = check(ORACLE_HEALTH_RULES, *distinct_pdfs(count))
        assert (errors, len(checked)) == ([], count)


def test_eleven_files_refused_for_oracle_health():
    checked, errors = check(ORACLE_HEALTH_RULES, *distinct_pdfs(11))
    assert checked == []
    assert errors == [AttachmentError(None, "You can attach up to 10 files.")]


def text_of_size(size: int, fill: bytes = b"a") -> bytes:
    return fill * size


def test_exactly_six_mb_accepted_for_vista():
    content = text_of_size(6 * MB)
    checked, errors = check(STANDARD_RULES, upload("big.txt", content))
    assert errors == []
    assert checked == [
        CheckedFile("big.txt", 6 * MB, hashlib.sha256(content).hexdigest(), "text/plain")
    ]


def test_six_mb_and_one_byte_refused_for_vista():
    checked, errors = check(STANDARD_RULES, upload("big.txt", text_of_size(6 * MB + 1)))
    assert checked == []
    assert errors == [
        AttachmentError("big.txt", "Your file is too large. Try attaching a file smaller than 6MB.")
    ]


def test_three_four_mb_files_over_the_vista_total_refused():
    files = [upload(f"part{i}.txt", text_of_size(4 * MB, b"%d" % i)) for i in range(3)]
    checked, errors = check(STANDARD_RULES, *files)
    assert checked == []
    assert errors == [
        AttachmentError(
            None,
            "Your files are too large. The total size of all files must be smaller than 10MB.",
        )
    ]


def test_exactly_ten_mb_in_all_accepted_for_vista():
    files = [upload(f"half{i}.txt", text_of_size(5 * MB, b"%d" % i)) for i in range(2)]
    checked, errors = check(STANDARD_RULES, *files)
    assert (errors, [f.size for f in checked]) == ([], [5 * MB, 5 * MB])


def test_exactly_25_mb_accepted_for_oracle_health_and_refused_for_vista():
    content = text_of_size(25 * MB)
    checked, errors = check(ORACLE_HEALTH_RULES, upload("video-notes.txt", content))
    assert (errors, [f.size for f in checked]) == ([], [25 * MB])
    assert check_upload_sizes([upload("video-notes.txt", content)], STANDARD_RULES) == [
        AttachmentError(
            "video-notes.txt", "Your file is too large. Try attaching a file smaller than 6MB."
        )
    ]


def test_25_mb_and_one_byte_refused_for_oracle_health():
    checked, errors = check(ORACLE_HEALTH_RULES, UnreadableUpload("huge.mp4", 25 * MB + 1))
    assert checked == []
    assert errors == [
        AttachmentError(
            "huge.mp4", "Your file is too large. Try attaching a file smaller than 25MB."
        )
    ]


def test_oracle_health_total_over_25_mb_refused():
    files = [UnreadableUpload("a.mp4", 13 * MB), UnreadableUpload("b.mp4", 13 * MB)]
    assert check_upload_sizes(files, ORACLE_HEALTH_RULES) == [
        AttachmentError(
            None,
            "Your files are too large. The total size of all files must be smaller than 25MB.",
        )
    ]


def test_oracle_health_exactly_25_mb_in_all_accepted():
    files = [
        upload(f"part{i}.txt", text_of_size(size, b"%d" % i))
        for i, size in enumerate([10 * MB, 10 * MB, 5 * MB])
    ]
    checked, errors = check(ORACLE_HEALTH_RULES, *files)
    assert (errors, len(checked)) == ([], 3)


def test_all_size_errors_reported_together():
    files = [UnreadableUpload(f"f{i}.pdf", 3 * MB) for i in range(5)]
    files.append(UnreadableUpload("huge.pdf", 7 * MB))
    assert check_upload_sizes(files, STANDARD_RULES) == [
        AttachmentError(None, "You can attach up to 4 files."),
        AttachmentError(
            "huge.pdf", "Your file is too large. Try attaching a file smaller than 6MB."
        ),
        AttachmentError(
            None,
            "Your files are too large. The total size of all files must be smaller than 10MB.",
        ),
    ]


def test_one_oversized_file_is_not_also_reported_as_total():
    files = [UnreadableUpload("huge.mp4", 30 * MB)]
    assert check_upload_sizes(files, ORACLE_HEALTH_RULES) == [
        AttachmentError(
            "huge.mp4", "Your file is too large. Try attaching a file smaller than 25MB."
        )
    ]


# --- Reading: none before sizes pass, and files left at 0 ------------------------------------


def test_unreadable_upload_really_refuses_to_be_read():
    with pytest.raises(AssertionError, match="was read"):
        check_attachments([UnreadableUpload("fine.pdf", 100)], STANDARD_RULES)


def test_sizes_checked_without_reading():
    fine = [UnreadableUpload(f"f{i}.pdf", 2 * MB) for i in range(4)]
    assert check_upload_sizes(fine, STANDARD_RULES) == []
    too_many = [UnreadableUpload(f"f{i}.pdf", 1) for i in range(5)]
    assert check_upload_sizes(too_many, STANDARD_RULES) == [
        AttachmentError(None, "You can attach up to 4 files.")
    ]


def test_size_errors_stop_before_any_content_is_read():
    files = [UnreadableUpload("big.pdf", 6 * MB + 1), UnreadableUpload("ok.pdf", 10)]
    checked, errors = check_attachments(files, STANDARD_RULES)
    assert checked == []
    assert errors == [
        AttachmentError("big.pdf", "Your file is too large. Try attaching a file smaller than 6MB.")
    ]


def test_files_left_seeked_to_zero():
    files = [
        upload("a.pdf", pdf()),
        upload("b.docx", DOCX),
        upload("c.txt", b"x" * (SNIFF_BYTES * 3)),
        upload("fake.pdf", png()),  # refused for content
        upload("copy.pdf", pdf()),  # refused as a duplicate
        upload("d.exe", b"MZ\x90\x00"),  # refused for type, never read
    ]
    for file in files:
        file.seek(3)  # wherever a caller left it
    checked, errors = check_attachments(files, ORACLE_HEALTH_RULES)
    assert [f.name for f in checked] == ["a.pdf", "b.docx", "c.txt"]
    assert [e.file_name for e in errors] == ["fake.pdf", "copy.pdf", "d.exe"]
    assert [e.message for e in errors] == [mismatch("pdf"), DUPLICATE, OH_TYPE_ERROR]
    assert [file.tell() for file in files] == [0] * len(files)
    assert files[0].read() == pdf()


def test_hash_covers_the_whole_file_not_just_the_sniffed_start():
    start = b"a" * SNIFF_BYTES
    checked, errors = check(
        STANDARD_RULES, upload("one.txt", start + b"one"), upload("two.txt", start + b"two")
    )
    assert errors == []
    assert [f.sha256 for f in checked] == [
        hashlib.sha256(start + b"one").hexdigest(),
        hashlib.sha256(start + b"two").hexdigest(),
    ]


def test_works_on_uploads_spooled_to_disk():
    def spooled(name: str, content: bytes) -> TemporaryUploadedFile:
        file = TemporaryUploadedFile(name, "application/octet-stream", len(content), None)
        file.write(content)
        file.seek(0)
        return file

    files = [spooled("letter.docx", DOCX), spooled("notes.txt", TEXT), spooled("x.pdf", png())]
    try:
        checked, errors = check_attachments(files, STANDARD_RULES)
        assert [f.name for f in checked] == ["letter.docx", "notes.txt"]
        assert errors == [AttachmentError("x.pdf", mismatch("pdf"))]
        assert [file.read() for file in files] == [DOCX, TEXT, png()]
    finally:
        for file in files:
            file.close()

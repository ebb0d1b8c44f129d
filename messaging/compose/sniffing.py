"""Content sniffing: what a file's first bytes (or, for ZIP containers, its parts) say it
is, per extension; and the plain-text check run over a whole text file."""

from __future__ import annotations

import codecs
import lzma
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import filetype
from django.core.files.uploadedfile import UploadedFile

# --- -----------------------------------------------------------------------

_Sniffer = Callable[[bytes, UploadedFile], bool]
"""Whether a file (its first `SNIFF_BYTES`, and the file for container checks) is a format."""


def _library(extension: str) -> _Sniffer:
    """The ``filetype`` library's signature matcher for ``extension``."""
    matcher = filetype.get_type(ext=extension)
    if matcher is None:  # pragma: no cover - guards against a library change
        raise LookupError(f"filetype has no matcher for .{extension}")
    return lambda head, _file: bool(matcher.match(head))


_mpeg = filetype.get_type(ext="mpg")


def _is_mpeg(head: bytes, _file: UploadedFile) -> bool:
    """MPEG-1/2 video: a program stream pack (``00 00 01 BA``) or sequence header (``B3``).

    The library accepts any start code ``00 00 01 B0``-``BF``; only these two begin a
    playable file.
    """
    return bool(_mpeg and _mpeg.match(head)) and head[3] in (0xBA, 0xB3)


_OLE2_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


def _is_ole2(head: bytes, _file: UploadedFile) -> bool:
    """An OLE2 compound file: the container of .doc, .xls, .ppt and .pps.

    The four formats share this one signature.  ``filetype``'s Doc/Xls/Ppt matchers guess
    the application from bytes in the first sectors, which misses valid files (and it has no
    .pps), so the container is the check here.
    """
    return head.startswith(_OLE2_SIGNATURE)


_zip = filetype.get_type(ext="zip")
# What a malformed archive or member raises: bad structure, truncation, corrupt deflate / LZMA
# data, corrupt bzip2 data (OSError), an encrypted member (RuntimeError), an unknown method.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    EOFError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
    OSError,
    RuntimeError,
    NotImplementedError,
)


def _zip_container(*, part_prefix: str = "", mimetype: bytes = b"") -> _Sniffer:
    """A ZIP-based document: OOXML (docx, xlsx, pptx, ppsx) or ODF (odt).

    The file must start like a ZIP and its central directory must read as one (this reads
    the directory at the end of the file, not the members).  OOXML must hold
    ``[Content_Types].xml`` and parts under ``part_prefix`` (``word/``, ``xl/``, ``ppt/``);
    ODF must hold a ``mimetype`` member equal to ``mimetype``.
    """

    def sniff(head: bytes, file: UploadedFile) -> bool:
        if not (_zip and _zip.match(head)):
            return False
        try:
            with zipfile.ZipFile(file) as archive:
                names = archive.namelist()
                if mimetype:
                    if "mimetype" not in names:
                        return False
                    with archive.open("mimetype") as member:
                        return member.read(len(mimetype) + 1).strip() == mimetype
                return "[Content_Types].xml" in names and any(
                    name.startswith(part_prefix) for name in names
                )
        except _ZIP_ERRORS:
            return False

    return sniff


def _is_iso_media(head: bytes, _file: UploadedFile) -> bool:
    """ISO base media video (MP4, M4V, QuickTime MOV): the file opens with an ``ftyp`` box.

    Any video brand is taken for any of the three extensions (phones and editors write
    many brands, and .mov/.mp4/.m4v are used interchangeably); still images in the same
    container (HEIC, AVIF) are not video.
    """
    if len(head) < 16 or head[4:8] != b"ftyp" or int.from_bytes(head[:4], "big") < 16:
        return False
    return filetype.image_match(head) is None


def _no_signature(head: bytes, _file: UploadedFile) -> bool:
    """Plain text has no signature; the whole file is decoded while hashing (`TextCheck`)."""
    return True


@dataclass(frozen=True)
class _Format:
    """A format an extension promises: its MIME type and how to recognise it."""

    mime: str
    sniff: _Sniffer
    text: bool = False
    """Decode the whole file as text while hashing (`TextCheck`)."""


def _mime(extension: str) -> str:
    matcher = filetype.get_type(ext=extension)
    if matcher is None:  # pragma: no cover - guards against a library change
        raise LookupError(f"filetype has no MIME type for .{extension}")
    return str(matcher.mime)


_JPEG = _Format(_mime("jpg"), _library("jpg"))
_TIFF = _Format(_mime("tif"), _library("tif"))
_POWERPOINT = _Format(_mime("ppt"), _is_ole2)
_PRESENTATION_PARTS = _zip_container(part_prefix="ppt/")

FORMATS: dict[str, _Format] = {
    "doc": _Format(_mime("doc"), _is_ole2),
    "docx": _Format(_mime("docx"), _zip_container(part_prefix="word/")),
    "gif": _Format(_mime("gif"), _library("gif")),
    "jpg": _JPEG,
    "jpeg": _JPEG,
    "jfif": _JPEG,
    "pjpeg": _JPEG,
    "pjp": _JPEG,
    "pdf": _Format(_mime("pdf"), _library("pdf")),
    "png": _Format(_mime("png"), _library("png")),
    "rtf": _Format(_mime("rtf"), _library("rtf")),
    "txt": _Format("text/plain", _no_signature, text=True),
    "xls": _Format(_mime("xls"), _is_ole2),
    "xlsx": _Format(_mime("xlsx"), _zip_container(part_prefix="xl/")),
    "bmp": _Format(_mime("bmp"), _library("bmp")),
    "tiff": _TIFF,
    "tif": _TIFF,
    "ppt": _POWERPOINT,
    "pps": _POWERPOINT,
    "pptx": _Format(_mime("pptx"), _PRESENTATION_PARTS),
    "ppsx": _Format(
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
        _PRESENTATION_PARTS,
    ),
    "odt": _Format(_mime("odt"), _zip_container(mimetype=_mime("odt").encode("ascii"))),
    "mp4": _Format(_mime("mp4"), _is_iso_media),
    "m4v": _Format(_mime("m4v"), _is_iso_media),
    "mov": _Format(_mime("mov"), _is_iso_media),
    "wmv": _Format(_mime("wmv"), _library("wmv")),
    "mpg": _Format(_mime("mpg"), _is_mpeg),
}


class TextCheck:
    """Plain text, checked over the whole file as it is hashed.

    Accepted: UTF-8 (with or without a BOM) or UTF-16 with a BOM, with no NUL anywhere.
    """

    def __init__(self, head: bytes) -> None:
        utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        # "utf-16" reads the BOM to pick the byte order; "utf-8-sig" drops a UTF-8 BOM.
        self._decoder = codecs.getincrementaldecoder("utf-16" if utf16 else "utf-8-sig")()
        self.ok = True

    def feed(self, data: bytes, *, final: bool = False) -> None:
        if not self.ok:
            return
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError:
            self.ok = False
            return
        if "\x00" in text:
            self.ok = False

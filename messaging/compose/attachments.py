"""Rules and checks for the files a veteran attaches to a secure message.

Care teams come from two sources with different limits: VistA ("vista") teams take the
standard set of types and sizes, Oracle Health ("oracle_health") teams take more files,
larger files and more types.  `rules_for` picks the rules for a recipient's source.

Checking happens in two steps:

1. `check_upload_sizes` looks only at each upload's ``.name`` and ``.size``: how many files,
   how large each one is and how large they are together.  It reads nothing, so a view can
   run it before any content is read or stored.
2. `check_attachments` runs step 1 and, only if that passes, reads each file: empty, type
   allowed, content matches the extension, not a duplicate.

Why the content is sniffed: the extension and the ``Content-Type`` of an upload are chosen by
the sender and prove nothing.  A ``.pdf`` that is really an executable, an HTML page or a
renamed image would be stored and handed to the care team's staff, who open attachments in
viewers chosen by the extension.  So each file's first bytes are compared with the format its
extension promises, using the ``filetype`` library's signature matchers, plus small
structural checks where a signature alone cannot tell (OLE2 and ZIP containers, ISO base
media) and a decoding check for plain text, which has no signature at all.

The module is pure: no models, views or Django settings.  It only uses Django's
``UploadedFile`` interface (``name``, ``size``, ``read``, ``seek``, ``chunks``).
"""

from __future__ import annotations

import codecs
import hashlib
import lzma
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import filetype
from django.core.files.uploadedfile import UploadedFile

__all__ = [
    "DUPLICATE_ERROR",
    "EMPTY_FILE_ERROR",
    "MB",
    "ORACLE_HEALTH_RULES",
    "SNIFF_BYTES",
    "STANDARD_RULES",
    "AttachmentError",
    "AttachmentRules",
    "CheckedFile",
    "check_attachments",
    "check_upload_sizes",
    "content_error",
    "rules_for",
]

MB = 1024 * 1024
"""One megabyte as the limits and messages mean it: 1024 * 1024 bytes."""

SNIFF_BYTES = 64 * 1024
"""How much of a file's start is read to tell its format."""

EMPTY_FILE_ERROR = "Your file is empty. Try attaching a different file."
DUPLICATE_ERROR = "You have already attached this file."


def content_error(extension: str) -> str:
    """The message for a file whose content is not the format its extension promises."""
    return (
        "We can't attach this file. Its contents don't match its file type "
        f"(.{extension.lower()}). Try attaching a different file."
    )


def _megabytes(size: int) -> str:
    """``6 * MB`` -> ``"6MB"`` (a fraction only if the limit is not a whole number of MB)."""
    return f"{size // MB}MB" if size % MB == 0 else f"{size / MB:g}MB"


@dataclass(frozen=True)
class AttachmentRules:
    """The limits for one source of care teams.

    ``max_file_bytes`` and ``max_total_bytes`` are inclusive: a file of exactly
    ``max_file_bytes`` is allowed, one byte more is not.  ``extensions`` are lower case,
    without the dot, in the order the type message lists them.
    """

    max_files: int
    max_file_bytes: int
    max_total_bytes: int
    extensions: tuple[str, ...]

    def type_error(self) -> str:
        """The message for a file whose extension is missing or not allowed."""
        names = [extension.upper() for extension in self.extensions]
        listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        return f"We can't attach this file type. Try attaching a {listed}."

    def too_many_error(self) -> str:
        """The message for more than ``max_files`` files."""
        return f"You can attach up to {self.max_files} files."

    def file_too_large_error(self) -> str:
        """The message for one file larger than ``max_file_bytes``."""
        return (
            "Your file is too large. Try attaching a file smaller than "
            f"{_megabytes(self.max_file_bytes)}."
        )

    def total_too_large_error(self) -> str:
        """The message for files larger than ``max_total_bytes`` together."""
        return (
            "Your files are too large. The total size of all files must be smaller than "
            f"{_megabytes(self.max_total_bytes)}."
        )


STANDARD_EXTENSIONS: tuple[str, ...] = (
    "doc",
    "docx",
    "gif",
    "jpg",
    "jpeg",
    "pdf",
    "png",
    "rtf",
    "txt",
    "xls",
    "xlsx",
    "jfif",
    "pjpeg",
    "pjp",
)
ORACLE_HEALTH_EXTENSIONS: tuple[str, ...] = STANDARD_EXTENSIONS + (
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
)

STANDARD_RULES = AttachmentRules(
    max_files=4,
    max_file_bytes=6 * MB,
    max_total_bytes=10 * MB,
    extensions=STANDARD_EXTENSIONS,
)
"""VistA care teams."""

ORACLE_HEALTH_RULES = AttachmentRules(
    max_files=10,
    max_file_bytes=25 * MB,
    max_total_bytes=25 * MB,
    extensions=ORACLE_HEALTH_EXTENSIONS,
)
"""Oracle Health care teams."""

_RULES_BY_SOURCE = {"vista": STANDARD_RULES, "oracle_health": ORACLE_HEALTH_RULES}


def rules_for(source: str) -> AttachmentRules:
    """The rules for a care team's source: ``"vista"`` or ``"oracle_health"``.

    Raises ``ValueError`` for any other source, so a new source cannot silently get
    someone else's limits.
    """
    try:
        return _RULES_BY_SOURCE[source]
    except KeyError:
        raise ValueError(f"no attachment rules for care team source {source!r}") from None


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed every check.

    ``content_type`` is the MIME type of the format the content was found to be
    (``text/plain`` for text); store and serve the file with it, not with the type the
    browser sent.
    """

    name: str
    size: int
    sha256: str
    content_type: str


@dataclass(frozen=True)
class AttachmentError:
    """One refusal.  ``file_name`` is ``None`` when it is about the files together."""

    file_name: str | None
    message: str


# --- Content sniffing -----------------------------------------------------------------------

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
    """Plain text has no signature; the whole file is decoded while hashing (`_TextCheck`)."""
    return True


@dataclass(frozen=True)
class _Format:
    """A format an extension promises: its MIME type and how to recognise it."""

    mime: str
    sniff: _Sniffer
    text: bool = False
    """Decode the whole file as text while hashing (`_TextCheck`)."""


def _mime(extension: str) -> str:
    matcher = filetype.get_type(ext=extension)
    if matcher is None:  # pragma: no cover - guards against a library change
        raise LookupError(f"filetype has no MIME type for .{extension}")
    return str(matcher.mime)


_JPEG = _Format(_mime("jpg"), _library("jpg"))
_TIFF = _Format(_mime("tif"), _library("tif"))
_POWERPOINT = _Format(_mime("ppt"), _is_ole2)
_PRESENTATION_PARTS = _zip_container(part_prefix="ppt/")

_FORMATS: dict[str, _Format] = {
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

_missing = set(ORACLE_HEALTH_EXTENSIONS) - set(_FORMATS)
if _missing:  # pragma: no cover - a rules change without a sniffer fails at import
    raise LookupError(f"no content check for: {sorted(_missing)}")


class _TextCheck:
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


# --- Checks ---------------------------------------------------------------------------------


def _extension(name: str) -> str:
    """The lower-case extension of ``name`` without the dot; ``""`` when it has none."""
    _stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot else ""


def check_upload_sizes(
    files: Sequence[UploadedFile], rules: AttachmentRules
) -> list[AttachmentError]:
    """Check the number of files and their sizes, from ``.size`` and ``.name`` alone.

    Nothing is read, so this can run before any content is read or stored.  Errors come
    in this order: too many files; each file larger than ``max_file_bytes``; the total too
    large.  The total counts only the files that are within the per-file limit, so one
    oversized file is reported once, as too large, not twice.
    """
    errors: list[AttachmentError] = []
    if len(files) > rules.max_files:
        errors.append(AttachmentError(None, rules.too_many_error()))
    total = 0
    for file in files:
        size = _declared_size(file)
        if size > rules.max_file_bytes:
            errors.append(AttachmentError(file.name, rules.file_too_large_error()))
        else:
            total += size
    if total > rules.max_total_bytes:
        errors.append(AttachmentError(None, rules.total_too_large_error()))
    return errors


def _declared_size(file: UploadedFile) -> int:
    if file.size is None:
        raise ValueError(f"upload {file.name!r} has no size")
    return int(file.size)


def check_attachments(
    files: Sequence[UploadedFile], rules: AttachmentRules
) -> tuple[list[CheckedFile], list[AttachmentError]]:
    """Check a message's attachments; return the files that pass and every error found.

    Runs `check_upload_sizes` first and, if it finds anything, returns its errors without
    reading any file.  Otherwise each file is checked in this order, and gets at most one
    error, the first that applies: empty; extension missing or not allowed; content not the
    format of the extension; same content (SHA-256), or same name and size, as a file
    accepted earlier in ``files``.

    At most `SNIFF_BYTES` of a file's start are read to tell its format (ZIP-based
    documents also have their central directory read); the SHA-256 is taken over the whole
    file through ``.chunks()``, and plain text is decoded over the whole file in that same
    pass.  Once the sizes pass, every file is left seeked to 0 (even when this raises), so
    the caller can store the accepted ones.
    """
    size_errors = check_upload_sizes(files, rules)
    if size_errors:
        return [], size_errors

    checked: list[CheckedFile] = []
    errors: list[AttachmentError] = []
    for file in files:
        try:
            outcome = _check_file(file, rules, checked)
        finally:
            file.seek(0)
        if isinstance(outcome, CheckedFile):
            checked.append(outcome)
        else:
            errors.append(outcome)
    return checked, errors


def _check_file(
    file: UploadedFile, rules: AttachmentRules, accepted: Sequence[CheckedFile]
) -> CheckedFile | AttachmentError:
    name = file.name or ""
    size = _declared_size(file)
    if size == 0:
        return AttachmentError(name, EMPTY_FILE_ERROR)
    extension = _extension(name)
    if extension not in rules.extensions:
        return AttachmentError(name, rules.type_error())
    file_format = _FORMATS[extension]

    file.seek(0)
    head = file.read(SNIFF_BYTES)
    if not file_format.sniff(head, file):
        return AttachmentError(name, content_error(extension))
    text = _TextCheck(head) if file_format.text else None
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
        if text is not None:
            text.feed(chunk)
    if text is not None:
        text.feed(b"", final=True)
        if not text.ok:
            return AttachmentError(name, content_error(extension))
    sha256 = digest.hexdigest()
    if any(
        earlier.sha256 == sha256 or (earlier.name == name and earlier.size == size)
        for earlier in accepted
    ):
        return AttachmentError(name, DUPLICATE_ERROR)
    return CheckedFile(name=name, size=size, sha256=sha256, content_type=file_format.mime)

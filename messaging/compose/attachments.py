"""Rules and checks for the files a veteran attaches to a secure message.

Care teams come from two sources with different limits: VistA teams take the
standard set of types and sizes, Oracle Health teams take more files,
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

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile

from messaging.common.choices import Ehr
from messaging.compose.sniffing import FORMATS, TextCheck

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

_RULES_BY_SOURCE = {Ehr.VISTA: STANDARD_RULES, Ehr.ORACLE_HEALTH: ORACLE_HEALTH_RULES}


def rules_for(source: str) -> AttachmentRules:
    """The rules for a care team's source (`Ehr`).

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


_missing = set(ORACLE_HEALTH_EXTENSIONS) - set(FORMATS)
if _missing:  # pragma: no cover - a rules change without a sniffer fails at import
    raise LookupError(f"no content check for: {sorted(_missing)}")


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
    file_format = FORMATS[extension]

    file.seek(0)
    head = file.read(SNIFF_BYTES)
    if not file_format.sniff(head, file):
        return AttachmentError(name, content_error(extension))
    text = TextCheck(head) if file_format.text else None
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

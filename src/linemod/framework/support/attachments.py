"""Files sent with ticket messages, within limits of size and type.

They are kept in the database (`support_attachments.content`), not under a directory: a ticket's files then
commit and roll back with its message, every web and worker process on every host reads them without a
shared filesystem, and one database backup holds the whole help desk. The limits (10 MiB a file by default)
keep that cheap; PostgreSQL stores such values out of line (TOAST), so listing tickets never reads them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TYPES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/json",
    "application/zip",
)
MAX_PER_MESSAGE = 10
# What a browser would treat as markup or script is never served as kept: a type outside the list is refused.
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class AttachmentInfo:
    """An attachment as listed with its message (without its bytes)."""

    id: int
    message_id: int
    filename: str
    content_type: str
    size_bytes: int


@dataclass(frozen=True)
class StoredFile:
    """An attachment with its bytes, for download."""

    info: AttachmentInfo
    content: bytes


class AttachmentRefused(ValueError):
    """A file over the size limit, of a type not allowed, or one too many; `code` says which."""

    def __init__(self, code: str, filename: str) -> None:
        super().__init__(f"{code}: {filename}")
        self.code = code
        self.filename = filename


@dataclass(frozen=True)
class AttachmentLimits:
    max_bytes: int = DEFAULT_MAX_BYTES
    content_types: frozenset[str] = frozenset(DEFAULT_TYPES)
    max_per_message: int = MAX_PER_MESSAGE

    def check(self, files: Iterable[NewAttachment]) -> list[NewAttachment]:
        """The files, cleaned (a safe filename, a lower-case type); raises `AttachmentRefused` on the first
        file the limits refuse."""
        checked = []
        for file in files:
            cleaned = NewAttachment(safe_filename(file.filename), normal_type(file.content_type), file.content)
            if len(cleaned.content) > self.max_bytes:
                raise AttachmentRefused("too_large", cleaned.filename)
            if cleaned.content_type not in self.content_types:
                raise AttachmentRefused("type_not_allowed", cleaned.filename)
            checked.append(cleaned)
        if len(checked) > self.max_per_message:
            raise AttachmentRefused("too_many", checked[self.max_per_message].filename)
        return checked

    def split(self, files: Iterable[NewAttachment]) -> tuple[list[NewAttachment], list[tuple[str, str]]]:
        """What a mail brought: the files kept, and (filename, reason) of those left out (a mail cannot be
        refused the way a form can: its ticket is made and staff are told what was dropped)."""
        kept: list[NewAttachment] = []
        dropped: list[tuple[str, str]] = []
        for file in files:
            try:
                [cleaned] = self.check([file])
            except AttachmentRefused as refused:
                dropped.append((refused.filename, refused.code))
                continue
            if len(kept) >= self.max_per_message:
                dropped.append((cleaned.filename, "too_many"))
            else:
                kept.append(cleaned)
        return kept, dropped


def normal_type(content_type: str) -> str:
    return (content_type or "application/octet-stream").split(";", 1)[0].strip().lower()


def safe_filename(name: str) -> str:
    """A filename without paths or control characters, at most 255 characters (NFC: a Japanese name typed on a
    Mac arrives decomposed)."""
    cleaned = _UNSAFE_NAME.sub("_", unicodedata.normalize("NFC", name or "")).strip(" .")
    return cleaned[-255:] or "attachment"


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()

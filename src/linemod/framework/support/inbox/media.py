"""Copying what a user sent as an image, video, audio or file while LINE still has it.

LINE keeps message content for a limited time only, so the framework fetches it through the OA's
tenant-bound client (api-data.line.me, `message:receive`) in a durable job scheduled with the recording, and
keeps it in the database within limits of size and type (like the help desk's attachments, for the same
reasons: it commits with its row and every process reads it). The type is read from the content's first
bytes, never taken on trust: only the types below are ever served back to a browser.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

from linemod.framework.support.inbox.records import InboxEntryRow, InboxMediaRow

if TYPE_CHECKING:
    from linemod.framework.context import JobContext

log = logging.getLogger("linemod.support.inbox")
MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "audio/mp4", "application/pdf")
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def sniff(content: bytes) -> str | None:
    """The type of `content` by its first bytes, among MEDIA_TYPES (None for anything else)."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[4:8] == b"ftyp":
        return "audio/mp4" if content[8:11] == b"M4A" else "video/mp4"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return None


async def copy_media(jctx: JobContext, payload: dict[str, Any], max_bytes: int) -> None:
    """The job: fetch the content of one recorded message and keep it (or say why not)."""
    media = await jctx.db.get(InboxMediaRow, int(payload.get("media_id") or 0))
    if media is None or media.state != "pending" or jctx.line is None or jctx.line.bot_id != media.bot_id:
        return
    entry = await jctx.db.get(InboxEntryRow, media.entry_id)
    if entry is None or not entry.message_id:
        return
    media.updated_at_ms = jctx.now_ms()
    try:
        content = await jctx.line.get_message_content(entry.message_id)
    except Exception as exc:
        status = getattr(exc, "status", None)
        if status in (400, 403, 404, 410):  # gone, or never ours: trying again cannot help
            media.state, media.detail = "failed", f"LINE answered {status}"
            return
        raise  # a retry with backoff
    kind = sniff(content)
    if len(content) > max_bytes:
        media.state, media.detail = "refused", f"too_large: {len(content)} bytes"
    elif kind is None:
        media.state, media.detail = "refused", "type_not_allowed"
    else:
        media.state, media.content_type, media.content = "kept", kind, content
        media.size_bytes, media.sha256 = len(content), hashlib.sha256(content).hexdigest()

"""A file picked in the LINE app's composer, as the message the app sends for it: a photo, a video or a voice
message by its media type, anything else as a file."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from linemod.emulator.pages.rendering import PageError
from linemod.emulator.platform.user_messages import MAX_CONTENT_BYTES, AnyUserMessage, user_message


async def upload_message(request: Request) -> AnyUserMessage:
    """The file a person picked in the composer, as the message the LINE app would send for it."""
    form = await request.form()
    picked = form.get("file")
    if not isinstance(picked, UploadFile) or not picked.filename:
        raise PageError(400, "error.no_file")
    blob = await picked.read(MAX_CONTENT_BYTES + 1)
    if not blob or len(blob) > MAX_CONTENT_BYTES:
        raise PageError(400, "error.bad_file")
    mime = picked.content_type or "application/octet-stream"
    kind = mime.split("/", 1)[0]
    fields: dict[str, Any] = {"content_base64": base64.b64encode(blob).decode(), "content_type": mime}
    if kind in ("image", "video", "audio"):
        fields["type"] = kind
    else:
        fields.update(type="file", file_name=picked.filename)
    return user_message(fields)

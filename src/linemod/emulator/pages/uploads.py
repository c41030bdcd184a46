"""Files picked in the LINE app's composer, as the messages the app sends for them: a photo, a video or a voice
message by its media type, anything else as a file; several photos at once as an image set."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from linemod.emulator import ids
from linemod.emulator.pages.rendering import PageError
from linemod.emulator.platform.user_messages import MAX_CONTENT_BYTES, AnyUserMessage, user_message

MAX_PICKED = 20  # photos sent at once form an image set of at most 20


async def upload_messages(request: Request) -> list[AnyUserMessage]:
    """The files a person picked in the composer, as the messages the LINE app would send for them: several
    photos picked together are one image set; any other file goes alone."""
    form = await request.form()
    picked = [f for f in form.getlist("file") if isinstance(f, UploadFile) and f.filename]
    if not picked:
        raise PageError(400, "error.no_file")
    if len(picked) > MAX_PICKED:
        raise PageError(400, "error.bad_file")
    blobs = [await f.read(MAX_CONTENT_BYTES + 1) for f in picked]
    if any(not blob or len(blob) > MAX_CONTENT_BYTES for blob in blobs):
        raise PageError(400, "error.bad_file")
    mimes = [f.content_type or "application/octet-stream" for f in picked]
    all_photos = all(m.startswith("image/") for m in mimes)
    if len(picked) > 1 and not all_photos:
        raise PageError(400, "error.one_file")
    set_id = ids.opaque_token(32) if len(picked) > 1 else None
    messages = []
    for index, (upload, blob, mime) in enumerate(zip(picked, blobs, mimes, strict=True), start=1):
        kind = mime.split("/", 1)[0]
        fields: dict[str, Any] = {"content_base64": base64.b64encode(blob).decode(), "content_type": mime}
        if kind in ("image", "video", "audio"):
            fields["type"] = kind
        else:
            fields.update(type="file", file_name=upload.filename)
        if set_id is not None:
            fields["image_set"] = {"id": set_id, "index": index, "total": len(picked)}
        messages.append(user_message(fields))
    return messages

"""A ticket's file as a download: always an attachment (never shown inline), its type as kept, nosniff, so that
a file cannot run as a page of the console whatever its content."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response

from linemod.framework.support.attachments import StoredFile


def file_response(stored: StoredFile) -> Response:
    name = stored.info.filename
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return Response(
        stored.content,
        media_type=stored.info.content_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )

"""What users send that the OA downloads from api-data: the content itself, its preview (images and videos)
and the preparation status of videos and audio (choices 35 and 37 of docs/emulator-behaviour.md)."""

from __future__ import annotations

import base64
import functools
import io
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw, UnidentifiedImageError

from linemod.emulator.errors import LineApiError
from linemod.emulator.platform.user_messages import (
    AudioFromUser,
    ImageFromUser,
    Media,
    VideoFromUser,
)

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Caller, Platform

PREVIEW_SIZE = (240, 240)
PREVIEW_TYPE = "image/jpeg"


@dataclass
class StoredContent:
    kind: str  # image | video | audio | file
    bot_id: str
    kept_at_ms: int
    media_type: str
    blob: bytes | None  # None: an external provider keeps it
    preview: bytes | None = None
    ready_at_ms: int = 0
    transcoding_fails: bool = False

    def export(self) -> dict[str, Any]:
        out = asdict(self)
        out["blob"] = _b64(self.blob)
        out["preview"] = _b64(self.preview)
        return out

    @classmethod
    def load(cls, data: dict[str, Any]) -> StoredContent:
        data = dict(data)
        data["blob"] = _unb64(data.get("blob"))
        data["preview"] = _unb64(data.get("preview"))
        return cls(**data)


class UserContent:
    """Per message ID, what the OA may download, until it expires."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.items: dict[str, StoredContent] = {}

    def keep(self, message_id: str, message: Media, bot_id: str) -> None:
        now = self.platform.clock.now_ms()
        blob = message.content
        stored = StoredContent(message.type, bot_id, now, message.media_type, blob)
        if isinstance(message, VideoFromUser | AudioFromUser):
            stored.ready_at_ms = now + int(message.ready_after_seconds * 1000)
            stored.transcoding_fails = message.transcoding_fails
        if isinstance(message, ImageFromUser) and blob is not None:
            stored.preview = _thumbnail(blob)
        elif isinstance(message, VideoFromUser) and blob is not None:
            given = base64.b64decode(message.preview_base64) if message.preview_base64 else None
            stored.preview = _thumbnail(given) if given else video_placeholder()
        self.items[message_id] = stored

    def forget(self, message_id: str) -> None:
        self.items.pop(message_id, None)

    def expired(self, stored: StoredContent) -> bool:
        retention_ms = self.platform.settings.content_retention_seconds * 1000
        return self.platform.clock.now_ms() - stored.kept_at_ms > retention_ms

    def visible(self, message_id: str, bot_id: str) -> StoredContent | None:
        """The content for the pages (no API rules), or None."""
        stored = self.items.get(message_id)
        return stored if stored is not None and stored.bot_id == bot_id else None

    def _find(self, caller: Caller, message_id: str) -> StoredContent:
        account = caller.require_account()
        stored = self.items.get(message_id)
        if stored is None or stored.bot_id != account.bot_id or self.expired(stored) or stored.blob is None:
            raise LineApiError(404, "Not found")
        return stored

    def status(self, stored: StoredContent) -> str:
        if stored.kind not in ("video", "audio"):
            return "succeeded"  # nothing to prepare
        if stored.transcoding_fails:
            return "failed"
        return "processing" if self.platform.clock.now_ms() < stored.ready_at_ms else "succeeded"

    def content(self, caller: Caller, message_id: str) -> tuple[bytes, str]:
        stored = self._find(caller, message_id)
        if self.status(stored) != "succeeded" or stored.blob is None:
            raise LineApiError(404, "Not found")
        return stored.blob, stored.media_type

    def preview(self, caller: Caller, message_id: str) -> tuple[bytes, str]:
        stored = self._find(caller, message_id)
        if stored.preview is None:
            raise LineApiError(404, "Not found")  # audio and files have no preview
        return stored.preview, PREVIEW_TYPE

    def transcoding(self, caller: Caller, message_id: str) -> dict[str, str]:
        return {"status": self.status(self._find(caller, message_id))}

    def export(self) -> dict[str, Any]:
        return {key: stored.export() for key, stored in self.items.items()}

    def load(self, data: dict[str, Any]) -> None:
        self.items = {key: StoredContent.load(value) for key, value in data.items()}

    def load_legacy(self, contents: dict[str, list[str]], times: dict[str, int]) -> None:
        """Snapshots made before videos and files kept `{id: [base64, type, bot]}` for images only."""
        for key, (blob64, media_type, bot_id) in contents.items():
            blob = base64.b64decode(blob64)
            self.items[key] = StoredContent("image", bot_id, int(times.get(key, 0)), media_type, blob,
                                            preview=_thumbnail(blob))


def _thumbnail(blob: bytes) -> bytes:
    """A JPEG of at most 240 x 240; bytes Pillow cannot read are their own preview (choice 37)."""
    try:
        with Image.open(io.BytesIO(blob)) as image:
            image.thumbnail(PREVIEW_SIZE)
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=80)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError):
        return blob


@functools.cache
def video_placeholder() -> bytes:
    """The preview of a video sent without one: a dark frame with a play sign (the emulator decodes no video)."""
    image = Image.new("RGB", (240, 135), "#263238")
    ImageDraw.Draw(image).polygon([(100, 40), (100, 95), (148, 67)], fill="#eceff1")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _b64(blob: bytes | None) -> str | None:
    return base64.b64encode(blob).decode() if blob is not None else None


def _unb64(text: str | None) -> bytes | None:
    return base64.b64decode(text) if text is not None else None

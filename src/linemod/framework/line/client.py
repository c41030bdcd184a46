"""Outbound LINE calls for one OA: `LineClient`, what a handler gets as `ctx.line`.

It is the process-wide SDK clients of `LineApis` (`apis.py`) bound to one tenant, which adds the bot-ID header to
every call (`_headers=`, never a shared default header), checks the tenant's granted scopes before calling,
puts `X-Line-Retry-Key` on push/multicast/broadcast/narrowcast (the same key on every retry; a 409 means an
earlier try was accepted and counts as success) and backs off on 429, 5xx and connection failures.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import linebot.v3.messaging as messaging
from linebot.v3.messaging import (
    AsyncMessagingApiBlob,
    BroadcastRequest,
    Message,
    MulticastRequest,
    NarrowcastRequest,
    PushMessageRequest,
    PushMessageResponse,
    ReplyMessageRequest,
    ReplyMessageResponse,
    ShowLoadingAnimationRequest,
    UserProfileResponse,
)
from linebot.v3.module import AcquireChatControlRequest

from linemod.framework.line.apis import LineApis
from linemod.framework.tenants.info import TenantInfo
from linemod.framework.tenants.store import BotProfile

T = TypeVar("T")
RETRY_KEY_NAMESPACE = uuid.UUID("6f1c8f0e-5d0b-4c1e-9d43-9f6c1b7e2a11")
SEND = "message:send"
RECEIVE = "message:receive"
PROFILE = "profile:read"
MANAGE = "account:manage"
# Rich menu images LINE accepts, by their first bytes (checked here, as scopes are, before any request).
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


@dataclass(frozen=True)
class SentMessages:
    """One send this client made (for billing's message meters): `kind` "reply", "push", "multicast",
    "broadcast" or "narrowcast"; `recipients` (0 when LINE picks them: broadcast, narrowcast); `key`, stable
    across re-runs of a handler (the retry key, or the reply token)."""

    kind: str
    recipients: int
    key: str


class MissingScopeError(PermissionError):
    """The OA admin did not grant the scope this call needs; no request was sent."""

    def __init__(self, bot_id: str, scope: str, operation: str) -> None:
        super().__init__(
            f"{operation} needs the {scope!r} scope, which OA {bot_id} has not granted to this module. "
            f"Ask the OA admin to re-authorize with it (the attach start page accepts ?add_scope={scope})."
        )
        self.bot_id = bot_id
        self.scope = scope


class TenantNotAttachedError(RuntimeError):
    """The OA is detached: LINE says to stop calling APIs for it at once."""


class LineClient:
    """LINE calls on behalf of one OA. Every method checks scope, adds the bot-ID header and retries."""

    def __init__(self, apis: LineApis, tenant: TenantInfo, *, retry_seed: str | None = None) -> None:
        self.apis = apis
        self.tenant = tenant
        self.bot_id = tenant.bot_id
        self._retry_seed = retry_seed
        self._retry_count = 0
        self.sent: list[SentMessages] = []
        """What this client sent, in order: the worker meters it with the handler's work (billing)."""

    @property
    def messaging(self) -> messaging.AsyncMessagingApi:
        """The raw SDK client, for calls without a wrapper here; use `call()` to get header and retries."""
        return self.apis.messaging

    @property
    def blob(self) -> AsyncMessagingApiBlob:
        """The raw SDK client of api-data.line.me (images, content); use `call()` to get header and retries."""
        return self.apis.blob

    def new_retry_key(self) -> str:
        """A retry key: derived from the seed (stable across re-runs of one handler) or random."""
        self._retry_count += 1
        if self._retry_seed is None:
            return str(uuid.uuid4())
        return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"{self.bot_id}:{self._retry_seed}:{self._retry_count}"))

    def _check(self, scope: str | None, operation: str) -> None:
        if not self.tenant.is_attached and self.tenant.state == "detached":
            raise TenantNotAttachedError(f"OA {self.bot_id} is detached; {operation} was not sent")
        if scope is not None and not self.tenant.has_scope(scope):
            raise MissingScopeError(self.bot_id, scope, operation)

    async def call(
        self,
        method: Callable[..., Awaitable[T]],
        *args: Any,
        scope: str | None = None,
        idempotent_409: Callable[[Exception], T] | None = None,
        **kwargs: Any,
    ) -> T:
        """Call any method of the SDK's messaging or module clients for this OA, e.g.
        `await ctx.line.call(ctx.line.messaging.get_followers, scope=None)`."""
        self._check(scope, getattr(method, "__name__", "call"))
        owner = getattr(method, "__self__", self.apis.messaging)
        headers = {**kwargs.pop("_headers", {}), self.apis.settings.bot_id_header: self.bot_id}

        async def attempt() -> T:
            await self.apis.authorize(owner)
            return await method(
                *args, _headers=headers, _request_timeout=self.apis.settings.api_timeout_seconds, **kwargs
            )

        return await self.apis.call_with_retries(attempt, idempotent_409=idempotent_409)

    async def reply(
        self, reply_token: str, messages: Sequence[Message], *, notification_disabled: bool = False
    ) -> ReplyMessageResponse:
        request = ReplyMessageRequest(
            replyToken=reply_token, messages=list(messages), notificationDisabled=notification_disabled
        )
        response = await self.call(_reply_unchecked(self.apis.messaging), request, scope=SEND)
        self.sent.append(SentMessages("reply", 1, f"reply:{reply_token}"))
        return response

    async def push(
        self,
        to: str,
        messages: Sequence[Message],
        *,
        notification_disabled: bool = False,
        retry_key: str | None = None,
    ) -> PushMessageResponse:
        request = PushMessageRequest(to=to, messages=list(messages), notificationDisabled=notification_disabled)
        key = retry_key or self.new_retry_key()
        response = await self.call(
            self.apis.messaging.push_message, request, x_line_retry_key=key, scope=SEND, idempotent_409=_accepted_push
        )
        self.sent.append(SentMessages("push", 1, key))
        return response

    async def multicast(self, to: Sequence[str], messages: Sequence[Message], *, retry_key: str | None = None) -> Any:
        request = MulticastRequest(to=list(to), messages=list(messages))
        key = retry_key or self.new_retry_key()
        response = await self.call(
            self.apis.messaging.multicast, request, x_line_retry_key=key, scope=SEND, idempotent_409=lambda _exc: {}
        )
        self.sent.append(SentMessages("multicast", len(request.to), key))
        return response

    async def broadcast(self, messages: Sequence[Message], *, retry_key: str | None = None) -> Any:
        key = retry_key or self.new_retry_key()
        response = await self.call(
            self.apis.messaging.broadcast,
            BroadcastRequest(messages=list(messages)),
            x_line_retry_key=key,
            scope=SEND,
            idempotent_409=lambda _exc: {},
        )
        self.sent.append(SentMessages("broadcast", 0, key))
        return response

    async def narrowcast(self, request: NarrowcastRequest, *, retry_key: str | None = None) -> Any:
        key = retry_key or self.new_retry_key()
        response = await self.call(
            self.apis.messaging.narrowcast, request, x_line_retry_key=key, scope=SEND, idempotent_409=lambda _exc: {}
        )
        self.sent.append(SentMessages("narrowcast", 0, key))
        return response

    async def message_quota(self) -> tuple[str, int | None, int]:
        """The OA's monthly message quota and what it used this month: (type "limited" or "none", the
        limit or None, messages consumed) from `GET /v2/bot/message/quota` and `/quota/consumption`."""
        quota = await self.call(self.apis.messaging.get_message_quota, scope=SEND)
        consumption = await self.call(self.apis.messaging.get_message_quota_consumption, scope=SEND)
        kind = str(getattr(quota.type, "value", quota.type))
        return kind, quota.value, int(consumption.total_usage or 0)

    async def show_loading(self, chat_id: str, seconds: int = 20) -> Any:
        request = ShowLoadingAnimationRequest(chatId=chat_id, loadingSeconds=seconds)
        return await self.call(self.apis.messaging.show_loading_animation, request, scope=SEND)

    async def get_profile(self, user_id: str) -> UserProfileResponse:
        return await self.call(self.apis.messaging.get_profile, user_id, scope=PROFILE)

    async def get_bot_info(self) -> BotProfile:
        info = await self.call(self.apis.messaging.get_bot_info)
        return BotProfile(
            bot_id=info.user_id,
            basic_id=info.basic_id,
            premium_id=info.premium_id,
            display_name=info.display_name,
            picture_url=info.picture_url,
        )

    async def acquire_chat_control(self, chat_id: str, *, ttl: int | None = 3600, expired: bool = True) -> None:
        request = AcquireChatControlRequest(expired=expired, ttl=ttl if expired else None)
        await self.call(self.apis.module.acquire_chat_control, chat_id, request, scope=RECEIVE)

    async def release_chat_control(self, chat_id: str) -> None:
        await self.call(self.apis.module.release_chat_control, chat_id, scope=RECEIVE)

    # ---- api-data.line.me ------------------------------------------------------------------------------

    async def set_rich_menu_image(self, rich_menu_id: str, image: bytes) -> None:
        """Upload the image of a rich menu this module created (PNG or JPEG; LINE takes it once per menu)."""
        content_type = next((kind for magic, kind in IMAGE_TYPES.items() if image.startswith(magic)), None)
        if content_type is None:
            raise ValueError("a rich menu image must be a PNG or a JPEG")
        await self.call(
            self.apis.blob.set_rich_menu_image,
            rich_menu_id,
            body=image,
            _headers={"Content-Type": content_type},
            scope=MANAGE,
        )

    async def get_rich_menu_image(self, rich_menu_id: str) -> bytes:
        return bytes(await self.call(self.apis.blob.get_rich_menu_image, rich_menu_id, scope=MANAGE))

    async def get_message_content(self, message_id: str) -> bytes:
        """What a user sent as an image, video, audio or file message (`event.message.id`)."""
        return bytes(await self.call(self.apis.blob.get_message_content, message_id, scope=RECEIVE))


def _reply_unchecked(api: messaging.AsyncMessagingApi) -> Callable[..., Awaitable[ReplyMessageResponse]]:
    """The SDK's reply call without its `validate_arguments` wrappers: they validate again (copying it
    field by field) the `ReplyMessageRequest` its constructor has just validated, the largest share of a
    reply's CPU after the HTTP call itself. Same request, same headers, same typed response."""
    send = getattr(api.reply_message_with_http_info, "raw_function", None)
    if send is None:  # an SDK whose methods are not pydantic's `validate_arguments` wrappers: its own call
        return api.reply_message  # type: ignore[no-any-return]  # the SDK is untyped

    def reply_message(request: ReplyMessageRequest, **kwargs: Any) -> Awaitable[ReplyMessageResponse]:
        return send(api, request, _return_http_data_only=True, **kwargs)  # type: ignore[no-any-return]

    reply_message.__self__ = api  # type: ignore[attr-defined]  # `call()` authorizes the owner's client
    return reply_message


def _accepted_push(exc: Exception) -> PushMessageResponse:
    body = getattr(exc, "body", None) or "{}"
    try:
        return PushMessageResponse.from_json(body)
    except (ValueError, TypeError):
        return PushMessageResponse(sentMessages=[])

"""Every knob of the emulator, with the default it chose where LINE leaves behaviour undocumented: the
numbered choices of docs/emulator-behaviour.md."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EmulatorSettings:
    """Behaviour switches of the emulated platform.

    bot_id_header: name of the module bot-ID header (choice 1); matched case-insensitively.
    code_lifetime_seconds: lifetime of an authorization code (choice 8).
    acquire_lock_seconds: window in which a second Acquire by another channel gets 423 (choice 16).
    redelivery_backoff_seconds: waits before each webhook redelivery attempt (choice 22).
    webhook_timeout_seconds: a receiver slower than this has failed (`request_timeout`).
    webhook_batch_size: most events put into one webhook POST to one channel.
    webhook_keepalive_seconds: how long an idle connection to a receiver is reused (choice 49); keep it below
        the receivers' own keep-alive.
    rate_limits: apply LINE's documented token-bucket limits.
    strict_standby: refuse a module's push to a chat in which it is Standby (choice 18).
    monthly_message_limit: None for an unlimited quota (`type: none`), else the monthly cap.
    events_without_receive_scope: send attached/detached/botSuspended/botResumed to modules that lack
        `message:receive` (choice 25; off by default).
    content_retention_seconds: how long what users send (images) can be downloaded (choice 35).
    control_hosts: the host names the control API (`/_emulator/`) answers for; "*" for any. Loopback by
        default: add the name tools reach the emulator by when it runs elsewhere (a container, a CI host).
    webhook_ca_file: a PEM file of certificate authorities trusted for https webhook URLs, besides the
        system's (a module behind a proxy with a self-signed or private-CA certificate, in tests).
    """

    bot_id_header: str = "X-Line-Bot-Id"
    code_lifetime_seconds: int = 600
    acquire_lock_seconds: float = 3.0
    redelivery_backoff_seconds: list[float] = field(default_factory=lambda: [1.0, 2.0, 4.0])
    webhook_timeout_seconds: float = 2.0
    webhook_batch_size: int = 100
    webhook_concurrency: int = 64
    webhook_keepalive_seconds: float = 1.5
    rate_limits: bool = True
    strict_standby: bool = False
    monthly_message_limit: int | None = None
    events_without_receive_scope: bool = False
    max_body_bytes: int = 2 * 1024 * 1024
    request_log_size: int = 10_000
    delivery_log_size: int = 10_000
    default_purge_after_seconds: int = 7_776_000
    content_retention_seconds: int = 7 * 24 * 3600
    control_hosts: list[str] = field(default_factory=lambda: ["127.0.0.1", "localhost", "::1"])
    webhook_ca_file: str | None = None

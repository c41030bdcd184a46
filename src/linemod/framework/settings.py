"""The framework's one settings object."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The help desk's attachment limits are defined once, beside the check that applies them.
from linemod.framework.support.attachments import DEFAULT_MAX_BYTES, DEFAULT_TYPES

DEFAULT_SCOPES = ("message:send", "message:receive")
RECEIVE_SCOPE = "message:receive"


DEVELOPMENT_SIGNING_SECRET = "linemod-insecure-development-secret"
"""Known to everyone: only ever used with `development` on."""


class MissingSecretError(RuntimeError):
    """Neither a cookie secret nor a channel secret is set, outside development mode."""


class Settings(BaseSettings):
    """Every option of a linemod module, read from `LINEMOD_*` environment variables and `.env`.

    Pass values as keyword arguments to override the environment: `Settings(channel_id="123")`.

    LINE channel
        channel_id (LINEMOD_CHANNEL_ID, default ""): the module channel's ID (`client_id`).
        channel_secret (LINEMOD_CHANNEL_SECRET, default ""): the module channel's secret. It verifies webhook
            signatures, authenticates the attach token call and issues stateless tokens.
        token_type (LINEMOD_TOKEN_TYPE, default "stateless"): how the module channel access token is
            issued: "stateless" (15 minutes, from ID and secret) or "v2.1" (a JWT signed with `jwk`).
        jwk (LINEMOD_JWK, default None): the private RSA JWK (JSON text) for v2.1 tokens; its `kid` must be
            the key ID the console returned when the public key was registered (or set `jwk_kid`).
        jwk_kid (LINEMOD_JWK_KID, default None): key ID, when the JWK itself carries none.
        token_lifetime_seconds (LINEMOD_TOKEN_LIFETIME_SECONDS, default 86400): `token_exp` of v2.1 tokens.
        token_renew_margin_seconds (LINEMOD_TOKEN_RENEW_MARGIN_SECONDS, default 120): a cached token is
            renewed when it has less than this left.
        bot_id_header (LINEMOD_BOT_ID_HEADER, default "X-Line-Bot-Id"): the bot-ID header sent on every call
            made for an OA.
        scopes (LINEMOD_SCOPES, default "message:send message:receive"): scopes requested at attach;
            `message:receive` is always added. Space- or comma-separated in the environment.

    LINE hosts
        line_base_url (LINEMOD_LINE_BASE_URL, default None): when set, every LINE host below is this one
            origin (e.g. the emulator, `http://127.0.0.1:9000`).
        line_api_url (default "https://api.line.me"), line_data_api_url (default "https://api-data.line.me"),
        line_manager_url (default "https://manager.line.biz"): the individual hosts.

    Web
        public_base_url (LINEMOD_PUBLIC_BASE_URL, default "http://127.0.0.1:8000"): where browsers reach this
            module; the attach redirect URI is built from it.
        redirect_uri (LINEMOD_REDIRECT_URI, default None): the registered redirect URI, when it is not
            `public_base_url` + `attach_path` + "/callback".
        webhook_path (default "/webhook"), attach_path (default "/attach"): where those routes are mounted.
        cookie_secret (LINEMOD_COOKIE_SECRET, default None): signs the attach cookie, the console session
            cookies and CSRF tokens; the channel secret when unset. With neither, a start fails, except in
            development mode (LINEMOD_DEVELOPMENT=1), which signs with a fixed, public development secret.
        cookie_secure (default None): mark the attach and console cookies `Secure`; unset, they are Secure
            exactly when `public_base_url` is https (read `secure_cookies`).
        attach_state_ttl_seconds (default 600): how long an attach started in a browser may take.
        webhook_max_body_bytes (default 1048576): larger webhook bodies are refused with 413.
        metrics_token (LINEMOD_METRICS_TOKEN, default None): when set, `GET /metrics` (Prometheus) answers
            only requests with `Authorization: Bearer <token>`; unset, it is open (keep it off the internet).
        forwarded_allow_ips (LINEMOD_FORWARDED_ALLOW_IPS, default "": trust no one): the reverse proxies whose
            `X-Forwarded-For` and `X-Forwarded-Proto` `linemod serve` believes, as IPs or CIDR networks,
            comma-separated ("*" trusts every peer: only where nothing but the proxy can connect). Unset, the
            client IP is the connection's peer, whatever the headers say (uvicorn's FORWARDED_ALLOW_IPS is
            ignored). Behind a proxy, set it to the proxy's address: otherwise every browser has the proxy's
            IP, and the per-IP sign-in limit counts them all together.

    Database
        database_url (LINEMOD_DATABASE_URL, default "sqlite+aiosqlite:///linemod.db"): SQLAlchemy async URL;
            `postgresql+asyncpg://...` in production.
        database_schema (default None): PostgreSQL schema to use (search_path), for sharing one database.
        database_connect_timeout_seconds (LINEMOD_DATABASE_CONNECT_TIMEOUT_SECONDS, default 5.0): the longest wait
            for a new database connection, or for a free one from the pool.
        database_statement_timeout_seconds (LINEMOD_DATABASE_STATEMENT_TIMEOUT_SECONDS, default 30.0): the
            longest a statement of a worker, a job or a console may run (PostgreSQL's statement_timeout, and
            on the client a second more for a server that does not answer at all), and SQLite's busy timeout
            (the wait for another connection's write lock). Migrations have none.
        intake_db_timeout_ms (LINEMOD_INTAKE_DB_TIMEOUT_MS, default 800): the webhook intake's deadline for
            storing a webhook. Past it the webhook is answered 503 (LINE waits 2 s for an answer, and
            redelivers a failed webhook when redelivery is on); one log line per webhook says so.

    Serving (`linemod serve`; behind a reverse proxy, set the proxy's own limits too: see docs/deploy.md)
        header_timeout_seconds (LINEMOD_HEADER_TIMEOUT_SECONDS, default 5.0): a connection that has not sent a
            request's complete headers this long after it opened (or after the first byte of a request on a
            kept-alive connection) is answered 408 and closed.
        body_timeout_seconds (LINEMOD_BODY_TIMEOUT_SECONDS, default 10.0): the same for a request's whole body,
            counted from the end of its headers.
        keep_alive_seconds (LINEMOD_KEEP_ALIVE_SECONDS, default 5): an idle kept-alive connection is closed
            after this long.
        max_connections (LINEMOD_MAX_CONNECTIONS, default 1000): open connections (or requests in progress)
            from which new requests are answered 503 instead of being handled.
        shutdown_drain_seconds (LINEMOD_SHUTDOWN_DRAIN_SECONDS, default 0): after SIGTERM, `linemod serve`
            goes on serving this long with `/healthz` answering 503 (draining), so that a load balancer polling
            it stops sending requests before the port closes. nginx's passive checks need none: a closed port
            makes it try the next server.
        shutdown_grace_seconds (LINEMOD_SHUTDOWN_GRACE_SECONDS, default 30): after SIGTERM (and the drain),
            how long requests in progress and running handlers (of `linemod serve` and `linemod worker`) get to
            finish. Past it they are cancelled: their transactions roll back and their events are taken
            again once the lease runs out. Keep it under the service manager's stop timeout.

    Workers and queue
        run_workers_in_process (default True): `linemod serve` also processes events; set False when
            separate `linemod worker` processes do all the work.
        worker_concurrency (default 16): events processed at the same time by one process (different chats).
        worker_poll_seconds (default 0.5): how often an idle worker looks for work written by other processes.
        lease_seconds (default 30): a claimed event whose worker has not finished it within this time (e.g.
            the process was killed) is taken again. A running worker extends its leases every third of it.
            Under a minute, so that the re-run of an event a killed worker had already answered still finds
            its reply token within LINE's minute and does not answer again (`Context.reply`).
        max_attempts (default 6): tries before an event becomes a dead letter.
        retry_base_seconds (default 2.0), retry_max_seconds (default 300.0): exponential backoff between
            tries.
        done_retention_seconds (default 604800): processed events are kept this long for deduplication.
        reconcile_interval_seconds (default 3600): period of the `/v2/bot/list` reconciliation job; 0 = off.

    Accounts and consoles (operators at /console/, provider staff at /provider/)
        development (LINEMOD_DEVELOPMENT, default False): development mode; with no SMTP host, the mails
            the consoles send are shown at /console/outbox (never served otherwise).
        session_max_age_seconds (default 1209600, 14 days): how long a console sign-in lasts.
        signin_max_failures (default 5), signin_window_seconds (default 900): failed sign-ins allowed per
            email and client IP within the window. Every limit is counted in the database (so it holds across
            processes) in fixed windows, and an attempt is counted before its password is checked (so
            requests sent at once cannot overtake it); a refused attempt answers 429 without a check.
        signin_account_max_failures (default 20), signin_account_window_seconds (default 900): failed
            sign-ins allowed per email from any IP (guessing from many addresses). While it is reached, the
            account's owner cannot sign in either, until the window ends or they reset the password by mail
            (which clears it).
        signin_ip_max_failures (default 50), signin_ip_window_seconds (default 900): failed sign-ins allowed
            per client IP over every email (one password tried against many accounts). IPv6 clients count
            per /64 network, the block one host usually has.
        reset_account_max_mails (default 5), reset_account_window_seconds (default 900): password-reset
            mails requested per email (a new verification link, and the "you already have an account" mail
            of a sign-up with a taken address, count the same); past it, the form answers as always but
            sends nothing.
        reset_ip_max_mails (default 20), reset_ip_window_seconds (default 900): the same per client IP.
        smtp_host (LINEMOD_SMTP_HOST, default None): the SMTP server mails go through; unset, they are kept
            in the database outbox instead (and logged).
        smtp_port (default 587), smtp_tls (default "starttls"; "tls" for implicit TLS, usually port 465,
            "none" for plain), smtp_username and smtp_password (default None: no login).
        mail_from (LINEMOD_MAIL_FROM, default "linemod <no-reply@localhost>"): the From of every mail.

    Billing (what a deployment decides; what the module sells, and how, is declared in code: `app.billing`)
        billing_trial_reminder_days (LINEMOD_BILLING_TRIAL_REMINDER_DAYS, default "7,3"): days before a
            trial's end when `trial.ending` is emitted, comma- or space-separated.
        billing_sweep_interval_seconds (default 3600): period of the sweep that gives OAs attached before
            billing was deployed their subscription and re-schedules overdue trial ends and renewals; 0 = off.
        billing_quota_interval_seconds (default 3600): period of the read of every OA's LINE message quota
            and consumption (scope message:send); 0 = off.
        billing_issuer_name (LINEMOD_BILLING_ISSUER_NAME, default None): who issues the invoices (the provider
            running this deployment, 適格請求書発行事業者). Unset, no invoice is made: charges wait in the
            ledger, and nothing is collected.
        billing_issuer_registration_number (LINEMOD_BILLING_ISSUER_REGISTRATION_NUMBER, default ""): its `T`
            number (T + 13 digits, checked at start); billing_issuer_sole_proprietor (default False) relaxes
            the check to a sole proprietor's number.
        billing_issuer_address, billing_issuer_contact (default ""): printed under the issuer's name.
        billing_bank_name, billing_bank_branch, billing_bank_account_type (default "普通"),
            billing_bank_account_number, billing_bank_account_holder (LINEMOD_BILLING_BANK_*, default ""): the
            account bank transfers go to (振込先), printed on every invoice when the bank name is set.
        billing_retry_days (LINEMOD_BILLING_RETRY_DAYS, default "1,3,5,7"): days after a soft-declined card
            charge on which it is tried again (none after a hard decline).
        billing_grace_days (default 14): days a subscription stays `restricted` (after the last retry, or
            the last reminder of an overdue transfer) before the final notice.
        billing_final_notice_days (default 7): days from the final notice to the provider-side detach.
        billing_payment_link_days (default 45): how long a mail's "pay now" link works.
        billing_card_expiry_notice_days (default 30): a card expiring within this many days is mailed about.
        billing_pdf_on_issue (default False): render each document's PDF in the job that issues it. Off, an
            invoice run stores the HTML only and the `linemod.billing.render_pdfs` job makes the PDFs
            afterwards in a process pool (a mail or a download before then makes its PDF on demand).
        billing_pdf_workers (default 0 = one per core): processes of that pool, started at the first PDF.
        billing_pdf_browser (default "auto": `chromium` on the PATH): the Chromium that job prints its PDFs
            with, 100 documents at once (a tenth of the CPU WeasyPrint takes for each); "off", or no browser
            found, and WeasyPrint makes every PDF. Single PDFs (a mail, a download) are WeasyPrint's.

    Help desk (the provider's support for operators: `linemod.framework.support`)
        support_address (LINEMOD_SUPPORT_ADDRESS, default None): the From and Reply-To of help-desk mails, the
            address of the mailbox below (customers' replies must reach it); unset, `mail_from`.
        support_imap_host (LINEMOD_SUPPORT_IMAP_HOST, default None): the IMAP server of the support mailbox;
            unset, no mail is read.
        support_imap_port (default 993), support_imap_tls (default "tls"; "starttls", or "none" for plain on
            a trusted network), support_imap_user and support_imap_password (default None),
            support_imap_mailbox (default "INBOX").
        support_poll_interval_seconds (default 60): how often the mailbox is read; 0 = never.
        support_attachment_max_bytes (default 10485760): the largest file a ticket message keeps.
        support_attachment_types (default: PNG, JPEG, GIF, WebP, PDF, plain text, CSV, JSON, ZIP): the
            content types kept, comma- or space-separated.
        support_pending_reminder_days (default 3): days a ticket waits on the customer before they are
            reminded; 0 = never.
        support_auto_solve_days (default 7): days pending (after the reminder) before the ticket is solved
            for them; 0 = never.
        support_auto_close_days (default 4): days solved before a ticket is closed; 0 = never.
        support_sweep_interval_seconds (default 300): how often the automations, the SLA warnings and
            escalations, and the retries of unsent replies run; 0 = never.

    Outbound calls
        api_max_retries (default 4): retries of a LINE call answered 429 or 5xx (or failing to connect).
        api_retry_base_seconds (default 0.5): first backoff wait; doubles each retry, honours Retry-After.
        api_timeout_seconds (default 10.0): per-request timeout.

    Card payments (Stripe)
        stripe_api_key (LINEMOD_STRIPE_API_KEY, default None): the secret key (`sk_...`); unset, no card
            payments.
        stripe_publishable_key (LINEMOD_STRIPE_PUBLISHABLE_KEY, default None): the key (`pk_...`) the card form
            gives Stripe.js.
        stripe_webhook_secret (LINEMOD_STRIPE_WEBHOOK_SECRET, default None): the endpoint's signing secret
            (`whsec_...`); Stripe webhooks are refused without it.
        stripe_api_base (LINEMOD_STRIPE_API_BASE, default "https://api.stripe.com"): where Stripe's API is.
            Any other base is taken to be a localstripe server (`http://127.0.0.1:8420`, in tests and demos),
            which speaks an older API version.
        stripe_js_url (LINEMOD_STRIPE_JS_URL, default "https://js.stripe.com/v3/"): the Stripe.js the operator
            console's card form loads (only that page allows its origin); localstripe serves a shim at
            `{its URL}/js.stripe.com/v3/`.
    """

    model_config = SettingsConfigDict(env_prefix="LINEMOD_", env_file=".env", extra="ignore")

    channel_id: str = ""
    channel_secret: str = ""
    token_type: Literal["stateless", "v2.1"] = "stateless"
    jwk: str | None = None
    jwk_kid: str | None = None
    token_lifetime_seconds: int = Field(default=86_400, gt=0, le=2_592_000)
    token_renew_margin_seconds: int = Field(default=120, ge=0)
    bot_id_header: str = "X-Line-Bot-Id"
    scopes: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_SCOPES))

    line_base_url: str | None = None
    line_api_url: str = "https://api.line.me"
    line_data_api_url: str = "https://api-data.line.me"
    line_manager_url: str = "https://manager.line.biz"

    public_base_url: str = "http://127.0.0.1:8000"
    redirect_uri: str | None = None
    webhook_path: str = "/webhook"
    attach_path: str = "/attach"
    cookie_secret: str | None = None
    cookie_secure: bool | None = None
    attach_state_ttl_seconds: int = 600
    webhook_max_body_bytes: int = 1_048_576

    database_url: str = "sqlite+aiosqlite:///linemod.db"
    database_schema: str | None = None
    database_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    database_statement_timeout_seconds: float = Field(default=30.0, gt=0)
    intake_db_timeout_ms: int = Field(default=800, gt=0)

    header_timeout_seconds: float = Field(default=5.0, gt=0)
    body_timeout_seconds: float = Field(default=10.0, gt=0)
    keep_alive_seconds: int = Field(default=5, gt=0)
    max_connections: int = Field(default=1000, ge=1)
    shutdown_drain_seconds: float = Field(default=0.0, ge=0)
    shutdown_grace_seconds: float = Field(default=30.0, gt=0)

    run_workers_in_process: bool = True
    worker_concurrency: int = Field(default=16, ge=1)
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    lease_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=6, ge=1)
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 300.0
    done_retention_seconds: int = 604_800
    reconcile_interval_seconds: int = 3600

    development: bool = False
    session_max_age_seconds: int = Field(default=1_209_600, gt=0)
    signin_max_failures: int = Field(default=5, ge=1)
    signin_window_seconds: int = Field(default=900, gt=0)
    signin_account_max_failures: int = Field(default=20, ge=1)
    signin_account_window_seconds: int = Field(default=900, gt=0)
    signin_ip_max_failures: int = Field(default=50, ge=1)
    signin_ip_window_seconds: int = Field(default=900, gt=0)
    reset_account_max_mails: int = Field(default=5, ge=1)
    reset_account_window_seconds: int = Field(default=900, gt=0)
    reset_ip_max_mails: int = Field(default=20, ge=1)
    reset_ip_window_seconds: int = Field(default=900, gt=0)
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "linemod <no-reply@localhost>"

    billing_trial_reminder_days: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [7, 3])
    billing_sweep_interval_seconds: int = Field(default=3600, ge=0)
    billing_quota_interval_seconds: int = Field(default=3600, ge=0)
    billing_issuer_name: str | None = None
    billing_issuer_registration_number: str = ""
    billing_issuer_sole_proprietor: bool = False
    billing_issuer_address: str = ""
    billing_issuer_contact: str = ""
    billing_bank_name: str = ""
    billing_bank_branch: str = ""
    billing_bank_account_type: str = "普通"
    billing_bank_account_number: str = ""
    billing_bank_account_holder: str = ""
    billing_retry_days: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [1, 3, 5, 7])
    billing_grace_days: int = Field(default=14, ge=0)
    billing_final_notice_days: int = Field(default=7, ge=0)
    billing_payment_link_days: int = Field(default=45, gt=0)
    billing_card_expiry_notice_days: int = Field(default=30, ge=0)
    billing_pdf_on_issue: bool = False
    billing_pdf_workers: int = Field(default=0, ge=0)
    billing_pdf_browser: str = "auto"

    support_address: str | None = None
    support_imap_host: str | None = None
    support_imap_port: int = 993
    support_imap_tls: Literal["tls", "starttls", "none"] = "tls"
    support_imap_user: str | None = None
    support_imap_password: str | None = None
    support_imap_mailbox: str = "INBOX"
    support_poll_interval_seconds: int = Field(default=60, ge=0)
    support_attachment_max_bytes: int = Field(default=DEFAULT_MAX_BYTES, gt=0)
    support_attachment_types: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_TYPES))
    support_pending_reminder_days: int = Field(default=3, ge=0)
    support_auto_solve_days: int = Field(default=7, ge=0)
    support_auto_close_days: int = Field(default=4, ge=0)
    support_sweep_interval_seconds: int = Field(default=300, ge=0)

    api_max_retries: int = 4
    api_retry_base_seconds: float = 0.5
    api_timeout_seconds: float = 10.0

    metrics_token: str | None = None
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(default_factory=list)

    stripe_api_key: str | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str = "https://api.stripe.com"
    stripe_js_url: str = "https://js.stripe.com/v3/"

    @field_validator("scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        # uvicorn takes an entry it cannot parse as a literal host name that never matches: a typo would
        # quietly trust nobody (and every browser would share the proxy's IP), so it fails the start instead.
        for entry in value:
            if entry == "*":
                continue
            try:
                ipaddress.ip_network(entry) if "/" in entry else ipaddress.ip_address(entry)
            except ValueError:
                raise ValueError(f"forwarded_allow_ips: {entry!r} is neither an IP address nor a network") from None
        return value

    @field_validator("billing_retry_days", mode="before")
    @classmethod
    def _split_retry_days(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("support_attachment_types", mode="before")
    @classmethod
    def _split_types(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.replace(",", " ").split() if part.strip()]
        return value

    @field_validator("billing_trial_reminder_days", mode="before")
    @classmethod
    def _split_days(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("billing_trial_reminder_days")
    @classmethod
    def _positive_days(cls, value: list[int]) -> list[int]:
        if any(day <= 0 for day in value):
            raise ValueError("trial reminder days are whole days before the trial's end, above 0")
        return sorted(set(value), reverse=True)

    @property
    def requested_scopes(self) -> list[str]:
        """The configured scopes with `message:receive` guaranteed (webhooks need it)."""
        return sorted({*self.scopes, RECEIVE_SCOPE})

    @property
    def support_from(self) -> str:
        """The From (and Reply-To) of help-desk mails."""
        return self.support_address or self.mail_from

    @property
    def api_url(self) -> str:
        return (self.line_base_url or self.line_api_url).rstrip("/")

    @property
    def data_api_url(self) -> str:
        return (self.line_base_url or self.line_data_api_url).rstrip("/")

    @property
    def manager_url(self) -> str:
        return (self.line_base_url or self.line_manager_url).rstrip("/")

    @property
    def attach_redirect_uri(self) -> str:
        if self.redirect_uri:
            return self.redirect_uri
        return f"{self.public_base_url.rstrip('/')}{self.attach_path}/callback"

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies carry `Secure`: as set, else whether the module is served over https."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_base_url.lower().startswith("https://")

    @property
    def signing_secret(self) -> str:
        secret = self.cookie_secret or self.channel_secret
        if secret:
            return secret
        if self.development:
            return DEVELOPMENT_SIGNING_SECRET
        raise MissingSecretError(
            "linemod has no secret to sign cookies and CSRF tokens with: set LINEMOD_CHANNEL_SECRET (the module "
            "channel's secret) or LINEMOD_COOKIE_SECRET, or LINEMOD_DEVELOPMENT=1 on a development machine"
        )

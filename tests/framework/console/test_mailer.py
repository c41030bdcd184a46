"""Mail: through SMTP (aiosmtplib) when a host is set, into the outbox otherwise."""

from __future__ import annotations

import asyncio
from email import message_from_bytes
from email.policy import default

from linemod.framework.accounts.mailer import Mail, OutboxMailer, SmtpMailer, mailer_for
from linemod.framework.clock import ManualClock
from tests.framework.helpers import make_settings


class TinySmtpServer:
    """Just enough SMTP (RFC 5321) to receive one message with AUTH PLAIN, on a loopback port."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.auth: list[str] = []
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write(f"{line}\r\n".encode())

        say("220 tiny ESMTP")
        while line := (await reader.readline()).decode().rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                say("250-tiny")
                say("250 AUTH PLAIN")
            elif verb == "AUTH":
                self.auth.append(line)
                say("235 ok")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                say("250 ok")
            elif verb == "DATA":
                say("354 go on")
                await writer.drain()
                data = b""
                while (chunk := await reader.readline()) != b".\r\n":
                    data += chunk
                self.messages.append(data)
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                await writer.drain()
                break
            else:
                say("502 no")
            await writer.drain()
        writer.close()


async def test_smtp_sends_with_the_configured_host_port_and_login() -> None:
    smtp = TinySmtpServer()
    server = await asyncio.start_server(smtp.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = make_settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        smtp_username="mod",
        smtp_password="pw",
        mail_from="Reserve <no-reply@reserve.example>",
    )
    mailer = mailer_for(settings, None, ManualClock())  # type: ignore[arg-type]
    assert isinstance(mailer, SmtpMailer)
    async with server:
        await mailer.send(Mail("hanako@example.com", "メールアドレスの確認", "リンク: https://x.example/verify"))
    [raw] = smtp.messages
    message = message_from_bytes(raw, policy=default)
    assert message["To"] == "hanako@example.com" and message["Subject"] == "メールアドレスの確認"
    assert message["From"] == "Reserve <no-reply@reserve.example>"
    assert "https://x.example/verify" in message.get_content()
    assert smtp.auth and smtp.auth[0].startswith("AUTH PLAIN")


async def test_without_an_smtp_host_mails_go_to_the_outbox(db) -> None:  # type: ignore[no-untyped-def]
    mailer = mailer_for(make_settings(development=True), db, ManualClock())
    assert isinstance(mailer, OutboxMailer)
    await mailer.send(Mail("a@example.com", "subject", "body"))
    [kept] = await mailer.list()
    assert (kept.to_addr, kept.subject, kept.body) == ("a@example.com", "subject", "body")

"""An inbound mail, read: who sent it, what it answers, its text and files, and whether a machine sent it.

Pure functions over the raw bytes (RFC 5322 through the standard library's `email` with its modern policy,
which decodes encoded words and charsets such as ISO-2022-JP).
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr

from linemod.framework.support.attachments import NewAttachment

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
TICKET_TAG = re.compile(r"\[#(\d{1,12})\]")
_AUTOMATED_SENDERS = ("mailer-daemon", "postmaster")
_BULK = {"bulk", "junk", "list", "auto_reply"}
# Where a mail client starts quoting the message answered: the ticket keeps only the new text.
_QUOTE_STARTS = re.compile(
    r"^(On .{1,200} wrote:|-{2,} ?Original Message ?-{2,}|.{0,120}(に|が)書きました[:：]|From: .+|差出人: .+)\s*$",
    re.M,
)
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)


@dataclass(frozen=True)
class InboundMail:
    message_id: str
    sender: str  # the address, lower-cased
    sender_name: str
    subject: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    body: str
    attachments: tuple[NewAttachment, ...]
    automated: str | None  # why it looks machine-sent ("Auto-Submitted: auto-replied", ...), else None

    @property
    def answered_ids(self) -> tuple[str, ...]:
        """The Message-IDs this mail answers, the most direct first (In-Reply-To, then References newest first)."""
        return tuple(dict.fromkeys((*self.in_reply_to, *reversed(self.references))))

    @property
    def ticket_number(self) -> int | None:
        """The number of a "[#123]" tag in the subject (the fallback when the threading headers are lost)."""
        match = TICKET_TAG.search(self.subject)
        return int(match.group(1)) if match else None


def parse_mail(raw: bytes) -> InboundMail:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("From", "")))
    ids = _MESSAGE_ID.findall(str(message.get("Message-ID", "")))
    # A mail without a Message-ID still gets a stable one, so fetching it again finds it stored.
    message_id = ids[0] if ids else f"<sha256.{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id>"
    return InboundMail(
        message_id=message_id[:255],
        sender=address.strip().lower(),
        sender_name=name.strip(),
        subject=" ".join(str(message.get("Subject", "")).split()),
        in_reply_to=tuple(_MESSAGE_ID.findall(str(message.get("In-Reply-To", "")))),
        references=tuple(_MESSAGE_ID.findall(str(message.get("References", "")))),
        body=new_text(_body_text(message)),
        attachments=tuple(_attachments(message)),
        automated=automated_reason(message, address),
    )


def automated_reason(message: EmailMessage, address: str) -> str | None:
    """Why a mail is an auto-reply or a bounce (RFC 3834 Auto-Submitted, Precedence, the bounce senders and
    report type of RFC 3464, the vendors' own headers), or None for a person's mail. Such mails never make
    tickets: two auto-responders would otherwise answer each other forever."""
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in _BULK:
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if message.get(header) is not None:
            return header
    local_part = address.lower().split("@", 1)[0]
    if local_part in _AUTOMATED_SENDERS:
        return f"sender {local_part}"
    if message.get_content_type() == "multipart/report":
        return "multipart/report"
    if str(message.get("Return-Path", "")).strip() == "<>":
        return "Return-Path: <>"
    return None


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    assert isinstance(part, EmailMessage)
    content = part.get_content()
    text = content if isinstance(content, str) else content.decode("utf-8", "replace")
    if part.get_content_type() == "text/html":
        text = html.unescape(_TAGS.sub("", re.sub(r"<br\s*/?>|</p>", "\n", text, flags=re.I)))
    return text


def new_text(body: str) -> str:
    """The text before the quote of the message answered, trailing ">" lines and blank lines dropped."""
    text = body.replace("\r\n", "\n")
    match = _QUOTE_STARTS.search(text)
    if match and match.start() > 0:
        text = text[: match.start()]
    lines = text.rstrip().split("\n")
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    return "\n".join(lines).strip() or body.strip()


def _attachments(message: EmailMessage) -> list[NewAttachment]:
    found = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        if part.get_content_maintype() == "multipart":
            continue
        content = part.get_payload(decode=True)
        if isinstance(content, bytes):
            found.append(NewAttachment(part.get_filename() or "attachment", part.get_content_type(), content))
    return found

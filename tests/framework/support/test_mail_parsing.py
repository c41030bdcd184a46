"""Reading an inbound mail: Japanese charsets, HTML-only mails, the quoted text cut off, machine senders."""

from __future__ import annotations

from email.message import EmailMessage

from linemod.framework.support.mail_parsing import new_text, parse_mail


def test_an_iso_2022_jp_mail_with_its_threading_headers() -> None:
    raw = (
        b"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <Yamada@Shop.Example>\r\n"
        b"Subject: =?ISO-2022-JP?B?GyRCTGQkJDlnJG8kOxsoQg==?= [#42]\r\n"
        b"Message-ID: <abc@shop.example>\r\n"
        b"In-Reply-To: <ticket.42.7.beef@provider.example>\r\n"
        b"References: <first@shop.example> <ticket.42.7.beef@provider.example>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n"
    ) + "よろしくお願いします\r\n".encode("iso-2022-jp")
    mail = parse_mail(raw)
    assert (mail.sender, mail.sender_name, mail.subject) == ("yamada@shop.example", "山田", "問い合わせ [#42]")
    assert mail.body == "よろしくお願いします" and mail.ticket_number == 42 and mail.automated is None
    assert mail.answered_ids == ("<ticket.42.7.beef@provider.example>", "<first@shop.example>")


def test_an_html_only_mail_becomes_text() -> None:
    message = EmailMessage()
    message["From"] = "a@shop.example"
    message["Subject"] = "html"
    message.set_content("<p>こんにちは<br>予約について</p><script>x()</script>", subtype="html")
    mail = parse_mail(message.as_bytes())
    assert mail.body == "こんにちは\n予約について" and mail.message_id.endswith("@no-message-id>")


def test_the_quoted_message_is_cut_off() -> None:
    assert new_text("了解です。\n\n2027年1月12日(火) 12:00 Support <s@p.example>:が書きました:\n> 前文") == "了解です。"
    assert new_text("Thanks!\n\nOn Tue, Jan 12, 2027 Support wrote:\n> hi\n") == "Thanks!"
    assert new_text("ok\n> quoted\n> more\n") == "ok"
    assert new_text("> only a quote") == "> only a quote"  # nothing new: keep it all rather than nothing


def test_bounces_are_machine_mail() -> None:
    message = EmailMessage()
    message["From"] = "someone@shop.example"
    message["Subject"] = "Delivery Status Notification"
    message["Return-Path"] = "<>"
    message.set_content("undeliverable")
    assert parse_mail(message.as_bytes()).automated == "Return-Path: <>"

"""The mails billing sends: the invoice and the receipt (their PDF attached), and the notices of dunning and
of the trial (payment failed, transfer reminder, restricted, final notice, trial ending, card expiring).
Japanese by default, English for OAs whose billing profile says so; HTML with a plain-text alternative; every
one carries the "pay now" link (`pay_links.py`).

Mails go to the billing profile's email, its CC addresses copied; an OA without a profile (or without an
email in it) gets none, which is logged.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from typing import Any

from linemod.framework.accounts.mailer import Attachment, Mail
from linemod.framework.billing.billing_contacts import BillingContact
from linemod.framework.billing.invoicing.documents import Invoice
from linemod.framework.billing.periods import day_of


@dataclass(frozen=True)
class NoticeFacts:
    """What a notice may speak of: the invoice (None for trial and card notices), the pay link, the issuer,
    and the notice's own data (days left, dates)."""

    kind: str
    contact: BillingContact
    issuer_name: str
    pay_url: str
    invoice: Invoice | None = None
    data: dict[str, Any] | None = None


def _yen(amount: int) -> str:
    return f"¥{amount:,}"


def _day(value: date | None, en: bool) -> str:
    if value is None:
        return "-"
    return value.strftime("%B %-d, %Y") if en else f"{value.year}年{value.month}月{value.day}日"


def _paragraphs(facts: NoticeFacts) -> tuple[str, list[str]]:
    """The subject and the paragraphs of a notice."""
    en = facts.contact.language == "en"
    data = facts.data or {}
    invoice = facts.invoice
    number = invoice.number if invoice is not None else ""
    amount = _yen(invoice.total_gross) if invoice is not None else ""
    due = _day(invoice.due_date if invoice is not None else None, en)
    pay = f"{'Pay now' if en else 'お支払い・カード登録はこちら'}: {facts.pay_url}"
    kind = facts.kind
    if kind == "invoice":
        if en:
            return f"Invoice {number} from {facts.issuer_name}", [
                f"Please find attached invoice {number} for {amount} (tax included), due {due}.", pay]
        return f"【{facts.issuer_name}】請求書 {number} のご送付", [
            f"請求書 {number}（ご請求金額 {amount}（税込）、お支払期限 {due}）をお送りします。"
            "PDFを添付しております。", pay]
    if kind == "receipt":
        if en:
            return f"Receipt {number} from {facts.issuer_name}", [
                f"Thank you for your payment of {amount}. Your receipt {number} is attached."]
        return f"【{facts.issuer_name}】領収書 {number} のご送付", [
            f"{amount} のお支払いを確認いたしました。ありがとうございます。領収書 {number} を添付しております。"]
    if kind == "payment_failed":
        if en:
            return f"Payment of invoice {number} failed", [
                f"We could not charge {amount} for invoice {number} to your card. We will try again in the coming "
                "days; to pay now, or to use another card, open the link below.", pay]
        return f"【{facts.issuer_name}】お支払いができませんでした（請求書 {number}）", [
            f"請求書 {number} のご請求金額 {amount} をご登録のカードでお支払いいただけませんでした。"
            "数日後に再度お手続きいたします。今すぐのお支払いや別のカードのご登録は下記からお願いいたします。", pay]
    if kind == "transfer_reminder":
        overdue = bool(data.get("overdue"))
        if en:
            state = "is overdue" if overdue else f"is due {due}"
            return f"Reminder: invoice {number} {state}", [f"Invoice {number} for {amount} {state}.", pay]
        state = "のお支払期限を過ぎております" if overdue else f"のお支払期限（{due}）が近づいております"
        return f"【{facts.issuer_name}】請求書 {number} {state}", [
            f"請求書 {number}（{amount}）{state}。お振込をお願いいたします。", pay]
    if kind == "restricted":
        if en:
            return "Your subscription is restricted", [
                f"Invoice {number} ({amount}) is still unpaid, so some features are now restricted. They come back "
                "as soon as it is paid.", pay]
        return f"【{facts.issuer_name}】ご利用を一部制限しました", [
            f"請求書 {number}（{amount}）のお支払いが確認できないため、一部の機能のご利用を制限しました。お支払いが確認"
            "でき次第、元に戻ります。", pay]
    if kind == "final_notice":
        on = _day(date.fromisoformat(data["detach_on"]), en) if data.get("detach_on") else "-"
        if en:
            return "Final notice before the module is detached", [
                f"Invoice {number} ({amount}) is still unpaid. Unless it is paid, the module will be detached from "
                f"your LINE Official Account on {on}.", pay]
        return f"【{facts.issuer_name}】最終のご案内（連携解除のお知らせ）", [
            f"請求書 {number}（{amount}）のお支払いが確認できておりません。"
            f"{on}までにお支払いがない場合、LINE公式アカウントとのモジュール連携を解除いたします。", pay]
    if kind == "trial_ending":
        days = int(data.get("days_left", 0))
        ends = _day(day_of(int(data["trial_ends_at_ms"])), en) if data.get("trial_ends_at_ms") else "-"
        if en:
            return f"Your free trial ends in {days} days", [
                f"Your free trial ends on {ends}. Register a card to keep using the module.", pay]
        return f"【{facts.issuer_name}】無料トライアル終了まであと{days}日です", [
            f"無料トライアルは{ends}に終了します。引き続きご利用いただくには、お支払い方法をご登録ください。", pay]
    if kind == "card_expiring":
        card = str(data.get("card", ""))
        if en:
            return "Your card is about to expire", [f"Your card {card} expires soon. Please register a new one.", pay]
        return f"【{facts.issuer_name}】ご登録のカードの有効期限が近づいています", [
            f"ご登録のカード（{card}）の有効期限が近づいています。新しいカードのご登録をお願いいたします。", pay]
    raise ValueError(f"unknown billing notice {kind!r}")


def notice_mail(facts: NoticeFacts, attachment: Attachment | None = None) -> Mail:
    """The mail of a notice, to the billing profile's email with its CC addresses copied."""
    subject, paragraphs = _paragraphs(facts)
    contact = facts.contact
    greeting = f"{contact.company_name} {contact.honorific.value}"
    text = "\n\n".join([greeting, *paragraphs, facts.issuer_name])
    rendered = "".join(f"<p>{_linked(p, facts.pay_url)}</p>" for p in [greeting, *paragraphs, facts.issuer_name])
    lang = "en" if contact.language == "en" else "ja"
    body_html = f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><body>{rendered}</body></html>'
    return Mail(contact.email, subject, text, html=body_html, cc=contact.cc,
                attachments=(attachment,) if attachment else ())


def _linked(paragraph: str, url: str) -> str:
    escaped = html.escape(paragraph)
    link = html.escape(url)
    return escaped.replace(link, f'<a href="{link}">{link}</a>')

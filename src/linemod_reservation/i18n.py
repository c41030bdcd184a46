"""What the module says to customers, in Japanese (the default) and English (for anyone whose LINE is not
set to Japanese). Keys are stable; `t(lang, key, **values)` formats one."""

from __future__ import annotations

from datetime import date

TEXTS: dict[str, dict[str, str]] = {
    "ja": {
        "menu.reserve": "予約する",
        "menu.list": "予約確認",
        "menu.contact": "お問い合わせ",
        "menu.bar": "メニュー",
        "welcome": (
            "{name}さん、友だち追加ありがとうございます！\n"
            "{shop}です。\n"
            "下のメニューの「予約する」からご予約いただけます。"
        ),
        "help": "ご用件をお選びください。",
        "ask.date": "ご希望の日付を選んでください。",
        "ask.date.button": "日付を選ぶ",
        "ask.time": "{day} の空いている時間です。ご希望の時間を選んでください。",
        "ask.party": "{day} {start} ですね。何名様でご来店ですか？",
        "ask.name": "ご予約のお名前を入力してください。",
        "ask.note": "ご要望があれば入力してください（アレルギー、お祝いなど）。なければ「なし」を押してください。",
        "note.none": "なし",
        "no_slots": "申し訳ありません。{day} は空きがありません。別の日付を選んでください。",
        "closed_day": "{day} は定休日です。別の日付を選んでください。",
        "out_of_range": "その日付はご予約いただけません（本日から{days}日先まで）。",
        "party.label": "{n}名",
        "slot.label": "{start}（残り{free}席）",
        "slot.later": "もっと後の時間",
        "slot.earlier": "前の時間に戻る",
        "welcome.anonymous": (
            "友だち追加ありがとうございます！\n{shop}です。\n下のメニューの「予約する」からご予約いただけます。"
        ),
        "confirm.title": "ご予約内容の確認",
        "confirm.change_title": "変更内容の確認",
        "confirm.alt": "ご予約内容の確認: {day} {start} {party}名",
        "field.date": "日付",
        "field.time": "時間",
        "field.party": "人数",
        "field.name": "お名前",
        "field.note": "ご要望",
        "field.number": "予約番号",
        "button.confirm": "この内容で予約する",
        "button.confirm_change": "この内容で変更する",
        "button.restart": "最初からやり直す",
        "button.abort": "やめる",
        "button.change": "変更する",
        "button.cancel": "キャンセルする",
        "booked": "ご予約を承りました。\n予約番号: {number}\n{day} {start} {party}名様\nご来店をお待ちしております。",
        "changed": "ご予約を変更しました。\n予約番号: {number}\n{day} {start} {party}名様",
        "full": "申し訳ありません。ただいまその時間は満席になりました。別の時間を選んでください。",
        "too_late": "申し訳ありません。その時間のご予約受付は終了しました。別の時間を選んでください。",
        "aborted": "ご予約の手続きを中止しました。",
        "expired": "この操作は受け付けられませんでした。もう一度「予約する」からお試しください。",
        "list.empty": "現在、ご予約はありません。",
        "list.alt": "ご予約一覧（{count}件）",
        "cancel.ask": "予約番号 {number}（{day} {start} {party}名様）をキャンセルしますか？",
        "cancel.yes": "キャンセルする",
        "cancel.no": "キャンセルしない",
        "cancelled": "予約番号 {number}（{day} {start}）をキャンセルしました。",
        "cancel.kept": "ご予約はそのままです。",
        "contact": "担当者におつなぎします。このままメッセージをお送りください。",
        "reminder": (
            "【明日のご予約】\n"
            "{name}様、明日 {day} {start} に{party}名様でご予約を承っております。\n"
            "予約番号: {number}\n"
            "ご来店をお待ちしております。"
        ),
        "shop.created": "{shop}でご予約を承りました（お電話にて）。\n予約番号: {number}\n{day} {start} {party}名様",
        "shop.changed": "{shop}からのお知らせ: ご予約を変更しました。\n予約番号: {number}\n{day} {start} {party}名様",
        "shop.cancelled": "{shop}からのお知らせ: 予約番号 {number}（{day} {start}）はキャンセルされました。",
        "weekday": "月火水木金土日",
    },
    "en": {
        "menu.reserve": "Reserve",
        "menu.list": "My bookings",
        "menu.contact": "Contact us",
        "menu.bar": "Menu",
        "welcome": (
            "Thank you for adding us, {name}!\nThis is {shop}.\nTap “Reserve” in the menu below to book a table."
        ),
        "help": "How can we help you?",
        "ask.date": "Please choose a date.",
        "ask.date.button": "Choose a date",
        "ask.time": "Free times on {day}. Please choose one.",
        "ask.party": "{day} at {start}. How many people?",
        "ask.name": "Please type the name for the reservation.",
        "ask.note": "Any requests (allergies, a celebration, ...)? Type them, or tap “None”.",
        "note.none": "None",
        "no_slots": "Sorry, {day} is fully booked. Please choose another date.",
        "closed_day": "We are closed on {day}. Please choose another date.",
        "out_of_range": "That date cannot be booked (from today up to {days} days ahead).",
        "party.label": "{n}",
        "slot.label": "{start} ({free} left)",
        "slot.later": "Later times",
        "slot.earlier": "Earlier times",
        "welcome.anonymous": (
            "Thank you for adding us!\nThis is {shop}.\nTap “Reserve” in the menu below to book a table."
        ),
        "confirm.title": "Please confirm",
        "confirm.change_title": "Please confirm the change",
        "confirm.alt": "Please confirm: {day} {start}, {party} people",
        "field.date": "Date",
        "field.time": "Time",
        "field.party": "People",
        "field.name": "Name",
        "field.note": "Requests",
        "field.number": "Number",
        "button.confirm": "Book it",
        "button.confirm_change": "Change it",
        "button.restart": "Start over",
        "button.abort": "Stop",
        "button.change": "Change",
        "button.cancel": "Cancel",
        "booked": (
            "Your table is booked.\n"
            "Reservation number: {number}\n"
            "{day} {start}, {party} people\n"
            "We look forward to seeing you."
        ),
        "changed": "Your reservation was changed.\nReservation number: {number}\n{day} {start}, {party} people",
        "full": "Sorry, that time has just been fully booked. Please choose another time.",
        "too_late": "Sorry, bookings for that time are closed. Please choose another time.",
        "aborted": "The reservation was not made.",
        "expired": "That option is no longer available. Please start again from “Reserve”.",
        "list.empty": "You have no reservations.",
        "list.alt": "Your reservations ({count})",
        "cancel.ask": "Cancel reservation {number} ({day} {start}, {party} people)?",
        "cancel.yes": "Cancel it",
        "cancel.no": "Keep it",
        "cancelled": "Reservation {number} ({day} {start}) was cancelled.",
        "cancel.kept": "Your reservation is unchanged.",
        "contact": "We are connecting you with our staff. Please send your message here.",
        "reminder": (
            "Reminder: {name}, we look forward to seeing you tomorrow, {day} at {start} ({party} people).\n"
            "Reservation number: {number}"
        ),
        "shop.created": (
            "{shop} booked a table for you (by phone).\nReservation number: {number}\n{day} {start}, {party} people"
        ),
        "shop.changed": (
            "From {shop}: your reservation was changed.\nReservation number: {number}\n{day} {start}, {party} people"
        ),
        "shop.cancelled": "From {shop}: reservation {number} ({day} {start}) was cancelled.",
        "weekday": "",
    },
}


def language(code: str | None) -> str:
    """Japanese for `ja…` and by default; English for any other language LINE reports."""
    if not code or code.lower().startswith("ja"):
        return "ja"
    return "en"


def t(lang: str, key: str, **values: object) -> str:
    texts = TEXTS.get(lang, TEXTS["ja"])
    template = texts.get(key) or TEXTS["ja"][key]
    return template.format(**values) if values else template


def day_label(lang: str, day: date | str) -> str:
    """`8月12日(水)` in Japanese, `Wed 12 Aug` in English."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    if language(lang) == "ja":
        return f"{d.month}月{d.day}日({TEXTS['ja']['weekday'][d.weekday()]})"
    return d.strftime("%a %d %b").replace(" 0", " ")

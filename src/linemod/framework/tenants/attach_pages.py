"""The pages an OA admin sees during attach, in Japanese (default) and English."""

from __future__ import annotations

from html import escape

TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "ja": {
        "complete": ("連携が完了しました", "{name} にモジュールを連携しました。付与された権限: {scopes}"),
        "denied": (
            "連携がキャンセルされました",
            "LINE公式アカウントの管理画面で連携が許可されませんでした。もう一度お試しください。",
        ),
        "code_expired": (
            "認可の有効期限が切れました",
            "認可コードが無効か期限切れです。最初からやり直してください。",
        ),
        "default_active_conflict": (
            "このアカウントには連携できません",
            "このLINE公式アカウントには、すでに別のモジュール（Default Active）が連携されています。"
            "そのモジュールの連携を解除してから、もう一度お試しください。",
        ),
        "state_mismatch": (
            "このリンクは使用できません",
            "連携を開始したブラウザと異なるか、セッションが失われました。最初からやり直してください。",
        ),
        "state_used_or_expired": ("このリンクは使用済みまたは期限切れです", "最初からやり直してください。"),
        "authorization_error": ("連携できませんでした", "LINEからのエラー: {detail}"),
        "token_failed": ("連携できませんでした", "LINEとの通信でエラーが発生しました: {detail}"),
        "bad_callback": (
            "不正なリクエストです",
            "必要なパラメータがありません。最初からやり直してください。",
        ),
        "restart": ("最初からやり直す", ""),
    },
    "en": {
        "complete": ("Attached", "The module is now attached to {name}. Granted scopes: {scopes}"),
        "denied": (
            "Attach cancelled",
            "The attach was not approved on the LINE Official Account screen. Try again.",
        ),
        "code_expired": (
            "Authorization expired",
            "The authorization code is invalid or has expired. Start again.",
        ),
        "default_active_conflict": (
            "This account cannot be attached",
            "This LINE Official Account already has another Default-Active module attached. Detach it first, "
            "then try again.",
        ),
        "state_mismatch": (
            "This link cannot be used",
            "It was opened in a different browser than the one that started the attach, or the session was "
            "lost. Start again.",
        ),
        "state_used_or_expired": ("This link was already used or has expired", "Start again."),
        "authorization_error": ("The attach failed", "LINE answered: {detail}"),
        "token_failed": ("The attach failed", "Calling LINE failed: {detail}"),
        "bad_callback": ("Bad request", "Required parameters are missing. Start again."),
        "restart": ("Start again", ""),
    },
}


def pick_language(query_lang: str | None, accept_language: str | None) -> str:
    if query_lang in TEXTS:
        return query_lang  # type: ignore[return-value]
    if accept_language and accept_language.strip().lower().startswith("en"):
        return "en"
    return "ja"


def render(kind: str, lang: str, *, restart_url: str | None = None, **values: str) -> str:
    """A complete HTML page for `kind` ("complete" or a failure kind); values are HTML-escaped."""
    texts = TEXTS.get(lang, TEXTS["ja"])
    title, body = texts.get(kind, texts["authorization_error"])
    safe = {key: escape(value) for key, value in values.items()}
    try:
        message = body.format(**safe)
    except KeyError:
        message = body
    link = f'<p><a href="{escape(restart_url)}">{escape(texts["restart"][0])}</a></p>' if restart_url else ""
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        f'<body data-attach-result="{escape(kind)}"><main><h1>{escape(title)}</h1>'
        f"<p>{message}</p>{link}</main>"
        "</body></html>"
    )

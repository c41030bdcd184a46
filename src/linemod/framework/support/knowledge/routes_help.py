"""The help center at /help: categories, search and articles for everyone (public articles), more for
signed-in operators; and /help/suggest, the fragment of suggestions the ticket form asks for while an
operator writes (htmx GET: `q` the text so far, or the form's own `subject` and `body` fields, e.g. with
`hx-include`)."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from linemod.framework.console.params import parse_row_id
from linemod.framework.console.web import PageNotFound, ServicesDep, SignInRequired, Who, check_csrf, html
from linemod.framework.support.knowledge.articles import ArticleNotFound, ArticleService
from linemod.framework.support.knowledge.rendering import render_markdown
from linemod.framework.support.knowledge.search import suggest_articles
from linemod.framework.support.plain_text import one_line

HELP = "/help"
MAX_QUERY = 500
SUGGESTIONS = 5

router = APIRouter(prefix=HELP, dependencies=[Depends(check_csrf)], include_in_schema=False)


def _query(request: Request, name: str) -> str:
    return one_line(request.query_params.get(name))[:MAX_QUERY]


@router.get("")
async def help_center(request: Request, who: Who, services: ServicesDep) -> Response:
    articles = ArticleService(services.db, services.clock)
    signed_in = who.account is not None
    q, category = _query(request, "q"), _query(request, "category") or None
    categories = await articles.categories(who.lang, signed_in=signed_in)
    values: dict[str, Any] = {"q": q, "category": category, "categories": categories, "hits": None, "articles": []}
    if q:
        values["hits"] = await articles.search(q, who.lang, signed_in=signed_in)
    else:
        values["articles"] = await articles.listing(who.lang, signed_in=signed_in, category=category)
    return html(services, request, who, "support/knowledge/help.html", values)


@router.get("/articles/{article_id}")
async def article(request: Request, who: Who, services: ServicesDep, article_id: str) -> Response:
    number = parse_row_id(article_id)
    if number is None:
        raise PageNotFound()
    articles = ArticleService(services.db, services.clock)
    try:
        found = await articles.read(number, signed_in=who.account is not None)
    except ArticleNotFound:
        if who.account is None:
            try:
                await articles.read(number, signed_in=True)
            except ArticleNotFound:
                raise PageNotFound() from None
            raise SignInRequired(request.url.path) from None  # for signed-in operators: sign in, then read
        raise PageNotFound() from None
    values = {"article": found, "body_html": render_markdown(found.body)}
    return html(services, request, who, "support/knowledge/article.html", values)


@router.get("/suggest")
async def suggest(request: Request, who: Who, services: ServicesDep) -> Response:
    """Articles that may answer `q` (or `subject` and `body`), as an HTML fragment (empty when none): for the
    ticket form."""
    q = " ".join(part for part in (_query(request, name) for name in ("q", "subject", "body")) if part)[:MAX_QUERY]
    hits = await suggest_articles(services.db, q, who.lang, SUGGESTIONS, signed_in=who.account is not None) if q else []
    return html(services, request, who, "support/knowledge/_suggestions.html", {"hits": hits, "q": q})

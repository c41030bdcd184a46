"""Staff pages of the knowledge base under /provider/support/articles: the list, writing and editing (with a
preview of the rendered body), publishing and taking back to a draft."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from linemod.framework.console.params import parse_row_id
from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import PROVIDER, PageNotFound, ServicesDep, Staff, Viewer, check_csrf, html
from linemod.framework.i18n import N_
from linemod.framework.support.knowledge.articles import (
    LANGS,
    STATUS_LABELS,
    VISIBILITY_LABELS,
    Article,
    ArticleDraft,
    ArticleService,
)
from linemod.framework.support.knowledge.rendering import render_markdown

ARTICLES = PROVIDER + "/support/articles"

router = APIRouter(prefix=ARTICLES, dependencies=[Depends(check_csrf)], include_in_schema=False)


def _form_page(services: ConsoleServices, request: Request, who: Viewer, status: int = 200, **values: Any) -> Response:
    values.setdefault("errors", {})
    values.setdefault("article", None)
    values |= {"langs": LANGS, "visibilities": VISIBILITY_LABELS, "status_labels": STATUS_LABELS}
    return html(services, request, who, "support/knowledge/staff_form.html", values, status)


async def _submitted(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


async def _article(services: ConsoleServices, article_id: str) -> tuple[ArticleService, Article]:
    number = parse_row_id(article_id)
    service = ArticleService(services.db, services.clock)
    if number is None:
        raise PageNotFound()
    return service, await service.get_any(number)


@router.get("")
async def article_list(request: Request, who: Staff, services: ServicesDep) -> Response:
    articles = await ArticleService(services.db, services.clock).all()
    values = {"articles": articles, "visibilities": VISIBILITY_LABELS, "status_labels": STATUS_LABELS}
    return html(services, request, who, "support/knowledge/staff_list.html", values)


@router.get("/new")
async def new_article(request: Request, who: Staff, services: ServicesDep) -> Response:
    return _form_page(services, request, who, values={"lang": who.lang, "visibility": "public"})


@router.post("/new")
async def create_article(request: Request, who: Staff, services: ServicesDep) -> Response:
    assert who.account is not None
    form = await _submitted(request)
    draft, errors = ArticleDraft.parse(form)
    if errors:
        return _form_page(services, request, who, 400, values=form, errors=errors)
    article = await ArticleService(services.db, services.clock).create(who.account, draft)
    url = services.with_notice(f"{ARTICLES}/{article.id}", N_("The article was saved as a draft."))
    return RedirectResponse(url, status_code=303)


@router.get("/{article_id}")
async def edit_article(request: Request, who: Staff, services: ServicesDep, article_id: str) -> Response:
    _service, article = await _article(services, article_id)
    return _form_page(
        services, request, who, article=article, values=asdict(article), preview=render_markdown(article.body)
    )


@router.post("/{article_id}")
async def update_article(request: Request, who: Staff, services: ServicesDep, article_id: str) -> Response:
    assert who.account is not None
    service, article = await _article(services, article_id)
    form = await _submitted(request)
    draft, errors = ArticleDraft.parse(form)
    if errors:
        return _form_page(services, request, who, 400, article=article, values=form, errors=errors)
    await service.update(who.account, article.id, draft)
    url = services.with_notice(f"{ARTICLES}/{article.id}", N_("The article was saved."))
    return RedirectResponse(url, status_code=303)


@router.post("/{article_id}/publish")
async def publish_article(who: Staff, services: ServicesDep, article_id: str) -> Response:
    return await _set_status(who, services, article_id, "published", N_("The article is published."))


@router.post("/{article_id}/unpublish")
async def unpublish_article(who: Staff, services: ServicesDep, article_id: str) -> Response:
    return await _set_status(who, services, article_id, "draft", N_("The article is a draft again."))


async def _set_status(who: Viewer, services: ConsoleServices, article_id: str, status: str, notice: str) -> Response:
    assert who.account is not None
    service, article = await _article(services, article_id)
    await service.set_status(who.account, article.id, status)
    return RedirectResponse(services.with_notice(f"{ARTICLES}/{article.id}", notice), status_code=303)

"""The knowledge base's search on both databases: Japanese by character bigrams (a particle between the words
does not stop a match), English by lightly stemmed words, ranking, and who may read what."""

from __future__ import annotations

import pytest

from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from linemod.framework.support.knowledge.articles import Article, ArticleDraft, ArticleNotFound, ArticleService
from linemod.framework.support.knowledge.search import suggest_articles
from linemod.framework.support.knowledge.terms import Query, terms
from tests.framework.support.builders import FRIDAY_10_00, add_account


def draft(
    title: str, body: str, *, lang: str = "ja", category: str = "予約", visibility: str = "public"
) -> ArticleDraft:
    made, errors = ArticleDraft.parse(
        {"lang": lang, "title": title, "body": body, "category": category, "visibility": visibility}
    )
    assert errors == {}
    return made


@pytest.fixture
async def kb(db: Database) -> tuple[ArticleService, dict[str, Article]]:
    service = ArticleService(db, ManualClock(FRIDAY_10_00))
    staff = await add_account(db, "staff@provider.example", staff=True)
    texts = {
        "change": draft("予約を変更する方法", "予約一覧から予約を選び、「変更する」を押すと日時を変更できます。"),
        "cancel": draft("予約をキャンセルする", "キャンセルは前日まで無料です。予約一覧から取り消せます。"),
        "mention": draft("営業時間の設定", "営業時間を変えても、すでに受けた予約はそのままです。"),
        "members": draft("請求書の変更", "請求書の宛名を変更するには、設定画面を開きます。", visibility="operators"),
        "english": draft(
            "Changing a reservation", "Open the reservation list and press Change.", lang="en", category="Reservations"
        ),
        "draft": draft("予約の変更（下書き）", "予約の変更についての下書きです。"),
    }
    made = {}
    for name, value in texts.items():
        article = await service.create(staff, value)
        if name != "draft":
            article = await service.set_status(staff, article.id, "published")
        made[name] = article
    return service, made


def test_japanese_text_becomes_bigrams_and_particles_weigh_little() -> None:
    assert terms("予約を変更する") == ["予約", "約を", "を変", "変更", "更す", "する"]
    assert terms("ｶﾀｶﾅとＡＢＣ") == ["カタ", "タカ", "カナ", "ナと", "abc"]
    assert Query.parse("予約の変更").weights == {"予約": 1.0, "約の": 0.3, "の変": 0.3, "変更": 1.0}
    assert terms("Changing changed changes change") == ["chang"] * 4


async def check_a_japanese_question_finds_the_article_with_other_particles(kb) -> None:  # type: ignore[no-untyped-def]
    service, made = kb
    hits = await service.search("予約の変更", "ja", signed_in=False)
    # The article about changing a reservation comes first; the one mentioning 予約 only in passing after
    # it or not at all; the draft and the operators-only article never for an anonymous reader.
    assert [hit.id for hit in hits][:1] == [made["change"].id]
    assert made["draft"].id not in {hit.id for hit in hits}
    assert made["members"].id not in {hit.id for hit in hits}
    assert made["english"].id not in {hit.id for hit in hits}
    ranks = {hit.id: hit.score for hit in hits}
    if made["mention"].id in ranks:
        assert ranks[made["mention"].id] < ranks[made["change"].id]


async def check_title_matches_rank_first_and_unrelated_text_finds_nothing(kb) -> None:  # type: ignore[no-untyped-def]
    service, made = kb
    hits = await service.search("キャンセル", "ja", signed_in=False)
    assert [hit.id for hit in hits] == [made["cancel"].id]
    assert await service.search("天気予報", "ja", signed_in=False) == []
    assert await service.search("　、。!?", "ja", signed_in=False) == []


async def check_english_search_matches_other_word_forms(kb) -> None:  # type: ignore[no-untyped-def]
    service, made = kb
    hits = await service.search("how do I change my reservations", "en", signed_in=False)
    assert [hit.id for hit in hits] == [made["english"].id]


async def check_operators_only_articles_need_a_signed_in_reader(kb) -> None:  # type: ignore[no-untyped-def]
    service, made = kb
    assert made["members"].id not in {h.id for h in await service.search("請求書", "ja", signed_in=False)}
    assert made["members"].id in {h.id for h in await service.search("請求書", "ja", signed_in=True)}
    with pytest.raises(ArticleNotFound):
        await service.read(made["members"].id, signed_in=False)
    assert (await service.read(made["members"].id, signed_in=True)).title == "請求書の変更"


async def check_drafts_are_hidden_from_every_reader_until_published(kb) -> None:  # type: ignore[no-untyped-def]
    service, made = kb
    for signed_in in (False, True):
        with pytest.raises(ArticleNotFound):
            await service.read(made["draft"].id, signed_in=signed_in)
        assert made["draft"].id not in {a.id for a in await service.listing("ja", signed_in=signed_in)}
    staff = await add_account(service.db, "editor@provider.example", staff=True)
    await service.set_status(staff, made["draft"].id, "published")
    assert (await service.read(made["draft"].id, signed_in=False)).status == "published"
    await service.set_status(staff, made["change"].id, "draft")
    assert made["change"].id not in {h.id for h in await service.search("予約の変更", "ja", signed_in=True)}


async def check_an_edit_rewrites_the_index(kb) -> None:  # type: ignore[no-untyped-def]
    service, made = kb
    staff = await add_account(service.db, "writer@provider.example", staff=True)
    await service.update(staff, made["cancel"].id, draft("ポイントの使い方", "ポイントはお会計で使えます。"))
    assert await service.search("キャンセル", "ja", signed_in=True) == []
    assert [h.id for h in await service.search("ポイント", "ja", signed_in=True)] == [made["cancel"].id]


async def check_suggestions_take_a_session_or_the_database(kb, db: Database) -> None:  # type: ignore[no-untyped-def]
    _service, made = kb
    question = "予約の日時を変更したいのですが、どうすればいいですか"
    from_db = await suggest_articles(db, question, "ja", 3)
    async with db.session() as session:
        from_session = await suggest_articles(session, question, "ja", 3)
    assert from_db == from_session
    assert from_db[0].id == made["change"].id and from_db[0].url == f"/help/articles/{made['change'].id}"
    assert len(from_db) <= 3


async def test_searches_that_change_nothing(kb, db: Database) -> None:  # type: ignore[no-untyped-def]
    """One index for several checks: setting it up is most of the time on PostgreSQL."""
    await check_a_japanese_question_finds_the_article_with_other_particles(kb)
    await check_title_matches_rank_first_and_unrelated_text_finds_nothing(kb)
    await check_english_search_matches_other_word_forms(kb)
    await check_operators_only_articles_need_a_signed_in_reader(kb)
    await check_suggestions_take_a_session_or_the_database(kb, db)


async def test_publishing_and_editing_change_what_is_found(kb) -> None:  # type: ignore[no-untyped-def]
    await check_drafts_are_hidden_from_every_reader_until_published(kb)
    await check_an_edit_rewrites_the_index(kb)


def test_bad_drafts_say_what_is_wrong() -> None:
    _draft, errors = ArticleDraft.parse({"lang": "fr", "title": "", "body": "x" * 50_001, "visibility": "all"})
    assert set(errors) == {"lang", "title", "body", "category", "visibility"}

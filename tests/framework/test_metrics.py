"""`GET /metrics`: webhooks by outcome, handled events, the shared queue and tenants, in Prometheus' format."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from linemod.framework.app import ModuleApp
from tests.framework.helpers import (
    Running,
    attached_event,
    make_settings,
    message_event,
    signed,
    wait_for,
    webhook_body,
)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def scrape(run: Running, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await run.http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def test_metrics_count_webhooks_events_and_show_the_queue_and_tenants(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)

    @app.on_message(text="boom")
    async def boom(ctx, event) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("handler bug")

    @app.on_message()
    async def ok(ctx, event) -> None:  # type: ignore[no-untyped-def]
        pass

    async with Running(app) as run:
        await run.post_webhook([attached_event()])
        await run.post_webhook([message_event("hi"), message_event("boom")])
        body = webhook_body([message_event("forged")])
        assert (await run.http.post("/webhook", content=body, headers=signed(body, secret="f" * 32))).status_code == 401
        await run.http.post("/webhook", content=b"{not json", headers=signed(b"{not json"))

        async def boom_is_dead() -> bool:
            return (await run.runtime.events.counts()).get("dead", 0) == 1

        await wait_for(boom_is_dead)
        found = await scrape(run)

    assert found[("linemod_webhooks_total", (("outcome", "stored"),))] == 2
    assert found[("linemod_webhooks_total", (("outcome", "bad_signature"),))] == 1
    assert found[("linemod_webhooks_total", (("outcome", "malformed"),))] == 1
    assert found[("linemod_events_received_total", ())] == 3
    assert found[("linemod_events_handled_total", (("kind", "lifecycle:attached"), ("outcome", "done")))] == 1
    assert found[("linemod_events_handled_total", (("kind", "message"), ("outcome", "done")))] == 1
    # max_attempts is 3 in the test settings: two retries, then dead
    assert found[("linemod_events_handled_total", (("kind", "message"), ("outcome", "retry")))] == 2
    assert found[("linemod_events_handled_total", (("kind", "message"), ("outcome", "dead")))] == 1
    assert found[("linemod_event_handling_seconds_count", (("kind", "message"),))] == 4
    assert found[("linemod_queue_rows", (("queue", "events"), ("status", "done")))] == 2
    assert found[("linemod_queue_rows", (("queue", "events"), ("status", "dead")))] == 1
    assert found[("linemod_tenants", (("state", "attached"),))] == 1


async def test_with_a_token_metrics_need_it(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(metrics_token="s3cret-scrape"), database=db)
    async with Running(app, workers=False) as run:
        assert (await run.http.get("/metrics")).status_code == 401
        assert (await run.http.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        found = await scrape(run, Authorization="Bearer s3cret-scrape")
    assert ("linemod_tenants", (("state", "attached"),)) not in found  # no tenant yet: no sample, not a zero

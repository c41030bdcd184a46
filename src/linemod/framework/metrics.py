"""Prometheus metrics of one module process, served at `GET /metrics`.

Counters and histograms are kept in memory by the code that sees the thing happen (the intake, the worker);
the queue and the tenants are read from the database at scrape time, so every process reports the same
shared backlog. Each app has its own registry: several apps in one process (tests) do not mix.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# What a rejected webhook is counted as, by the status it was answered with.
REJECTION_OUTCOMES = {
    400: "malformed",
    401: "bad_signature",
    404: "unknown_destination",
    413: "too_large",
    503: "not_stored",  # the database did not store it in time (or failed)
}
HANDLER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _DatabaseSnapshot(Collector):
    """Gauges read from the database just before a scrape renders (see `Metrics.render`)."""

    def __init__(self) -> None:
        self.queues: dict[str, dict[str, int]] = {}
        self.tenants: dict[str, int] = {}

    def collect(self) -> Iterator[GaugeMetricFamily]:
        rows = GaugeMetricFamily(
            "linemod_queue_rows", "Rows of the event and job queues by status", labels=["queue", "status"]
        )
        for queue, counts in sorted(self.queues.items()):
            for status, count in sorted(counts.items()):
                rows.add_metric([queue, status], count)
        yield rows
        tenants = GaugeMetricFamily("linemod_tenants", "OAs known to this module by state", labels=["state"])
        for state, count in sorted(self.tenants.items()):
            tenants.add_metric([state], count)
        yield tenants


class Metrics:
    """The metrics of one app; `render()` produces the Prometheus text exposition."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.webhooks = Counter("linemod_webhooks", "Webhook requests by outcome", ["outcome"], registry=self.registry)
        self.events_stored = Counter(
            "linemod_events_received", "Events in stored webhooks (duplicates included)", registry=self.registry
        )
        self.events_handled = Counter(
            "linemod_events_handled",
            "Events taken by this process's worker, by kind and outcome (done, retry, dead, lease_lost)",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "linemod_event_handling_seconds",
            "From an event being taken to its result being committed, by kind",
            ["kind"],
            buckets=HANDLER_BUCKETS,
            registry=self.registry,
        )
        self.jobs_run = Counter(
            "linemod_jobs_run", "Jobs taken by this process's worker, by outcome", ["outcome"], registry=self.registry
        )
        self._snapshot = _DatabaseSnapshot()
        self.registry.register(self._snapshot)

    def webhook_rejected(self, status: int) -> None:
        self.webhooks.labels(REJECTION_OUTCOMES.get(status, str(status))).inc()

    def webhook_stored(self, events: int) -> None:
        self.webhooks.labels("stored").inc()
        self.events_stored.inc(events)

    async def render(self, runtime: Any) -> bytes:
        """The exposition, with the queue and tenant gauges read from the database first."""
        self._snapshot.queues = {"events": await runtime.events.counts(), "jobs": await runtime.jobs.counts()}
        self._snapshot.tenants = await runtime.tenants.count_by_state()
        return generate_latest(self.registry)

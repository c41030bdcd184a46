"""The durable queue: webhook intake, the work queue on the `events` and `jobs` tables, the job scheduler,
chat state, the worker that runs handlers, and the provider console's queries on these tables."""

"""The linemod framework: what a module provider writes a multi-OA LINE module with.

Main pieces, one file each: `settings` (options), `db`/`models`/`migrations` (storage), `webhook_intake`
(durable webhook receipt), `job_queue` and `worker` (processing), `dispatch` (decorated handlers), `context`
(what a handler gets), `line_client` (tenant-bound LINE calls), `chat_control`, `tenant_store`,
`attach_flow` (OAuth attach), `app` (`ModuleApp`, which ties them together) and `cli`. The people side:
`accounts` (sign-up, sign-in, teams), `auth_sessions`, `csrf`, `mailer`, `i18n` (gettext catalogs) and
`console` (the operator and provider consoles, and the extension API `app.console`).
"""

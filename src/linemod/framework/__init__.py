"""The linemod framework: what a module provider writes a multi-OA LINE module with.

Module authors import from `linemod` (the public API); this package is the implementation. At the top:
`app` (`ModuleApp`, which ties everything together), `registration` (its decorators), `context` (what
handlers and jobs get), `dispatch` (which handler takes an event), `settings`, `clock`, `runtime` (the
services of one process), `metrics` and `cli`. One sub-package per subsystem:

- `storage/`: the database, the framework's tables and migrations, units of work straight on the driver;
- `queue/`: webhook intake, the work queue, the job scheduler, chat state and the worker;
- `line/`: the tenant-bound LINE client, the module channel access token, chat control;
- `tenants/`: the tenant store and lifecycle rules, known tenants, the OAuth attach flow;
- `accounts/`: console accounts, sessions, teams, sign-in limits, mail;
- `console/`: the operator and provider consoles and their extension API;
- `i18n/`: the gettext catalogs shared by the consoles, the attach pages and handlers.

`docs/architecture.md` follows a webhook through these files.
"""

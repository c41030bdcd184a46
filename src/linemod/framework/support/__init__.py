"""The help desk's engine: tickets from the operator console, from mail and from staff, answered by the
provider's staff on SLA clocks (no pages here: the consoles build on these services).

states.py (statuses, priorities, types and their labels), records.py (tables), business_hours.py (the
business-hours calendar with Japanese holidays: pure), sla.py (targets per plan and priority, due times,
breaches: pure), tickets.py (`TicketService`: tickets, messages, changes, scoped to the viewer by access.py),
ticket_records.py (what callers get), ticket_rules.py (what a status change or a message does to the SLA
clock), audit.py (the append-only log of every change), csat.py (ratings), tenant_context.py (the OA's state
attached at creation), attachments.py (files within limits, kept in the database), canned_replies.py (定型文
rendered in a sandbox), mail_parsing.py (an inbound mail: threading, auto-replies, attachments: pure),
mail_in.py (IMAP polling, UID-tracked), mail_out.py (staff replies by SMTP, threaded; CSAT, reminder and SLA
mails), automations.py (reminders, auto-solve, auto-close, SLA warnings and escalations, reply retries),
desk.py (all of it wired together), jobs.py (the jobs that run on the app's clock).

The self-service side has pages of its own, mounted by self_service_pages.py: knowledge/ (help articles, their
Japanese-capable search and `suggest_articles`, /help), announcements/ (notices, their banner and mail job) and
reports/ (staff figures, charts, CSV).

Nothing is imported here: `storage/models.py` imports `records`, which must not pull in the rest.
"""

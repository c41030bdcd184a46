"""The inquiry inbox: the OA's own LINE users ask, the OA's operators answer from the operator console.

A handler opens an inquiry with `ctx.support.open_inquiry()` (a rich-menu postback, a keyword): from then on
the framework keeps the module quiet in that chat and records the chat's messages, stickers, media, follows
and postbacks into the inquiry's transcript (`recording.py`, called by the worker before dispatch). Operators
answer from `/console/oas/{bot_id}/inbox` (`routes.py`, `routes_settings.py`); `replies.py` sends each answer
with the event's reply token while it is good (free), else by push, and says which before sending. Media is
copied by a durable job before LINE's storage expires it (`media.py`). Outside the OA's business hours the
framework answers once on its own (`hours.py`). Closing hands the chat back to the module; "ask the provider"
turns the inquiry into a help-desk ticket with its transcript (`escalation.py`).

records.py (tables), service.py (inquiries: open, record, read, tag, close), hours.py (per-OA business hours
and the automatic answer), canned.py (per-OA 定型文), handler_api.py (`ctx.support`).

Nothing is imported here: `storage/models.py` imports `records`, which must not pull in the rest.
"""

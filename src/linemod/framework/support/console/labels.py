"""Words for what the tenant context holds in codes: the subscription's status as the billing pages say it."""

from __future__ import annotations

from linemod.framework.i18n import N_

BILLING_STATUS_LABELS = {
    "trialing": N_("Free trial"),
    "active": N_("Active"),
    "past_due": N_("Payment overdue"),
    "restricted": N_("Restricted for non-payment"),
    "paused": N_("Paused"),
    "canceling": N_("Ends at the period's end"),
    "ended": N_("Ended"),
}

ACCESS_LABELS = {
    "ticket": N_("Opened a ticket with the OA's state"),
    "file": N_("Downloaded a ticket's file"),
    "view_as_start": N_("Started viewing the console"),
    "view_as_page": N_("Opened a console page"),
    "view_as_stop": N_("Stopped viewing the console"),
    "view_as_refused": N_("Asked to view the console: refused, no permission"),
}

"""What the reservation module charges for itself, declared on `app.billing` (the framework's catalog).

- A 30-day free trial from the first attach, with every feature; at its end the subscription is activated
  when the OA has a payment method, else paused (the framework's `trial_end="auto"`).
- スタンダード (Standard): ¥3,000 a month before tax, ¥3,300 with the 10 % consumption tax (or ¥30,000 a year,
  ¥33,000 with tax). Up to 300 reservations a month are included; each one beyond costs ¥10 before tax
  (¥11 with tax), metered as `reservation.created` when a reservation is made (LINE or console).
- While an invoice is unpaid after dunning (`restricted`), bookings keep working, so that the shop's
  customers are not turned away; the reminders and the week view stop until it is paid.

Handlers ask `ctx.billing.allows(...)` for the entitlements below and never look at plan names or states.
"""

from __future__ import annotations

from linemod import Limit, ModuleApp, Price, UsageCharge

PLAN = "standard"
RESERVATION_METER = "reservation.created"
BOOKINGS = "bookings"
REMINDERS = "reminders"
WEEK_VIEW = "week_view"
INCLUDED = "reservations_included"
MONTHLY_YEN = 3_000  # tax excluded: ¥3,300 with 10 %
ANNUAL_YEN = 30_000  # two months free: ¥33,000 with 10 %
INCLUDED_RESERVATIONS = 300
PER_RESERVATION_YEN = 10  # tax excluded, beyond the included ones: ¥11 with 10 %
TRIAL_DAYS = 30


def declare(app: ModuleApp) -> None:
    app.billing.meter(RESERVATION_METER, aggregation="count", name_ja="予約", name_en="Reservations")
    app.billing.plan(
        PLAN,
        name_ja="スタンダード",
        name_en="Standard",
        prices=[Price.monthly(MONTHLY_YEN), Price.annual(ANNUAL_YEN)],
        usage=[UsageCharge.per_unit(RESERVATION_METER, PER_RESERVATION_YEN, included=INCLUDED_RESERVATIONS)],
        entitlements=[BOOKINGS, REMINDERS, WEEK_VIEW],
        # soft: the console shows how many of the included reservations are used; nothing is refused
        limits={INCLUDED: Limit(INCLUDED_RESERVATIONS, meter=RESERVATION_METER, kind="soft")},
        default=True,
    )
    app.billing.configure(trial_days=TRIAL_DAYS, trial_end="auto", restricted_entitlements=[BOOKINGS])

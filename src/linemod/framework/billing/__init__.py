"""Billing: what a module charges OAs for, bound to LINE's lifecycle events.

catalog.py + coupons.py (plans, prices, meters, coupons declared in code), policy.py (trial and lifecycle rules),
extension.py (`app.billing`), catalog_sync.py (prices versioned in the database), states.py (the status
machine), periods.py (JST days, anchors, proration), pricing.py + lines.py (the pure billable lines),
ledger.py (transitions, history, charges), lifecycle.py (attach, suspend, resume, detach, trial end,
renewal), changes.py (plan changes, cancel, resume), metering.py (usage records and aggregations),
line_usage.py (messages sent, LINE's quota), entitlements.py (`ctx.billing`), events.py (`@app.on_billing`),
jobs.py (the jobs that run on the app's clock), records.py (tables). Invoices, receipts and return
invoices: `billing/invoicing/`. Payments (Stripe, bank transfer) and their retries: `billing/payments/`.
What provider staff do: metrics.py (MRR, ARR, OAs per month), refunds.py (return invoice, then the card
refund keyed by it), manual_charges.py (manual invoices and credits), staff_coupons.py, audit_log.py (who did
what, over every source) and staff_records.py (their tables); the pages: `billing/console/`.

Nothing is imported here: `storage/models.py` imports `records`, which must not pull in the rest.
"""

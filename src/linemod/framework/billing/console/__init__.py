"""Billing's pages in the consoles.

The provider's billing console (`provider_*.py`, URLs under `/provider/billing`, provider staff only):
the dashboard with its charts (`charts.py`), a tenant's subscription and invoices, manual invoices and
credits, refunds with return invoices, coupons, bank transfers marked paid, the statement-import
reconciliation queue, the monthly tax report with its CSV, the invoice archive search and the audit log.
Templates are in `templates/billing/provider/`.

The operator's side, under /console/oas/{bot_id}/billing, served by `app.asgi()` through `operator_routes.py`
once a plan is declared: `operator_pages.py` (the overview, the billing profile, checked by `profile_form.py`,
the invoices and receipts), `operator_payment.py` (the card form through Stripe.js, or bank
transfer), `operator_changes.py` (plan change with its preview, cancellation with its reasons, resume),
`data_export.py` (the module's data as CSV and JSON, through `app.console.data_export`), built on
`operator_view.py` (what the overview shows, read from the billing engine) and `operator_access.py` (who may
see, who may change); `banners.py` is the notice every OA page shows while a trial ends or money is owed.
Templates are in `templates/billing/operator/`.
"""

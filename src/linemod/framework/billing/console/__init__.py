"""Billing's pages in the consoles.

The provider's billing console (`provider_*.py`, URLs under `/provider/billing`, provider staff only):
the dashboard with its charts (`charts.py`), a tenant's subscription and invoices, manual invoices and
credits, refunds with return invoices, coupons, bank transfers marked paid, the statement-import
reconciliation queue, the monthly tax report with its CSV, the invoice archive search and the audit log.
Templates are in `templates/billing/provider/`.
"""

"""The invoice engine: Japanese qualified invoices (適格請求書), receipts (領収書) and return invoices
(適格返還請求書), issued once with gap-free numbers, kept immutable with their history, rendered as HTML and
PDF, and searchable in an archive.

- `tax.py`: consumption tax once per document per rate; `registration_number.py`: the issuer's `T` number.
- `documents.py`: the typed documents and `check_qualified()`; `follow_up_documents.py`: receipts and returns.
- `book.py`: `InvoiceBook`, the service (drafts, finalize, void, mark_paid, issue_return_invoice), a
  `DocumentReader` (`document_reader.py`: get, html, pdf, history, related, search); `issuing.py`: checking,
  numbering, rendering and logging one document or a batch (`finalize_many`).
- `records.py` (tables, migration `0004_invoices`), `document_rows.py`, `snapshots.py`, `numbering.py`,
  `change_log.py`, `archive.py`: storage; `rendering.py` + `templates/`: HTML and PDF (one template, its
  words in the framework's catalog).
- `tax_report.py`: the month's taxable base and tax per rate, invoices less returns, and its CSV.

Money is integer yen everywhere. Nothing is imported here: `storage/models.py` imports `records`, which must
not pull in the rest (the service needs the database module, which needs the models).
"""

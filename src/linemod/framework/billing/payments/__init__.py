"""Payments: collecting what invoices say is owed, by card through a provider or by bank transfer.

- `provider.py`: what billing asks of a card provider (`PaymentProvider`) and the records it gets back;
  `events.py`: the payment events a provider's webhooks become; `declines.py`: soft and hard declines.
- `stripe_adapter.py` (calls, through the official SDK) and `stripe_conversion.py` (Stripe's JSON into those
  records): the Stripe implementation. localstripe stands in for Stripe in tests and demos.
- `card_payments.py`: `CardPayments`, customers, saved cards, charges and refunds, each exactly once.
- `bank_transfer.py`: `BankTransfers`, payer references (`payer_reference.py`), payments staff record, bank
  statement imports (`bank_statement.py`) matched to open invoices (`statement_matching.py`, with names made
  comparable by `payer_names.py`) and the reconciliation queue.
- `payment_ledger.py`: what has been paid, for the rest of billing; `dunning.py`: retry days, due dates, expiring
  cards; `records.py`: the tables (migration `0006_payments`).
"""

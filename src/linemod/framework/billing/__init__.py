"""Billing: what a module charges the OAs it serves, and the documents that go with it."""

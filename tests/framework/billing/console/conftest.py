"""Fixtures of the operator billing pages' HTTP tests: localstripe as a real server
(tests/support/localstripe.py)."""

from tests.support.localstripe import localstripe, localstripe_server  # noqa: F401  (fixtures)
